"""Training runs: start, execute (train, then gate), pause, resume, cancel,
recover after a killed worker, and promote to a summarizer alias.

A run's state is in the database. The worker that executes it writes its
progress after every step and reads what an operator asked for (pause,
cancel) at the same time; checkpoints under ``DATA_DIR/models/runs/<id>/``
let a run resume where it stopped.
"""

from __future__ import annotations

import logging
import shutil
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from docsite.tasking import task_enqueue_on_commit

from ..backends import get_summarizer, summarizer_build, summarizer_options
from ..conf import training_setting
from .data import training_texts
from .methods import (
    METHOD_BACKENDS,
    METHOD_TRAINERS,
    MethodError,
    method_hyperparameters,
    method_total_steps,
)
from .models import TrainingDataset, TrainingExample, TrainingRun

logger = logging.getLogger(__name__)

State = TrainingRun.State


class TrainingRunError(ValueError):
    """The run cannot do what was asked in its state (readable for operators)."""


def run_dir(run: TrainingRun) -> Path:
    return Path(settings.DATA_DIR) / "models" / "runs" / str(run.pk)


def trainable_aliases(*, method: str | None = None) -> list[str]:
    """Return the settings aliases that ``method`` can train (any method: None):
    transformers aliases for LoRA and full fine-tunes, extractive aliases
    with the learned scorer for ``scorer``."""
    from ..conf import summaries_setting

    backends = (
        set(METHOD_BACKENDS.values()) if method is None else {METHOD_BACKENDS[method]}
    )
    names = []
    for alias in summaries_setting("BACKENDS"):
        try:
            cls, options = summarizer_options(alias)
        except ImproperlyConfigured:
            continue
        if cls.name not in backends:
            continue
        if cls.name == "extractive" and options.get("method", "learned") != "learned":
            continue
        names.append(alias)
    return names


def training_run_start(
    *,
    dataset: TrainingDataset,
    base_alias: str,
    method: str = TrainingRun.Method.LORA,
    hyperparameters: dict[str, Any] | None = None,
    actor: AbstractBaseUser | None = None,
) -> TrainingRun:
    """Record a run and queue it on the ``train`` queue."""
    if method not in TrainingRun.Method.values:
        raise TrainingRunError(f"Unknown method '{method}'.")
    trainable = trainable_aliases(method=method)
    if base_alias not in trainable:
        backend = METHOD_BACKENDS[method]
        article = "an" if backend[0] in "aeiou" else "a"
        raise TrainingRunError(
            f"'{base_alias}' is not {article} {backend} alias of SUMMARIES_BACKENDS, "
            f"which the {method} method trains "
            f"(trainable: {', '.join(trainable) or 'none'})."
        )
    counts = dataset.counts
    if not counts.get("train") or not counts.get("validation"):
        raise TrainingRunError(
            "The dataset needs examples in both splits "
            f"(train {counts.get('train', 0)}, validation {counts.get('validation', 0)})."
        )
    try:
        params = method_hyperparameters(method=method, values=hyperparameters)
    except MethodError as exc:
        raise TrainingRunError(str(exc)) from exc
    _, options = summarizer_options(base_alias)
    with transaction.atomic():
        run = TrainingRun.objects.create(
            base_alias=base_alias,
            base_model=str(options.get("model", ""))[:300],
            method=method,
            hyperparameters=params,
            dataset=dataset,
            total_steps=method_total_steps(
                method=method,
                hyperparameters=params,
                train_examples=counts.get("train", 0),
            ),
            created_by=actor,
        )
        _enqueue(run)
    return run


def _enqueue(run: TrainingRun) -> None:
    from .tasks import training_run_execute

    task_enqueue_on_commit(training_run_execute, run_id=run.pk)


def _claim(run_id: int) -> TrainingRun | None:
    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.state != State.QUEUED:
            return None
        run.state = State.EVALUATING if run.adapter_sha256 else State.RUNNING
        run.requested = ""
        run.started_at = run.started_at or timezone.now()
        run.heartbeat_at = timezone.now()
        run.error = ""
        run.save()
    return run


