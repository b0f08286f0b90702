"""Search: keyword (Postgres full text), semantic (vectors) and hybrid, with snippets.

Every selector that takes a user restricts documents to that user's spaces in
SQL; nothing is filtered after the fact in Python. Every mode honours the
query's quoted phrases and ``-exclusions`` and the facets (``SearchFilters``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from docsite.documents.models import Document, Space
from docsite.documents.selectors import document_list_visible, space_ids_visible

from ..conf import interests_setting
from ..search_syntax import CJK_RUN
from .ann import documents_nearest
from .search_keyword import VECTOR, keyword_documents, keyword_rows
from .search_meaning import (
    QueryVector,
    nearest_above_chance,
    query_has_a_word,
    query_vector_for,
)
from .search_query import PreparedSearch, search_prepare
from .vectors import documents_in_order

User = AbstractBaseUser | AnonymousUser

# The same test as the generated column's (DocumentSearchVector).
IS_ENGLISH = (
    '("documents_document"."language" = \'\''
    ' OR left("documents_document"."language", 2) = \'en\')'
)


@dataclass(frozen=True)
class SearchHit:
    document: Document
    score: float
    keyword_rank: int | None = None
    semantic_rank: int | None = None
    # The weighted share of the query's terms the document holds (keyword).
    match: float | None = None


@dataclass(frozen=True)
class SearchFilters:
    """Facets that narrow every search mode, like the document list's."""

    space: Space | None = None
    mime_types: Sequence[str] = ()
    updated_after: date | None = None
    updated_before: date | None = None
    # Documents already narrowed by the caller (the document list's facets);
    # it must come from ``document_list_visible`` for the same user.
    within: QuerySet[Document] | None = None

    def documents(self, *, user: User) -> QuerySet[Document]:
        if self.within is not None:
            return self.within
        return document_list_visible(
            user=user,
            space=self.space,
            mime_types=list(self.mime_types) or None,
            updated_after=self.updated_after,
            updated_before=self.updated_before,
        )

    @property
    def is_empty(self) -> bool:
        return not (
            self.space
            or self.mime_types
            or self.updated_after
            or self.updated_before
            or self.within is not None
        )


NO_FILTERS = SearchFilters()


def _by_language(english_sql: str, simple_sql: str) -> str:
    return f"(CASE WHEN {IS_ENGLISH} THEN {english_sql} ELSE {simple_sql} END)"


def _keyword_hits(
    *, user: User, prepared: PreparedSearch, filters: SearchFilters, limit: int
) -> list[SearchHit]:
    if not user.is_authenticated or not prepared.has_terms:
        return []
    rows = keyword_documents(
        documents=filters.documents(user=user), prepared=prepared, limit=limit
    )
    return [
        SearchHit(document=d, score=score, keyword_rank=rank, match=match)
        for rank, (d, score, match) in enumerate(rows, start=1)
    ]


def _semantic_hits(
    *,
    user: User,
    prepared: PreparedSearch,
    filters: SearchFilters,
    limit: int,
    query_vector: QueryVector | None = None,
) -> list[SearchHit]:
    if not user.is_authenticated or prepared.parsed.is_empty:
        return []
    within = None
    if not filters.is_empty or any(prepared.required):
        within = filters.documents(user=user)
        if any(prepared.required):
            within = within.filter(
                RawSQL(
                    _by_language(
                        f"({VECTOR} @@ %s::tsquery)", f"({VECTOR} @@ %s::tsquery)"
                    ),
                    [prepared.required[0] or "", prepared.required[1] or ""],
                    BooleanField(),
                )
            )
    without = None
    if any(prepared.excluded):
        without = Document.objects.filter(
            RawSQL(
                _by_language(
                    f"({VECTOR} @@ %s::tsquery)", f"({VECTOR} @@ %s::tsquery)"
                ),
                [prepared.excluded[0] or "", prepared.excluded[1] or ""],
                BooleanField(),
            )
        )
    query_vector = query_vector or query_vector_for(prepared=prepared)
    if not query_has_a_word(prepared=prepared, query_vector=query_vector):
        return []
    nearest = documents_nearest(
        user=user,
        query_vectors=[query_vector.vector],
        producer=query_vector.live.producer,
        limit=limit,
        within=within,
        without=without,
    )
    nearest = nearest_above_chance(nearest, query_vector=query_vector)
    similarity = {pk: score for pk, _, score in nearest}
    documents = documents_in_order(user=user, ids=[pk for pk, _, _ in nearest])
    return [
        SearchHit(document=d, score=similarity[d.pk], semantic_rank=rank)
        for rank, d in enumerate(documents, start=1)
    ]


