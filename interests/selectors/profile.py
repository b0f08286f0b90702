"""A reader's activity and interest profile pages.

Every selector that takes a user restricts documents to that user's spaces in
SQL; nothing is filtered after the fact in Python.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Count, Max, QuerySet, Sum

from docsite.documents.models import Document
from docsite.documents.selectors import space_ids_visible

from ..models import Interaction, UserInterest
from .ann import documents_nearest
from .reasons import history_anchors
from .vectors import (
    documents_in_order,
    embedding_producer_active,
    user_interest_vectors,
)

User = AbstractBaseUser | AnonymousUser
logger = logging.getLogger(__name__)


def user_activity(
    *, user: User, kinds: Sequence[str] | None = None
) -> QuerySet[Interaction]:
    """Return the user's interactions on documents they may still see, newest first."""
    if not user.is_authenticated:
        return Interaction.objects.none()
    interactions = Interaction.objects.filter(
        user=user, document__space__in=space_ids_visible(user=user)
    )
    if kinds:
        interactions = interactions.filter(kind__in=list(kinds))
    return (
        interactions.select_related("document", "document__space")
        .defer("document__text", "document__html")
        .order_by("-created_at", "-id")
    )


# What the activity page calls reading: a view or a click from search.
READ_KINDS = ("view", "search_click")


def user_activity_counts(*, user: User) -> dict[str, int]:
    """Return how many documents the user read, liked, bookmarked and dismissed.

    Documents, not events: reading one page five times, or opening it from
    search and then reading it, counts as one read.
    """
    rows = (
        user_activity(user=user)
        .order_by()
        .values("kind")
        .annotate(count=Count("document_id", distinct=True))
        .values_list("kind", "count")
    )
    by_kind = dict(rows)
    counts = {kind: by_kind.get(kind, 0) for kind in Interaction.TOGGLE_KINDS}
    counts["read"] = (
        user_activity(user=user, kinds=READ_KINDS)
        .order_by()
        .values("document_id")
        .distinct()
        .count()
        if any(by_kind.get(kind) for kind in READ_KINDS)
        else 0
    )
    return counts


@dataclass(frozen=True)
class ActivityEntry:
    """One document in the reader's activity, with everything they did to it."""

    document: Document
    kinds: frozenset[str]
    last_at: object
    read_seconds: int

    @property
    def was_read(self) -> bool:
        return bool(self.kinds & set(READ_KINDS))


def user_activity_entries(
    *, user: User, kinds: Sequence[str] | None = None
) -> QuerySet:
    """Return one row per document the user acted on (of ``kinds``), newest first.

    Rows are dicts (``document_id``, ``kinds``, ``last_at``, ``read_seconds``)
    for a paginator; ``activity_entries_load`` turns a page into entries.
    """
    return (
        user_activity(user=user, kinds=kinds)
        .order_by()
        .values("document_id")
        .annotate(
            kinds=ArrayAgg("kind", distinct=True),
            last_at=Max("created_at"),
            read_seconds=Sum("dwell_seconds"),
        )
        .order_by("-last_at", "-document_id")
    )


def activity_entries_load(*, user: User, rows: Sequence[dict]) -> list[ActivityEntry]:
    """Return the entries of a page of ``user_activity_entries`` rows, with documents."""
    documents = {
        document.pk: document
        for document in Document.objects.filter(
            pk__in=[row["document_id"] for row in rows],
            space__in=space_ids_visible(user=user),
        )
        .select_related("space")
        .defer("text", "html")
    }
    return [
        ActivityEntry(
            document=documents[row["document_id"]],
            kinds=frozenset(row["kinds"]),
            last_at=row["last_at"],
            read_seconds=row["read_seconds"] or 0,
        )
        for row in rows
        if row["document_id"] in documents
    ]


@dataclass(frozen=True)
class InterestCluster:
    """One thing the system believes the reader likes."""

    index: int
    share: float
    history_count: int
    examples: list[Document]

    @property
    def percent(self) -> int:
        return round(self.share * 100)

    @property
    def label(self) -> str:
        return self.examples[0].title if self.examples else f"Interest {self.index + 1}"


@dataclass(frozen=True)
class InterestProfile:
    clusters: list[InterestCluster]
    interactions_used: int
    computed_at: object
    refresh_pending: bool

    @property
    def is_empty(self) -> bool:
        return not self.clusters


def user_interest_profile(*, user: User, examples: int = 3) -> InterestProfile:
    """Return the reader's interest clusters, each with its nearest visible documents.

    The clusters are the stored centroids (or the long-term vector when there
    are none). A cluster's share is the part of the reader's recent history
    nearest to it; its examples come from one permission-filtered vector
    search.
    """
    empty = InterestProfile([], 0, None, False)
    if not user.is_authenticated:
        return empty
    row = UserInterest.objects.filter(user=user).first()
    if row is None:
        return empty
    pending = row.refresh_queued_at is not None
    producer = embedding_producer_active()
    stored = user_interest_vectors(user=user, producer=producer)
    if stored is None or stored.is_empty:
        return InterestProfile([], row.interactions_used, row.computed_at, pending)
    centroids = (
        list(stored.centroids)
        or [v for v in (stored.long_term, stored.short_term) if v is not None][:1]
    )
    visible = list(space_ids_visible(user=user).values_list("pk", flat=True))
    anchors, anchor_vectors = history_anchors(
        user=user, producer=producer, space_ids=visible
    )
    matrix = np.stack([np.asarray(c, dtype=np.float32) for c in centroids])
    if anchors:
        nearest_cluster = np.argmax(anchor_vectors @ matrix.T, axis=1)
        counts = np.bincount(nearest_cluster, minlength=len(centroids))
    else:
        counts = np.ones(len(centroids), dtype=int)
    total = max(int(counts.sum()), 1)
    nearest = documents_nearest(
        user=user,
        query_vectors=centroids,
        producer=producer,
        limit=examples,
        space_ids=visible,
    )
    documents = {
        document.pk: document
        for document in documents_in_order(
            user=user, ids=list(dict.fromkeys(pk for pk, _, _ in nearest))
        )
    }
    by_cluster: dict[int, list[Document]] = {}
    for pk, source, _ in nearest:
        if pk in documents:
            by_cluster.setdefault(source, []).append(documents[pk])
    clusters = [
        InterestCluster(
            index=index,
            share=int(counts[index]) / total,
            history_count=int(counts[index]),
            examples=by_cluster.get(index, [])[:examples],
        )
        for index in range(len(centroids))
    ]
    clusters.sort(key=lambda cluster: (-cluster.share, cluster.index))
    return InterestProfile(clusters, row.interactions_used, row.computed_at, pending)
