"""From the admin, editors' reviews become a training run on a real worker; the
run shows its loss curve, passes its gate, is promoted to an alias, and a
blue/green job rolls it out to readers."""

from __future__ import annotations

import pytest

from django.urls import reverse

from docsite.documents.services import document_create_from_text
from docsite.ml.outputs import SUMMARIES, producer_live
from summaries.models import Summary
from summaries.selectors import summaries_current_for, summary_producer_for
from summaries.services import summary_edit
from summaries.training.models import SummarizerAlias, TrainingRun
from tests.factories import SpaceFactory
from tests.integration.conftest import wait_for
from tests.summaries.tiny_llama import tiny_llama_save
from workers.models import ReprocessJob

pytest.importorskip("peft")

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

TARGET = "The budget was approved."
ALL_LINEAR = (
    "q_proj",
    "k_proj",
    "v_proj",
    "o_proj",
    "gate_proj",
    "up_proj",
    "down_proj",
)


def _texts(count: int, offset: int = 0) -> list[str]:
    return [
        f"Engineering note {i}. The team met on day {i} and talked about the roadmap "
        "for the coming quarter. Everyone keeps working on the current plan. "
        "The budget was approved."
        for i in range(offset, offset + count)
    ]


def gated(run: TrainingRun, *, timeout: float) -> TrainingRun:
    """Wait for the worker to train and gate ``run``; return it, which must have passed."""
    assert wait_for(
        lambda: (
            TrainingRun.objects.get(pk=run.pk).state in {"passed", "rejected", "failed"}
        ),
        timeout=timeout,
    )
    run.refresh_from_db()
    assert run.state == TrainingRun.State.PASSED, (run.error, run.gate_reason)
    return run


def promote_and_roll_out(client, run: TrainingRun) -> str:
    """Promote ``run`` from the admin, wait for its blue/green job; return its producer."""
    client.post(
        reverse("admin:summaries_trainingrun_changelist"),
        {"action": "promote_runs", "_selected_action": [run.pk]},
    )
    alias = SummarizerAlias.objects.get(run=run)
    new_producer = summary_producer_for(backend_alias=alias.name)
    assert wait_for(
        lambda: ReprocessJob.objects.filter(
            backend_alias=alias.name, state="done"
        ).exists(),
        timeout=300,
    ), list(ReprocessJob.objects.values("state", "error", "failed_count"))
    return new_producer


def test_reviews_become_a_gated_promoted_and_rolled_out_summarizer(
    celery_worker_real, settings, tmp_path, client, django_user_model
):
    reviewed_texts, unreviewed_texts = _texts(12), _texts(3, offset=100)
    folder = tiny_llama_save(
        tmp_path / "tiny", corpus=[*reviewed_texts, *unreviewed_texts, TARGET]
    )
    settings.DATA_DIR = tmp_path / "data"
    settings.SUMMARIES_BACKENDS = {
        **settings.SUMMARIES_BACKENDS,
        "tiny": {
            "BACKEND": "transformers",
            "OPTIONS": {"model": str(folder), "device": "cpu", "max_new_tokens": 6},
        },
    }
    settings.SUMMARIES_TRAINING = {
        "DEVICE": "cpu",
        "VALIDATION_FRACTION": 0.3,
        "HYPERPARAMETERS": {
            "warmup_steps": 0,
            "checkpoint_every": 10,
            "target_modules": list(ALL_LINEAR),
        },
    }
    editor = django_user_model.objects.create_superuser("editor", password="x")
    space = SpaceFactory(slug="eng")
    documents = [
        document_create_from_text(space=space, title=f"Note {i}", text=text).document
        for i, text in enumerate(reviewed_texts + unreviewed_texts)
    ]
    reviewed, unreviewed = documents[:12], documents[12:]
    ids = [d.pk for d in documents]
    assert wait_for(
        lambda: (
            Summary.objects.filter(document_id__in=ids, status="generated").count()
            == 15
        ),
        timeout=120,
    )
    # The editor rewrites every machine summary of the first twelve.
    for summary in Summary.objects.filter(document__in=reviewed):
        summary_edit(summary=summary, text=TARGET, actor=editor)
    live_before = producer_live(kind=SUMMARIES).producer
    old_text = {
        pk: s.text
        for pk, s in summaries_current_for(
            document_ids=[d.pk for d in unreviewed]
        ).items()
    }

    client.force_login(editor)
    response = client.post(
        reverse("admin:summaries_trainingrun_add"),
        {
            "base_alias": "tiny",
            "method": "lora",
            "max_steps": 20,
            "batch_size": 2,
            "learning_rate": 0.01,
            "lora_r": 8,
        },
    )
    assert response.status_code == 302
    run = TrainingRun.objects.get()
    assert run.dataset.counts["edited"] == 12

    run = gated(run, timeout=600)
    assert run.losses[-1][1] < run.losses[0][1]
    page = client.get(reverse("admin:summaries_trainingrun_change", args=[run.pk]))
    assert "<polyline" in page.content.decode()
    assert (
        run.metrics["systems"]["candidate"]["rougeLsum"]
        > run.metrics["systems"]["live"]["rougeLsum"]
    )

    new_producer = promote_and_roll_out(client, run)

    assert new_producer != live_before
    assert producer_live(kind=SUMMARIES).producer == new_producer
    shown = summaries_current_for(document_ids=[d.pk for d in unreviewed])
    assert all(shown[d.pk].producer == new_producer for d in unreviewed)
    assert all(shown[d.pk].text != old_text[d.pk] for d in unreviewed)
    assert all(
        shown[d.pk].text.startswith("The budget was approved") for d in unreviewed
    )