def documents_search_keyword(
    *, user: User, query: str, limit: int = 20, filters: SearchFilters = NO_FILTERS
) -> list[SearchHit]:
    """Return the user's full-text matches for ``query``, best first.

    Terms are alternatives ranked by the weighted share of them a document
    holds (rarer terms weigh more), then by cover density; quoted phrases are
    required and ``-words`` excluded.
    """
    prepared = search_prepare(query=query)
    return _keyword_hits(user=user, prepared=prepared, filters=filters, limit=limit)


def documents_search_semantic(
    *, user: User, query: str, limit: int = 20, filters: SearchFilters = NO_FILTERS
) -> list[SearchHit]:
    """Return the user's documents nearest in meaning to ``query``, above the floor."""
    prepared = search_prepare(query=query)
    return _semantic_hits(user=user, prepared=prepared, filters=filters, limit=limit)


def documents_search_hybrid(
    *, user: User, query: str, limit: int = 20, filters: SearchFilters = NO_FILTERS
) -> list[SearchHit]:
    """Fuse full-text and vector ranking with weighted reciprocal rank fusion.

    Each list contributes ``weight / (k + rank)`` per document (Cormack et
    al., 2009); a keyword hit's weight is scaled by the share of the query
    it matches, so a document holding one word of a sentence adds little,
    and a meaning hit's by its cosine above the floor
    (``SEARCH["SIMILARITY_POWER"]``), so one barely above it adds little.
    Both lists already honour phrases, exclusions, facets and the floor.
    """
    prepared = search_prepare(query=query)
    return documents_search_fused(
        user=user, prepared=prepared, limit=limit, filters=filters
    )


def documents_search_fused(
    *,
    user: User,
    prepared: PreparedSearch,
    limit: int = 20,
    filters: SearchFilters = NO_FILTERS,
) -> list[SearchHit]:
    search = interests_setting("SEARCH")
    depth = max(limit, interests_setting("SEARCH_DEPTH"))
    keyword = _keyword_hits(user=user, prepared=prepared, filters=filters, limit=depth)
    query_vector = None
    if user.is_authenticated and not prepared.parsed.is_empty:
        query_vector = query_vector_for(prepared=prepared)
    semantic = _semantic_hits(
        user=user,
        prepared=prepared,
        filters=filters,
        limit=depth,
        query_vector=query_vector,
    )
    return hits_fuse(
        keyword=keyword,
        semantic=semantic,
        k=interests_setting("RRF_K"),
        keyword_weight=_keyword_weight(
            search=search, prepared=prepared, query_vector=query_vector
        ),
        semantic_weight=search["SEMANTIC_WEIGHT"],
        similarity_power=search["SIMILARITY_POWER"],
        floor=query_vector.embedder.similarity_floor if query_vector else 0.0,
        limit=limit,
    )


def _keyword_weight(
    *, search: dict, prepared: PreparedSearch, query_vector: QueryVector | None
) -> float:
    """Return how much the keyword list weighs in hybrid fusion for this query.

    ``search`` is the caller's SEARCH settings. Keyword hits weigh less beside
    a model that reads the query well: a Chinese, Japanese or Korean query,
    matched by character bigrams that near-topic pages share, read by the
    language vectors' model; and a query
    of a few words in another script (what readers type), where the page
    often says it in other words and its neighbours share the one word that
    matches. A sentence keeps the full weight: its rare words pick the page,
    and so does a CJK query the main model reads (language vectors off, or
    their model unavailable), since that model does not read it well.
    """
    if query_vector and query_vector.language_vectors:
        return search["CJK_KEYWORD_WEIGHT"]
    if not CJK_RUN.search(prepared.query) and (
        len(prepared.terms) <= search["SHORT_QUERY_TERMS"]
    ):
        return search["SHORT_KEYWORD_WEIGHT"]
    return search["KEYWORD_WEIGHT"]


