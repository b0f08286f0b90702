"""Keyword search in SQL: which documents a query matches, and their scores.

A document's first score is the weighted share of the query's terms it holds
(rarer terms weigh more) plus a little cover density (``ts_rank_cd``); the
best of those are then ranked by BM25 (``SEARCH["KEYWORD_RANKING"]``).
"""

from __future__ import annotations

import json
import re

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


def query_weight_total(prepared: PreparedSearch) -> float:
    """The weight a document holding the whole query scores: what the match
    share and the BM25 score are divided by.

    A CJK bigram no document holds is, in a sentence, almost always one that
    straddles two words ("川菜馆菜品" gives "馆菜"): not part of what was
    asked, it only shrank every document's share of the query, and so keyword
    hits' weight in the fusion (they weigh the most, being unknown).
    """
    return (
        sum(t.weight for t in prepared.terms if t.known or not t.cjk)
        or sum(t.weight for t in prepared.terms)
        or 1.0
    )


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
    total = query_weight_total(prepared)
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
    search = interests_setting("SEARCH")
    depth = search["BM25_DEPTH"] if search["KEYWORD_RANKING"] == "bm25" else 0
    patterns = sorted(
        {
            pattern
            for term in prepared.terms
            for text in (term.english, term.simple)
            for alternative in tsquery_lexemes(text)
            for pattern in alternative
        }
    )
    exact = [p for p in patterns if not p.endswith("*")]
    prefixes = [_like_prefix(p[:-1]) for p in patterns if p.endswith("*")]
    count = "coalesce(array_length(u.positions, 1), 1)"
    counted = f"(SELECT jsonb_object_agg(u.lexeme, {count}) FROM unnest({{}}) u)"
    # Only the query's lexemes are read out of an index entry: marked (A)
    # and filtered in C, so a long document's entry is not unnested whole
    # (sentences at 10k documents: +6 ms p50, +20 ms p95 when it was).
    # Prefixes (as you type) are the exception: their lexemes are unknown.
    counts_sql = (
        "coalesce("
        + counted.format(
            "ts_filter(setweight(setweight(d.search_vector, 'D'), 'A', %s::text[]),"
            " '{a}')"
        )
        + ", '{}'::jsonb)"
    )
    if prefixes:
        counts_sql += (
            " || coalesce("
            + counted.format("d.search_vector")[:-1]
            + " WHERE u.lexeme LIKE ANY(%s)), '{}'::jsonb)"
        )
    # The best ``depth`` rows also bring their length (the text's words) and
    # how often each query lexeme occurs, for BM25. Their index entries are
    # read again by id: carried through the sort of every candidate, they
    # cost more (8 ms a sentence at 10k documents).
    sql = f"""
        SELECT f.id, f.match, f.score, f.english, t.length, t.counts FROM (
          SELECT *, row_number() OVER (
                      ORDER BY score DESC, updated_at DESC, id DESC
                    ) AS position
          FROM (
            SELECT id, updated_at, english, match, match + %s * rank AS score
            FROM (
              SELECT c.id, c.updated_at, {is_english} AS english,
                     {by_language(f"({coverage_sql[0]})", f"({coverage_sql[1]})")} AS match,
                     {rank_sql} AS rank
              FROM ({candidates_sql} OFFSET 0) c
              -- Each document keeps to its own language's form.
              WHERE {by_language("(c.v @@ %s::tsquery)", "(c.v @@ %s::tsquery)")}
            ) s
            -- The best first (a top-N sort), then numbered.
            ORDER BY score DESC, updated_at DESC, id DESC
            LIMIT %s
          ) best
        ) f
        LEFT JOIN LATERAL (
          SELECT greatest(d.word_count, length(d.search_vector)) AS length,
                 {counts_sql} AS counts
          FROM documents_document d
          WHERE d.id = f.id AND f.position <= %s
        ) t ON true
        ORDER BY f.position
    """
    params = [
        rank_weight,
        *coverage_params,
        *rank_params,
        *candidates_params,
        english or simple,
        simple or english,
        max(limit, depth),
        exact,
        *([prefixes] if prefixes else []),
        depth,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    ranked = rows_bm25_order(
        rows=rows,
        prepared=prepared,
        depth=depth,
        k1=search["BM25_K1"],
        b=search["BM25_B"],
    )
    return ranked[:limit]


# BM25 over the first ranking's best rows ---------------------------------------

# A lexeme in ``tsquery`` text: quoted, quotes doubled, maybe a prefix (":*").
QUERY_LEXEME = re.compile(r"'((?:[^']|'')*)'(:\*)?")


def tsquery_lexemes(text: str) -> list[list[str]]:
    """Return a term's ``tsquery`` text as alternatives (``|``), each the
    lexemes it needs together (a phrase's words or bigrams); a prefix ends in
    ``*``. ``'orbberi' | 'robberi'`` -> ``[["orbberi"], ["robberi"]]``."""
    alternatives = []
    for part in (text or "").split(" | "):
        lexemes = [
            match.group(1).replace("''", "'") + ("*" if match.group(2) else "")
            for match in QUERY_LEXEME.finditer(part)
        ]
        if lexemes:
            alternatives.append(lexemes)
    return alternatives


def _like_prefix(prefix: str) -> str:
    return re.sub(r"([\\%_])", r"\\\1", prefix) + "%"


def term_frequency(alternatives: list[list[str]], counts: dict[str, int]) -> int:
    """How often a document holds a term: its best alternative, and for a
    phrase its rarest lexeme (an upper bound on the phrase's count)."""
    best = 0
    for lexemes in alternatives:
        found = []
        for lexeme in lexemes:
            if lexeme.endswith("*"):
                stem = lexeme[:-1]
                found.append(sum(n for w, n in counts.items() if w.startswith(stem)))
            else:
                found.append(counts.get(lexeme, 0))
        best = max(best, min(found, default=0))
    return best


def rows_bm25_order(
    *, rows: list[tuple], prepared: PreparedSearch, depth: int, k1: float, b: float
) -> list[tuple[int, float, float]]:
    """Return ``(id, score, match)``: the first ``depth`` rows ranked by BM25
    (Robertson et al.), the others after them in their first order.

    The first score counts whether a document holds a term, not how often,
    and not against its length: a long article holding a summary's rare word
    once ranked with the one about it (split a, keyword MRR@10: XSum 95.1 ->
    97.6, XSum with typos 93.8 -> 95.3, DialogSum 90.7 -> 94.0). Terms weigh
    their idf (``TermQuery.weight``); a row's length is its text's words, the
    average the ranked rows' (as good on split a as the corpus's, and it
    needs no statistic). The score is divided by the query's total weight,
    like the match share.
    """
    head = rows[:depth]
    if not head:
        return [(pk, float(score), float(match)) for pk, match, score, *_ in rows]
    total = query_weight_total(prepared)
    terms = [
        (t.weight, tsquery_lexemes(t.english), tsquery_lexemes(t.simple))
        for t in prepared.terms
    ]
    average = sum(float(row[4] or 0) for row in head) / len(head) or 1.0
    scored = []
    for position, (pk, match, _score, english, length, counts) in enumerate(head):
        counts = counts if isinstance(counts, dict) else json.loads(counts or "{}")
        norm = k1 * (1 - b + b * float(length or 0) / average)
        score = 0.0
        for weight, english_lexemes, simple_lexemes in terms:
            tf = term_frequency(english_lexemes if english else simple_lexemes, counts)
            score += weight * tf * (k1 + 1) / (tf + norm) if tf else 0.0
        scored.append((-score, position, pk, score / total, float(match)))
    scored.sort()
    tail = [
        (pk, float(score), float(match)) for pk, match, score, *_ in rows[len(head) :]
    ]
    return [(pk, score, match) for _, _, pk, score, match in scored] + tail
