"""Keyword search in SQL: which documents a query matches, and their scores.

A document's score is the weighted share of the query's terms it holds
(rarer terms weigh more) plus a little cover density (``ts_rank_cd``).
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from docsite.documents.models import Document

from ..conf import interests_setting
from .search_query import PreparedSearch, tsquery_and, tsquery_or

VECTOR = '"documents_document"."search_vector"'
# How many of a sentence's rarest terms pair up when even two of them are in
# too many documents to match alone (the "postings" rule's fallback).
PAIRED_TERMS = 5


def match_query(prepared: PreparedSearch, column: int) -> str:
    """Return the tsquery a document must match, for one configuration (0 en, 1 simple).

    One term, or two, may match alone. From three terms on (a sentence), by
    ``SEARCH["MATCH_RULE"]``: with "postings" (the default), a document holding
    any of the sentence's rarest terms matches, as many terms as are held by
    at most ``MATCH_POSTINGS`` documents together (stems counted; any number
    when the corpus is within that budget), so the candidates that are
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
        # candidates ranked below) within the budget, match alone. There are
        # never more candidates than documents: a corpus within the budget
        # lets all of them match.
        postings = 0
        for term in terms[: search["MATCH_TERMS"]]:
            postings += term.postings
            if min(postings, prepared.corpus) > search["MATCH_POSTINGS"]:
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


def keyword_documents(
    *, documents: QuerySet[Document], prepared: PreparedSearch, limit: int
) -> list[tuple[Document, float, float]]:
    """Return ``(document, score, match)`` of the best keyword matches among
    ``documents`` (already narrowed to what the user may read), best first."""
    rows = keyword_rows(documents=documents, prepared=prepared, limit=limit)
    found = (
        Document.objects.select_related("space")
        .defer("text", "html")
        .in_bulk([pk for pk, _, _ in rows])
    )
    return [
        (found[pk], float(score), float(match))
        for pk, score, match in rows
        if pk in found
    ]


def keyword_rows(
    *, documents: QuerySet[Document], prepared: PreparedSearch, limit: int
) -> list[tuple[int, float, float]]:
    """Return ``(document id, score, match)`` of the best keyword matches among
    ``documents``, best first.

    One SQL query. Each candidate's index entry is read (detoasted) once, in
    a fenced subquery (``OFFSET 0``), however many terms test it: a sentence
    tests ten or twenty, and reading a long document's entry for each cost
    most of a search's time.
    """
    english, simple = match_query(prepared, 0), match_query(prepared, 1)
    if not (english or simple):
        return []
    # A CJK bigram no document holds is, in a sentence, almost always one
    # that straddles two words ("川菜馆菜品" gives "馆菜"): not part of what
    # was asked, it only shrank every document's share of the query, and so
    # keyword hits' weight in the fusion (they weigh the most, being unknown).
    total = (
        sum(t.weight for t in prepared.terms if t.known or not t.cjk)
        or sum(t.weight for t in prepared.terms)
        or 1.0
    )
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
    # finds for either form, each index entry read (detoasted) once. The
    # index is asked in a function of its own (migration 0010): for a
    # sentence's OR of many terms the planner preferred a sequential scan,
    # which reads every document's index entry (3 times slower at 10k).
    candidates_sql, candidates_params = (
        documents.filter(
            RawSQL(
                '"documents_document"."id" IN'
                " (SELECT docsite_search_candidates(%s::tsquery || %s::tsquery))",
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
        return [
            (pk, float(score), float(match)) for pk, match, score in cursor.fetchall()
        ]
