"""Search: keyword (Postgres full text), semantic (vectors) and hybrid, with snippets.

Every selector that takes a user restricts documents to that user's spaces in
SQL; nothing is filtered after the fact in Python. Every mode honours the
query's quoted phrases and ``-exclusions`` and the facets (``SearchFilters``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from docsite.documents.models import Document, Space
from docsite.documents.selectors import document_list_visible, space_ids_visible

from ..conf import interests_setting
from .search_query import PreparedSearch, search_prepare, tsquery_and, tsquery_or
from .vectors import (
    documents_in_order,
    documents_nearest,
    embedder_live,
    embedding_producer_active,
)

User = AbstractBaseUser | AnonymousUser
# How many of a sentence's rarest terms pair up when even two of them are in
# too many documents to match alone (the "postings" rule's fallback).
PAIRED_TERMS = 5
logger = logging.getLogger(__name__)

VECTOR = '"documents_document"."search_vector"'
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


def _match_query(prepared: PreparedSearch, column: int) -> str:
    """Return the tsquery a document must match, for one configuration (0 en, 1 simple).

    One term, or two, may match alone. From three terms on (a sentence), by
    ``SEARCH["MATCH_RULE"]``: with "postings" (the default), a document holding
    any of the sentence's rarest terms matches, as many terms as are held by
    at most ``MATCH_POSTINGS`` documents together, so the candidates that are
    ranked stay few at any corpus size; when not even two fit, a document
    must hold two of the five rarest. Known-item queries (a summary, an
    abstract) often share only one rare word with their document, which the
    stricter "pairs" rule missed.
    """
    terms = [t for t in prepared.terms if not t.common] or prepared.terms
    # A word no document holds cannot help a document match (its weight is
    # the highest, so it would crowd the rarest terms).
    terms = [t for t in terms if t.known] or terms
    search = interests_setting("SEARCH")
    terms = sorted(
        (t for t in terms if (t.english, t.simple)[column]), key=lambda t: -t.weight
    )
    texts = [(t.english, t.simple)[column] for t in terms]
    rule = search["MATCH_RULE"]
    fit = 0
    if len(texts) >= 3 and rule == "postings":
        # The rarest terms, as many as keep the documents holding them (the
        # candidates ranked below) within the budget, match alone.
        postings = 0
        for term in terms[: search["MATCH_TERMS"]]:
            postings += term.documents
            if postings > search["MATCH_POSTINGS"]:
                break
            fit += 1
    if fit >= 2:
        any_terms = tsquery_or(texts[:fit])
    elif len(texts) >= 3 and rule in ("pairs", "postings"):
        rarest = texts[: search["MATCH_TERMS"] if rule == "pairs" else PAIRED_TERMS]
        pairs = [
            tsquery_and([a, b]) for i, a in enumerate(rarest) for b in rarest[i + 1 :]
        ]
        any_terms = tsquery_or(pairs)
    elif len(texts) >= 3:
        any_terms = tsquery_or(texts[: search["MATCH_TERMS"]])
    else:
        any_terms = tsquery_or(texts)
    query = tsquery_and([any_terms, prepared.required[column]])
    if query and prepared.excluded[column]:
        query = f"{query} & !( {prepared.excluded[column]} )"
    return query


def _by_language(english_sql: str, simple_sql: str) -> str:
    return f"(CASE WHEN {IS_ENGLISH} THEN {english_sql} ELSE {simple_sql} END)"


def _keyword_documents(
    *, user: User, prepared: PreparedSearch, filters: SearchFilters, limit: int
) -> list[tuple[Document, float, float]]:
    """Return ``(document, score, match)`` of the best keyword matches, best first.

    One SQL query. Each candidate's index entry is read (detoasted) once, in
    a fenced subquery (``OFFSET 0``), however many terms test it: a sentence
    tests ten or twenty, and reading a long document's entry for each cost
    most of a search's time.
    """
    english, simple = _match_query(prepared, 0), _match_query(prepared, 1)
    if not (english or simple):
        return []
    total = sum(t.weight for t in prepared.terms) or 1.0
    coverage_sql, coverage_params = [], []
    for column in (0, 1):
        pieces = []
        for term in prepared.terms:
            text = (term.english, term.simple)[column]
            if text:
                pieces.append("(CASE WHEN c.v @@ %s::tsquery THEN %s ELSE 0 END)")
                coverage_params += [text, term.weight / total]
        coverage_sql.append(" + ".join(pieces) or "0")
    is_english = "(c.language = '' OR left(c.language, 2) = 'en')"

    def by_language(english_sql: str, simple_sql: str) -> str:
        return f"(CASE WHEN {is_english} THEN {english_sql} ELSE {simple_sql} END)"

    ranked = [tsquery_or([t.english for t in prepared.terms]) or english]
    ranked.append(tsquery_or([t.simple for t in prepared.terms]) or simple)
    rank_weight = interests_setting("SEARCH")["RANK_CD_WEIGHT"]
    rank_sql = by_language(
        "ts_rank_cd(c.v, %s::tsquery, 32)", "ts_rank_cd(c.v, %s::tsquery, 32)"
    )
    rank_params = ranked
    if not rank_weight:
        rank_sql, rank_params = "0", []
    # The candidates: the user's documents under the facets that the GIN index
    # finds for either form, each index entry read (detoasted) once.
    candidates_sql, candidates_params = (
        filters.documents(user=user)
        .filter(
            RawSQL(
                f"{VECTOR} @@ (%s::tsquery || %s::tsquery)",
                [english or simple, simple or english],
                output_field=BooleanField(),
            )
        )
        .annotate(v=RawSQL(f"{VECTOR} || ''::tsvector", []))
        .order_by()
        .values("id", "language", "updated_at", "v")
        .query.sql_with_params()
    )
    sql = f"""
        SELECT id, match, match + %s * rank AS score FROM (
          SELECT c.id, c.updated_at,
                 {by_language(f"({coverage_sql[0]})", f"({coverage_sql[1]})")} AS match,
                 {rank_sql} AS rank
          FROM ({candidates_sql} OFFSET 0) c
          -- Each document keeps to its own language's form.
          WHERE {by_language("(c.v @@ %s::tsquery)", "(c.v @@ %s::tsquery)")}
        ) s
        ORDER BY score DESC, updated_at DESC, id DESC
        LIMIT %s
    """
    params = [
        rank_weight,
        *coverage_params,
        *rank_params,
        *candidates_params,
        english or simple,
        simple or english,
        limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    documents = (
        Document.objects.select_related("space")
        .defer("text", "html")
        .in_bulk([pk for pk, _, _ in rows])
    )
    return [
        (documents[pk], float(score), float(match))
        for pk, match, score in rows
        if pk in documents
    ]


def _keyword_hits(
    *, user: User, prepared: PreparedSearch, filters: SearchFilters, limit: int
) -> list[SearchHit]:
    if not user.is_authenticated or not prepared.has_terms:
        return []
    rows = _keyword_documents(
        user=user, prepared=prepared, filters=filters, limit=limit
    )
    return [
        SearchHit(document=d, score=score, keyword_rank=rank, match=match)
        for rank, (d, score, match) in enumerate(rows, start=1)
    ]


def query_embed(*, query: str) -> np.ndarray:
    """Embed a search query with the live embedder's query runtime (no torch)."""
    return embedder_live().embed_queries([query])[0]


