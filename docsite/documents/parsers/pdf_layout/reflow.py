"""Joining the lines of a PDF paragraph: hard breaks become spaces, and words
hyphenated at a line end are rejoined unless the hyphen is real."""

from __future__ import annotations

import re

from docsite.documents.parsers.pdf_layout.lines import CJK, Line

_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
# Word endings that never stand alone: "manage-\nment" is one word.
_SUFFIXES = (
    "ment", "ments", "tion", "tions", "sion", "sions", "ing", "ings", "ed", "ly",
    "ness", "ity", "ities", "ance", "ence", "able", "ible", "er", "ers", "est",
    "al", "ial", "ive", "ize", "ise", "ized", "ised", "ous", "ship", "ful",
    "less", "ure", "age", "ant", "ent", "ism", "ist", "ists", "ary", "ory",
)  # fmt: skip
# Words that often start or end a hyphenated compound ("self-service",
# "follow-up", "opt-in"): a line-end hyphen next to them is kept.
_COMPOUND_HEADS = frozenset({
    "self", "well", "non", "multi", "cross", "follow", "long", "short", "high",
    "low", "full", "part", "real", "open", "read", "write", "sign", "check",
    "roll", "hand", "time", "back", "built", "user", "end", "front", "third",
    "first", "second", "half", "over", "under", "anti", "semi", "pseudo",
    "post", "inter", "intra", "auto", "single", "double", "point", "state",
    "case", "rate", "zero", "near", "same", "hard", "soft", "best",
})  # fmt: skip
_COMPOUND_TAILS = frozenset({
    "up", "in", "out", "off", "down", "on", "over", "based", "free", "level",
    "time", "term", "wide", "side", "only", "aware", "specific", "friendly",
    "facing", "related", "driven", "owned", "call", "party",
})  # fmt: skip


def vocabulary_of(lines: list[Line]) -> set[str]:
    """Return the words (hyphenated ones too) written inside lines, lower-cased."""
    words: set[str] = set()
    for line in lines:
        tokens = _WORD.findall(line.text)
        # The last word of a line may be a hyphenated half; it proves nothing.
        words.update(token.lower() for token in tokens[:-1])
    return words


def join_lines(lines: list[str], *, vocabulary: set[str]) -> str:
    text = lines[0]
    for line in lines[1:]:
        if CJK.match(text[-1:]) and CJK.match(line[:1]):
            text += line
        elif text.endswith("-") and _dehyphenate(text, line, vocabulary=vocabulary):
            text = text[:-1] + line
        elif (
            text.endswith("-") and re.search(r"[^\W\d_]-$", text) and line[:1].isalpha()
        ):
            text += line  # a real hyphen: "on-\ncall" is "on-call"
        else:
            text += " " + line
    return " ".join(text.split())


def _dehyphenate(left: str, right: str, *, vocabulary: set[str]) -> bool:
    """Whether ``left`` ends with half a word that ``right`` completes.

    The document itself decides first: a joined form written elsewhere in it
    wins, then a hyphenated one. Otherwise a common suffix ("-ment",
    "-tion") is a typesetter's break, and a short first part ("on-call",
    "re-run") a real hyphen.
    """
    head = re.search(r"([^\W\d_]+)-$", left)
    tail = re.match(r"[^\W\d_]+", right)
    if head is None or tail is None or not tail.group(0)[0].islower():
        return False
    first, second = head.group(1), tail.group(0)
    if (first + second).lower() in vocabulary:
        return True
    if f"{first}-{second}".lower() in vocabulary:
        return False
    if second.lower() in _SUFFIXES:
        return True
    if len(first) <= 3 or first.lower() in _COMPOUND_HEADS:
        return False
    return second.lower() not in _COMPOUND_TAILS
