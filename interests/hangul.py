"""Korean typos by key: Hangul syllables one keystroke apart.

Korean is typed letter by letter (jamo) on the 두벌식 keyboard, which
composes each syllable from an initial consonant, a vowel and an optional
final consonant. The common slip is one keystroke: a neighbouring key (ㅓ for
ㅏ), a shifted key or not (ㅆ for ㅅ, ㅔ for ㅖ), a final consonant missed or
added (회의시 for 회의실). Such a slip changes one whole syllable, so edit
distance over syllables sees an unrelated character; over keystrokes it is
one. A bigram of the query that no document holds is respelled to the most
frequent corpus bigram one keystroke apart
(``selectors.search_terms.terms_one_key_apart``), as a Chinese one is to a
bigram read alike (``interests.homophones``).

Only slips a keyboard makes count: Korean words one jamo apart are dense
(도장 and 고장, 대처 and 대체), and a page's own word that the corpus lacks
would otherwise be "corrected" to any of them.

Syllables are decomposed and composed with Unicode normalization (NFD/NFC),
which holds the Hangul composition rules.
"""

from __future__ import annotations

import functools
import re
import unicodedata

HANGUL_BIGRAM = re.compile("[\uac00-\ud7a3]{2}")
HANGUL_SYLLABLE = re.compile("[\uac00-\ud7a3]")

# The keys (QWERTY positions; capitals are shifted) that type each
# conjoining jamo as NFD writes a syllable: a compound vowel or final is two.
_INITIAL_KEYS = "r R s e E f a q Q t T d w W c z x v g"
_VOWEL_KEYS = "k o i O j p u P h hk ho hl y n nj np nl b m ml l"
_FINAL_KEYS = "r R rt s sw sg e f fr fa fq ft fx fv fg a q qt t T d w c z x v g"
_INITIALS = {chr(0x1100 + i): keys for i, keys in enumerate(_INITIAL_KEYS.split())}
_VOWELS = {chr(0x1161 + i): keys for i, keys in enumerate(_VOWEL_KEYS.split())}
_FINALS = {"": "", **{chr(0x11A8 + i): k for i, k in enumerate(_FINAL_KEYS.split())}}

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_PLACE = {
    key: (row, col) for row, keys in enumerate(_ROWS) for col, key in enumerate(keys)
}


def _keys_near(left: str, right: str) -> bool:
    """Return whether two keys are the same key shifted or side by side
    (rows are staggered: a key touches the one below it and the one below-left)."""
    (r1, c1), (r2, c2) = _PLACE[left.lower()], _PLACE[right.lower()]
    if (r1, c1) == (r2, c2):
        return left != right
    if left.isupper() != right.isupper():
        return False  # a near key and a shift: two slips
    if r1 == r2:
        return abs(c1 - c2) == 1
    if abs(r1 - r2) != 1:
        return False
    upper, lower = (c1, c2) if r1 < r2 else (c2, c1)
    return lower in (upper, upper - 1)


def one_keystroke_apart(left: str, right: str) -> bool:
    """Return whether key sequences differ by one keystroke: one key pressed
    for a near one, or one key missed or added."""
    if len(left) == len(right):
        differ = [(a, b) for a, b in zip(left, right, strict=True) if a != b]
        return len(differ) == 1 and _keys_near(*differ[0])
    short, long_ = sorted((left, right), key=len)
    if len(long_) - len(short) != 1:
        return False
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


@functools.lru_cache(maxsize=20_000)
def syllables_one_key_apart(syllable: str) -> tuple[str, ...]:
    """Return the Hangul syllables one keystroke away from ``syllable`` in its
    initial, its vowel or its final (added, dropped or changed)."""
    jamo = unicodedata.normalize("NFD", syllable)
    if len(jamo) not in (2, 3):
        return ()
    initial, vowel, final = jamo[0], jamo[1], jamo[2:]
    variants = [
        i + vowel + final
        for i, keys in _INITIALS.items()
        if one_keystroke_apart(keys, _INITIALS[initial])
    ]
    variants += [
        initial + v + final
        for v, keys in _VOWELS.items()
        if one_keystroke_apart(keys, _VOWELS[vowel])
    ]
    variants += [
        initial + vowel + f
        for f, keys in _FINALS.items()
        if one_keystroke_apart(keys, _FINALS[final])
    ]
    return tuple(unicodedata.normalize("NFC", v) for v in variants)


def bigrams_one_key_apart(bigram: str) -> list[str]:
    """Return the Hangul bigrams one keystroke away from ``bigram``."""
    first, second = bigram
    return [s + second for s in syllables_one_key_apart(first)] + [
        first + s for s in syllables_one_key_apart(second)
    ]
