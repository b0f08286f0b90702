"""Writes to the keyword index's term dictionary (``SearchTerm``).

The dictionary is rebuilt as a whole from the documents' own index (words in
the ``simple`` configuration plus CJK bigrams, with the postings of each
word's English stem read from ``search_vector``), in one transaction, so
readers see the old dictionary until the new one is complete. Saves arrive
one document at a time; ``search_terms_refresh_schedule`` turns a burst of
them into one rebuild a little later.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache
from django.db import connection, transaction

logger = logging.getLogger(__name__)

REFRESH_DELAY_SECONDS = 30
_SCHEDULED_KEY = "interests:search-terms-refresh"

REBUILD_SQL = r"""
WITH indexed AS MATERIALIZED (
  SELECT word AS lexeme, ndoc FROM ts_stat('SELECT search_vector FROM documents_document')
)
INSERT INTO interests_searchterm (word, ndoc, postings, trigrams, length, reading, reading_ja)
SELECT w.word,
       w.ndoc,
       greatest(w.ndoc, coalesce(stem.ndoc, 0)
                + CASE WHEN stem.lexeme = w.word THEN 0 ELSE coalesce(plain.ndoc, 0) END),
       CASE WHEN w.word ~ '^[a-z][a-z0-9_.-]{2,39}$' THEN docsite_trigrams(w.word) END,
       least(char_length(w.word), 32767),
       '',
       ''
FROM ts_stat($q$
  SELECT to_tsvector('simple'::regconfig, title)
         || to_tsvector('simple'::regconfig, left(text, 300000))
         || to_tsvector('simple'::regconfig, docsite_cjk_bigrams(title))
         || to_tsvector('simple'::regconfig, docsite_cjk_bigrams(left(text, 100000)))
  FROM documents_document
$q$) w
LEFT JOIN indexed stem ON stem.lexeme = (ts_lexize('english_stem', w.word))[1]
LEFT JOIN indexed plain ON plain.lexeme = w.word
WHERE char_length(w.word) <= 200
"""


def search_terms_refresh() -> int:
    """Rebuild the term dictionary from every document; return how many words it has."""
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM interests_searchterm")
        cursor.execute(REBUILD_SQL)
        words = cursor.rowcount
        search_term_readings_fill(cursor=cursor)
    cache.delete(_SCHEDULED_KEY)
    logger.info(
        "search terms rebuilt: %d words in %.1fs", words, time.perf_counter() - started
    )
    return words


# The Han bigrams of Japanese documents (their detected language).
JAPANESE_BIGRAMS_SQL = r"""
SELECT word FROM ts_stat($q$
  SELECT to_tsvector('simple'::regconfig, docsite_cjk_bigrams(title))
         || to_tsvector('simple'::regconfig, docsite_cjk_bigrams(left(text, 100000)))
  FROM documents_document WHERE left(language, 2) = 'ja'
$q$) WHERE char_length(word) = 2 AND word ~ %s
"""


def search_term_readings_fill(*, cursor) -> None:
    """Store the readings of the dictionary's Han bigrams (pinyin, and the
    Japanese reading of those of Japanese documents)."""
    search_term_pinyin_fill(cursor=cursor)
    search_term_japanese_readings_fill(cursor=cursor)


def search_term_pinyin_fill(*, cursor) -> int:
    """Store the reading (pinyin) of every Han bigram in the dictionary; return how many."""
    from .homophones import HAN_BIGRAM, readings

    cursor.execute(
        "SELECT word FROM interests_searchterm WHERE length = 2 AND word ~ %s",
        [HAN_BIGRAM.pattern],
    )
    found = readings([word for (word,) in cursor.fetchall()])
    _readings_store(cursor=cursor, column="reading", readings=found)
    return len(found)


def search_term_japanese_readings_fill(*, cursor) -> int:
    """Store the Japanese reading of the Han bigrams of Japanese documents; return how many."""
    from .homophones import HAN_BIGRAM, japanese_reading

    cursor.execute(JAPANESE_BIGRAMS_SQL, [HAN_BIGRAM.pattern])
    read = {word: japanese_reading(word) for (word,) in cursor.fetchall()}
    found = {word: reading for word, reading in read.items() if reading}
    _readings_store(cursor=cursor, column="reading_ja", readings=found)
    return len(found)


def _readings_store(*, cursor, column: str, readings: dict[str, str]) -> None:
    if readings:
        cursor.execute(
            f"UPDATE interests_searchterm t SET {column} = r.reading"
            " FROM unnest(%s::text[], %s::text[]) AS r(word, reading)"
            " WHERE t.word = r.word",
            [list(readings), list(readings.values())],
        )


def search_terms_refresh_schedule() -> bool:
    """Queue one dictionary rebuild after the current transaction, unless one is queued.

    Returns whether a rebuild was queued now.
    """
    from .tasks import search_terms_refresh as search_terms_refresh_task

    if not cache.add(_SCHEDULED_KEY, 1, timeout=REFRESH_DELAY_SECONDS * 10):
        return False
    transaction.on_commit(
        lambda: search_terms_refresh_task.apply_async(countdown=REFRESH_DELAY_SECONDS)
    )
    return True
