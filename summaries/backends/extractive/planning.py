"""What a text brings to a batch before embedding: its units, sections and sizes against the budget."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from summaries.reported_speech import units_reported
from summaries.structure import Unit, units_from_blocks, units_from_text
from summaries.text import text_word_count

from ..base import SummaryBudget

# Characters of Chinese, Japanese or Korean that say about what one English
# word says (UN parallel texts run 1.5-1.8 characters a word).
CJK_CHARS_PER_WORD = 1.6
CJK_CHAR = re.compile("[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# A unit this many times the budget is too long to stand in for a summary.
OVERSIZE_FACTOR = 1.5
# A line with no lower-case word (in a script with case) is a byline, a
# dateline or a label ("Daily Mail Reporter .", "12:53 EST, 3 March 2013 .",
# "PUBLISHED: ."), not a sentence: prose has function words and verbs.
_WORD_RUN = re.compile(r"[^\W_]+")
# Headings under which a document states its own summary: a paper's
# abstract, a report's executive summary, a design note's TL;DR.
SUMMARY_HEADING = re.compile(
    r"^\W*(?:\d+(?:\.\d+)*\.?\s*)?"
    r"(?:abstract|(?:executive\s+)?summary|tl\s*;?\s*dr|in\s+brief|at\s+a\s+glance"
    r"|key\s+(?:points|takeaways)|摘要|概要|内容提要|要点)\W*$",
    re.IGNORECASE,
)
# Back matter: what a press release, a paper or an encyclopedia article
# closes with (the company boilerplate, contacts, references), never the
# point of the document. The whole heading, so "About the rota" is one only
# where it closes the document (``main_matter``).
BACK_MATTER_HEADING = re.compile(
    r"^\W*(?:\d+(?:\.\d+)*\.?\s*)?"
    r"(?:about\s+(?:us|the\s+company|[A-Z][\w&.,' -]{0,60})|notes?\s+(?:to|for)\s+editors?"
    r"|editor'?s\s+notes?|(?:media|press)\s+(?:contacts?|enquiries|inquiries)"
    r"|contacts?(?:\s+us)?|forward[- ]looking\s+statements?|safe\s+harbou?r(?:\s+statement)?"
    r"|references|bibliography|acknowledge?ments?|see\s+also|external\s+links"
    r"|further\s+reading|disclaimer|legal\s+notice|参考文献|致谢|关于我们|联系方式"
    r"|免责声明)\W*$",
    re.IGNORECASE,
)
# A news story's dateline: where (and when, and through which agency) it was
# filed, before a dash: "LONDON (Reuters) - ", "LIMA, Peru (CNN) -- ",
# "LEEDS, 14 November 2024 - ", "SAN FRANCISCO - March 3, 2025 - ". The city is in capitals, the sentence after
# the dash starts with a capital or a digit.
_DATELINE = re.compile(
    r"^[A-Z][A-Z.'’-]{2,}(?:[ \t][A-Z][A-Z.'’-]+){0,3}"
    r"(?:,[ \t][^\n()–—]{1,40}?"
    r"|[ \t]*(?:--?|–|—)[ \t]+[A-Z][a-z]{2,8}\.?[ \t]\d{1,2},[ \t]\d{4})?"
    r"(?:[ \t]*(?:\([A-Z][\w .&-]{0,30}\)|/[A-Za-z]+/))?"
    r"[ \t]*(?:--?|–|—)[ \t]+(?=[A-Z0-9\"“‘'])"
)
# A dash left at a unit's start, before its first word.
_LEAD_DASH = re.compile(r"^(?:-{2,}|[–—])[ \t]*(?=[^\W\d_])")
# The same, written inline: a post's closing "TL;DR: ..." paragraph, no heading.
_INLINE_TLDR = re.compile(r"^\W*tl\s*;?\s*dr\s*[:\-–—]+\s*(?=\S)", re.IGNORECASE)


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
    transcript: bool = False


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


def sentence_words(text: str) -> float:
    """Count words, a CJK character as ``1 / CJK_CHARS_PER_WORD`` of one, as budgets do.

    ``text_word_count`` counts each ideograph a word, so "首先别慌。" (four
    characters, "First, don't panic.") passed a three-word minimum that
    three English words only pass with about twice the content.
    """
    cjk = len(CJK_CHAR.findall(text))
    return cjk / CJK_CHARS_PER_WORD + text_word_count(CJK_CHAR.sub(" ", text))


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


def main_matter(units: Sequence[Unit]) -> list[Unit]:
    """Return ``units`` without the back matter that closes the document.

    Back matter is the run of closing sections headed like
    ``BACK_MATTER_HEADING`` ("About Greenline Buses", "Media contact",
    "References"). A document that is nothing else keeps every unit.
    """

    def in_back_matter(unit: Unit) -> bool:
        return any(BACK_MATTER_HEADING.match(heading) for heading in unit.section)

    end = len(units)
    while end > 0 and in_back_matter(units[end - 1]):
        end -= 1
    return list(units[:end]) if end else list(units)


def own_summary_units(units: Sequence[Unit], *, min_sentence_words: int) -> list[Unit]:
    """Return the units of the section where a document summarizes itself, if it has one.

    That is a section headed like ``SUMMARY_HEADING`` ("Abstract",
    "Executive summary", "TL;DR", "摘要") holding at least one sentence a
    summary could use; the first such section when there are several.
    """
    heading: tuple[str, ...] | None = None
    for unit in units:
        if unit.section and SUMMARY_HEADING.match(unit.section[-1]):
            heading = unit.section
            break
    if heading is None:
        return _inline_summary_units(units, min_sentence_words=min_sentence_words)
    section = [unit for unit in units if unit.section == heading]
    return section if _holds_a_sentence(section, min_sentence_words) else []


def _holds_a_sentence(units: Sequence[Unit], min_sentence_words: int) -> bool:
    """Whether any of ``units`` is a sentence a summary could use."""
    return any(
        not unit.is_fragment and sentence_words(unit.text) >= min_sentence_words
        for unit in units
    )


def _inline_summary_units(
    units: Sequence[Unit], *, min_sentence_words: int
) -> list[Unit]:
    """Return the units of a "TL;DR: ..." paragraph, its label cut off; else none.

    Forum posts and emails state their point on such a line with no heading
    above it; the label is no part of the summary.
    """
    for unit in units:
        label = _INLINE_TLDR.match(unit.text)
        if label is None or unit.is_turn:
            continue
        first = replace(unit, text=unit.text[label.end() :])
        rest = [
            other
            for other in units
            if other.block == unit.block and other.index > unit.index
        ]
        section = [first, *rest]
        return section if _holds_a_sentence(section, min_sentence_words) else []
    return []


def _without_dateline(unit: Unit) -> Unit:
    """Return ``unit`` without a leading news dateline: a summary states what happened."""
    dateline = None if unit.is_turn else _DATELINE.match(unit.text)
    if dateline is None or not reads_as_prose(unit.text[dateline.end() :]):
        return unit
    return replace(unit, text=unit.text[dateline.end() :])


def _without_lead_dash(unit: Unit) -> Unit:
    """Return ``unit`` without the dash a split left at its start.

    Legal text runs a paragraph's label into its sentence with a dash
    ("(a) In General.--The Secretary shall ..."); segmentation ends a
    sentence after "General." and the next starts "--The Secretary".
    """
    dash = None if unit.is_turn else _LEAD_DASH.match(unit.text)
    return unit if dash is None else replace(unit, text=unit.text[dash.end() :])


def reads_as_prose(text: str) -> bool:
    """Whether ``text`` can be a summary sentence: it has a lower-case word
    (in a script with case: Latin, Cyrillic, Greek) or letters of a script
    without case (Chinese, Japanese, Korean, Arabic, Hindi...). A byline or a
    line-up ("Daily Mail Reporter .", "ДЕЙЛИ МЕЙЛ .") has neither; a Russian
    or Chinese sentence naming "Apple" or "API" has. A word glued to digits
    ("59secs") is no word. Text without letters is left to the other rules."""
    words = _WORD_RUN.findall(text)
    if not any(char.isalpha() for word in words for char in word):
        return True
    return any(
        (len(word) >= 2 and word.isalpha() and word.islower())
        or any(
            char.isalpha() and not (char.isupper() or char.islower()) for char in word
        )
        for word in words
    )


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


def document_plan(
    text: str,
    *,
    blocks: Sequence[Any] | None,
    budget: SummaryBudget,
    language: str | None,
    section_units: int,
    max_sentences: int,
    min_sentence_words: int,
    length_ratio: float,
    reported_speech: bool = False,
) -> DocumentPlan:
    """Read ``text`` (or its ``blocks``) into units and choose those to embed.

    Return the plan: the units (at most ``max_sentences``, sampled evenly
    from start to end), their sections and places, which of them may be
    picked, and the target and limit in the budget's measure. With
    ``reported_speech``, a dialogue's sentences carry their reported form
    (``summaries.reported_speech``).
    """
    # A dialogue turn's sentences are units of their own, each with its
    # speaker: the telling one is picked without the rest of the turn.
    if blocks:
        units = units_from_blocks(blocks, language=language, turn_sentences=True)
    elif text.strip():
        units = units_from_text(text, language=language, turn_sentences=True)
    else:
        units = []
    units = [_without_dateline(_without_lead_dash(unit)) for unit in main_matter(units)]
    if reported_speech:
        units = units_reported(units, language=language)
    sections = {unit.index: unit.section_index for unit in units}
    positions = {unit.index: unit.position for unit in units}
    if len(set(sections.values())) <= 1 and len(units) > section_units:
        sections, positions = sections_by_paragraphs(units, size=section_units)
    # Where the author wrote the summary, the summary is drawn from it.
    body = own_summary_units(units, min_sentence_words=min_sentence_words) or units
    if len(body) > max_sentences:
        kept = np.unique(
            np.linspace(0, len(body) - 1, max_sentences).round().astype(int)
        )
        body = [body[i] for i in kept]

    measure, limit = budget_measure(text, budget=budget)
    row_of = {unit.index: row for row, unit in enumerate(body)}
    items_of: dict[int, list[int]] = {}
    for row, unit in enumerate(body):
        if unit.intro is not None and unit.intro in row_of:
            items_of.setdefault(unit.intro, []).append(row)
    members = []
    eligible = []
    for row, unit in enumerate(body):
        if unit.introduces_list:
            # A list's introduction comes with its items, or not at all.
            items = items_of.get(unit.index, [])
            members.append([row, *items])
            eligible.append(bool(items))
            continue
        members.append([row])
        standalone = not (unit.intro is not None and reads_as_fragment(unit))
        eligible.append(
            standalone
            and not unit.is_fragment
            # What was said counts, not who said it ("#Person2#: Thank you.").
            and sentence_words(unit.said) >= min_sentence_words
            # Speech may be all names and capitals ("Yes, Mr Smith."); copy may not.
            and (unit.is_turn or reads_as_prose(unit.text))
        )
    # A dialogue sentence is written as said or in reported speech (which
    # may take a word more, "I'm" -> "Anna is"): the larger counts.
    own_sizes = np.array(
        [max(measure(unit.text), measure(unit.reported)) for unit in body],
        dtype=float,
    )
    sizes = np.array([own_sizes[rows].sum() for rows in members], dtype=float)
    eligible_mask = np.array(eligible, dtype=bool)
    if body and not eligible_mask.any():
        # Only fragments and short lines (a slide, a form): better than nothing.
        eligible_mask = np.array(
            [not unit.introduces_list for unit in body], dtype=bool
        )
    target = float(limit)
    if length_ratio:
        target = min(target, length_ratio * measure(text))
    return DocumentPlan(
        units=body,
        sections=np.array([sections[unit.index] for unit in body], dtype=int),
        positions=np.array([positions[unit.index] for unit in body], dtype=float),
        members=members,
        sizes=sizes,
        eligible=eligible_mask,
        target=target,
        limit=float(limit),
        # Two or more headed sections: a handbook page, a runbook, a
        # policy (the learned scorer's ground), not news copy or a chat.
        structured=len({unit.section for unit in units if unit.section}) >= 2,
        transcript=2 * sum(unit.is_turn for unit in units) >= len(units) > 0,
    )
