"""LEAD-k: the document's first sentences, the baseline every summarizer must beat."""

from __future__ import annotations

import time
from collections.abc import Sequence

from summaries.text import (
    Sentence,
    sentences_join,
    sentences_split,
    text_word_count,
    truncate_to_budget,
)

from .base import BaseSummarizer, SummaryBudget, SummaryResult


class LeadSummarizer(BaseSummarizer):
    """Return the first ``sentences`` sentences of each text, headings skipped.

    Options: ``sentences`` (default 0: as many leading sentences as fit the
    budget). Whatever is chosen is cut to the budget, so LEAD-k and the
    summarizer it is compared with get the same length limit. Dialogue turns
    and list items count as one sentence each.

    There is no model, so ``tokens_in`` and ``tokens_out`` count words.
    """

    name = "lead"
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
    ) -> list[SummaryResult]:
        started = time.perf_counter()
        summaries = [
            self._summarize(text, budget=budget, language=language) for text in texts
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
        self, text: str, *, budget: SummaryBudget, language: str | None
    ) -> str:
        units = sentences_split(text, language=language)
        body = [unit for unit in units if not unit.is_heading] or units
        if self.sentences:
            return truncate_to_budget(sentences_join(body[: self.sentences]), budget)
        return truncate_to_budget(
            sentences_join(_leading_fit(body, budget=budget)), budget
        )


def _leading_fit(units: list[Sentence], *, budget: SummaryBudget) -> list[Sentence]:
    """Return the longest run of leading units within ``budget`` (at least one)."""
    chosen: list[Sentence] = []
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
