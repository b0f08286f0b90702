"""Word counts and budget cuts that agree with the documents app."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from summaries.backends.base import SummaryBudget
from .patterns import (
    CJK_CHAR,
    WORD,
)


def text_word_count(text: str) -> int:
    """Count words; each CJK ideograph counts as one, as word processors do."""
    return len(WORD.findall(text))


def truncate_to_budget(text: str, budget: SummaryBudget, *, marker: str = "…") -> str:
    """Return ``text`` cut to fit ``budget``, on a word boundary.

    When anything is cut, ``marker`` is appended (and counted against a
    character budget). Text that fits is returned unchanged.
    """
    text = text.strip()
    if budget.size <= 0:
        return ""
    if budget.unit == "chars":
        if len(text) <= budget.size:
            return text
        limit = max(0, budget.size - len(marker))
        cut = _last_word_end(text, limit=limit)
    else:
        words = list(WORD.finditer(text))
        if len(words) <= budget.size:
            return text
        cut = words[budget.size - 1].end()
        # Closing punctuation that belongs to the last kept word stays.
        while cut < len(text) and text[cut] in "\"'”’)]」』":
            cut += 1
    kept = text[:cut].rstrip(" \t\n,;:-–—(")
    return f"{kept}{marker}" if kept else ""


def _last_word_end(text: str, *, limit: int) -> int:
    """Return the end of the last whole word within ``text[:limit]``."""
    best = 0
    for match in WORD.finditer(text, 0, limit + 1):
        if match.end() > limit:
            break
        if match.end() == len(text) or match.end() == limit:
            # A word cut by the limit is whole only if nothing of it follows.
            following = text[match.end() : match.end() + 1]
            if following and WORD.match(following) and not CJK_CHAR.match(following):
                break
        best = match.end()
    return best
