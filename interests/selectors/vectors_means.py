"""The mean of a vector set: a query's chance level of similarity (search),
and the centre of each language's language vectors (the feed).

Counting the mean of 100k vectors takes about half a second, so requests read
it from the cache, kept fresh by beat (``vectors_means_refresh``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from django.core.cache import cache
from django.db import connection

logger = logging.getLogger(__name__)

# How long a producer's mean vector is reused: the average of many vectors
# barely moves as documents come and go; that of a few is cheap to recount.
VECTORS_MEAN_SECONDS = 3600
VECTORS_MEAN_FEW = 1000
VECTORS_MEAN_FEW_SECONDS = 60


@dataclass(frozen=True)
class VectorsMean:
    """The mean of a producer's document vectors, and how many there are."""

    mean: np.ndarray
    count: int

    def chance(self, *, query: np.ndarray, cosine: float) -> float | None:
        """Return the query's average cosine with the other documents than the
        one it has ``cosine`` with (that one is in the mean: in a small corpus
        it would raise its own chance level); None with no other document."""
        if self.count < 2 or len(self.mean) != len(query):
            return None
        total = self.count * float(np.dot(query, self.mean))
        return (total - cosine) / (self.count - 1)


def vectors_mean(
    *, producer: str, language: str | None = None, fresh: bool = False
) -> VectorsMean | None:
    """Return the mean of ``producer``'s document vectors (None if it has none),
    of the documents detected as ``language`` only when given.

    A query's dot product with it is the query's average cosine with a
    document: the chance level of its similarities. Cached, and kept fresh
    off the request path (``vectors_means_refresh``: counting 100k vectors
    takes about half a second); ``fresh`` counts again. Without the cache
    (Redis down) it is counted each time.
    """
    return vectors_means(producer=producer, languages=[language], fresh=fresh)[language]


def vectors_means(
    *, producer: str, languages: Sequence[str | None], fresh: bool = False
) -> dict[str | None, VectorsMean | None]:
    """``vectors_mean`` of each of ``languages`` (None: all documents), read
    from the cache in one round trip. That a language has no vectors is
    cached too, or every request would count them again."""
    keys = {
        language: "interests:vectors-mean:"
        + hashlib.sha256(f"{producer}|{language or ''}".encode()).hexdigest()[:32]
        for language in languages
    }
    cached = {}
    try:
        if not fresh:
            cached = cache.get_many(list(keys.values()))
    except Exception:
        logger.warning("cache unavailable; vectors' mean uncached", exc_info=True)
    means = {}
    for language, key in keys.items():
        if key not in cached:
            cached[key] = _vectors_mean_count(producer=producer, language=language)
            raw, count = cached[key]
            seconds = (
                VECTORS_MEAN_SECONDS
                if count >= VECTORS_MEAN_FEW
                else VECTORS_MEAN_FEW_SECONDS
            )
            try:
                cache.set(key, cached[key], seconds)
            except Exception:
                logger.warning(
                    "cache unavailable; vectors' mean not cached", exc_info=True
                )
        raw, count = cached[key]
        means[language] = (
            VectorsMean(mean=np.frombuffer(raw, dtype=np.float32), count=count)
            if count
            else None
        )
    return means


def _vectors_mean_count(*, producer: str, language: str | None) -> tuple[bytes, int]:
    """The mean as float32 bytes and the count (``b""`` and 0 when none)."""
    with connection.cursor() as cursor:
        if language is None:
            cursor.execute(
                "SELECT avg(embedding)::text, count(*)"
                " FROM interests_documentvector WHERE producer = %s",
                [producer],
            )
        else:
            cursor.execute(
                "SELECT avg(v.embedding)::text, count(*)"
                " FROM interests_documentvector v JOIN documents_document d"
                " ON d.id = v.document_id WHERE v.producer = %s"
                " AND d.language = %s",
                [producer, language],
            )
        text, count = cursor.fetchone()
    if not text:
        return b"", 0
    return np.array(json.loads(text), dtype=np.float32).tobytes(), int(count)
