"""The corpus's words (``SearchTerm``): how rare each is, and near spellings.

Keyword search weighs a query term by its rarity (BM25's idf) and, for a word
no document holds, tries the corpus words with the most trigrams in common
(pg_trgm's ``similarity``: shared / (left + right - shared)).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

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


# Letters a one-edit respelling may add or put in a word's place.
EDIT_LETTERS = "abcdefghijklmnopqrstuvwxyz"
# Longer words are respelled by trigrams only: one edit leaves a word of 13+
# letters at least 0.45 similar to itself, and its one-edit spellings (54
# per letter) would cost more lookups than the search (10 words of 40
# letters: 350 ms).
EDIT_MAX_LETTERS = 12


def spellings_one_edit(word: str) -> set[str]:
    """Return every spelling one edit from ``word``: a letter dropped, two
    neighbours swapped, a letter replaced or one added (Damerau's four typos,
    about 80% of misspellings)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    spellings = {a + b[1:] for a, b in splits if b}
    spellings |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    spellings |= {a + c + b[1:] for a, b in splits if b for c in EDIT_LETTERS}
    spellings |= {a + c + b for a, b in splits for c in EDIT_LETTERS}
    spellings.discard(word)
    return spellings


def edit_distance(left: str, right: str) -> int:
    """Return the optimal string alignment distance (a swap of neighbours is one edit)."""
    previous2: list[int] = []
    previous = list(range(len(right) + 1))
    for i, a in enumerate(left, start=1):
        current = [i]
        for j, b in enumerate(right, start=1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b))
            if i > 1 and j > 1 and a == right[j - 2] and left[i - 2] == b:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        previous2, previous = previous, current
    return previous[-1]


@dataclass(frozen=True)
class Respellings:
    """Corpus words that stand in for query words the dictionary lacks."""

    # A misspelled word: the corpus words spelled like it, best first.
    typos: dict[str, list[str]] = field(default_factory=dict)
    # A word whose English stem documents hold (an inflection the dictionary
    # lacks, "introduces"): the corpus word of that stem it weighs like.
    inflections: dict[str, list[str]] = field(default_factory=dict)

    def alternatives(self, word: str) -> list[str]:
        return self.typos.get(word) or self.inflections.get(word) or []