def training_run_execute(*, run_id: int) -> TrainingRun | None:
    """Train the run (resuming from its checkpoint), then gate it; the worker's entry point.

    Does nothing unless the run is queued, so a duplicate message is harmless.
    Failures are recorded on the run, readably.
    """
    run = _claim(run_id)
    if run is None:
        logger.info("training run %s is not queued; nothing to do", run_id)
        return None
    try:
        if run.state == State.RUNNING:
            outcome = _train(run)
            if outcome != "finished":
                return run
        _gate(run)
    except Exception as exc:
        logger.exception("training run %s failed", run.pk)
        TrainingRun.objects.filter(pk=run.pk).update(
            state=State.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:4000],
            finished_at=timezone.now(),
        )
    run.refresh_from_db()
    return run


def _train(run: TrainingRun) -> str:
    from .loop import CANCEL, CONTINUE, PAUSE, weights_digest

    def control(progress) -> str:
        # A resumed run's progress (from its checkpoint) counts earlier seconds too.
        TrainingRun.objects.filter(pk=run.pk).update(
            step=progress.step,
            total_steps=progress.total_steps,
            losses=progress.losses,
            device=progress.device,
            examples={"used": progress.examples, "dropped": progress.dropped},
            active_seconds=progress.seconds,
            heartbeat_at=timezone.now(),
        )
        requested = (
            TrainingRun.objects.filter(pk=run.pk)
            .values_list("requested", flat=True)
            .first()
        )
        return {"pause": PAUSE, "cancel": CANCEL}.get(requested or "", CONTINUE)

    outcome = METHOD_TRAINERS[run.method](
        run,
        examples=training_texts(dataset=run.dataset, split=TrainingExample.Split.TRAIN),
        folder=run_dir(run),
        control=control,
    )
    if outcome.state == "cancelled":
        shutil.rmtree(run_dir(run), ignore_errors=True)
        TrainingRun.objects.filter(pk=run.pk).update(
            state=State.CANCELLED, requested="", finished_at=timezone.now()
        )
    elif outcome.state == "paused":
        TrainingRun.objects.filter(pk=run.pk).update(state=State.PAUSED, requested="")
    else:
        progress = outcome.progress
        TrainingRun.objects.filter(pk=run.pk).update(
            state=State.EVALUATING,
            step=progress.step,
            losses=progress.losses,
            adapter_path=str(outcome.output),
            adapter_sha256=weights_digest(outcome.output),
            heartbeat_at=timezone.now(),
        )
    run.refresh_from_db()
    return outcome.state


def _flagger(systems: dict):
    """Return ``flag(system, documents, summaries)`` from the faithfulness check.

    A verbatim backend's summaries are the document's own sentences and are
    never flagged, as in generation.
    """
    from docsite.ml.embedders import get_embedder

    from ..conf import summaries_setting
    from ..faithfulness import faithfulness_check_batch, flags_need_attention

    config = summaries_setting("FAITHFULNESS")
    threshold = config.get("THRESHOLD")

    def flag(system: str, documents, summaries) -> list[bool]:
        if getattr(systems[system], "verbatim", False):
            return [False] * len(summaries)
        checks = faithfulness_check_batch(
            summaries=list(summaries),
            sources=list(documents),
            embedder=get_embedder(config.get("EMBEDDER", "default")),
            **({"threshold": float(threshold)} if threshold is not None else {}),
        )
        return [flags_need_attention(check) for check in checks]

    return flag


