"""Reads of the interests app: the feed, related documents and search.

Every selector that takes a user restricts documents to that user's spaces
in SQL (``document__space__in=space_ids_visible(user=...)``); nothing is
filtered after the fact in Python. Vectors are always read for one producer,
``embedding_producer_active()``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from pgvector.django import CosineDistance

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import (
    BinaryField,
    Count,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
)
from django.utils import timezone

from docsite.documents.models import Document
from docsite.documents.selectors import document_list_visible, space_ids_visible
from docsite.ml.embedders import get_embedder
from docsite.ml.embedders.base import BaseEmbedder
from docsite.ml.producers import EMBEDDINGS, LiveProducer, producer_active

from .conf import interests_setting
from .models import DIMENSIONS, DocumentVector, Interaction, UserInterest
from .ranking import InterestVectors, ScoreParts, candidates_score, mmr_order

User = AbstractBaseUser | AnonymousUser
logger = logging.getLogger(__name__)

POSITIVE_KINDS = ("view", "like", "bookmark", "search_click")
# How many of the most used documents the feed knows the popularity of.
POPULARITY_DEPTH = 2000


def embedding_producer_for(*, embedder: BaseEmbedder, representation: str) -> str:
    """Return the producer key of vectors made by ``embedder`` from ``representation``."""
    return f"{embedder.producer}|{representation}"[:200]


def embedding_producer_for_alias(*, embedder_alias: str) -> str:
    """Return the producer key that the ``DOCSITE_EMBEDDERS`` alias writes now."""
    return embedding_producer_for(
        embedder=get_embedder(embedder_alias),
        representation=interests_setting("DOCUMENT_REPRESENTATION"),
    )


def embedding_producer_live() -> LiveProducer:
    """Return the embedder alias and producer that reads use (blue/green).

    A reprocessing job switches this in one step once the new producer's
    vectors are complete; without a switch it is ``INTERESTS_EMBEDDER``.
    Building the embedder object loads no model.
    """
    return producer_active(
        kind=EMBEDDINGS,
        default=lambda: embedding_producer_for_alias(
            embedder_alias=interests_setting("EMBEDDER")
        ),
    )


def embedding_producer_active() -> str:
    """Return the producer whose vectors every read uses: the one point of truth."""
    return embedding_producer_live().producer


def embedder_live() -> BaseEmbedder:
    """Return the embedder whose vectors are live, for queries and interests."""
    return get_embedder(embedding_producer_live().backend_alias)


def documents_without_vector(*, producer: str) -> QuerySet[Document]:
    """Return documents whose current text has no vector from ``producer``."""
    has_vector = DocumentVector.objects.filter(
        producer=producer, content_sha256=F("document__content_sha256")
    ).values("document_id")
    return Document.objects.exclude(pk__in=has_vector)


def document_ids_missing_vector(*, producer: str, limit: int) -> list[int]:
    return list(
        documents_without_vector(producer=producer)
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )


def document_ids_with_vector(*, document_ids: Sequence[int], producer: str) -> set[int]:
    """Return which of these documents have a vector of their current text from ``producer``."""
    return set(
        DocumentVector.objects.filter(
            document_id__in=list(document_ids),
            producer=producer,
            content_sha256=F("document__content_sha256"),
        ).values_list("document_id", flat=True)
    )


def _vectors_by_document(vectors: QuerySet[DocumentVector]) -> dict[int, np.ndarray]:
    """Return ``{document_id: vector}``, transferred in pgvector's binary form.

    Parsing the text form costs more than the query itself for a few hundred
    384-d vectors; ``vector_send`` gives a 4-byte header (dimensions, unused)
    and big-endian float32 values.
    """
    rows = vectors.annotate(
        packed=Func(F("embedding"), function="vector_send", output_field=BinaryField())
    ).values_list("document_id", "packed")
    return {
        pk: np.frombuffer(bytes(packed), dtype=">f4", offset=4).astype(np.float32)
        for pk, packed in rows
    }


def _vector(value) -> np.ndarray | None:
    return None if value is None else np.asarray(value, dtype=np.float32)


@dataclass
class StoredInterest(InterestVectors):
    """Interest vectors with the nearest neighbours found when they were computed."""

    candidates: list[tuple[int, int, float]] = field(default_factory=list)


def user_interest_vectors(*, user: User, producer: str) -> StoredInterest | None:
    """Return the user's stored interest vectors for ``producer``, or None."""
    if not user.is_authenticated:
        return None
    row = UserInterest.objects.filter(user=user, producer=producer).first()
    if row is None:
        return None
    return StoredInterest(
        candidates=[
            (int(pk), int(source), float(sim)) for pk, source, sim in row.candidates
        ],
        long_term=_vector(row.long_term),
        short_term=_vector(row.short_term),
        negative=_vector(row.negative),
        centroids=[np.asarray(c, dtype=np.float32) for c in row.centroids],
        exemplars=_exemplars(row.exemplars),
        exemplar_ids=[int(pk) for pk in row.exemplar_ids],
        space_shares={
            int(space): float(share) for space, share in row.space_shares.items()
        },
    )