def terms_corrections(
    *, words: Sequence[str], threshold: float, limit: int = 2, edit_min: int = 4
) -> Respellings:
    """Return the corpus words spelled like ``words``, best first, in one query.

    Two kinds of neighbours are looked up together: the corpus words one edit
    away (``spellings_one_edit``, for words of ``edit_min`` to
    ``EDIT_MAX_LETTERS`` letters; primary-key lookups) and, for words with
    none, those whose trigrams are at least ``threshold`` similar (pg_trgm's
    ``similarity``), which reach longer words and more edits. Trigrams alone
    miss most one-edit typos of short words ("polce" and "police" share 4 of
    9 trigrams, 0.44). Fewer edits rank first, then the more frequent word.

    A word whose English stem some document holds is no misspelling but an
    inflection the dictionary lacks: keyword search matches it by stem
    already, and respelling it ("raping" to "racing") would add wrong
    matches. It only takes the most frequent corpus word of its stem, if one
    is near ("introduces": "introduce"), so that it weighs as rare as its
    stem is, not as a word no document holds.

    Trigram candidates are scored only among words whose length allows the
    threshold (shared ≤ the shorter count, so the longer may have at most
    1/threshold times the trigrams), that share a trigram (the GIN index) and
    begin with the same letter: typos rarely touch the first one, and scoring
    every word sharing a common trigram like "es " costs more than the search.
    """
    words = list(dict.fromkeys(words))
    if not words:
        return Respellings()
    sources, spellings = [], []
    for word in words:
        if edit_min <= len(word) <= EDIT_MAX_LETTERS:
            for spelling in spellings_one_edit(word):
                sources.append(word)
                spellings.append(spelling)
    # Each word's trigrams are a slice [first, last] of one array parameter.
    grams, first, last = [], [], []
    for word in words:
        first.append(len(grams) + 1)
        grams += trigrams(word)
        last.append(len(grams))
    counts = [b - a + 1 for a, b in zip(first, last, strict=True)]
    shortest = [max(1, math.ceil(threshold * n) - 1) for n in counts]
    longest = [math.floor(n / threshold) - 1 for n in counts]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH typed AS (
              SELECT source, stem::text AS stem, EXISTS (
                  SELECT FROM docsite_search_candidates(stem)) AS inflected
              FROM unnest(%s::text[]) AS source,
                   plainto_tsquery('english', source) AS stem
            ), edits AS (
              SELECT e.source, t.word, t.ndoc, m.inflected
              FROM unnest(%s::text[], %s::text[]) AS e(source, spelling)
              JOIN typed m USING (source)
              JOIN interests_searchterm t ON t.word = e.spelling
              WHERE NOT m.inflected OR plainto_tsquery('english', t.word)::text = m.stem
            )
            SELECT source, word, ndoc, inflected FROM edits
            UNION ALL
            -- Trigram neighbours only for words with no neighbour one edit away.
            SELECT q.source, c.word, c.ndoc, m.inflected
            FROM unnest(%s::text[], %s::int[], %s::int[], %s::int[], %s::int[], %s::int[])
              AS q(source, first, last, n, shortest, longest)
            JOIN typed m USING (source)
            CROSS JOIN LATERAL (
              SELECT word, ndoc, shared::float / (cardinality(trigrams) + q.n - shared)
                AS similarity
              FROM (
                SELECT word, ndoc, trigrams,
                       cardinality(ARRAY(
                         SELECT unnest(trigrams)
                         INTERSECT SELECT unnest((%s::varchar[])[q.first:q.last])
                       )) AS shared
                FROM interests_searchterm
                WHERE trigrams && (%s::varchar[])[q.first:q.last]
                  AND length BETWEEN q.shortest AND q.longest
                  AND left(word, 1) = left(q.source, 1) AND word <> q.source
                OFFSET 0  -- count each candidate's shared trigrams once
              ) candidates
              WHERE shared::float / (cardinality(trigrams) + q.n - shared) >= %s
                AND (NOT m.inflected
                     OR plainto_tsquery('english', word)::text = m.stem)
              ORDER BY similarity DESC, ndoc DESC, word
              LIMIT %s
            ) c
            WHERE NOT EXISTS (SELECT FROM edits WHERE edits.source = q.source)
            """,
            [
                words,
                sources,
                spellings,
                words,
                first,
                last,
                counts,
                shortest,
                longest,
                grams,
                grams,
                threshold,
                limit,
            ],
        )
        rows = cursor.fetchall()
    found: dict[str, dict[str, tuple[int, int]]] = {}
    inflected = set()
    for source, word, ndoc, of_stem in rows:
        found.setdefault(source, {})[word] = (edit_distance(source, word), -ndoc)
        if of_stem:
            inflected.add(source)
    respellings = Respellings()
    for source, candidates in found.items():
        if source in inflected:
            best = sorted(candidates, key=lambda w: (candidates[w][1], w))
            respellings.inflections[source] = best[:1]
        else:
            best = sorted(candidates, key=lambda w: (candidates[w], w))
            respellings.typos[source] = best[:limit]
    return respellings


def words_unknown(*, words: Sequence[str], counts: dict[str, int]) -> list[str]:
    """Return the words worth correcting: Latin, 3 to 40 letters, in no document."""
    return [
        w
        for w in words
        if w not in counts and 3 <= len(w) <= 40 and w.isascii() and w.isalpha()
    ]


def terms_homophones(*, bigrams: Sequence[str], limit: int = 1) -> dict[str, list[str]]:
    """Return, for each Han bigram no document holds, the corpus bigrams read
    alike and one character apart, the most frequent first (in one query).

    "报消" (bao xiao) finds "报销"; a bigram with no such neighbour is left out.
    """
    from ..homophones import one_character_apart, readings

    wanted = readings(bigrams)
    if not wanted:
        return {}
    rows = SearchTerm.objects.filter(reading__in=set(wanted.values())).values_list(
        "word", "reading", "ndoc"
    )
    by_reading: dict[str, list[tuple[int, str]]] = {}
    for word, reading, ndoc in rows:
        by_reading.setdefault(reading, []).append((-ndoc, word))
    found: dict[str, list[str]] = {}
    for bigram, reading in wanted.items():
        alike = [
            word
            for _, word in sorted(by_reading.get(reading, []))
            if one_character_apart(word, bigram)
        ]
        if alike:
            found[bigram] = alike[:limit]
    return found


def terms_japanese_homophones(*, bigrams: Sequence[str]) -> dict[str, list[str]]:
    """Return, for each Han bigram no document holds, the bigram of Japanese
    documents read alike, the most frequent (in one query).

    "注射" (ちゅうしゃ) finds "駐車"; a bigram with none is left out.
    """
    from ..homophones import HAN_BIGRAM, japanese_reading

    readings = {b: japanese_reading(b) for b in bigrams if HAN_BIGRAM.fullmatch(b)}
    wanted = {bigram: reading for bigram, reading in readings.items() if reading}
    if not wanted:
        return {}
    rows = SearchTerm.objects.filter(reading_ja__in=set(wanted.values())).values_list(
        "ndoc", "word", "reading_ja"
    )
    best: dict[str, str] = {}
    for _, word, reading in sorted(rows, key=lambda row: (-row[0], row[1])):
        best.setdefault(reading, word)
    return {
        bigram: [best[reading]] for bigram, reading in wanted.items() if reading in best
    }


def terms_mostly_japanese(*, bigrams: Sequence[str]) -> bool:
    """Return whether most of these known Han bigrams are Japanese documents'
    (they carry a Japanese reading)."""
    from ..homophones import HAN_BIGRAM

    han = {b for b in bigrams if HAN_BIGRAM.fullmatch(b)}
    if not han:
        return False
    japanese = SearchTerm.objects.filter(word__in=han).exclude(reading_ja="").count()
    return 2 * japanese > len(han)


def terms_one_key_apart(
    *, bigrams: Sequence[str], limit: int = 1
) -> dict[str, list[str]]:
    """Return, for each Hangul bigram no document holds, the corpus bigrams
    typed one keystroke apart, the most frequent first (in one query).

    "헌도" finds "한도" (ㅓ for ㅏ, the key beside it); a bigram with no such
    neighbour is left out.
    """
    from ..hangul import HANGUL_BIGRAM, bigrams_one_key_apart

    neighbours = {
        bigram: bigrams_one_key_apart(bigram)
        for bigram in bigrams
        if HANGUL_BIGRAM.fullmatch(bigram)
    }
    if not neighbours:
        return {}
    ndoc = dict(
        SearchTerm.objects.filter(
            word__in={n for near in neighbours.values() for n in near}
        ).values_list("word", "ndoc")
    )
    found: dict[str, list[str]] = {}
    for bigram, near in neighbours.items():
        known = sorted((-ndoc[word], word) for word in near if word in ndoc)
        if known:
            found[bigram] = [word for _, word in known[:limit]]
    return found
