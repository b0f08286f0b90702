"""Where a sentence ends: Latin-script terminators with abbreviation rules, and CJK punctuation."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass
from .patterns import (
    ALL_LANGUAGE_ABBREVIATIONS,
    BEFORE_NUMBER,
    CJK_ATTRIBUTION,
    CJK_CHAR,
    CJK_END,
    CJK_FULLWIDTH_END,
    LANGUAGE_ABBREVIATIONS,
    LATIN_END,
    MAYBE_FINAL,
    NEVER_FINAL,
    SENTENCE_STARTERS,
)


def abbreviations_for(language: str | None) -> frozenset[str]:
    base = NEVER_FINAL
    if language is None:
        return frozenset(base | ALL_LANGUAGE_ABBREVIATIONS)
    return frozenset(base | LANGUAGE_ABBREVIATIONS.get(language.lower()[:2], set()))


def run_split(run: str, abbreviations: frozenset[str]) -> list[str]:
    """Split one run of text (no line breaks) into sentences."""
    sentences: list[str] = []
    for latin_piece in _split_latin(run, abbreviations):
        sentences.extend(_split_cjk(latin_piece))
    return [" ".join(sentence.split()) for sentence in sentences if sentence.strip()]


def _split_latin(run: str, abbreviations: frozenset[str]) -> list[str]:
    pieces: list[str] = []
    start = 0
    for match in LATIN_END.finditer(run):
        if _ends_sentence(run, match, abbreviations):
            pieces.append(run[start : match.end(2)])
            start = match.end()
    pieces.append(run[start:])
    return pieces


def _ends_sentence(
    run: str, match: re.Match[str], abbreviations: frozenset[str]
) -> bool:
    terminators, closers = match.group(1), match.group(2)
    following = run[match.end() : match.end() + 40]
    if not following:
        return True
    first = following[0]
    if first.islower():
        # "e.g. apples", '"Why?" she asked', "3 p.m. today": no new sentence.
        return False
    # Past lower case, any letter starts a sentence: capitals, CJK, and the
    # caseless scripts (Arabic, Hindi, Thai...).
    if not (first.isalpha() or first.isdigit() or first in "\"'“‘«([¿¡"):
        return False
    if terminators != "." or closers:
        # "!", "?", "…" and "..." end a sentence before a capital; a closing
        # quote after a period does too.
        return True
    word = _word_before(run, match.start(1))
    lowered = word.lower()
    if lowered in abbreviations:
        return False
    if lowered in BEFORE_NUMBER:
        return not first.isdigit()
    next_word = re.match(r"[\w’']+", following)
    next_lowered = next_word.group(0).lower() if next_word else ""
    if lowered in MAYBE_FINAL or re.fullmatch(r"(?:[^\W\d_]\.)+[^\W\d_]", word):
        # "U.S. The" ends a sentence; "U.S. Army" and "J.R.R. Tolkien" do not.
        return next_lowered in SENTENCE_STARTERS
    if len(word) == 1 and word.isalpha() and word.isupper():
        # An initial: "J. Smith". "Plan B. Then" is rarer than initials.
        return next_lowered in SENTENCE_STARTERS and next_lowered != "a"
    return True


def _word_before(run: str, end: int) -> str:
    """Return the token that ends at ``end``: letters, digits and inner periods."""
    start = end
    while start > 0 and (run[start - 1].isalnum() or run[start - 1] in ".-’'"):
        start -= 1
    return run[start:end].strip(".-’'")


def _split_cjk(piece: str) -> list[str]:
    if not CJK_CHAR.search(piece):
        return [piece]
    sentences: list[str] = []
    start = 0
    for match in CJK_END.finditer(piece):
        terminator = match.group(1)
        before = piece[match.start(1) - 1 : match.start(1)]
        after = piece[match.end() : match.end() + 1]
        fullwidth = bool(CJK_FULLWIDTH_END.match(terminator)) or terminator.startswith(
            "…"
        )
        if not fullwidth and not CJK_CHAR.match(before):
            # "?" or "..." inside Latin text in a CJK document.
            continue
        if not fullwidth and after and not (CJK_CHAR.match(after) or after.isspace()):
            continue
        if terminator.startswith(("…", ".")) and not (
            CJK_CHAR.match(before) or before in "”」』"
        ):
            continue
        if match.group(2) and after in {"と", "っ"}:
            # Japanese quotative: 「...。」と言った continues the sentence.
            continue
        if match.group(2) and CJK_ATTRIBUTION.match(piece, match.end()):
            # Chinese attribution: “……。”她说。 continues the sentence.
            continue
        if after and not after.strip() and not fullwidth:
            continue
        sentences.append(piece[start : match.end()])
        start = match.end()
    sentences.append(piece[start:])
    return sentences
