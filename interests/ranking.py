"""Pure numpy math of the interest model and the feed: no ORM, no settings.

The feed, the evaluation command and the benches all build interests through
``interest_vectors_build`` and rank with ``interests.ranker``, so what is
measured is what readers get.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

# Which action a reason names when a reader did several things with a document.
KIND_STRENGTH = {"view": 1, "search_click": 2, "bookmark": 3, "like": 4}


def unit(vector: np.ndarray | None) -> np.ndarray | None:
    """Return ``vector`` scaled to norm 1, or None when it is (nearly) zero."""
    if vector is None:
        return None
    norm = float(np.linalg.norm(vector))
    if norm < 1e-9:
        return None
    return (vector / norm).astype(np.float32)


@dataclass(frozen=True)
class HistoryEvent:
    """One interaction as the interest model sees it."""

    document_id: int
    kind: str
    created_at: datetime
    vector: np.ndarray
    dwell_seconds: int | None = None
    space_id: int | None = None


@dataclass
class InterestVectors:
    long_term: np.ndarray | None = None
    short_term: np.ndarray | None = None
    negative: np.ndarray | None = None
    centroids: list[np.ndarray] = field(default_factory=list)
    # The vectors of the documents the reader used, newest first: candidates
    # are also scored by their nearest few of these (item-based, like k-NN),
    # which keeps a narrow interest from being averaged away.
    exemplars: np.ndarray | None = None
    exemplar_ids: list[int] = field(default_factory=list)
    # Each exemplar's event weight relative to the heaviest (kind, dwell and
    # age), and the strongest thing the reader did with it (for reasons).
    exemplar_weights: list[float] = field(default_factory=list)
    exemplar_kinds: list[str] = field(default_factory=list)
    # Share of the reader's positive history in each space.
    space_shares: dict[int, float] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return self.long_term is None and self.short_term is None and not self.centroids

    def query_vectors(self) -> list[np.ndarray]:
        """Return the vectors to search nearest neighbours for, most specific first."""
        vectors = [
            v
            for v in (self.short_term, *self.centroids, self.long_term)
            if v is not None
        ]
        unique: list[np.ndarray] = []
        for vector in vectors:
            # A centroid equal to the long-term vector (one interest) adds nothing.
            if all(float(vector @ other) < 0.98 for other in unique):
                unique.append(vector)
        return unique


def event_weight(
    event: HistoryEvent,
    *,
    now: datetime,
    kind_weights: Mapping[str, float],
    half_life_days: float,
    dwell_full_seconds: float,
) -> float:
    """Return the signed weight of one event: kind × dwell × exponential time decay."""
    weight = float(kind_weights.get(event.kind, 0.0))
    if event.kind == "view" and event.dwell_seconds is not None:
        # A glance counts a little; reading for a minute counts fully.
        weight *= 0.25 + 0.75 * min(
            1.0, event.dwell_seconds / max(1.0, dwell_full_seconds)
        )
    age_days = max(0.0, (now - event.created_at).total_seconds() / 86400)
    return weight * math.pow(0.5, age_days / max(half_life_days, 1e-6))


def kmeans_spherical(
    vectors: np.ndarray,
    weights: np.ndarray,
    *,
    k: int,
    iterations: int = 12,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster unit vectors by cosine (weighted spherical k-means, k-means++ start).

    Return ``(centroids, cluster_weights)`` with unit centroids, heaviest first.
    """
    rng = np.random.default_rng(seed)
    n = len(vectors)
    first = int(np.argmax(weights))
    chosen = [first]
    for _ in range(1, k):
        similarity = np.max(vectors @ vectors[chosen].T, axis=1)
        distance = np.clip(1.0 - similarity, 0.0, None) * weights
        if distance.sum() <= 1e-9:
            break
        chosen.append(int(rng.choice(n, p=distance / distance.sum())))
    centroids = vectors[chosen].copy()
    for _ in range(iterations):
        assignment = np.argmax(vectors @ centroids.T, axis=1)
        updated = []
        for index in range(len(centroids)):
            members = assignment == index
            if members.any():
                pooled = unit((vectors[members] * weights[members, None]).sum(axis=0))
                updated.append(pooled if pooled is not None else centroids[index])
            else:
                updated.append(centroids[index])
        updated = np.stack(updated)
        if np.allclose(updated, centroids, atol=1e-5):
            break
        centroids = updated
    assignment = np.argmax(vectors @ centroids.T, axis=1)
    cluster_weights = np.array(
        [weights[assignment == i].sum() for i in range(len(centroids))]
    )
    order = np.argsort(-cluster_weights)
    return centroids[order], cluster_weights[order]