def hits_fuse(
    *,
    keyword: Sequence[SearchHit],
    semantic: Sequence[SearchHit],
    k: float,
    keyword_weight: float,
    semantic_weight: float,
    limit: int,
    similarity_power: float = 0.0,
    floor: float = 0.0,
) -> list[SearchHit]:
    """Return the weighted reciprocal rank fusion of two ranked lists, best first.

    A keyword hit's weight is scaled by the share of the query it matches;
    with ``similarity_power``, a meaning hit's likewise, by how far its cosine
    is from the ``floor`` towards 1, to that power: ranks alone make a hit
    barely above the floor count as much as a near-duplicate.
    """
    fused: dict[int, float] = {}
    ranks: dict[int, dict] = {}
    documents: dict[int, Document] = {}
    for hit in keyword:
        weight = keyword_weight * min(1.0, hit.match or 0.0)
        fused[hit.document.pk] = weight / (k + hit.keyword_rank)
        ranks[hit.document.pk] = {"keyword_rank": hit.keyword_rank, "match": hit.match}
        documents[hit.document.pk] = hit.document
    for hit in semantic:
        pk = hit.document.pk
        weight = semantic_weight
        if similarity_power:
            closeness = (hit.score - floor) / ((1.0 - floor) or 1.0)
            weight *= min(1.0, max(0.0, closeness)) ** similarity_power
        fused[pk] = fused.get(pk, 0.0) + weight / (k + hit.semantic_rank)
        ranks.setdefault(pk, {})["semantic_rank"] = hit.semantic_rank
        documents[pk] = hit.document
    best = sorted(fused, key=lambda pk: (-fused[pk], pk))[:limit]
    return [
        SearchHit(document=documents[pk], score=fused[pk], **ranks[pk]) for pk in best
    ]


def documents_search_ids(
    *, user: User, query: str, documents: QuerySet[Document], limit: int
) -> list[int]:
    """Return the ids of ``documents`` that keyword search finds for ``query``, best first.

    The document list's ``?q=`` (``DOCSITE_DOCUMENT_SEARCH``): the same
    keyword search as the search page and the API, within the list's facets.
    Ids only: the list loads its own page of documents.
    """
    prepared = search_prepare(query=query)
    if not user.is_authenticated or not prepared.has_terms:
        return []
    rows = keyword_rows(documents=documents, prepared=prepared, limit=limit)
    return [pk for pk, _, _ in rows]


SEARCHES = {
    "hybrid": documents_search_hybrid,
    "semantic": documents_search_semantic,
    "keyword": documents_search_keyword,
}


def search_run(
    *,
    user: User,
    query: str,
    mode: str = "hybrid",
    limit: int = 20,
    filters: SearchFilters = NO_FILTERS,
) -> tuple[list[SearchHit], PreparedSearch]:
    """Run one search the way the page and the API do; return hits and the prepared query."""
    prepared = search_prepare(query=query)
    runner = {
        "hybrid": documents_search_fused,
        "semantic": _semantic_hits,
        "keyword": _keyword_hits,
    }[mode]
    hits = runner(user=user, prepared=prepared, limit=limit, filters=filters)
    return hits, prepared


# Portal pages: search snippets ------------------------------------------------


def search_snippets(
    *,
    user: User,
    hits: Sequence[SearchHit],
    query: str,
    prepared: PreparedSearch | None = None,
) -> dict[int, str]:
    """Return ``{document_id: safe HTML}``: a passage of each hit with the query marked.

    Marks fall on whole words (or, for Chinese and Japanese, on the query's
    runs of characters), escaped before ``<mark>`` tags are added.
    """
    from ..highlighting import highlight_words, passage_around_words

    query = query.strip()
    if not query or not hits:
        return {}
    words = (prepared or search_prepare(query=query)).marked
    ids = [hit.document.pk for hit in hits]
    documents = Document.objects.filter(
        pk__in=ids, space__in=space_ids_visible(user=user)
    )
    snippets: dict[int, str] = {}
    for pk, text in documents.values_list("pk", "text"):
        snippets[pk] = highlight_words(passage_around_words(text or "", words), words)
    return snippets
