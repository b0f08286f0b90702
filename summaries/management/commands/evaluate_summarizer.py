"""``manage.py evaluate_summarizer --data FILE.jsonl``: ROUGE of a summarizer beside LEAD.

Summarizers are pure computation, so the command never opens a database
connection: it cannot touch the live data whatever settings it runs under.
"""

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
from summaries.scoring import (
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    SPLITS,
    UnscorableTextError,
    records_split,
)


class Command(BaseCommand):
    help = (
        "Score a summarizer on a JSONL file of {id, document, summary, summaries?} "
        "records: ROUGE-1/2/Lsum F1 (x100, stemmed, best reference), average length "
        "in words and documents per second, beside LEAD-k and LEAD cut to the "
        "summarizer's own length, with paired bootstrap 95% intervals of the "
        "differences."
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
            "--split",
            choices=SPLITS,
            default="all",
            help="Half of the records, by a hash of their id: choose settings on "
            "'a', report on 'b' (default: %(default)s).",
        )
        parser.add_argument(
            "--resamples",
            type=int,
            default=BOOTSTRAP_RESAMPLES,
            help="Bootstrap resamples (default: %(default)s).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=BOOTSTRAP_SEED,
            help="Bootstrap seed (default: %(default)s).",
        )
        parser.add_argument(
            "--language", help="ISO 639-1 code of the documents, when known."
        )
        parser.add_argument(
            "--json", action="store_true", help="Print one JSON object."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["lead"] < 1:
            raise CommandError("--lead must be 1 or more.")
        if options["resamples"] < 1:
            raise CommandError("--resamples must be 1 or more.")
        budget = (
            SummaryBudget(size=options["budget_words"], unit="words")
            if options["budget_words"]
            else SummaryBudget(**summaries_setting("BUDGET"))
        )
        try:
            records = evaluation_records_load(path=options["data"])
        except EvaluationDataError as exc:
            raise CommandError(str(exc)) from exc
        # Split first, then limit: "--split b --limit 50" is 50 records of b.
        records = records_split(records, split=options["split"])[: options["limit"]]
        if not records:
            raise CommandError(
                f"{options['data']} holds no records (split {options['split']})."
            )
        summarizer = get_summarizer(options["backend"])
        try:
            report = summarizer_evaluate(
                records=records,
                summarizer=summarizer,
                baseline=LeadSummarizer(sentences=options["lead"]),
                budget=budget,
                batch_size=options["batch_size"] or summaries_setting("BATCH_SIZE"),
                language=options["language"],
                resamples=options["resamples"],
                seed=options["seed"],
            )
        except (ImportError, UnscorableTextError) as exc:
            raise CommandError(str(exc)) from exc
        report = {"split": options["split"], **report}
        if options["json"]:
            self.stdout.write(json.dumps(report))
            return
        self._write_table(
            report, producer=summarizer.producer_for(budget), budget=budget
        )

    def _write_table(
        self, report: dict[str, Any], *, producer: str, budget: SummaryBudget
    ) -> None:
        self.stdout.write(
            f"{producer} on {report['n']} documents (split {report['split']}), "
            f"budget {budget.size} {budget.unit}: {report['docs_per_s']} docs/s"
        )
        self.stdout.write(
            f"{'':<14}{'ROUGE-1':>9}{'ROUGE-2':>9}{'ROUGE-Lsum':>12}{'words':>8}"
        )
        rows = [("summarizer", report)] + [
            (report[key]["name"], report[key]) for key in ("baseline", "lead_matched")
        ]
        for name, row in rows:
            self.stdout.write(
                f"{name:<14}{row['rouge1']:>9.2f}{row['rouge2']:>9.2f}"
                f"{row['rougeLsum']:>12.2f}{row['avg_words']:>8.1f}"
            )
        confidence = round(100 * report["bootstrap"]["confidence"])
        for key in ("baseline", "lead_matched"):
            row = report[key]
            intervals = ", ".join(
                f"{metric} {d['mean']:+.2f} [{d['low']:+.2f}, {d['high']:+.2f}]"
                for metric, d in row["difference"].items()
            )
            self.stdout.write(f"vs {row['name']} ({confidence}% CI): {intervals}")
        well_formed = report["well_formed"]
        problems = ", ".join(
            f"{name} {count}" for name, count in well_formed["by_problem"].items()
        )
        self.stdout.write(
            f"well-formed: {well_formed['rate']:.1f}% of {well_formed['n']}"
            + (f" ({problems})" if problems else "")
        )