def _semantic_hits(
    *, user: User, prepared: PreparedSearch, filters: SearchFilters, limit: int
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
    embedder = embedder_live()
    nearest = documents_nearest(
        user=user,
        query_vectors=[embedder.embed_queries([prepared.query])[0]],
        producer=embedding_producer_active(),
        limit=limit,
        within=within,
        without=without,
    )
    # Rows come nearest first, so the floor only cuts the tail.
    floor = embedder.similarity_floor
    nearest = [row for row in nearest if row[2] >= floor]
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
    it matches, so a document holding one word of a sentence adds little.
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
    semantic = _semantic_hits(
        user=user, prepared=prepared, filters=filters, limit=depth
    )
    return hits_fuse(
        keyword=keyword,
        semantic=semantic,
        k=interests_setting("RRF_K"),
        keyword_weight=search["KEYWORD_WEIGHT"],
        semantic_weight=search["SEMANTIC_WEIGHT"],
        limit=limit,
    )


def hits_fuse(
    *,
    keyword: Sequence[SearchHit],
    semantic: Sequence[SearchHit],
    k: float,
    keyword_weight: float,
    semantic_weight: float,
    limit: int,
) -> list[SearchHit]:
    """Return the weighted reciprocal rank fusion of two ranked lists, best first."""
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
        fused[pk] = fused.get(pk, 0.0) + semantic_weight / (k + hit.semantic_rank)
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
    """
    prepared = search_prepare(query=query)
    hits = _keyword_hits(
        user=user,
        prepared=prepared,
        filters=SearchFilters(within=documents),
        limit=limit,
    )
    return [hit.document.pk for hit in hits]


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
