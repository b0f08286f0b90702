"""Where feed candidates come from besides vector search: fresh and popular
documents, the reader's exclusions, and loading candidates for ranking.

Every selector that takes a user restricts documents to that user's spaces in
SQL; nothing is filtered after the fact in Python.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

import numpy as np

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from docsite.documents.models import Document
from docsite.documents.selectors import space_ids_visible

from ..conf import interests_setting
from ..models import Interaction
from .ann import documents_readable_sql
from .vectors import documents_in_order

User = AbstractBaseUser | AnonymousUser
T = TypeVar("T")
logger = logging.getLogger(__name__)


# How many of the most used documents the feed knows the popularity of.
POPULARITY_DEPTH = 2000


POSITIVE_KINDS = ("view", "like", "bookmark", "search_click")

# How many of the documents most opened from feeds the feed knows, per set of
# spaces (those the reader already used are left out after).
CROWD_DEPTH = 500
# Bumped whenever a reader opens a document from the feed
# (``learning.feed_click_record``): crowd lists cached under an older
# generation are computed again when next read.
CROWD_GENERATION_KEY = "interests:crowd:generation"
# How long a crowd list may stay cached when no one clicks (a safety net: a
# click already makes it stale).
CROWD_CACHE_SECONDS = 600

# How many of a reader's used documents the feed leaves out, newest first.
EXCLUDED_LIMIT = 2000
# The documents the feed leaves out for a reader (parameters: the user's id,
# ``excluded_kinds()``, ``EXCLUDED_LIMIT``). One row per document, most
# recently used first: the cap keeps the 2,000 most recent documents, however
# often each was used.
EXCLUDED_IDS_SQL = (
    "SELECT document_id FROM interests_interaction"
    " WHERE user_id = %s AND kind = ANY(%s::text[])"
    " GROUP BY document_id ORDER BY max(created_at) DESC, document_id DESC"
    " LIMIT %s"
)


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


def excluded_kinds() -> list[str]:
    """The interaction kinds that leave a document out of the reader's feed."""
    feed = interests_setting("FEED")
    kinds = []
    if feed["DROP_DISMISSED"]:
        kinds.append(str(Interaction.Kind.DISMISS))
    if feed["DROP_READ"]:
        # Liking, bookmarking or clicking a document means it was opened.
        kinds += POSITIVE_KINDS
    return kinds


def user_excluded_ids(*, user: User) -> list[int]:
    """Return documents the feed leaves out for ``user``: dismissed and read ones."""
    kinds = excluded_kinds()
    if not kinds or not user.is_authenticated:
        return []
    with connection.cursor() as cursor:
        cursor.execute(EXCLUDED_IDS_SQL, [user.pk, kinds, EXCLUDED_LIMIT])
        return [row[0] for row in cursor.fetchall()]


