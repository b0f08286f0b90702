"""The "For you" feed: candidates, exclusions, popularity, ranking, MMR and reasons.

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
    Q,
)
from django.utils import timezone

from docsite.documents.models import Document
from docsite.documents.selectors import space_ids_visible

from ..conf import interests_setting
from ..models import DocumentVector, Interaction
from ..ranking import InterestVectors, ScoreParts, candidates_score, mmr_order
from .vectors import (
    documents_in_order,
    documents_nearest,
    embedding_producer_active,
    user_interest_vectors,
    vectors_by_document,
)

User = AbstractBaseUser | AnonymousUser
logger = logging.getLogger(__name__)


# How many of the most used documents the feed knows the popularity of.
POPULARITY_DEPTH = 2000


POSITIVE_KINDS = ("view", "like", "bookmark", "search_click")


def document_popularity(
    *,
    document_ids: Sequence[int] | None = None,
    user: User | None = None,
    space_ids: Sequence[int] | None = None,
    days: int,
    limit: int | None = None,
) -> dict[int, int]:
    """Count recent positive interactions per document.

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
        .annotate(count=Count("id"))
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
    return list(
        Interaction.objects.filter(user=user, kind__in=kinds)
        .order_by("-created_at")
        .values_list("document_id", flat=True)
        .distinct()[:2000]
    )


@dataclass(frozen=True)
class Candidates:
    """Candidates with everything the ranking needs, in one order."""

    document_ids: list[int]
    vectors: np.ndarray
    age_days: np.ndarray
    popularity: np.ndarray
    space_ids: np.ndarray


def candidates_load(
    *,
    document_ids: Sequence[int],
    producer: str,
    popularity_days: int,
    space_ids: Sequence[int] | None = None,
    popularity: dict[int, int] | None = None,
) -> Candidates:
    """Load the vectors, ages and popularity of these documents.

    With ``space_ids`` (the reader's visible spaces), documents elsewhere are
    dropped in SQL before anything is ranked.
    """
    document_ids = list(dict.fromkeys(document_ids))
    documents = Document.objects.filter(pk__in=document_ids)
    if space_ids is not None:
        documents = documents.filter(space__in=list(space_ids))
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
        ).values_list("pk", "updated_at", "space_id", "packed")
    )
    updated = {pk: updated_at for pk, updated_at, _, _ in rows}
    space_of = {pk: space_id for pk, _, space_id, _ in rows}
    vectors = {
        pk: np.frombuffer(bytes(packed), dtype=">f4", offset=4).astype(np.float32)
        for pk, _, _, packed in rows
        if packed is not None
    }
    if space_ids is not None:
        document_ids = [pk for pk in document_ids if pk in updated]
    if popularity is None:
        popularity = document_popularity(
            document_ids=document_ids, days=popularity_days
        )
    now = timezone.now()
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
        popularity=np.array(
            [popularity.get(pk, 0) for pk in document_ids], dtype=np.float32
        ),
        space_ids=np.array(
            [space_of.get(pk, -1) for pk in document_ids], dtype=np.int64
        ),
    )


