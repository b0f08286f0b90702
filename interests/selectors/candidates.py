"""Where feed candidates come from besides vector search: fresh and popular
documents, the reader's exclusions, and loading candidates for ranking.

Every selector that takes a user restricts documents to that user's spaces in
SQL; nothing is filtered after the fact in Python.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db.models import (
    BinaryField,
    Count,
    F,
    FilteredRelation,
    Func,
    Max,
    Q,
    QuerySet,
)
from django.utils import timezone

from docsite.documents.models import Document
from docsite.documents.selectors import space_ids_visible

from ..conf import interests_setting
from ..models import FeedImpression, Interaction
from .vectors import documents_in_order

User = AbstractBaseUser | AnonymousUser
logger = logging.getLogger(__name__)


# How many of the most used documents the feed knows the popularity of.
POPULARITY_DEPTH = 2000


POSITIVE_KINDS = ("view", "like", "bookmark", "search_click")

# How many of a reader's used documents the feed leaves out, newest first.
EXCLUDED_LIMIT = 2000


def document_popularity(
    *,
    document_ids: Sequence[int] | None = None,
    user: User | None = None,
    space_ids: Sequence[int] | None = None,
    days: int,
    limit: int | None = None,
) -> dict[int, int]:
    """Count the distinct readers who recently used each document.

    Readers, not events: one reader's refreshes and tab switches count once.
    With ``user``, only documents that user may see; with ``document_ids``,
    only those documents; with ``limit``, the most popular first.
    """
    interactions = Interaction.objects.filter(
        kind__in=POSITIVE_KINDS, created_at__gte=timezone.now() - timedelta(days=days)
    )
    if document_ids is not None:
        interactions = interactions.filter(document_id__in=list(document_ids))
    if user is not None:
        interactions = interactions.filter(
            document__space__in=space_ids_visible(user=user)
        )
    if space_ids is not None:
        interactions = interactions.filter(document__space__in=list(space_ids))
    counts = (
        interactions.values("document_id")
        .annotate(count=Count("user_id", distinct=True))
        .order_by("-count", "-document_id")
    )
    if limit is not None:
        counts = counts[:limit]
    return {row["document_id"]: row["count"] for row in counts}


def user_excluded_ids(*, user: User) -> list[int]:
    """Return documents the feed leaves out for ``user``: dismissed and read ones."""
    feed = interests_setting("FEED")
    kinds = []
    if feed["DROP_DISMISSED"]:
        kinds.append(Interaction.Kind.DISMISS)
    if feed["DROP_READ"]:
        # Liking, bookmarking or clicking a document means it was opened.
        kinds += POSITIVE_KINDS
    if not kinds or not user.is_authenticated:
        return []
    # One row per document, most recently used first: the cap keeps the
    # 2,000 most recent documents, however often each was used.
    return list(
        Interaction.objects.filter(user=user, kind__in=kinds)
        .values("document_id")
        .annotate(last=Max("created_at"))
        .order_by("-last", "-document_id")
        .values_list("document_id", flat=True)[:EXCLUDED_LIMIT]
    )


def _feed_shown(*, days: int, exclude_user: User | None, now) -> QuerySet:
    """Feed impressions of the last ``days`` up to ``now``, not ``exclude_user``'s."""
    rows = FeedImpression.objects.filter(
        shown_at__gte=now - timedelta(days=days), shown_at__lte=now
    )
    if exclude_user is not None and exclude_user.is_authenticated:
        rows = rows.exclude(user=exclude_user)
    return rows


def documents_feed_response(
    *,
    document_ids: Sequence[int],
    days: int,
    exclude_user: User | None = None,
    now=None,
) -> dict[int, tuple[int, int]]:
    """Return, per document, how many other readers the feed showed it to and
    how many of them opened it from there, in the last ``days`` up to ``now``.

    Distinct readers, from the logged feed impressions, so a refresh of one
    page counts once. Only what happened before ``now`` counts: the
    evaluation replays impressions in time order through this same query.
    """
    now = now or timezone.now()
    counts = (
        _feed_shown(days=days, exclude_user=exclude_user, now=now)
        .filter(document_id__in=list(document_ids))
        .values("document_id")
        .annotate(
            shown=Count("user_id", distinct=True),
            clicked=Count("user_id", distinct=True, filter=Q(clicked_at__lte=now)),
        )
    )
    return {row["document_id"]: (row["shown"], row["clicked"]) for row in counts}


@dataclass(frozen=True)
class Candidates:
    """Candidates with everything the ranking needs, in one order."""

    document_ids: list[int]
    vectors: np.ndarray
    age_days: np.ndarray
    readers: np.ndarray
    space_ids: np.ndarray
    # Distinct other readers the feed showed each candidate to, and who
    # opened it from the feed (``documents_feed_response``).
    shown: np.ndarray | None = None
    clicked: np.ndarray | None = None