def feed_response_sql(
    *, document_ids: Sequence[int] | None, days: int, exclude_user: User | None, now
) -> tuple[str, list]:
    """Per document (add ``GROUP BY document_id``): the distinct other readers
    the feed showed it to in the last ``days`` up to ``now``, and those who
    opened it from there; for ``document_ids`` or, with None, every document
    (the caller adds its own condition)."""
    sql = (
        "SELECT document_id, COUNT(DISTINCT user_id) AS shown,"
        " COUNT(DISTINCT user_id) FILTER (WHERE clicked_at <= %s) AS clicked"
        " FROM interests_feedimpression WHERE shown_at >= %s AND shown_at <= %s"
    )
    params = [now, now - timedelta(days=days), now]
    if document_ids is not None:
        sql += " AND document_id = ANY(%s::bigint[])"
        params.append([int(pk) for pk in document_ids])
    if exclude_user is not None and exclude_user.is_authenticated:
        sql += " AND user_id <> %s"
        params.append(exclude_user.pk)
    return sql, params


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
    evaluation replays impressions in time order through this same query
    (the feed runs it inside its candidates statement, ``gather``).
    """
    sql, params = feed_response_sql(
        document_ids=document_ids,
        days=days,
        exclude_user=exclude_user,
        now=now or timezone.now(),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql + " GROUP BY document_id", params)
        return {pk: (shown, clicked) for pk, shown, clicked in cursor.fetchall()}


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
    # Their language vectors (``feed_language``), zero rows for documents
    # without one; None when the feed did not ask for them.
    language_vectors: np.ndarray | None = None
    # Their documents' detected languages, when ``language_vectors`` are given.
    languages: list[str] | None = None


def documents_popular_ids(
    *, space_ids: Sequence[int], days: int, limit: int
) -> dict[int, int]:
    """Return the most used documents of these spaces with their counts.

    Cached for a minute per set of spaces: popularity needs no second-by-second
    accuracy, and the count over all recent interactions is the feed's most
    expensive query.
    """
    return _cached_per_spaces(
        name="popular",
        what="popularity",
        space_ids=space_ids,
        days=days,
        limit=limit,
        seconds=60,
        compute=lambda: document_popularity(
            space_ids=space_ids, days=days, limit=limit
        ),
    )


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


def documents_crowd_ids(
    *, space_ids: Sequence[int], days: int, limit: int
) -> list[int]:
    """Return the documents of these spaces that the most readers opened from
    their feed in the last ``days``, most readers first.

    What colleagues chose from their own feeds is what a reader's interest
    vectors miss most: on MIND it doubled the share of clicked news in the
    feed's first 20 (docs/evaluation.md). Cached per set of spaces until the
    next click from any feed, so a quiet portal pays one cache read and a
    click counts on the next request; computed without the cache when Redis
    is down.
    """
    return _cached_per_spaces(
        name="crowd",
        what="crowd picks",
        space_ids=space_ids,
        days=days,
        limit=limit,
        seconds=CROWD_CACHE_SECONDS,
        compute=lambda: _crowd_ids(space_ids=space_ids, days=days, limit=limit),
        generation_key=CROWD_GENERATION_KEY,
    )


def _cached_per_spaces(
    *,
    name: str,
    what: str,
    space_ids: Sequence[int],
    days: int,
    limit: int,
    seconds: int,
    compute: Callable[[], T],
    generation_key: str | None = None,
) -> T:
    """Return ``compute()`` for this set of spaces, cached for ``seconds``
    and, with ``generation_key``, only while that counter is unchanged.

    The cache (Redis) being down must not break the feed: the value is then
    computed each time.
    """
    spaces = ",".join(map(str, sorted(space_ids)))
    digest = hashlib.sha256(spaces.encode()).hexdigest()[:32]
    # v2: values are (generation, value) pairs.
    key = f"interests:{name}:v2:{digest}:{days}:{limit}"
    try:
        found = cache.get_many([key, *([generation_key] if generation_key else [])])
    except Exception:
        logger.warning(
            "cache unavailable; computing %s without it", what, exc_info=True
        )
        return compute()
    generation = found.get(generation_key, 0) if generation_key else 0
    cached = found.get(key)
    if cached is not None and cached[0] == generation:
        return cached[1]
    value = compute()
    try:
        # Stored under the generation read before computing: a bump during
        # the computation leaves the value stale, and the next read computes.
        cache.set(key, (generation, value), seconds)
    except Exception:
        logger.warning("cache unavailable; %s not cached", what, exc_info=True)
    return value


def _crowd_ids(*, space_ids: Sequence[int], days: int, limit: int) -> list[int]:
    readable, readable_params = documents_readable_sql(
        alias="allowed_", space_ids=space_ids
    )
    now = timezone.now()
    # Counted first, then each counted document checked by primary key: the
    # clicked rows are few, the documents of the reader's spaces many (a
    # join read all of those: 6 ms against 3 at 100k, bench/interests_feed.py).
    sql = (
        "SELECT crowd.document_id FROM (SELECT document_id,"
        " COUNT(DISTINCT user_id) AS readers FROM interests_feedimpression"
        " WHERE clicked_at >= %s AND clicked_at <= %s GROUP BY document_id) crowd"
        " WHERE (SELECT true FROM documents_document allowed_"
        f" WHERE allowed_.id = crowd.document_id AND {readable} LIMIT 1) IS TRUE"
        " ORDER BY crowd.readers DESC, crowd.document_id DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [now - timedelta(days=days), now, *readable_params, int(limit)]
        )
        return [row[0] for row in cursor.fetchall()]
