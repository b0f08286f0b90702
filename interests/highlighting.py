"""Highlight query words in plain text, safely: escape first, then mark."""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Postgres ts_headline is told to wrap matches in these; they cannot occur in
# document text that went through the parsers' cleaning, and they survive
# escaping unchanged, so the marks are added after the text is escaped.
START_SEL = "\x02"
STOP_SEL = "\x03"

_WORD = re.compile(r"\w{2,}", re.UNICODE)
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "how",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "the",
        "to",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "with",
    ]
)


def query_terms(query: str) -> list[str]:
    """Return the distinct words of ``query`` worth marking, longest first."""
    words = {
        word.lower() for word in _WORD.findall(query) if word.lower() not in STOP_WORDS
    }
    return sorted(words, key=lambda word: (-len(word), word))


def highlight_terms(text: str, query: str) -> SafeString:
    """Return ``text`` escaped, with the query's words (and their word starts) in ``<mark>``.

    Matching is case-insensitive on word starts, so "deploy" marks
    "Deployment" too; nothing of ``text`` or ``query`` reaches the page unescaped.
    """
    escaped = escape(text)
    terms = query_terms(query)
    if not terms:
        return mark_safe(escaped)
    pattern = re.compile(
        r"(?<![&#\w])(" + "|".join(re.escape(escape(term)) for term in terms) + r")\w*",
        re.IGNORECASE | re.UNICODE,
    )
    return mark_safe(pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", escaped))


def headline_to_html(headline: str) -> SafeString:
    """Turn a ``ts_headline`` made with ``START_SEL``/``STOP_SEL`` into safe HTML."""
    escaped = escape(headline)
    return mark_safe(escaped.replace(START_SEL, "<mark>").replace(STOP_SEL, "</mark>"))


def passage_around(text: str, query: str, *, width: int = 280) -> str:
    """Return about ``width`` characters of ``text`` around the first query word."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    lowered = text.lower()
    positions = [lowered.find(term) for term in query_terms(query)]
    positions = [position for position in positions if position >= 0]
    start = max(0, min(positions) - width // 3) if positions else 0
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
