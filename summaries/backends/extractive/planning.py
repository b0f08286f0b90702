"""What a text brings to a batch before embedding: its units, sections and sizes against the budget."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from summaries.structure import Unit
from summaries.text import text_word_count

from ..base import SummaryBudget

# Characters of Chinese, Japanese or Korean that say about what one English
# word says (UN parallel texts run 1.5-1.8 characters a word).
CJK_CHARS_PER_WORD = 1.6
CJK_CHAR = re.compile("[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# A unit this many times the budget is too long to stand in for a summary.
OVERSIZE_FACTOR = 1.5


@dataclass(frozen=True)
class DocumentPlan:
    """What one text contributes to the batch before embedding.

    ``units`` are the units to embed (the candidates' pool), ``sections``
    (shape ``(n,)``) the section of each and ``positions`` (``(n,)``) its
    place in the section, ``members[i]`` the units that come with unit ``i``
    when it is picked (itself, and a list's items after its introduction),
    ``sizes`` (``(n,)``) the length of those members in budget units,
    ``eligible`` (``(n,)`` bool) the units that may be picked, ``target``
    the summary length to reach and ``limit`` the most it may reach.
    """

    units: list[Unit]
    sections: np.ndarray
    positions: np.ndarray
    members: list[list[int]]
    sizes: np.ndarray
    eligible: np.ndarray
    target: float
    limit: float
    structured: bool = False


def sections_by_paragraphs(
    units: Sequence[Unit], *, size: int
) -> tuple[dict[int, int], dict[int, int]]:
    """Cut a long text without headings into sections of about ``size`` units.

    Each cut falls on the next paragraph start (a PDF page, say), so the
    sections are the text's own parts. Scored section by section, a long
    report's summary draws from all of it instead of only its opening,
    which "directed" scoring and the position prior favour within a
    section. Return each unit's section and its position in it.
    """
    sections: dict[int, int] = {}
    positions: dict[int, int] = {}
    section, in_section, previous_paragraph = 0, 0, None
    opening = 0  # the position of the section's first unit
    for unit in units:
        starts_paragraph = unit.paragraph != previous_paragraph
        if (in_section >= size and starts_paragraph) or in_section >= 2 * size:
            section, in_section, opening = section + 1, 0, unit.position
        sections[unit.index] = section
        # Places keep their own measure: a dialogue turn's sentences share one.
        positions[unit.index] = unit.position - opening
        in_section += 1
        previous_paragraph = unit.paragraph
    return sections, positions


def budget_measure(text: str, *, budget: SummaryBudget):
    """Return how to measure a text against ``budget``, and the limit in that measure.

    Chinese, Japanese and Korean have no spaces to count words by: their
    text is measured in characters, and a word budget becomes
    ``CJK_CHARS_PER_WORD`` characters a word.
    """
    if budget.unit == "chars":
        return (lambda piece: len(piece) + 1), float(budget.size)
    cjk = len(CJK_CHAR.findall(text))
    if cjk and cjk >= text_word_count(text) / 2:
        return (
            lambda piece: len("".join(piece.split())),
            budget.size * CJK_CHARS_PER_WORD,
        )
    return text_word_count, float(budget.size)


def reads_as_fragment(unit: Unit) -> bool:
    """Whether a list item means nothing without its introduction ("a hardware key")."""
    first = unit.text[:1]
    return unit.is_fragment or (first.isalpha() and first.islower())


def best_oversize(
    plan: DocumentPlan, relevance: np.ndarray, eligible: np.ndarray
) -> int | None:
    """Return the most relevant unit within ``OVERSIZE_FACTOR`` x the limit, else the shortest."""
    if not eligible.any():
        return None
    near = eligible & (plan.sizes <= OVERSIZE_FACTOR * plan.limit)
    if near.any():
        return int(np.argmax(np.where(near, relevance, -np.inf)))
    return int(np.argmin(np.where(eligible, plan.sizes, np.inf)))
