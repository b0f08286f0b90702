"""The embedder plugin contract: texts in, L2-normalised float32 vectors out.

Embedders are found through the ``docsite.embedders`` entry-point group and
configured by ``DOCSITE_EMBEDDERS`` (``CACHES`` shape). Like every backend they
never touch the ORM, Celery or settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import numpy as np


class BaseEmbedder:
    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"

    def __init__(self, **options: Any) -> None:
        self.options = options

    @property
    def model_id(self) -> str:
        return self.name

    @property
    def dimension(self) -> int:
        raise NotImplementedError

    @property
    def producer(self) -> str:
        return f"{self.name}:{self.model_id}:v{self.version}"[:200]

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model_id}

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Return an array of shape (len(texts), dimension), float32, rows of norm 1."""
        raise NotImplementedError

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Return how many model tokens each text takes (for chunking)."""
        raise NotImplementedError
