"""Chinese and Japanese typos by sound: the readings of the corpus's Han bigrams.

Chinese is typed by its sound: an input method turns pinyin into characters,
and the common slip is picking a character that sounds the same (报消 for
报销, 备分 for 备份). Edit distance and trigrams say nothing about that, but
the reading does: a bigram of the query that no document holds is respelled
to a bigram of the corpus read alike, one character apart
(``selectors.search_terms.terms_homophones``).

Readings come from ``pypinyin``, without tones (an input method's typists
rarely type them), imported on first use: a web process that never sees an
unknown Chinese bigram never loads its dictionary.

Japanese is typed by its sound too, and an input method's slip converts a
whole word to another read alike (注射 for 駐車, both ちゅうしゃ), often both
characters at once. The bigrams of Japanese documents carry their Japanese
reading (``pykakasi``, hiragana); a Japanese query's Han bigram that no
document holds is respelled to the most frequent of them read alike.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

# Han characters only: kana and Hangul have readings of their own.
HAN_BIGRAM = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2}")
# Kana or Hangul: the text is Japanese or Korean, whose Han characters are
# read otherwise (and typed by those readings), so pinyin says nothing.
KANA_OR_HANGUL = re.compile("[\u3040-\u30ff\uac00-\ud7af]")
KANA = re.compile("[\u3040-\u30ff]")


@functools.cache
def _reader():
    from pypinyin import lazy_pinyin

    return lazy_pinyin


# A bigram's reading never changes: the dictionary rebuild after every save
# reads the same bigrams again (17k in 1,209 documents: 0.5 s of pypinyin).
@functools.lru_cache(maxsize=200_000)
def reading(text: str) -> str:
    """Return the toneless pinyin of ``text``, syllables joined by spaces ("bao xiao")."""
    return " ".join(_reader()(text))


def readings(words: Sequence[str]) -> dict[str, str]:
    """Return the reading of each Han bigram among ``words``."""
    return {word: reading(word) for word in words if HAN_BIGRAM.fullmatch(word)}


@functools.cache
def _japanese_reader():
    import pykakasi

    return pykakasi.kakasi()


@functools.lru_cache(maxsize=200_000)
def japanese_reading(text: str) -> str:
    """Return the Japanese reading of ``text`` in hiragana ("駐車" -> "ちゅうしゃ"),
    or "" when a character has none (a simplified Chinese one: 执)."""
    parts = _japanese_reader().convert(text)
    if not parts or any(not part["hira"] for part in parts):
        return ""
    return "".join(part["hira"] for part in parts)


def reads_as_japanese(text: str) -> bool:
    """Return whether ``text`` is Japanese: it has kana."""
    return bool(KANA.search(text))


def reads_as_chinese(text: str) -> bool:
    """Return whether pinyin may read ``text``: Han characters and no kana or Hangul."""
    return not KANA_OR_HANGUL.search(text)


def one_character_apart(left: str, right: str) -> bool:
    if len(left) != len(right):
        return False
    return sum(a != b for a, b in zip(left, right, strict=True)) == 1
