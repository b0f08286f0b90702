"""The training admin: who may see it, starting a run from reviews, and the run page."""

from __future__ import annotations

import pytest

from django.urls import reverse

from summaries.training.models import TrainingRun
from tests.summaries.training.conftest import start

pytestmark = pytest.mark.django_db


def test_training_pages_need_the_training_permission(client, reviewed, world):
    world.alice.is_staff = True
    world.alice.save()
    client.force_login(world.alice)

    response = client.get(reverse("admin:summaries_trainingrun_changelist"))

    assert response.status_code == 403


def test_editor_starts_a_run_from_reviews_and_sees_its_progress_and_loss_curve(
    client, reviewed, tiny_alias, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(
        "summaries.training.tasks.training_run_execute.apply_async",
        lambda **kwargs: None,
    )
    client.force_login(reviewed.editor)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:summaries_trainingrun_add"),
            {
                "base_alias": "tiny",
                "method": "lora",
                "max_steps": 5,
                "batch_size": 2,
                "learning_rate": 0.001,
                "lora_r": 4,
            },
        )

    run = TrainingRun.objects.get()
    assert response.status_code == 302
    assert run.dataset.counts["edited"] == 5 and run.total_steps == 5
    TrainingRun.objects.filter(pk=run.pk).update(
        step=2, losses=[[1, 2.5], [2, 2.0]], state=TrainingRun.State.RUNNING
    )
    page = client.get(reverse("admin:summaries_trainingrun_change", args=[run.pk]))
    html = page.content.decode()
    assert '<progress max="5" value="2">' in html
    assert (
        "<polyline" in html and "Loss from 2.500 at step 1 to 2.000 at step 2" in html
    )


def test_promote_action_refuses_a_run_that_failed_its_gate(
    client, reviewed, tiny_alias, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        run = start(reviewed)
    TrainingRun.objects.filter(pk=run.pk).update(
        state=TrainingRun.State.REJECTED,
        gate_passed=False,
        gate_reason="rougeLsum -3.00",
    )
    client.force_login(reviewed.editor)

    response = client.post(
        reverse("admin:summaries_trainingrun_changelist"),
        {"action": "promote_runs", "_selected_action": [run.pk]},
        follow=True,
    )

    assert "cannot be promoted" in response.content.decode()
    run.refresh_from_db()
    assert run.state == TrainingRun.State.REJECTED
