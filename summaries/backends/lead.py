"""LEAD-k: the document's first sentences, the baseline every summarizer must beat."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from summaries.structure import Unit, units_from_blocks, units_from_text, units_join
from summaries.text import text_word_count, truncate_to_budget

from .base import BaseSummarizer, SummaryBudget, SummaryResult


class LeadSummarizer(BaseSummarizer):
    """Return the first ``sentences`` units of each text (headings are no units).

    Options: ``sentences`` (default 0: as many leading sentences as fit the
    budget). Whatever is chosen is cut to the budget, so LEAD-k and the
    summarizer it is compared with get the same length limit. Dialogue turns
    and list items count as one sentence each.

    There is no model, so ``tokens_in`` and ``tokens_out`` count words.
    """

    name = "lead"
    verbatim = True
    version = "1"

    def __init__(self, *, sentences: int = 0) -> None:
        if sentences < 0:
            raise ValueError(
                "LeadSummarizer: 'sentences' must be 0 (fill the budget) or more."
            )
        super().__init__(sentences=sentences)
        self.sentences = sentences

    def summarize_batch(
        self,
        texts: Sequence[str],
        *,
        budget: SummaryBudget,
        language: str | None = None,
        blocks: Sequence[Sequence[Any] | None] | None = None,
        variant: int = 0,
    ) -> list[SummaryResult]:
        started = time.perf_counter()
        structures = list(blocks) if blocks is not None else [None] * len(texts)
        summaries = [
            self._summarize(text, blocks=structure, budget=budget, language=language)
            for text, structure in zip(texts, structures, strict=True)
        ]
        seconds = (time.perf_counter() - started) / max(1, len(texts))
        return [
            SummaryResult(
                text=summary,
                tokens_in=text_word_count(text),
                tokens_out=text_word_count(summary),
                seconds=seconds,
            )
            for text, summary in zip(texts, summaries, strict=True)
        ]

    def _summarize(
        self,
        text: str,
        *,
        blocks: Sequence[Any] | None,
        budget: SummaryBudget,
        language: str | None,
    ) -> str:
        body = lead_units(text, blocks=blocks, language=language)
        if self.sentences:
            return truncate_to_budget(units_join(body[: self.sentences]), budget)
        return truncate_to_budget(units_join(_leading_fit(body, budget=budget)), budget)


def lead_units(
    text: str, *, blocks: Sequence[Any] | None = None, language: str | None = None
) -> list[Unit]:
    """Return the units LEAD reads, in order: those every summarizer reads."""
    if blocks:
        return units_from_blocks(blocks, language=language)
    return units_from_text(text, language=language) if text.strip() else []


def _leading_fit(units: list[Unit], *, budget: SummaryBudget) -> list[Unit]:
    """Return the longest run of leading units within ``budget`` (at least one)."""
    chosen: list[Unit] = []
    used = 0
    for unit in units:
        # A character budget also pays for the separator before each unit.
        size = (
            len(unit.text) + 1 if budget.unit == "chars" else text_word_count(unit.text)
        )
        if chosen and used + size > budget.size:
            break
        chosen.append(unit)
        used += size
    return chosen
