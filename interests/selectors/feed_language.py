"""The feed for readers of the languages the main embedder cannot read.

MiniLM, the main embedder, reads no Chinese: among the search sets' Chinese
pages, two pages on one subject sit at cosine 0.71 and unrelated ones at 0.67
(std 0.07), so a reader who liked a Chinese page got the other Chinese pages
in near-random order (``bench/feed_clusters.py``: 6% of a page's neighbours
in the first ten items, 68% for English pages). The language vectors
(multilingual-e5, ``language_vectors.py``) tell them apart: 0.91 against
0.88, std 0.013.

Their cosines are also off the ranker's scale: MiniLM gives any two Chinese
pages 0.6 or more, beyond the four standard deviations (of cosines on MIND's
English news, mean 0.15, std 0.1) at which the ranker clips a feature, so
every Chinese candidate of a Chinese reader scored the same and MMR chose
among them for variety.

So when some of the documents a reader used have language vectors, the feed
compares two documents those vectors cover by their language vectors alone,
moved onto the main model's scale: ``LANGUAGE_WEIGHT`` times their cosine,
each vector centred on the mean of its language's vectors (multilingual-e5
puts unrelated Chinese pages nearer each other than Japanese ones, 0.88
against 0.83), plus ``LANGUAGE_COSINE_BASE`` when both are in one language.
It does so with dot products, as everywhere else: a covered document's main
vector is replaced by zeros, and every vector (candidates', the reader's
exemplars and aggregates) gets a tail: the centred language vector times
``sqrt(LANGUAGE_WEIGHT)``, then one value per language, which holds
``sqrt(LANGUAGE_COSINE_BASE)`` in the document's language's place; zeros for
a document without a language vector. Two uncovered documents compare as
before, a covered and an uncovered one at 0 (the main model reads only one of
them; MiniLM puts Chinese and English pages near 0 too), two covered
documents in different languages without the base (a Japanese reader's
Chinese candidates weigh less than Japanese ones, as the main model would
have it). One more HNSW scan, over the language vectors, finds the covered
documents nearest to what the reader used.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..ranking import InterestVectors, unit
from .candidates import Candidates
from .language_vectors import language_vectors_languages
from .vectors_means import vectors_means


@dataclass(frozen=True)
class LanguageSide:
    """The language vectors of a reader's exemplars, and what the tails need."""

    producer: str
    # sqrt of INTERESTS_FEED["LANGUAGE_WEIGHT"] and of "LANGUAGE_COSINE_BASE".
    scale: float
    base: float
    # The mean language vector of each language's documents.
    means: dict[str, np.ndarray]
    # One row per exemplar, in the interest's exemplar order, with its
    # document's language; zeros and None where it has no language vector.
    exemplar_vectors: np.ndarray
    exemplar_languages: list[str | None]
    # Which exemplars ``covered`` (at least one).
    exemplar_covered: np.ndarray

    def query_vector(self, *, weights: Sequence[float]) -> np.ndarray | None:
        """The direction of the language scan: the covered exemplars' weighted mean."""
        covered = self.exemplar_covered
        w = _weights(weights, len(covered))[covered]
        return unit(w @ self.exemplar_vectors[covered])

    def covered(
        self, language: np.ndarray, languages: Sequence[str | None]
    ) -> np.ndarray:
        """Which rows have a language vector and a language with a mean."""
        return _covered(language, languages, self.means)

    def extended(
        self,
        main: np.ndarray,
        language: np.ndarray,
        languages: Sequence[str | None],
    ) -> np.ndarray:
        """Rows of ``main`` with their tails: for a covered row zeros, its
        language vector centred on its language's mean and scaled, and the
        base in its language's place; for any other the main vector and zeros."""
        covered = self.covered(language, languages)
        width, size = main.shape[1], language.shape[1]
        codes = {code: index for index, code in enumerate(self.means)}
        out = np.zeros((len(main), width + size + len(codes)), dtype=np.float32)
        out[~covered, :width] = main[~covered]
        rows = np.flatnonzero(covered)
        if len(rows):
            places = np.array([codes[languages[row]] for row in rows])
            means = np.stack(list(self.means.values()))
            out[rows, width : width + size] = (
                language[rows] - means[places]
            ) * self.scale
            out[rows, width + size + places] = self.base
        return out


def reader_language_side(
    *,
    producer: str | None,
    weight: float,
    base: float,
    exemplar_ids: Sequence[int],
    vectors: dict[int, tuple[np.ndarray, str]],
) -> LanguageSide | None:
    """Return the reader's language side, or None when nothing they used has a
    language vector (or the weight is 0, or the language vectors are off)."""
    if not producer or weight <= 0 or not vectors:
        return None
    if not any(pk in vectors for pk in exemplar_ids):
        return None
    dimension = len(next(iter(vectors.values()))[0])
    means = {
        language: mean.mean.astype(np.float32)
        for language, mean in vectors_means(
            producer=producer, languages=language_vectors_languages()
        ).items()
        if mean is not None and len(mean.mean) == dimension
    }
    matrix = np.zeros((len(exemplar_ids), dimension), dtype=np.float32)
    languages: list[str | None] = [None] * len(exemplar_ids)
    for row, pk in enumerate(exemplar_ids):
        if pk in vectors:
            matrix[row], languages[row] = vectors[pk]
    covered = _covered(matrix, languages, means)
    if not covered.any():
        return None
    return LanguageSide(
        producer=producer,
        scale=math.sqrt(weight),
        base=math.sqrt(max(base, 0.0)),
        means=means,
        exemplar_vectors=matrix,
        exemplar_languages=languages,
        exemplar_covered=covered,
    )


def interest_with_language(
    interest: InterestVectors, side: LanguageSide
) -> InterestVectors:
    """``interest`` extended: each exemplar as a document is, each aggregate
    with the covered exemplars' weighted mean tail times their share of the
    weight, the dismissed documents' vector with none."""
    exemplars = side.extended(
        interest.exemplars, side.exemplar_vectors, side.exemplar_languages
    )
    covered = side.exemplar_covered
    w = _weights(interest.exemplar_weights, len(covered))
    width = interest.exemplars.shape[1]
    tail = (w[covered] @ exemplars[covered, width:]) / max(float(w.sum()), 1e-9)

    def extended(vector: np.ndarray | None, tail: np.ndarray) -> np.ndarray | None:
        return None if vector is None else np.concatenate([vector, tail])

    return dataclasses.replace(
        interest,
        long_term=extended(interest.long_term, tail),
        short_term=extended(interest.short_term, tail),
        negative=extended(interest.negative, np.zeros_like(tail)),
        centroids=[extended(c, tail) for c in interest.centroids],
        exemplars=exemplars,
    )


def candidates_with_language(candidates: Candidates, side: LanguageSide) -> Candidates:
    """``candidates`` extended by their language vectors."""
    language = candidates.language_vectors
    languages = candidates.languages
    if language is None or languages is None:
        language = np.zeros_like(candidates.vectors)
        languages = [None] * len(candidates.document_ids)
    return dataclasses.replace(
        candidates, vectors=side.extended(candidates.vectors, language, languages)
    )


def _covered(
    language: np.ndarray, languages: Sequence[str | None], means: dict
) -> np.ndarray:
    return (np.abs(language).sum(axis=1) > 0) & np.array(
        [code in means for code in languages], dtype=bool
    )


def _weights(weights: Sequence[float], count: int) -> np.ndarray:
    if len(weights) == count:
        return np.asarray(weights, dtype=np.float32)
    return np.ones(count, dtype=np.float32)