def _exemplars(raw) -> np.ndarray | None:
    if not raw:
        return None
    flat = np.frombuffer(bytes(raw), dtype=np.float32)
    return flat.reshape(-1, DIMENSIONS)


def _ann_settings_apply(*, ef_search: int, max_scan_tuples: int) -> None:
    """Turn on iterative HNSW scans for the current transaction.

    Without them the index hands up ``ef_search`` rows and the permission
    filter is applied after: a reader whose nearest neighbours sit in spaces
    they may not see would silently get too few rows.
    """
    with connection.cursor() as cursor:
        # set_config(..., true) is SET LOCAL taking parameters: one round trip.
        cursor.execute(
            "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true),"
            " set_config('hnsw.ef_search', %s, true),"
            " set_config('hnsw.max_scan_tuples', %s, true)",
            [str(ef_search), str(max_scan_tuples)],
        )


def documents_nearest(
    *,
    user: User,
    query_vectors: Sequence[np.ndarray],
    producer: str,
    limit: int,
    exclude_ids: Sequence[int] = (),
    space_ids: Sequence[int] | None = None,
) -> list[tuple[int, int, float]]:
    """Return ``(document_id, query_index, cosine similarity)`` rows nearest each query.

    One SQL statement: a UNION ALL of one filtered HNSW scan per query vector,
    restricted to the user's spaces (``space_ids``, when the caller already
    resolved ``space_ids_visible(user=user)``). Relaxed ordering is re-sorted here.
    """
    if not query_vectors or limit <= 0:
        return []
    feed = interests_setting("FEED")
    visible = space_ids_visible(user=user) if space_ids is None else list(space_ids)
    scans: list[QuerySet] = []
    for index, vector in enumerate(query_vectors):
        scan = (
            DocumentVector.objects.filter(
                producer=producer, document__space__in=visible
            )
            .annotate(
                distance=CosineDistance("embedding", vector),
                source=Value(index, IntegerField()),
            )
            .order_by("distance")
            .values_list("document_id", "source", "distance")
        )
        if exclude_ids:
            scan = scan.exclude(document_id__in=list(exclude_ids))
        scans.append(scan[:limit])
    with transaction.atomic():
        _ann_settings_apply(
            ef_search=max(feed["EF_SEARCH"], limit),
            max_scan_tuples=feed["MAX_SCAN_TUPLES"],
        )
        query = scans[0] if len(scans) == 1 else scans[0].union(*scans[1:], all=True)
        rows = list(query)
    rows.sort(key=lambda row: (row[1], row[2]))
    return [
        (document_id, source, 1.0 - float(distance))
        for document_id, source, distance in rows
    ]


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


