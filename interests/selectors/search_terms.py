"""The corpus's words (``SearchTerm``): how rare each is, and near spellings.

Keyword search weighs a query term by its rarity (BM25's idf) and, for a word
no document holds, tries the corpus words with the most trigrams in common
(pg_trgm's ``similarity``: shared / (left + right - shared)).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from django.db import connection

from ..models import SearchTerm


def trigrams(word: str) -> list[str]:
    """Return the trigrams of ``word`` as pg_trgm (and ``docsite_trigrams``) makes them."""
    padded = f"  {word.lower()} "
    return sorted({padded[i : i + 3] for i in range(len(word) + 1)})


def term_document_counts(*, words: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Return ``{word: (documents holding it, postings)}`` for the known words.

    Postings bound how many documents a query term matches in the index,
    where English words match by stem ("ones" matches every "one"); see
    ``SearchTerm.postings``. A dictionary built before that column counts
    the word's own documents.
    """
    words = list(dict.fromkeys(words))
    if not words:
        return {}
    return {
        word: (ndoc, max(ndoc, postings))
        for word, ndoc, postings in SearchTerm.objects.filter(
            word__in=words
        ).values_list("word", "ndoc", "postings")
    }


# The planner's estimate of the corpus size: enough for term weights, and
# read in the same statement as the query's tsquery text (no round trip).
CORPUS_ESTIMATE_SQL = (
    "(SELECT greatest(reltuples::bigint, 1) FROM pg_class"
    " WHERE oid = 'documents_document'::regclass)"
)


def corpus_size(*, estimate: int | None = None) -> int:
    """Return how many documents the term dictionary was built from (at least 1).

    ``estimate`` is ``CORPUS_ESTIMATE_SQL``'s value when the caller read it
    already; a small corpus (an estimate up to 1,000) is counted exactly.
    """
    if estimate is None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {CORPUS_ESTIMATE_SQL}")
            estimate = cursor.fetchone()[0]
    if estimate > 1000:
        return int(estimate)
    from docsite.documents.models import Document

    return max(1, Document.objects.count())


def term_weight(*, document_count: int, corpus: int) -> float:
    """Return BM25's idf: rare terms weigh more, and every weight is positive."""
    return math.log(1 + (corpus - document_count + 0.5) / (document_count + 0.5))


def term_corrections(
    *, word: str, threshold: float, limit: int = 2
) -> list[tuple[str, float]]:
    """Return up to ``limit`` corpus words spelled like ``word``, most similar first.

    Only words whose length allows the similarity ``threshold`` are scored
    (shared ≤ the shorter count, so the longer may have at most 1/threshold
    times the trigrams), that share a trigram (the GIN index) and that begin
    with the same letter: typos rarely touch the first one, and scoring every
    word sharing a common trigram like "es " costs more than the search.
    """
    grams = trigrams(word)
    count = len(grams)
    shortest = max(1, math.ceil(threshold * count) - 1)
    longest = math.floor(count / threshold) - 1
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT word, similarity FROM (
              SELECT word, ndoc, shared::float / (cardinality(trigrams) + %s - shared)
                AS similarity
              FROM (
                SELECT word, ndoc, trigrams,
                       cardinality(ARRAY(SELECT unnest(trigrams)
                                         INTERSECT SELECT unnest(%s::varchar[])))
                         AS shared
                FROM interests_searchterm
                WHERE trigrams && %s::varchar[] AND length BETWEEN %s AND %s
                  AND left(word, 1) = left(%s, 1) AND word <> %s
              ) candidates
            ) scored
            WHERE similarity >= %s
            ORDER BY similarity DESC, ndoc DESC, word
            LIMIT %s
            """,
            [count, grams, grams, shortest, longest, word, word, threshold, limit],
        )
        return [(w, float(s)) for w, s in cursor.fetchall()]


def words_unknown(*, words: Sequence[str], counts: dict[str, int]) -> list[str]:
    """Return the words worth correcting: Latin, 3 to 40 letters, in no document."""
    return [
        w
        for w in words
        if w not in counts and 3 <= len(w) <= 40 and w.isascii() and w.isalpha()
    ]
