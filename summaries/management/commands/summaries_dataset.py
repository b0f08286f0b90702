"""``manage.py summaries_dataset export|import``: training data from reviews, and public pairs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from summaries.conf import training_setting
from summaries.training.data import (
    TrainingDataError,
    training_dataset_build,
    training_dataset_write,
    training_pairs_import,
)


class Command(BaseCommand):
    help = (
        "export: snapshot the approved and edited summaries (with their document "
        "text) that --user may see, plus imported pairs, into a dataset version and "
        "write it as JSONL; rejections are kept as negatives. "
        "import --pairs FILE.jsonl: add public {document, summary} pairs as a "
        "training source (not as portal documents)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Build a dataset version and write it.")
        export.add_argument(
            "--user",
            required=True,
            help="Build with this user's view: only documents in spaces they may read.",
        )
        export.add_argument("--out", type=Path, help="JSONL file (default: stdout).")
        export.add_argument(
            "--pairs",
            action="append",
            metavar="SOURCE",
            help="Add the imported pairs of SOURCE (repeatable; 'all' for every source).",
        )
        export.add_argument(
            "--no-reviews", action="store_true", help="Only imported pairs."
        )
        export.add_argument(
            "--validation-fraction",
            type=float,
            help="Share of document texts held out (default: SUMMARIES_TRAINING).",
        )
        imported = sub.add_parser("import", help="Import public pairs.")
        imported.add_argument("--pairs", type=Path, required=True, dest="path")
        imported.add_argument(
            "--source", help="Name of the source (default: the file's name)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "import":
                self._import(options)
            else:
                self._export(options)
        except TrainingDataError as exc:
            raise CommandError(str(exc)) from exc

    def _import(self, options: dict[str, Any]) -> None:
        path: Path = options["path"]
        result = training_pairs_import(path=path, source=options["source"] or path.stem)
        self.stderr.write(
            f"imported {result['imported']} pairs ({result['duplicates']} duplicates skipped)"
        )

    def _export(self, options: dict[str, Any]) -> None:
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None or not user.is_active:
            raise CommandError(f"No active user '{options['user']}'.")
        sources = options["pairs"] or []
        dataset = training_dataset_build(
            user=user,
            include_reviews=not options["no_reviews"],
            pair_sources=None if "all" in sources else sources,
            validation_fraction=options["validation_fraction"]
            or training_setting("VALIDATION_FRACTION"),
        )
        if options["out"]:
            with options["out"].open("w", encoding="utf-8") as handle:
                lines = training_dataset_write(dataset=dataset, out=handle)
        else:
            lines = training_dataset_write(dataset=dataset, out=sys.stdout)
        self.stderr.write(
            f"dataset {dataset.version} (id {dataset.pk}): {lines} examples; "
            + json.dumps(dataset.counts, sort_keys=True)
        )
