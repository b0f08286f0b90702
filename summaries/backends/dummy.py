"""A deterministic summarizer for tests and development, like Django's locmem cache.

It returns the first ``budget`` words of each text, so a test can predict the
summary exactly without loading any model.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from .base import BaseSummarizer, SummaryBudget, SummaryResult


class DummySummarizer(BaseSummarizer):
    """Options: ``seconds_per_text`` makes it slow on purpose (for tests of
    workers being killed mid-batch); ``invent`` is a sentence appended to
    every summary, standing in for what a language model makes up (for tests
    of the faithfulness flags); any other option only changes the producer."""

    name = "dummy"
    version = "1"

    @property
    def verbatim(self) -> bool:  # type: ignore[override]
        return not self.options.get("invent")

    def seconds_per_document_hint(self) -> float:
        return float(self.options.get("seconds_per_text", 0)) or 0.001

    def summarize_batch(
        self,
        texts: Sequence[str],
        *,
        budget: SummaryBudget,
        language: str | None = None,
        blocks: Sequence[Sequence[Any] | None] | None = None,
        variant: int = 0,
    ) -> list[SummaryResult]:
        results = []
        for text in texts:
            started = time.perf_counter()
            time.sleep(float(self.options.get("seconds_per_text", 0)))
            words = text.split()
            # A variant starts that many words later: a different text.
            summary = (
                " ".join(words[variant : variant + budget.size])
                if budget.unit == "words"
                else text[variant : variant + budget.size]
            )
            if self.options.get("invent"):
                summary = f"{summary.rstrip()} {self.options['invent']}"
            results.append(
                SummaryResult(
                    text=summary,
                    tokens_in=len(words),
                    tokens_out=len(summary.split()),
                    seconds=time.perf_counter() - started,
                )
            )
        return results
