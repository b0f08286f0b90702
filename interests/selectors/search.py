"""Search: keyword (Postgres full text), semantic (vectors) and hybrid, with snippets.

Every selector that takes a user restricts documents to that user's spaces in
SQL; nothing is filtered after the fact in Python. Every mode honours the
query's quoted phrases and ``-exclusions`` and the facets (``SearchFilters``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.db.models import BooleanField, FloatField, QuerySet
from django.db.models.expressions import RawSQL

from docsite.documents.models import Document, Space
from docsite.documents.selectors import document_list_visible, space_ids_visible

from ..conf import interests_setting
from ..search_syntax import ParsedQuery, Term, query_parse
from .search_terms import (
    corpus_size,
    term_corrections,
    term_document_counts,
    term_weight,
    words_unknown,
)
from .vectors import (
    documents_in_order,
    documents_nearest,
    embedder_live,
    embedding_producer_active,
)

User = AbstractBaseUser | AnonymousUser
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

    def documents(self, *, user: User) -> QuerySet[Document]:
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
            self.space or self.mime_types or self.updated_after or self.updated_before
        )


NO_FILTERS = SearchFilters()


@dataclass(frozen=True)
class TermQuery:
    """One ranked term as ``tsquery`` text in each configuration, with its weight."""

    english: str
    simple: str
    weight: float
    common: bool


@dataclass
class PreparedSearch:
    """A query parsed and turned into ``tsquery`` text, ready for every mode."""

    query: str
    parsed: ParsedQuery
    terms: list[TermQuery] = field(default_factory=list)
    required: tuple[str, str] = ("", "")
    excluded: tuple[str, str] = ("", "")
    # "Did you mean": the query with words no document holds respelled.
    suggestion: str = ""
    # Words to mark in snippets (the query's, their respellings, the prefix).
    marked: list[str] = field(default_factory=list)

    @property
    def has_terms(self) -> bool:
        return any(t.english or t.simple for t in self.terms) or any(self.required)


def _or(parts: Sequence[str]) -> str:
    parts = [p for p in parts if p]
    return " | ".join(f"( {p} )" for p in parts)


def _and(parts: Sequence[str]) -> str:
    parts = [p for p in parts if p]
    return " & ".join(f"( {p} )" for p in parts)


def _tsqueries(texts: Sequence[str], *, prefix: str = "") -> list[tuple[str, str]]:
    """Return ``(english, simple)`` tsquery text of each websearch text, in one query.

    With ``prefix``, the pair for ``prefix:*`` is appended.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT websearch_to_tsquery('english', t)::text,"
            " websearch_to_tsquery('simple', t)::text"
            " FROM unnest(%s::text[]) WITH ORDINALITY AS u(t, i) ORDER BY i",
            [list(texts)],
        )
        rows = [(en, simple) for en, simple in cursor.fetchall()]
        if prefix:
            cursor.execute(
                "SELECT to_tsquery('english', %s)::text, to_tsquery('simple', %s)::text",
                [f"{prefix}:*", f"{prefix}:*"],
            )
            rows.append(cursor.fetchone())
    return rows


def _term_text(term: Term) -> str:
    if term.cjk and len(term.words) == 1 and len(term.words[0]) == 1:
        return term.words[0]  # one character: matched as a prefix below
    return term.text


def search_prepare(*, query: str) -> PreparedSearch:
    """Parse ``query`` and build its ``tsquery`` pieces, weights and respellings.

    Costs one query for the ``tsquery`` text, one for the terms' document
    counts and, per word that no document holds, one trigram lookup.
    """
    search = interests_setting("SEARCH")
    parsed = query_parse(query)
    prepared = PreparedSearch(query=query, parsed=parsed)
    if parsed.is_empty:
        return prepared
    words = {w for term in parsed.terms for w in term.words}
    counts = term_document_counts(words=words)
    corrections: dict[str, list[str]] = {}
    for word in words_unknown(
        words=[t.text.lower() for t in parsed.terms if len(t.words) == 1],
        counts=counts,
    ):
        found = term_corrections(word=word, threshold=search["TYPO_SIMILARITY"])
        if found:
            corrections[word] = [w for w, _ in found]
    counts.update(
        term_document_counts(words=[w for ws in corrections.values() for w in ws])
    )
    texts = []
    for term in parsed.terms:
        alternatives = corrections.get(term.text.lower(), [])
        texts.append(" or ".join([_term_text(term), *alternatives]))
    single_cjk = [
        i
        for i, t in enumerate(parsed.terms)
        if t.cjk and len(t.words) == 1 and len(t.words[0]) == 1
    ]
    texts += [p.text for p in parsed.phrases] + [e.text for e in parsed.excluded]
    prefix = parsed.prefix if parsed.prefix not in corrections else ""
    pairs = _tsqueries(texts, prefix=prefix)
    n_terms, n_phrases = len(parsed.terms), len(parsed.phrases)
    term_pairs = pairs[:n_terms]
    for i in single_cjk:
        char = parsed.terms[i].words[0]
        term_pairs[i] = (f"'{char}':*", f"'{char}':*")
    if prefix:
        term_pairs[-1] = pairs[-1]
    phrase_pairs = pairs[n_terms : n_terms + n_phrases]
    excluded_pairs = pairs[n_terms + n_phrases : len(texts)]
    corpus = corpus_size()
    for term, (english, simple) in zip(parsed.terms, term_pairs, strict=True):
        spellings = [
            term.words,
            *[(w,) for w in corrections.get(term.text.lower(), [])],
        ]
        document_count = max(
            min((counts.get(w, 0) for w in words_), default=0) for words_ in spellings
        )
        prepared.terms.append(
            TermQuery(
                english=english,
                simple=simple,
                weight=term_weight(document_count=document_count, corpus=corpus),
                common=document_count > search["COMMON_SHARE"] * corpus,
            )
        )
    prepared.required = (
        _and([en for en, _ in phrase_pairs]),
        _and([s for _, s in phrase_pairs]),
    )
    prepared.excluded = (
        _or([en for en, _ in excluded_pairs]),
        _or([s for _, s in excluded_pairs]),
    )
    if corrections:
        prepared.suggestion = " ".join(
            corrections[w.lower()][0] if w.lower() in corrections else w
            for w in query.split()
        )
    marked = parsed.marked_words()
    marked += [w for ws in corrections.values() for w in ws]
    if prefix:
        marked.append(prefix + "*")
    prepared.marked = list(dict.fromkeys(marked))
    return prepared


