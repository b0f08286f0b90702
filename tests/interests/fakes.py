"""A deterministic, model-free embedder for fast tests.

Each word is hashed to a few dimensions; texts sharing words get similar
vectors, so interest and permission tests can reason about neighbours
without loading MiniLM.

Its vectors are 256-d, a size no migration indexes: a test that embeds
creates the HNSW index of that size inside its own transaction, and the
rollback takes the index along. Every test thus searches a fresh graph. In
the migration's committed 384-d index, the dead copies of identical test
vectors that each rolled-back test leaves behind (until a vacuum) took the
in-links of a new live copy, and an index scan missed a row that a
sequential scan found.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from docsite.ml.embedders.base import BaseEmbedder

WORD = re.compile(r"[a-z0-9]+")


class HashingEmbedder(BaseEmbedder):
    name = "hashing"
    version = "1"

    DIMENSION = 256

    def __init__(
        self, *, dimension: int = DIMENSION, revision: str = "", **operational
    ) -> None:
        # Operational options (a floor, a chance margin) as a real embedder
        # takes them; anything else is a misconfiguration.
        unknown = set(operational) - BaseEmbedder.operational_options
        if unknown:
            raise TypeError(f"unexpected options: {sorted(unknown)}")
        super().__init__(dimension=dimension, revision=revision, **operational)
        self._dimension = dimension
        self._revision = revision
        self.calls = 0

    @property
    def model_id(self) -> str:
        # A revision stands for a retrained model: a different producer.
        return f"hashing-{self._revision}" if self._revision else "hashing"

    @property
    def dimension(self) -> int:
        return self._dimension

    def _word_vector(self, word: str) -> np.ndarray:
        digest = hashlib.sha256(word.encode()).digest()
        vector = np.zeros(self._dimension, dtype=np.float32)
        for i in range(4):
            index = int.from_bytes(digest[2 * i : 2 * i + 2], "big") % self._dimension
            vector[index] += 1.0 if digest[8 + i] % 2 else -1.0
        return vector

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in WORD.findall(text.lower()):
                out[row] += self._word_vector(word)
            norm = np.linalg.norm(out[row])
            if norm == 0:
                # No Latin word (Chinese text, symbols): a direction of its own
                # per text, so such texts are unrelated rather than identical.
                out[row] = self._word_vector(text)
                out[row] /= np.linalg.norm(out[row]) or 1.0
            else:
                out[row] /= norm
        return out

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(WORD.findall(text.lower())) for text in texts]
