"""Whether a word is one that people write: wordfreq's English word list.

Meaning search asks it about a query whose words neither the corpus nor the
query model knows ("sabbatical" in a portal that never says it, against
"asdf jkl"); loaded once per process, in a web worker's warm-up.
"""

from __future__ import annotations

import gzip
import importlib.util
import logging
from functools import lru_cache
from pathlib import Path

logger = logging.getLogger(__name__)

# A word at least this common in English text is a word: wordfreq's Zipf
# scale is log10 of uses per billion words, so 2 is once in ten million.
# Below it sit keyboard runs that web text also holds ("asdf" 1.65, "lorem"
# 1.82); above it rare words a model reads ("sabbatical" 2.95).
ZIPF_MIN = 2.0


def _word_list_path() -> Path:
    spec = importlib.util.find_spec("wordfreq")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the wordfreq package is not installed")
    return Path(spec.submodule_search_locations[0]) / "data" / "large_en.msgpack.gz"


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str] | None:
    """The words at or above ``ZIPF_MIN``; None (logged) if the list cannot be
    read, and then every word counts as one: a broken list must not make
    meaning search refuse real queries."""
    # wordfreq's list read as its read_cBpack reads it (gzip, msgpack, a
    # header, then buckets), without importing the package: its imports
    # (ftfy, langcodes) cost twice what reading the list does (0.15 s).
    import msgpack  # wordfreq's own dependency

    try:
        with gzip.open(_word_list_path(), "rb") as infile:
            header, *buckets = msgpack.load(infile, raw=False)
        if header != {"format": "cB", "version": 1}:
            raise ValueError(f"unexpected header {header!r}")
    except (ImportError, OSError, ValueError):
        logger.exception("wordfreq's English word list cannot be read")
        return None
    # Bucket i holds the words used 10 ** (-i / 100) of the time (Zipf 9 - i
    # / 100). Only those words are kept: wordfreq's own lookup keeps all
    # 321,000 with their frequencies (51 MB; this set of 96,000 is a fifth).
    last = round((9 - ZIPF_MIN) * 100)
    return frozenset(word for bucket in buckets[: last + 1] for word in bucket)


def english_word(word: str) -> bool:
    """Return whether ``word`` (any case) is a word of English text."""
    words = _english_words()
    return words is None or word.lower() in words