def _history_anchors(
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
    vectors = _vectors_by_document(
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
        anchors, anchor_vectors = _history_anchors(
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


def documents_related(
    *, user: User, document: Document, limit: int = 5
) -> list[Document]:
    """Return documents like ``document`` that ``user`` may see, most similar first."""
    producer = embedding_producer_active()
    vector = (
        DocumentVector.objects.filter(producer=producer, document=document)
        .order_by("-created_at")
        .values_list("embedding", flat=True)
        .first()
    )
    if vector is None or not user.is_authenticated:
        return []
    nearest = documents_nearest(
        user=user,
        query_vectors=[np.asarray(vector, dtype=np.float32)],
        producer=producer,
        limit=limit + 1,
        exclude_ids=[document.pk],
    )
    return _documents_in_order(user=user, ids=[pk for pk, _, _ in nearest][:limit])


def _documents_in_order(*, user: User, ids: Sequence[int]) -> list[Document]:
    documents = (
        Document.objects.filter(
            pk__in=list(ids), space__in=space_ids_visible(user=user)
        )
        .select_related("space")
        .defer("text", "html")
    )
    by_id = {document.pk: document for document in documents}
    return [by_id[pk] for pk in ids if pk in by_id]


@dataclass(frozen=True)
class SearchHit:
    document: Document
    score: float
    keyword_rank: int | None = None
    semantic_rank: int | None = None


def query_embed(*, query: str) -> np.ndarray:
    """Embed a search query with the active embedder."""
    return embedder_live().embed_batch([query])[0]


def documents_search_semantic(
    *, user: User, query: str, limit: int = 20
) -> list[SearchHit]:
    """Return the user's documents nearest in meaning to ``query``."""
    query = query.strip()
    if not query or not user.is_authenticated:
        return []
    nearest = documents_nearest(
        user=user,
        query_vectors=[query_embed(query=query)],
        producer=embedding_producer_active(),
        limit=limit,
    )
    similarity = {pk: score for pk, _, score in nearest}
    documents = _documents_in_order(user=user, ids=[pk for pk, _, _ in nearest])
    return [
        SearchHit(document=d, score=similarity[d.pk], semantic_rank=rank)
        for rank, d in enumerate(documents, start=1)
    ]


def documents_search_keyword(
    *, user: User, query: str, limit: int = 20
) -> list[SearchHit]:
    """Return the user's full-text matches for ``query``, best first."""
    documents = (
        list(document_list_visible(user=user, query=query)[:limit])
        if query.strip()
        else []
    )
    return [
        SearchHit(document=d, score=float(getattr(d, "rank", 0.0)), keyword_rank=rank)
        for rank, d in enumerate(documents, start=1)
    ]


def documents_search_hybrid(
    *, user: User, query: str, limit: int = 20
) -> list[SearchHit]:
    """Fuse full-text and vector ranking with reciprocal rank fusion.

    Each list contributes ``1 / (k + rank)`` per document (Cormack et al.,
    2009), so a document ranked well by both wins and no score scales need
    calibrating.
    """
    depth = max(limit, interests_setting("SEARCH_DEPTH"))
    k = interests_setting("RRF_K")
    keyword = documents_search_keyword(user=user, query=query, limit=depth)
    semantic = documents_search_semantic(user=user, query=query, limit=depth)
    fused: dict[int, float] = {}
    ranks: dict[int, dict[str, int]] = {}
    documents: dict[int, Document] = {}
    for hits, key in ((keyword, "keyword_rank"), (semantic, "semantic_rank")):
        for hit in hits:
            rank = getattr(hit, key)
            fused[hit.document.pk] = fused.get(hit.document.pk, 0.0) + 1.0 / (k + rank)
            ranks.setdefault(hit.document.pk, {})[key] = rank
            documents[hit.document.pk] = hit.document
    best = sorted(fused, key=lambda pk: (-fused[pk], pk))[:limit]
    return [
        SearchHit(document=documents[pk], score=fused[pk], **ranks[pk]) for pk in best
    ]


# Portal pages: activity, interest clusters, search snippets ------------------


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


def user_activity_counts(*, user: User) -> dict[str, int]:
    """Return ``{kind: count}`` of the user's visible interactions."""
    rows = (
        user_activity(user=user)
        .order_by()
        .values("kind")
        .annotate(count=Count("id"))
        .values_list("kind", "count")
    )
    return dict(rows)


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
    anchors, anchor_vectors = _history_anchors(
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
        for document in _documents_in_order(
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


def search_snippets(
    *, user: User, hits: Sequence[SearchHit], query: str
) -> dict[int, str]:
    """Return ``{document_id: safe HTML}``: a passage of each hit with the query marked.

    Full-text hits get Postgres's ``ts_headline``; the others (found by
    meaning) get the passage around the first query word. Both are escaped
    before ``<mark>`` tags are added.
    """
    from django.contrib.postgres.search import SearchHeadline, SearchQuery

    from .highlighting import (
        START_SEL,
        STOP_SEL,
        headline_to_html,
        highlight_terms,
        passage_around,
    )

    query = query.strip()
    if not query or not hits:
        return {}
    ids = [hit.document.pk for hit in hits]
    keyword_ids = [hit.document.pk for hit in hits if hit.keyword_rank is not None]
    documents = Document.objects.filter(
        pk__in=ids, space__in=space_ids_visible(user=user)
    )
    snippets: dict[int, str] = {}
    if keyword_ids:
        search = SearchQuery(query, search_type="websearch", config="english")
        rows = (
            documents.filter(pk__in=keyword_ids)
            .annotate(
                headline=SearchHeadline(
                    "text",
                    search,
                    config="english",
                    start_sel=START_SEL,
                    stop_sel=STOP_SEL,
                    max_words=40,
                    min_words=20,
                    max_fragments=2,
                    fragment_delimiter=" … ",
                )
            )
            .values_list("pk", "headline")
        )
        snippets.update({pk: headline_to_html(headline) for pk, headline in rows})
    rest = [pk for pk in ids if pk not in snippets]
    if rest:
        for pk, text in documents.filter(pk__in=rest).values_list("pk", "text"):
            snippets[pk] = highlight_terms(passage_around(text or "", query), query)
    return snippets


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
        for document in _documents_in_order(user=user, ids=ids)
    ]