def interest_vectors_build(
    events: Sequence[HistoryEvent],
    *,
    now: datetime,
    kind_weights: Mapping[str, float],
    half_life_days: float,
    dwell_full_seconds: float,
    short_term_events: int,
    max_centroids: int,
    max_exemplars: int = 50,
    seed: int = 0,
) -> InterestVectors:
    """Build a reader's interest vectors from their recent events.

    Events on the same document add up, so a like after a view outweighs
    either alone, and a dismissal cancels earlier interest. Documents with a
    positive total feed the long-term vector (weighted mean), the centroids
    (k-means over them) and, for the newest events, the short-term vector;
    documents with a negative total make the negative vector.
    """
    per_document: dict[int, float] = {}
    vectors: dict[int, np.ndarray] = {}
    newest: dict[int, datetime] = {}
    strongest: dict[int, str] = {}
    for event in events:
        if KIND_STRENGTH.get(event.kind, 0) > KIND_STRENGTH.get(
            strongest.get(event.document_id, ""), -1
        ):
            strongest[event.document_id] = event.kind
        weight = event_weight(
            event,
            now=now,
            kind_weights=kind_weights,
            half_life_days=half_life_days,
            dwell_full_seconds=dwell_full_seconds,
        )
        per_document[event.document_id] = (
            per_document.get(event.document_id, 0.0) + weight
        )
        vectors[event.document_id] = event.vector
        newest[event.document_id] = max(
            event.created_at, newest.get(event.document_id, event.created_at)
        )
    positive = [pk for pk, w in per_document.items() if w > 0]
    negative = [pk for pk, w in per_document.items() if w < 0]
    interest = InterestVectors()
    space_of = {event.document_id: event.space_id for event in events}
    total_positive = sum(per_document[pk] for pk in positive)
    for pk in positive:
        if space_of.get(pk) is not None:
            space = int(space_of[pk])
            interest.space_shares[space] = (
                interest.space_shares.get(space, 0.0)
                + per_document[pk] / total_positive
            )
    if negative:
        interest.negative = unit(
            sum(vectors[pk] * -per_document[pk] for pk in negative)  # type: ignore[arg-type]
        )
    if not positive:
        return interest
    matrix = np.stack([vectors[pk] for pk in positive]).astype(np.float32)
    weights = np.array([per_document[pk] for pk in positive], dtype=np.float32)
    interest.long_term = unit((matrix * weights[:, None]).sum(axis=0))
    by_recency = sorted(positive, key=lambda pk: newest[pk], reverse=True)
    interest.exemplar_ids = by_recency[:max_exemplars]
    interest.exemplars = np.stack([vectors[pk] for pk in interest.exemplar_ids]).astype(
        np.float32
    )
    heaviest = max(per_document[pk] for pk in interest.exemplar_ids)
    interest.exemplar_weights = [
        round(per_document[pk] / heaviest, 5) for pk in interest.exemplar_ids
    ]
    interest.exemplar_kinds = [strongest[pk] for pk in interest.exemplar_ids]
    recent = by_recency[:short_term_events]
    interest.short_term = unit(
        np.stack([vectors[pk] * per_document[pk] for pk in recent]).sum(axis=0)
    )
    # Several centroids only pay off once there is history enough to split.
    k = min(max_centroids, len(positive) // 4)
    if k >= 2:
        centroids, cluster_weights = kmeans_spherical(matrix, weights, k=k, seed=seed)
        keep = cluster_weights >= 0.1 * cluster_weights.sum()
        interest.centroids = [
            c for c, kept in zip(centroids, keep, strict=True) if kept
        ]
    return interest


def mmr_order(
    *, scores: np.ndarray, vectors: np.ndarray, lambda_: float, limit: int
) -> list[int]:
    """Return candidate indices in maximal-marginal-relevance order.

    Each pick maximises ``lambda·score − (1−lambda)·max cosine to the picks
    so far``, so near-duplicates of a chosen item sink.
    """
    # Over every candidate at once, the picked ones masked out: argmax takes
    # the first of equal values, as it did over the list of the rest.
    relevance = lambda_ * scores
    taken = np.zeros(len(scores), dtype=bool)
    chosen: list[int] = []
    max_similarity = np.zeros(len(scores), dtype=np.float32)
    while len(chosen) < min(limit, len(scores)):
        values = relevance - (1 - lambda_) * max_similarity
        values[taken] = -np.inf
        pick = int(np.argmax(values))
        chosen.append(pick)
        taken[pick] = True
        max_similarity = np.maximum(max_similarity, vectors @ vectors[pick])
    return chosen
