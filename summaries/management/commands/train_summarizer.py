"""``manage.py train_summarizer --base ALIAS --dataset ID|new --user NAME [--follow]``."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from summaries.conf import training_setting
from summaries.training import runs
from summaries.training.data import TrainingDataError, training_dataset_build
from summaries.training.models import TrainingDataset, TrainingRun

FINAL = {
    TrainingRun.State.PASSED,
    TrainingRun.State.REJECTED,
    TrainingRun.State.PROMOTED,
    TrainingRun.State.CANCELLED,
    TrainingRun.State.FAILED,
    TrainingRun.State.PAUSED,
}


class Command(BaseCommand):
    help = (
        "Start a training run of a summarizer alias on a dataset version (queue "
        "'train'): a fine-tune of a transformers alias (--method lora, full) or a fit "
        "of an extractive alias's sentence scorer (--method scorer); or follow one. --follow shows a progress bar until the run "
        "ends, then the gate's verdict."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base",
            help="The SUMMARIES_BACKENDS alias to train: a transformers alias "
            "(lora, full) or an extractive one (scorer).",
        )
        parser.add_argument(
            "--dataset",
            default="new",
            help="A dataset id or version, or 'new' to build one from reviews as --user.",
        )
        parser.add_argument(
            "--user", help="Whose view of the reviews builds the dataset."
        )
        parser.add_argument(
            "--method", default="lora", choices=TrainingRun.Method.values
        )
        parser.add_argument(
            "--scope",
            choices=("sectioned", "all"),
            help="Scorer runs: apply the trained weights to documents with "
            "sections (the default) or to all.",
        )
        parser.add_argument("--steps", type=int)
        parser.add_argument("--batch-size", type=int)
        parser.add_argument("--lr", type=float)
        parser.add_argument("--run", type=int, help="Follow this existing run instead.")
        parser.add_argument("--follow", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["run"]:
            run = TrainingRun.objects.filter(pk=options["run"]).first()
            if run is None:
                raise CommandError(f"No training run #{options['run']}.")
        else:
            run = self._start(options)
            self.stdout.write(f"training run #{run.pk} queued on 'train'")
        if options["follow"]:
            self._follow(run)

    def _start(self, options: dict[str, Any]) -> TrainingRun:
        if not options["base"]:
            raise CommandError("Name the alias to fine-tune with --base.")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user '{options['user']}'.")
        try:
            dataset = self._dataset(options["dataset"], user=user)
            hyper = {
                key: value
                for key, value in (
                    ("max_steps", options["steps"]),
                    ("batch_size", options["batch_size"]),
                    ("learning_rate", options["lr"]),
                    ("scope", options["scope"]),
                )
                if value is not None
            }
            return runs.training_run_start(
                dataset=dataset,
                base_alias=options["base"],
                method=options["method"],
                hyperparameters=hyper,
                actor=user,
            )
        except (TrainingDataError, runs.TrainingRunError) as exc:
            raise CommandError(str(exc)) from exc

    def _dataset(self, value: str, *, user) -> TrainingDataset:
        if value == "new":
            if user is None:
                raise CommandError(
                    "Building a dataset needs --user (whose view of the reviews)."
                )
            return training_dataset_build(
                user=user,
                pair_sources=None,
                validation_fraction=training_setting("VALIDATION_FRACTION"),
            )
        dataset = (
            TrainingDataset.objects.filter(pk=int(value)).first()
            if value.isdigit()
            else TrainingDataset.objects.filter(
                content_sha256__startswith=value
            ).first()
        )
        if dataset is None:
            raise CommandError(f"No dataset '{value}'.")
        return dataset

    def _follow(self, run: TrainingRun) -> None:
        from tqdm import tqdm

        with tqdm(
            total=run.total_steps or None, unit="step", desc=f"run #{run.pk}"
        ) as bar:
            while True:
                run.refresh_from_db()
                bar.total = run.total_steps or bar.total
                bar.update(run.step - bar.n)
                if run.losses:
                    bar.set_postfix(loss=run.losses[-1][1], state=run.state)
                if run.state in FINAL:
                    break
                time.sleep(1)
        self.stdout.write(f"run #{run.pk}: {run.get_state_display()}")
        if run.gate_reason:
            self.stdout.write(f"gate: {run.gate_reason}")
        if run.error:
            self.stdout.write(f"error: {run.error}")
