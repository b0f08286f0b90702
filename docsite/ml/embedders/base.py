"""The embedder plugin contract: texts in, L2-normalised float32 vectors out.

Embedders are found through the ``docsite.embedders`` entry-point group and
configured by ``DOCSITE_EMBEDDERS`` (``CACHES`` shape). Like every backend they
never touch the ORM, Celery or settings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from docsite.ml.runtime import device_class

if TYPE_CHECKING:
    import numpy as np


class BaseEmbedder:
    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    #: Whether the embedder takes ``device`` and ``dtype`` options; the registry
    #: resolves their ``auto`` values before building it.
    uses_device: ClassVar[bool] = False
    #: Options that change how fast vectors come, never what they are.
    operational_options: ClassVar[frozenset[str]] = frozenset(
        {
            "batch_size",
            "local_files_only",
            "threads",
            "similarity_floor",
            "chance_margin",
            # Query vectors are checked against the document vectors they are
            # compared with (evaluate_search); the key names document vectors.
            "query_runtime",
        }
    )
    # Cosine similarity below which a query and a document are no closer than
    # chance; meaning search returns nothing under it. Calibrated per model
    # (``similarity_floor`` option to override); 0 keeps everything.
    default_similarity_floor: ClassVar[float] = 0.0
    # For a model whose cosines carry an offset that depends on the query
    # (e5's sit high and vary by language), chance is the query's own average
    # cosine with a document: meaning search also drops what is not at least
    # this much above it. None: the floor alone decides (``chance_margin``
    # option to override).
    default_chance_margin: ClassVar[float | None] = None

    def __init__(self, **options: Any) -> None:
        self.options = options

    @property
    def model_id(self) -> str:
        return self.name

    @property
    def dimension(self) -> int:
        raise NotImplementedError

    def declared_dimension(self) -> int | None:
        """Return the vector size without loading the model (None when unknown).

        Health checks compare it with the stored vectors; the default asks
        ``dimension``, which model-free embedders answer cheaply.
        """
        return self.dimension

    @property
    def producer(self) -> str:
        """Return ``name:model:vN:hash``; the hash covers every option that can
        change a vector (``max_length``, the resolved ``dtype``, the device
        class, the dimension), so two configurations never share a key."""
        options = {
            key: value
            for key, value in self.options.items()
            if key not in self.operational_options
        }
        if "device" in options:
            options["device"] = device_class(str(options["device"]))
        digest = hashlib.sha256(
            json.dumps(options, sort_keys=True, default=str).encode()
        ).hexdigest()[:10]
        return f"{self.name}:{self.model_id}:v{self.version}:{digest}"[:200]

    def seconds_per_document_hint(self) -> float:
        """Return a rough cost of embedding one document (several chunks)."""
        return 0.05

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model_id}

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Return an array of shape (len(texts), dimension), float32, rows of norm 1."""
        raise NotImplementedError

    @property
    def similarity_floor(self) -> float:
        return float(
            self.options.get("similarity_floor", self.default_similarity_floor)
        )

    @property
    def chance_margin(self) -> float | None:
        margin = self.options.get("chance_margin", self.default_chance_margin)
        return None if margin is None else float(margin)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Return vectors of search queries, comparable with ``embed_batch``'s.

        Web processes call this: an embedder whose ``embed_batch`` needs torch
        should answer here from a light runtime (or say in its producer key
        that the two are not comparable).
        """
        return self.embed_batch(texts)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Return how many model tokens each text takes (for chunking)."""
        raise NotImplementedError

    def query_word_known(self, word: str) -> bool | None:
        """Return whether ``word`` is one token of the query model's vocabulary
        (a word it learnt as a whole, not pieced together from fragments), or
        None when the embedder cannot tell. Meaning search reads a query none
        of whose words the model, the corpus or English knows ("asdf jkl")
        as no query at all; None keeps every query."""
        return None