def test_reviews_teach_the_extractive_default_on_a_real_worker(
    celery_worker_real, settings, tmp_path, client, django_user_model
):
    """The CPU path end to end: editors' versions train a scorer run on the
    worker, it passes its gate, and its roll-out gives unreviewed pages the
    summaries those editors write."""
    from summaries.backends import get_summarizer, summary_budget
    from tests.summaries.training.scorer_pages import takeaway_page, takeaways_only

    settings.DATA_DIR = tmp_path / "data"
    settings.SUMMARIES_BACKENDS = {
        **settings.SUMMARIES_BACKENDS,
        "extractive": {"BACKEND": "extractive", "OPTIONS": {"embedder": "default"}},
    }
    settings.SUMMARIES_TRAINING = {"VALIDATION_FRACTION": 0.3}
    editor = django_user_model.objects.create_superuser("editor", password="x")
    space = SpaceFactory(slug="teams")
    # Sectioned pages: the default scope of a scorer run.
    pages = [takeaway_page(seed, headings=True) for seed in range(15)]
    documents = [
        document_create_from_text(
            space=space, title=f"Notes {i}", text=text, filename=f"notes-{i}.md"
        ).document
        for i, (text, _) in enumerate(pages)
    ]
    reviewed, unreviewed = documents[:12], documents[12:]
    ids = [d.pk for d in documents]
    assert wait_for(
        lambda: (
            Summary.objects.filter(document_id__in=ids, status="generated").count()
            == 15
        ),
        timeout=120,
    )
    for document, (_, takeaways) in zip(reviewed, pages, strict=False):
        summary = Summary.objects.get(document=document)
        summary_edit(summary=summary, text=takeaways, actor=editor)

    client.force_login(editor)
    response = client.post(
        reverse("admin:summaries_trainingrun_add"),
        {
            "base_alias": "extractive",
            "method": "scorer",
            "max_steps": 200,
            "batch_size": 4,
            "learning_rate": 0.0002,
            "lora_r": 8,
        },
    )
    assert response.status_code == 302
    run = TrainingRun.objects.get()
    run = gated(run, timeout=300)

    new_producer = promote_and_roll_out(client, run)

    assert producer_live(kind=SUMMARIES).producer == new_producer
    shown = summaries_current_for(document_ids=[d.pk for d in unreviewed])
    assert all(shown[d.pk].producer == new_producer for d in unreviewed)
    # What the untrained default makes of the same pages: not the takeaways.
    untrained = get_summarizer("extractive").summarize_batch(
        [d.text for d in unreviewed],
        budget=summary_budget(),
        blocks=[d.blocks for d in unreviewed],
    )
    assert not any(takeaways_only(result.text) for result in untrained)
    assert all(takeaways_only(shown[d.pk].text) for d in unreviewed), [
        shown[d.pk].text for d in unreviewed
    ]