def _match_query(prepared: PreparedSearch, column: int) -> str:
    """Return the tsquery a document must match, for one configuration (0 en, 1 simple)."""
    terms = [t for t in prepared.terms if not t.common] or prepared.terms
    parts = [_or([(t.english, t.simple)[column] for t in terms])]
    parts.append(prepared.required[column])
    query = _and(parts)
    if query and prepared.excluded[column]:
        query = f"{query} & !( {prepared.excluded[column]} )"
    return query


def _by_language(english_sql: str, simple_sql: str) -> str:
    return f"(CASE WHEN {IS_ENGLISH} THEN {english_sql} ELSE {simple_sql} END)"


def _keyword_documents(
    *, user: User, prepared: PreparedSearch, filters: SearchFilters, limit: int
) -> list[tuple[Document, float]]:
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
                pieces.append(f"(CASE WHEN {VECTOR} @@ %s::tsquery THEN %s ELSE 0 END)")
                coverage_params += [text, term.weight / total]
        coverage_sql.append(" + ".join(pieces) or "0")
    coverage = _by_language(f"({coverage_sql[0]})", f"({coverage_sql[1]})")
    ranked = [_or([t.english for t in prepared.terms]) or english]
    ranked.append(_or([t.simple for t in prepared.terms]) or simple)
    rank = _by_language(
        f"ts_rank_cd({VECTOR}, %s::tsquery, 32)",
        f"ts_rank_cd({VECTOR}, %s::tsquery, 32)",
    )
    matches = _by_language(f"({VECTOR} @@ %s::tsquery)", f"({VECTOR} @@ %s::tsquery)")
    rank_weight = interests_setting("SEARCH")["RANK_CD_WEIGHT"]
    documents = (
        filters.documents(user=user)
        # The GIN index finds documents matching either form; the CASE keeps
        # each document to its own language's form.
        .filter(
            RawSQL(
                f"{VECTOR} @@ (%s::tsquery || %s::tsquery)",
                [english or simple, simple or english],
                output_field=BooleanField(),
            )
        )
        .filter(RawSQL(matches, [english or simple, simple or english], BooleanField()))
        .annotate(
            match=RawSQL(coverage, coverage_params, FloatField()),
            keyword_score=RawSQL(
                f"({coverage} + %s * {rank})",
                [*coverage_params, rank_weight, ranked[0], ranked[1]],
                FloatField(),
            ),
        )
        .order_by("-keyword_score", "-updated_at", "-pk")
    )
    return [(d, float(d.keyword_score)) for d in documents[:limit]]


def _keyword_hits(
    *, user: User, prepared: PreparedSearch, filters: SearchFilters, limit: int
) -> list[SearchHit]:
    if not user.is_authenticated or not prepared.has_terms:
        return []
    rows = _keyword_documents(
        user=user, prepared=prepared, filters=filters, limit=limit
    )
    return [
        SearchHit(document=d, score=score, keyword_rank=rank, match=float(d.match))
        for rank, (d, score) in enumerate(rows, start=1)
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
    k = interests_setting("RRF_K")
    keyword = _keyword_hits(user=user, prepared=prepared, filters=filters, limit=depth)
    semantic = _semantic_hits(
        user=user, prepared=prepared, filters=filters, limit=depth
    )
    fused: dict[int, float] = {}
    ranks: dict[int, dict] = {}
    documents: dict[int, Document] = {}
    for hit in keyword:
        weight = search["KEYWORD_WEIGHT"] * min(1.0, hit.match or 0.0)
        fused[hit.document.pk] = weight / (k + hit.keyword_rank)
        ranks[hit.document.pk] = {"keyword_rank": hit.keyword_rank, "match": hit.match}
        documents[hit.document.pk] = hit.document
    for hit in semantic:
        pk = hit.document.pk
        fused[pk] = fused.get(pk, 0.0) + search["SEMANTIC_WEIGHT"] / (
            k + hit.semantic_rank
        )
        ranks.setdefault(pk, {})["semantic_rank"] = hit.semantic_rank
        documents[pk] = hit.document
    best = sorted(fused, key=lambda pk: (-fused[pk], pk))[:limit]
    return [
        SearchHit(document=documents[pk], score=fused[pk], **ranks[pk]) for pk in best
    ]


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
