"""Highlight query words in plain text, safely: escape first, then mark.

Marks fall on token boundaries in every language: a Latin word is marked when
it is a query word or the same word with another ending ("deploy" marks
"Deployment", "restore" marks "restored", but "do" never marks "Docker");
Chinese and Japanese have no spaces, so a query run of those characters is
marked wherever it occurs. A word given as ``"backu*"`` (the last word of a
query typed so far) marks the words it begins.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .search_syntax import CJK_CHARS, CJK_RUN, STOP_WORDS, query_parse

# Postgres ts_headline is told to wrap matches in these; they cannot occur in
# document text that went through the parsers' cleaning, and they survive
# escaping unchanged, so the marks are added after the text is escaped.
START_SEL = "\x02"
STOP_SEL = "\x03"

_TOKEN = re.compile(rf"[{CJK_CHARS}]+|[^\W_]+", re.UNICODE)
# Endings stripped before comparing two Latin words, longest first. A light
# stand-in for the index's Snowball stemmer, used only to decide what to mark.
_ENDINGS = tuple(
    sorted(
        [
            "s",
            "es",
            "ed",
            "d",
            "ing",
            "ings",
            "ion",
            "ions",
            "ation",
            "ations",
            "er",
            "ers",
            "ly",
            "ment",
            "ments",
            "ness",
            "able",
            "ible",
            "al",
            "ity",
            "ies",
            "ied",
            "e",
        ],
        key=len,
        reverse=True,
    )
)


def light_stem(word: str) -> str:
    """Return ``word`` lower-cased without one common English ending (min. 3 letters left)."""
    word = word.lower()
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def query_terms(query: str) -> list[str]:
    """Return the distinct words of ``query`` worth marking, longest first."""
    words = [w for w in query_parse(query).marked_words() if w not in STOP_WORDS]
    return sorted(set(words), key=lambda word: (-len(word), word))


def _matcher(words: Sequence[str]):
    latin = {light_stem(w) for w in words if not CJK_RUN.match(w) and "*" not in w}
    exact = {w.lower() for w in words if not CJK_RUN.match(w) and "*" not in w}
    prefixes = tuple(w[:-1].lower() for w in words if w.endswith("*") and len(w) > 3)
    cjk = sorted({w for w in words if CJK_RUN.fullmatch(w)}, key=len, reverse=True)
    return latin, exact, prefixes, cjk


def highlight_words(text: str, words: Sequence[str]) -> SafeString:
    """Return ``text`` escaped, with the tokens matching ``words`` in ``<mark>``."""
    latin, exact, prefixes, cjk = _matcher(words)
    if not (latin or prefixes or cjk):
        return mark_safe(escape(text))
    cjk_pattern = re.compile("|".join(re.escape(w) for w in cjk)) if cjk else None
    out: list[str] = []
    position = 0
    for token in _TOKEN.finditer(text):
        out.append(escape(text[position : token.start()]))
        value = token.group()
        if CJK_RUN.match(value):
            if cjk_pattern is None:
                out.append(escape(value))
            else:
                out.append(
                    cjk_pattern.sub(
                        lambda m: f"<mark>{escape(m.group())}</mark>", value
                    )
                )
        else:
            lower = value.lower()
            hit = lower in exact or light_stem(lower) in latin
            hit = hit or bool(prefixes and lower.startswith(prefixes))
            out.append(f"<mark>{escape(value)}</mark>" if hit else escape(value))
        position = token.end()
    out.append(escape(text[position:]))
    return mark_safe("".join(out))


def highlight_terms(text: str, query: str) -> SafeString:
    """Return ``text`` escaped, with the words of ``query`` marked on token boundaries."""
    return highlight_words(text, query_terms(query))


def headline_to_html(headline: str) -> SafeString:
    """Turn a ``ts_headline`` made with ``START_SEL``/``STOP_SEL`` into safe HTML."""
    escaped = escape(headline)
    return mark_safe(escaped.replace(START_SEL, "<mark>").replace(STOP_SEL, "</mark>"))


def _first_position(text: str, words: Sequence[str]) -> int | None:
    latin, exact, prefixes, cjk = _matcher(words)
    for token in _TOKEN.finditer(text):
        value = token.group()
        if CJK_RUN.match(value):
            found = [value.find(w) for w in cjk if w in value]
            if found:
                return token.start() + min(found)
            continue
        lower = value.lower()
        if lower in exact or light_stem(lower) in latin:
            return token.start()
        if prefixes and lower.startswith(prefixes):
            return token.start()
    return None


def passage_around_words(text: str, words: Sequence[str], *, width: int = 280) -> str:
    """Return about ``width`` characters of ``text`` around the first marked word."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    first = _first_position(text, words)
    start = max(0, first - width // 3) if first is not None else 0
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    passage = text[start : start + width]
    cut = passage.rfind(" ")
    if start + width < len(text) and cut > width // 2:
        passage = passage[:cut]
    return (
        ("… " if start else "") + passage + (" …" if start + width < len(text) else "")
    )


def passage_around(text: str, query: str, *, width: int = 280) -> str:
    """Return about ``width`` characters of ``text`` around the first query word."""
    return passage_around_words(text, query_terms(query), width=width)
