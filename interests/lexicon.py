"""Whether a word is one that people write: wordfreq's English word list.

Meaning search asks it about a query whose words neither the corpus nor the
query model knows ("sabbatical" in a portal that never says it, against
"asdf jkl"); loaded on the first such query, once per process.
"""

from __future__ import annotations

from functools import lru_cache

# A word at least this common in English text is a word: wordfreq's Zipf
# scale is log10 of uses per billion words, so 2 is once in ten million.
# Below it sit keyboard runs that web text also holds ("asdf" 1.65, "lorem"
# 1.82); above it rare words a model reads ("sabbatical" 2.95).
ZIPF_MIN = 2.0


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    import wordfreq

    buckets = wordfreq.read_cBpack(wordfreq.available_languages(wordlist="large")["en"])
    # Bucket i holds the words used 10 ** (-i / 100) of the time (Zipf 9 - i
    # / 100). Only those words are kept: wordfreq's own lookup keeps all
    # 321,000 with their frequencies (51 MB; this set of 96,000 is a fifth).
    last = round((9 - ZIPF_MIN) * 100)
    return frozenset(word for bucket in buckets[: last + 1] for word in bucket)


def english_word(word: str) -> bool:
    """Return whether ``word`` (any case) is a word of English text."""
    return word.lower() in _english_words()
