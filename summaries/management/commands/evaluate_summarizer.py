"""``manage.py evaluate_summarizer --data FILE.jsonl``: ROUGE of a summarizer beside LEAD-k."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from summaries.backends import get_summarizer
from summaries.backends.base import SummaryBudget
from summaries.backends.lead import LeadSummarizer
from summaries.conf import summaries_setting
from summaries.evaluation import (
    EvaluationDataError,
    evaluation_records_load,
    summarizer_evaluate,
)


class Command(BaseCommand):
    help = (
        "Score a summarizer on a JSONL file of {id, document, summary, summaries?} "
        "records: ROUGE-1/2/Lsum F1 (x100, stemmed, best reference), average length "
        "in words and documents per second, with the LEAD-k baseline beside it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data", required=True, type=Path, help="JSONL file to score on."
        )
        parser.add_argument(
            "--backend",
            default="default",
            help="Alias in SUMMARIES_BACKENDS (default: %(default)s).",
        )
        parser.add_argument("--limit", type=int, help="Score only the first N records.")
        parser.add_argument(
            "--budget-words",
            type=int,
            help="Summary budget in words (default: SUMMARIES_BUDGET, the app's own).",
        )
        parser.add_argument(
            "--lead",
            type=int,
            default=1,
            metavar="K",
            help="Sentences of the LEAD-k baseline (default: %(default)s).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            help="Documents per summarize_batch call (default: SUMMARIES_BATCH_SIZE).",
        )
        parser.add_argument(
            "--json", action="store_true", help="Print one JSON object."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["lead"] < 1:
            raise CommandError("--lead must be 1 or more.")
        budget = (
            SummaryBudget(size=options["budget_words"], unit="words")
            if options["budget_words"]
            else SummaryBudget(**summaries_setting("BUDGET"))
        )
        try:
            records = evaluation_records_load(
                path=options["data"], limit=options["limit"]
            )
        except EvaluationDataError as exc:
            raise CommandError(str(exc)) from exc
        if not records:
            raise CommandError(f"{options['data']} holds no records.")
        summarizer = get_summarizer(options["backend"])
        try:
            report = summarizer_evaluate(
                records=records,
                summarizer=summarizer,
                baseline=LeadSummarizer(sentences=options["lead"]),
                budget=budget,
                batch_size=options["batch_size"] or summaries_setting("BATCH_SIZE"),
            )
        except ImportError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(report))
            return
        self._write_table(
            report, producer=summarizer.producer_for(budget), budget=budget
        )

    def _write_table(
        self, report: dict[str, Any], *, producer: str, budget: SummaryBudget
    ) -> None:
        baseline = report["baseline"]
        self.stdout.write(
            f"{producer} on {report['n']} documents, budget {budget.size} {budget.unit}: "
            f"{report['docs_per_s']} docs/s, {report['avg_words']} words on average"
        )
        self.stdout.write(f"{'':<14}{'ROUGE-1':>9}{'ROUGE-2':>9}{'ROUGE-Lsum':>12}")
        for name, row in (("summarizer", report), (baseline["name"], baseline)):
            self.stdout.write(
                f"{name:<14}{row['rouge1']:>9.2f}{row['rouge2']:>9.2f}{row['rougeLsum']:>12.2f}"
            )
