"""Training runs as services: start, execute, gate, promote, pause, cancel, recover."""

from __future__ import annotations

from datetime import timedelta

import pytest

from django.utils import timezone

from summaries.backends import get_summarizer, summary_budget
from summaries.training import runs
from summaries.training.aliases import (
    training_run_promote,
    training_run_rollout_request,
)
from summaries.training.models import SummarizerAlias, TrainingRun
from tests.summaries.training.conftest import start

pytestmark = pytest.mark.django_db

State = TrainingRun.State


def test_only_transformers_aliases_can_be_trained(reviewed, tiny_alias):
    with pytest.raises(runs.TrainingRunError, match="not a transformers alias"):
        start(reviewed, alias="default")
    with pytest.raises(runs.TrainingRunError, match="Unknown hyper-parameters"):
        start(reviewed, bogus=1)


def test_start_queues_the_run_on_the_train_queue(
    reviewed, tiny_alias, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(
        "summaries.training.tasks.training_run_execute.apply_async",
        lambda **kwargs: sent.append(kwargs),
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = start(reviewed)

    assert run.state == State.QUEUED and run.total_steps == 3
    assert run.hyperparameters["learning_rate"] == 1e-2
    assert sent == [{"kwargs": {"run_id": run.pk}}]
    from workers.celery import app

    route = app.amqp.router.route({}, "summaries.training.tasks.training_run_execute")
    assert route["queue"].name == "train"


@pytest.mark.slow
def test_executed_run_records_progress_and_its_gate_and_a_rejected_one_cannot_be_promoted(
    reviewed, tiny_alias, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        run = start(reviewed)

    runs.training_run_execute(run_id=run.pk)
    run.refresh_from_db()

    assert run.state in (State.PASSED, State.REJECTED), run.error
    assert run.step == 3 and len(run.losses) == 3
    assert run.device == "cpu" and run.active_seconds > 0
    assert run.adapter_sha256 and (runs.run_dir(run) / "adapter").is_dir()
    systems = run.metrics["systems"]
    assert set(systems) == {"candidate", "base", "live"}
    assert run.metrics["n"] == run.dataset.counts["validation"]
    # Three steps of a random model do not beat the dummy (the documents'
    # own first words); the gate says so and promotion is refused.
    assert run.gate_passed is False and run.state == State.REJECTED
    with pytest.raises(runs.TrainingRunError, match="cannot be promoted"):
        training_run_promote(run=run, actor=reviewed.editor)
    assert not SummarizerAlias.objects.exists()


@pytest.mark.slow
def test_promoted_run_is_an_alias_with_a_producer_of_its_own(
    reviewed, tiny_alias, django_capture_on_commit_callbacks
):
    from summaries.signals import summarizer_promoted

    with django_capture_on_commit_callbacks(execute=False):
        run = start(reviewed)
    runs.training_run_execute(run_id=run.pk)
    # The gate's verdict is the service's input here; the flow test earns it.
    TrainingRun.objects.filter(pk=run.pk).update(state=State.PASSED, gate_passed=True)
    received = []
    summarizer_promoted.connect(
        lambda **kw: received.append(kw), weak=False, dispatch_uid="test.promoted"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            alias = training_run_promote(run=run, actor=reviewed.editor)
    finally:
        summarizer_promoted.disconnect(dispatch_uid="test.promoted")

    run.refresh_from_db()
    assert run.state == State.PROMOTED
    assert alias.name == f"tiny-run{run.pk}"
    assert received and received[0]["alias"] == alias.name
    with pytest.raises(runs.TrainingRunError):
        training_run_promote(run=run, actor=reviewed.editor)
    summarizer_promoted.connect(
        lambda **kw: received.append(kw), weak=False, dispatch_uid="test.promoted"
    )
    try:
        training_run_rollout_request(run=run, actor=reviewed.editor)
    finally:
        summarizer_promoted.disconnect(dispatch_uid="test.promoted")
    assert [kw["alias"] for kw in received] == [alias.name, alias.name]
    trained, base = get_summarizer(alias.name), get_summarizer("tiny")
    assert trained.producer_for(summary_budget()) != base.producer_for(summary_budget())
    assert trained.options["adapter_sha256"] == run.adapter_sha256
    (result,) = trained.summarize_batch(
        ["Engineering note 1."], budget=summary_budget()
    )
    assert result.text


def test_pause_resume_and_cancel_follow_the_run_state(
    reviewed, tiny_alias, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        run = start(reviewed)
        runs.training_run_pause(run=run)
        run.refresh_from_db()
        assert run.state == State.PAUSED
        runs.training_run_resume(run=run)
        run.refresh_from_db()
        assert run.state == State.QUEUED
        TrainingRun.objects.filter(pk=run.pk).update(state=State.RUNNING)
        runs.training_run_pause(run=run)
        run.refresh_from_db()
        assert run.state == State.RUNNING and run.requested == "pause"
        runs.training_run_cancel(run=run)
        run.refresh_from_db()
        assert run.requested == "cancel"
        TrainingRun.objects.filter(pk=run.pk).update(state=State.REJECTED)
        with pytest.raises(runs.TrainingRunError):
            runs.training_run_pause(run=run)


def test_a_run_whose_worker_went_silent_is_queued_again(
    reviewed, tiny_alias, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        run = start(reviewed)
        fresh = start(reviewed)
        TrainingRun.objects.filter(pk=run.pk).update(
            state=State.RUNNING, heartbeat_at=timezone.now() - timedelta(hours=1)
        )
        TrainingRun.objects.filter(pk=fresh.pk).update(
            state=State.RUNNING, heartbeat_at=timezone.now()
        )
        assert runs.training_runs_recover() == [run.pk]
    run.refresh_from_db()
    assert run.state == State.QUEUED