def candidates_load(
    *,
    document_ids: Sequence[int],
    producer: str,
    popularity_days: int,
    space_ids: Sequence[int] | None = None,
    popularity: dict[int, int] | None = None,
    reader: User | None = None,
) -> Candidates:
    """Load the vectors, ages and distinct recent readers of these documents,
    and how other readers than ``reader`` responded to them in the feed.

    With ``space_ids`` (the reader's visible spaces), documents elsewhere are
    dropped in SQL before anything is ranked.
    """
    document_ids = list(dict.fromkeys(document_ids))
    documents = Document.objects.filter(pk__in=document_ids)
    if space_ids is not None:
        documents = documents.filter(space__in=list(space_ids))
    now = timezone.now()
    # One round trip: each document with its vector from ``producer`` (NULL
    # until it is embedded), in pgvector's binary form.
    rows = list(
        documents.annotate(
            producer_vector=FilteredRelation(
                "vectors", condition=Q(vectors__producer=producer)
            ),
            packed=Func(
                F("producer_vector__embedding"),
                function="vector_send",
                output_field=BinaryField(),
            ),
        )
        .order_by()  # the order of ``document_ids`` is kept below; no sort
        .values_list("pk", "updated_at", "space_id", "packed")
    )
    updated = {row[0]: row[1] for row in rows}
    space_of = {row[0]: row[2] for row in rows}
    vectors = {
        row[0]: np.frombuffer(bytes(row[3]), dtype=">f4", offset=4).astype(np.float32)
        for row in rows
        if row[3] is not None
    }

    if space_ids is not None:
        document_ids = [pk for pk in document_ids if pk in updated]
    # A second round trip, one grouped count: as two correlated counts per
    # candidate in the query above it cost 10 ms at 345 candidates.
    response = documents_feed_response(
        document_ids=document_ids, days=popularity_days, exclude_user=reader, now=now
    )
    if popularity is None:
        popularity = document_popularity(
            document_ids=document_ids, days=popularity_days
        )
    dimension = len(next(iter(vectors.values()))) if vectors else 1
    matrix = np.zeros((len(document_ids), dimension), dtype=np.float32)
    for row, pk in enumerate(document_ids):
        if pk in vectors:
            matrix[row] = vectors[pk]
    return Candidates(
        document_ids=document_ids,
        vectors=matrix,
        age_days=np.array(
            [
                (now - updated[pk]).total_seconds() / 86400 if pk in updated else 365.0
                for pk in document_ids
            ],
            dtype=np.float32,
        ),
        readers=np.array(
            [popularity.get(pk, 0) for pk in document_ids], dtype=np.float32
        ),
        space_ids=np.array(
            [space_of.get(pk, -1) for pk in document_ids], dtype=np.int64
        ),
        shown=np.array(
            [response.get(pk, (0, 0))[0] for pk in document_ids], dtype=np.float32
        ),
        clicked=np.array(
            [response.get(pk, (0, 0))[1] for pk in document_ids], dtype=np.float32
        ),
    )


def documents_fresh_ids(
    *,
    space_ids: Sequence[int],
    days: int,
    limit: int,
    exclude_ids: Sequence[int] = (),
    within_ids: Sequence[int] | None = None,
) -> list[int]:
    """Return the newest documents in these spaces, newest first.

    One index range scan per space (``document_space_recent``), unioned: far
    cheaper than sorting every recent document of many spaces.
    """
    since = timezone.now() - timedelta(days=days)
    documents = Document.objects.filter(updated_at__gte=since)
    if within_ids is not None:
        documents = documents.filter(pk__in=list(within_ids))
    scans = [
        documents.filter(space_id=space_id)
        .order_by("-updated_at")
        .values_list("pk", "updated_at")[: limit + len(exclude_ids)]
        for space_id in list(space_ids)[:50]
    ]
    if not scans:
        return []
    rows = (
        list(scans[0].union(*scans[1:], all=True)) if len(scans) > 1 else list(scans[0])
    )
    excluded = set(exclude_ids)
    rows.sort(key=lambda row: row[1], reverse=True)
    return [pk for pk, _ in rows if pk not in excluded][:limit]


def documents_popular_ids(
    *, space_ids: Sequence[int], days: int, limit: int
) -> dict[int, int]:
    """Return the most used documents of these spaces with their counts.

    Cached for a minute per set of spaces: popularity needs no second-by-second
    accuracy, and the count over all recent interactions is the feed's most
    expensive query.
    """
    spaces = ",".join(map(str, sorted(space_ids)))
    key = f"interests:popular:{hashlib.sha256(spaces.encode()).hexdigest()[:32]}:{days}:{limit}"
    try:
        cached = cache.get(key)
    except Exception:  # the cache (Redis) being down must not break the feed
        logger.warning(
            "cache unavailable; computing popularity without it", exc_info=True
        )
        return document_popularity(space_ids=space_ids, days=days, limit=limit)
    if cached is None:
        cached = document_popularity(space_ids=space_ids, days=days, limit=limit)
        try:
            cache.set(key, cached, 60)
        except Exception:
            logger.warning("cache unavailable; popularity not cached", exc_info=True)
    return cached


def documents_popular_for(*, user: User, limit: int = 6) -> list[tuple[Document, int]]:
    """Return the most used documents of the user's spaces with their use counts."""
    if not user.is_authenticated:
        return []
    visible = list(space_ids_visible(user=user).values_list("pk", flat=True))
    popular = documents_popular_ids(
        space_ids=visible,
        days=interests_setting("FEED")["POPULAR_DAYS"],
        limit=POPULARITY_DEPTH,
    )
    ids = list(popular)[:limit]
    return [
        (document, popular[document.pk])
        for document in documents_in_order(user=user, ids=ids)
    ]
