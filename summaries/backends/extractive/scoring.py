"""Scores of units by centrality, and their selection by maximal marginal relevance."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from summaries.structure import Unit

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_LATIN_WORD = re.compile(r"[a-z][a-z'-]+")
# Units this similar to one already picked say the same thing; picking both
# only wastes the budget, whatever mmr_lambda says.
NEAR_DUPLICATE_SIMILARITY = 0.95
TEXTRANK_DAMPING = 0.85
TEXTRANK_TOLERANCE = 1e-6
TEXTRANK_MAX_ITERATIONS = 100


def fact_aware(similarity: np.ndarray, units: Sequence[Unit]) -> np.ndarray:
    """Return ``redundancy[j, i]``: similarity, or 0 where unit ``i`` states a number ``j`` lacks.

    Sentence embedders barely see numbers: "Primary caregivers get 20 weeks"
    and "Secondary caregivers get 8 weeks" embed alike, yet the second is a
    fact of its own, not a repetition.
    """
    numbers = [frozenset(NUMBER.findall(unit.text)) for unit in units]
    covered = np.array([[mine <= theirs for mine in numbers] for theirs in numbers])
    return np.where(covered, similarity, 0.0)


def min_max(scores: np.ndarray) -> np.ndarray:
    low, high = float(scores.min()), float(scores.max())
    if high - low < 1e-12:
        return np.ones_like(scores, dtype=float)
    return (scores - low) / (high - low)


def centroid_scores(vectors: np.ndarray) -> np.ndarray:
    """Return the cosine similarity of each row of ``vectors`` ``(n, d)`` to their mean."""
    centroid = vectors.mean(axis=0)
    norm = float(np.linalg.norm(centroid))
    if norm < 1e-12:
        return np.zeros(len(vectors))
    return vectors @ (centroid / norm)


def textrank_scores(similarity: np.ndarray) -> np.ndarray:
    """Return LexRank scores ``(n,)`` for the cosine-similarity matrix ``(n, n)``."""
    count = len(similarity)
    weights = np.clip(similarity, 0.0, None).astype(float)
    np.fill_diagonal(weights, 0.0)
    row_sums = weights.sum(axis=1, keepdims=True)
    # A unit like no other jumps anywhere, as PageRank's dangling nodes do.
    transition = np.where(
        row_sums > 0, weights / np.maximum(row_sums, 1e-12), 1.0 / count
    )
    rank = np.full(count, 1.0 / count)
    for _ in range(TEXTRANK_MAX_ITERATIONS):
        updated = (1 - TEXTRANK_DAMPING) / count + TEXTRANK_DAMPING * (
            transition.T @ rank
        )
        converged = np.abs(updated - rank).sum() < TEXTRANK_TOLERANCE
        rank = updated
        if converged:
            break
    return rank


def directed_scores(
    similarity: np.ndarray,
    *,
    sections: np.ndarray,
    edge_threshold: float,
    backward_weight: float,
) -> np.ndarray:
    """Return directed centrality ``(n,)``: links to later units plus weighted links to earlier ones.

    ``similarity`` is ``(n, n)`` and ``sections`` ``(n,)``; only units of one
    section link.
    """
    count = len(similarity)
    if count == 1:
        return np.ones(1)
    off_diagonal = similarity[~np.eye(count, dtype=bool)]
    low, high = float(off_diagonal.min()), float(off_diagonal.max())
    cut = low + edge_threshold * (high - low)
    edges = np.clip(similarity - cut, 0.0, None).astype(float)
    np.fill_diagonal(edges, 0.0)
    edges *= sections[:, None] == sections[None, :]
    forward = np.triu(edges, k=1).sum(axis=1)
    backward = np.tril(edges, k=-1).sum(axis=1)
    return forward + backward_weight * backward


def mmr_select(
    *,
    relevance: np.ndarray,
    similarity: np.ndarray,
    sizes: np.ndarray,
    eligible: np.ndarray,
    target: float,
    limit: float,
    mmr_lambda: float,
    redundancy: np.ndarray | None = None,
) -> list[int]:
    """Return indices picked by maximal marginal relevance, in the order picked.

    ``redundancy[j, i]`` is how much unit ``i`` repeats picked unit ``j``
    (default: their similarity); near duplicates go by ``similarity``.

    Picking stops once the picked sizes reach ``target`` or nothing left fits
    within ``limit``.
    """
    available = eligible.copy()
    closest = np.zeros(len(relevance))
    picked: list[int] = []
    used = 0.0
    while used < target:
        fits = available & (sizes <= limit - used)
        if not fits.any():
            break
        gain = np.where(
            fits, mmr_lambda * relevance - (1 - mmr_lambda) * closest, -np.inf
        )
        best = int(np.argmax(gain))
        picked.append(best)
        used += float(sizes[best])
        available[best] = False
        available &= similarity[best] < NEAR_DUPLICATE_SIMILARITY
        closest = np.maximum(
            closest, (similarity if redundancy is None else redundancy)[best]
        )
    return picked


def topic_word_scores(texts: Sequence[str]) -> np.ndarray:
    """Return how much of a document's recurring topic each of its ``texts`` names, ``(n,)``.

    Topic words are the content words (three letters or more, not English
    stop words) that the document uses at least twice; a text scores the sum
    of the document counts of the distinct topic words it uses (a topic
    signature, as in SumBasic, Nenkova & Vanderwende 2005). In a
    conversation the topic is what both speakers keep coming back to
    ("traffic", "public transport"), which sentence embeddings of short
    turns hardly see. Text without Latin-script words scores 0 throughout.
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = [
        [
            word
            for word in _LATIN_WORD.findall(text.lower())
            if len(word) > 2 and word not in ENGLISH_STOP_WORDS
        ]
        for text in texts
    ]
    counts = Counter(word for text_words in words for word in text_words)
    return np.array(
        [
            sum(counts[word] for word in set(text_words) if counts[word] > 1)
            for text_words in words
        ],
        dtype=float,
    )