def documents_fresh_ids(
    *, space_ids: Sequence[int], days: int, limit: int, exclude_ids: Sequence[int] = ()
) -> list[int]:
    """Return the newest documents in these spaces, newest first.

    One index range scan per space (``document_space_recent``), unioned: far
    cheaper than sorting every recent document of many spaces.
    """
    since = timezone.now() - timedelta(days=days)
    scans = [
        Document.objects.filter(space_id=space_id, updated_at__gte=since)
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


def feed_score_candidates(
    *, interest: InterestVectors | None, candidates: Candidates
) -> ScoreParts:
    """Score candidates exactly as the feed ranks them (used by evaluate_interests too)."""
    feed = interests_setting("FEED")
    return candidates_score(
        vectors=candidates.vectors,
        interest=interest,
        age_days=candidates.age_days,
        popularity_counts=candidates.popularity,
        weights=feed["WEIGHTS"],
        fresh_days=feed["FRESH_DAYS"],
        space_ids=candidates.space_ids,
        exemplar_k=feed["EXEMPLAR_K"],
    )


@dataclass(frozen=True)
class FeedItem:
    document: Document
    score: float
    reason: str


@dataclass(frozen=True)
class FeedPage:
    items: list[FeedItem]
    page: int
    page_size: int
    has_next: bool
    personalized: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def first_rank(self) -> int:
        return (self.page - 1) * self.page_size + 1


def history_anchors(
    *, user: User, producer: str, space_ids: Sequence[int]
) -> tuple[list[int], np.ndarray]:
    """Return recent positively-used documents the user may still see, with vectors."""
    recent = (
        Interaction.objects.filter(
            user=user,
            kind__in=POSITIVE_KINDS,
            document__space__in=list(space_ids),
        )
        .order_by("-created_at")
        .values_list("document_id", flat=True)[: interests_setting("HISTORY_LIMIT")]
    )
    ids = list(dict.fromkeys(recent))
    vectors = vectors_by_document(
        DocumentVector.objects.filter(producer=producer, document_id__in=ids)
    )
    ids = [pk for pk in ids if pk in vectors]
    if not ids:
        return [], np.zeros((0, 1), dtype=np.float32)
    return ids, np.stack([np.asarray(vectors[pk], dtype=np.float32) for pk in ids])


def feed_for(*, user: User, page: int = 1, page_size: int = 20) -> FeedPage:
    """Return one page of the user's personalized feed.

    Candidates: nearest neighbours of each interest vector, plus fresh and
    popular documents (all the feed has for a new reader), all restricted to
    the user's spaces in SQL. Ranked by similarity, freshness and popularity,
    diversified with MMR; dismissed and read documents are left out (see
    ``INTERESTS_FEED``). Each item says why it is there.
    """
    feed = interests_setting("FEED")
    page = max(1, min(int(page), feed["MAX_PAGES"]))
    if not user.is_authenticated or not user.is_active:
        return FeedPage([], page, page_size, False, False)
    producer = embedding_producer_active()
    interest = user_interest_vectors(user=user, producer=producer)
    excluded = user_excluded_ids(user=user)
    # Resolved once: every query below filters by these ids in SQL.
    visible = list(space_ids_visible(user=user).values_list("pk", flat=True))
    wanted = page * page_size + 1

    excluded_set = set(excluded)
    candidate_ids: list[int] = []
    if interest is not None and not interest.is_empty:
        if interest.candidates and wanted <= feed["CANDIDATES_PER_VECTOR"]:
            # Found by the refresh in the worker; checked against the
            # reader's spaces again below, in SQL.
            nearest = interest.candidates
        else:
            nearest = documents_nearest(
                user=user,
                query_vectors=interest.query_vectors(),
                producer=producer,
                limit=max(feed["CANDIDATES_PER_VECTOR"], wanted),
                exclude_ids=excluded,
                space_ids=visible,
            )
        candidate_ids += [pk for pk, _, _ in nearest if pk not in excluded_set]
    if feed["FRESH_CANDIDATES"]:
        candidate_ids += documents_fresh_ids(
            space_ids=visible,
            days=feed["FRESH_DAYS"],
            limit=max(feed["FRESH_CANDIDATES"], wanted),
            exclude_ids=excluded,
        )
    # The most used documents of the reader's spaces (cached): the popular
    # candidates, and the popularity of every other candidate (0 outside).
    popular = documents_popular_ids(
        space_ids=visible, days=feed["POPULAR_DAYS"], limit=POPULARITY_DEPTH
    )
    if feed["POPULAR_CANDIDATES"]:
        candidate_ids += [pk for pk in popular if pk not in excluded_set][
            : feed["POPULAR_CANDIDATES"]
        ]
    if not candidate_ids:
        return FeedPage([], page, page_size, False, interest is not None)

    candidates = candidates_load(
        document_ids=candidate_ids,
        producer=producer,
        popularity_days=feed["POPULAR_DAYS"],
        space_ids=visible,
        popularity=popular,
    )
    parts = feed_score_candidates(interest=interest, candidates=candidates)
    order = mmr_order(
        scores=parts.total,
        vectors=candidates.vectors,
        lambda_=feed["MMR_LAMBDA"],
        limit=wanted,
    )
    chosen = order[(page - 1) * page_size : page * page_size]
    chosen_ids = [candidates.document_ids[i] for i in chosen]
    # Fetched again with the permission filter, so nothing hidden can slip in.
    documents = (
        Document.objects.filter(pk__in=chosen_ids, space__in=visible)
        .select_related("space")
        .defer("text", "html")
    )
    by_id = {document.pk: document for document in documents}
    if (
        interest is not None
        and interest.exemplar_ids
        and interest.exemplars is not None
    ):
        # Stored by the refresh: the documents the reader used, newest first.
        anchors, anchor_vectors = interest.exemplar_ids, interest.exemplars
    elif interest is not None:
        anchors, anchor_vectors = history_anchors(
            user=user, producer=producer, space_ids=visible
        )
    else:
        anchors, anchor_vectors = [], None
    anchor_titles = dict(
        Document.objects.filter(pk__in=anchors, space__in=visible).values_list(
            "pk", "title"
        )
    )
    items = []
    for index in chosen:
        document = by_id.get(candidates.document_ids[index])
        if document is None:
            continue
        items.append(
            FeedItem(
                document=document,
                score=float(parts.total[index]),
                reason=_reason(
                    document=document,
                    parts=parts,
                    index=index,
                    vector=candidates.vectors[index],
                    anchors=anchors,
                    anchor_vectors=anchor_vectors,
                    anchor_titles=anchor_titles,
                ),
            )
        )
    return FeedPage(
        items=items,
        page=page,
        page_size=page_size,
        has_next=len(order) > page * page_size and page < feed["MAX_PAGES"],
        personalized=interest is not None and not interest.is_empty,
    )


def _reason(
    *,
    document: Document,
    parts: ScoreParts,
    index: int,
    vector: np.ndarray,
    anchors: list[int],
    anchor_vectors,
    anchor_titles: dict[int, str],
) -> str:
    """Say why an item is in the feed; the document named is one the reader may see."""
    weights = interests_setting("FEED")["WEIGHTS"]
    similarity = float(parts.similarity[index])
    popularity = weights["popularity"] * float(parts.popularity[index])
    freshness = weights["freshness"] * float(parts.freshness[index])
    if anchors and similarity >= max(popularity, freshness) and similarity > 0:
        similarities = anchor_vectors @ vector
        for position in np.argsort(-similarities):
            anchor = anchors[int(position)]
            if anchor != document.pk and anchor in anchor_titles:
                return f"Because you read “{anchor_titles[anchor]}”"
    if popularity >= freshness and parts.popularity[index] > 0:
        return f"Popular in {document.space.name}"
    return f"New in {document.space.name}"


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