def _gate(run: TrainingRun) -> None:
    from ..backends import summary_budget
    from ..selectors import summary_producer_live
    from .gate import GatePolicy, gate_evaluate, summaries_predict

    validation = training_texts(
        dataset=run.dataset, split=TrainingExample.Split.VALIDATION
    )
    validation = validation[: training_setting("GATE_MAX_EXAMPLES")]
    documents = [example.document for example in validation]
    references = [example.summary for example in validation]
    live = summary_producer_live()
    systems = {
        "candidate": summarizer_build(
            run.base_alias,
            adapter=run.adapter_path,
            adapter_sha256=run.adapter_sha256,
        ),
        "base": summarizer_build(run.base_alias),
        "live": get_summarizer(live.backend_alias),
    }
    predictions: dict[str, list[str]] = {}
    started = time.perf_counter()
    for name, summarizer in systems.items():
        # With the parsed blocks, as the portal summarizes its documents.
        predictions[name] = summaries_predict(
            summarizer,
            documents,
            budget=summary_budget(),
            blocks=[example.blocks for example in validation],
        )
        TrainingRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
    report = gate_evaluate(
        documents=documents,
        references=references,
        candidates=predictions,
        policy=GatePolicy(**training_setting("GATE")),
        flag=_flagger(systems),
        document_ids=[example.document_id for example in validation],
    )
    report["live_producer"] = live.producer
    report["seconds"] = round(time.perf_counter() - started, 1)
    TrainingRun.objects.filter(pk=run.pk).update(
        state=State.PASSED if report["passed"] else State.REJECTED,
        metrics=report,
        gate_passed=report["passed"],
        gate_reason=report["reason"],
        finished_at=timezone.now(),
    )


def _request(
    *, run: TrainingRun, action: str, actor: AbstractBaseUser | None
) -> TrainingRun:
    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().get(pk=run.pk)
        if action == "pause":
            if run.state == State.QUEUED:
                run.state = State.PAUSED
            elif run.state == State.RUNNING:
                run.requested = "pause"
            else:
                raise TrainingRunError(
                    f"A {run.get_state_display().lower()} run cannot be paused."
                )
        elif action == "cancel":
            if run.state in (State.QUEUED, State.PAUSED):
                run.state = State.CANCELLED
                run.finished_at = timezone.now()
                folder = run_dir(run)
                transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))
            elif run.state in (State.RUNNING, State.EVALUATING):
                run.requested = "cancel"
            else:
                raise TrainingRunError(
                    f"A {run.get_state_display().lower()} run cannot be cancelled."
                )
        elif action == "resume":
            if run.state != State.PAUSED:
                raise TrainingRunError("Only a paused run can be resumed.")
            run.state = State.QUEUED
            _enqueue(run)
        run.save()
    logger.info("training run %s: %s requested by %s", run.pk, action, actor)
    return run


def training_run_pause(
    *, run: TrainingRun, actor: AbstractBaseUser | None = None
) -> TrainingRun:
    """Pause after the current step (a checkpoint is saved), or at once if queued."""
    return _request(run=run, action="pause", actor=actor)


def training_run_resume(
    *, run: TrainingRun, actor: AbstractBaseUser | None = None
) -> TrainingRun:
    return _request(run=run, action="resume", actor=actor)


def training_run_cancel(
    *, run: TrainingRun, actor: AbstractBaseUser | None = None
) -> TrainingRun:
    """Cancel: a running run stops after its current step; its files are deleted."""
    return _request(run=run, action="cancel", actor=actor)


def training_runs_recover() -> list[int]:
    """Queue again the runs whose worker stopped reporting (killed); return their ids.

    Training resumes from the last checkpoint; a run killed while being
    evaluated is evaluated again.
    """
    cutoff = timezone.now() - timedelta(seconds=training_setting("STALE_SECONDS"))
    recovered = []
    with transaction.atomic():
        stale = TrainingRun.objects.select_for_update(skip_locked=True).filter(
            state__in=[State.RUNNING, State.EVALUATING], heartbeat_at__lt=cutoff
        )
        for run in stale:
            if run.requested == "cancel":
                run.state = State.CANCELLED
                run.finished_at = timezone.now()
            else:
                run.state = State.QUEUED
                _enqueue(run)
                recovered.append(run.pk)
            run.save()
    if recovered:
        logger.warning(
            "training runs %s were lost by their worker; queued again", recovered
        )
    return recovered
