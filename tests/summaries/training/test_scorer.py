"""Editors teach the CPU default: a scorer run fits the extractive summarizer's
sentence scorer on the reviews, passes its gate, and the promoted alias
summarizes as the editors do."""

from __future__ import annotations

import json

import pytest

from django.contrib.auth.models import Permission
from django.urls import reverse

from docsite.ml.embedders import get_embedder
from summaries.backends import get_summarizer, summary_budget
from summaries.backends.base import SummaryBudget
from summaries.backends.extractive import ExtractiveSummarizer
from summaries.scoring import ScriptAwareTokenizer
from summaries.training import runs, scorer
from summaries.training.aliases import training_run_promote
from summaries.training.data import training_dataset_build
from summaries.training.models import TrainingRun
from summaries.training.scorer import ReviewedText, ScorerConfig, scorer_train

from .scorer_pages import takeaway_page, takeaways_only

State = TrainingRun.State
BUDGET = SummaryBudget(60)


@pytest.fixture(scope="module")
def base():
    return ExtractiveSummarizer(embedder=get_embedder())


def fit(base, tmp_path, examples, control=lambda progress: "continue"):
    return scorer_train(
        summarizer=base,
        examples=examples,
        budget=BUDGET,
        tokenizer=ScriptAwareTokenizer(),
        config=ScorerConfig(scope="all"),
        run_dir=tmp_path / "run",
        control=control,
    )


@pytest.mark.slow
def test_a_scorer_fitted_on_editors_summaries_picks_what_they_pick(base, tmp_path):
    examples = [ReviewedText(*takeaway_page(seed)) for seed in range(16)]

    outcome = fit(base, tmp_path, examples)

    assert outcome.state == "finished" and outcome.progress.step == 16
    trained = ExtractiveSummarizer(
        embedder=base.embedder, adapter=str(outcome.output), adapter_sha256="x"
    )
    unseen = [takeaway_page(seed)[0] for seed in range(100, 106)]
    before = [r.text for r in base.summarize_batch(unseen, budget=BUDGET)]
    after = [r.text for r in trained.summarize_batch(unseen, budget=BUDGET)]
    # The default opens with each page's opening; the trained one keeps the
    # takeaways, as the editors did, on pages it never saw.
    assert not any(takeaways_only(text) for text in before)
    assert all(takeaways_only(text) for text in after), after
    assert trained.producer_for(BUDGET) != base.producer_for(BUDGET)


@pytest.mark.slow
def test_a_paused_fit_resumes_from_its_saved_chunks(base, tmp_path, monkeypatch):
    examples = [ReviewedText(*takeaway_page(seed)) for seed in range(20)]
    paused = fit(base, tmp_path, examples, control=lambda progress: "pause")
    assert paused.state == "paused" and paused.progress.step == scorer.CHUNK

    featurized = []
    real_rows = scorer.examples_rows
    monkeypatch.setattr(
        scorer,
        "examples_rows",
        lambda summarizer, chunk, **kw: (
            featurized.append(len(chunk)) or real_rows(summarizer, chunk, **kw)
        ),
    )
    resumed = fit(base, tmp_path, examples)

    assert resumed.state == "finished" and resumed.progress.step == 20
    assert resumed.progress.seconds > paused.progress.seconds > 0
    assert featurized == [20 - scorer.CHUNK]  # only what the pause left
    once = fit(base, tmp_path / "again", examples)
    assert json.loads((resumed.output / "scorer.json").read_text()) == json.loads(
        (once.output / "scorer.json").read_text()
    )


def test_a_trained_scorer_needs_the_learned_method(base, tmp_path):
    with pytest.raises(ValueError, match="needs method='learned'"):
        ExtractiveSummarizer(
            embedder=base.embedder, method="directed", adapter=str(tmp_path)
        )


def test_scorer_runs_take_extractive_aliases_and_their_own_options(editors_pages):
    dataset = training_dataset_build(user=editors_pages, validation_fraction=0.4)
    with pytest.raises(runs.TrainingRunError, match="not an extractive alias"):
        runs.training_run_start(dataset=dataset, base_alias="default", method="scorer")
    with pytest.raises(runs.TrainingRunError, match="scope must be one of"):
        runs.training_run_start(
            dataset=dataset,
            base_alias="extractive",
            method="scorer",
            hyperparameters={"scope": "everything"},
        )
    with pytest.raises(runs.TrainingRunError, match="Unknown scorer options"):
        runs.training_run_start(
            dataset=dataset,
            base_alias="extractive",
            method="scorer",
            hyperparameters={"max_steps": 3},
        )
    assert runs.trainable_aliases(method="scorer") == ["extractive"]


@pytest.mark.slow
def test_editors_reviews_train_a_scorer_that_passes_its_gate_and_is_promoted(
    editors_pages, django_capture_on_commit_callbacks, client, django_user_model
):
    dataset = training_dataset_build(user=editors_pages, validation_fraction=0.4)
    with django_capture_on_commit_callbacks(execute=False):
        run = runs.training_run_start(
            dataset=dataset,
            base_alias="extractive",
            method="scorer",
            hyperparameters={"scope": "all"},
            actor=editors_pages,
        )
    assert run.total_steps == dataset.counts["train"]

    runs.training_run_execute(run_id=run.pk)
    run.refresh_from_db()

    assert run.state == State.PASSED, (run.error, run.gate_reason)
    assert run.step == dataset.counts["train"] and run.losses
    systems = run.metrics["systems"]
    assert systems["candidate"]["rougeLsum"] > systems["base"]["rougeLsum"]
    assert run.metrics["vs_live"]["rougeLsum"]["low"] > 0
    client.force_login(editors_pages)
    page = client.get(
        reverse("admin:summaries_trainingrun_change", args=[run.pk])
    ).content.decode()
    assert f"{run.step} / {run.step} documents read (100%)" in page
    assert "on the training documents (one fit)" in page and "Passed." in page
    # The validation pages side by side: the trained summary keeps the
    # takeaways, the live one (the dummy: the opening words) does not.
    examples = run.metrics["examples"]
    assert examples and all(takeaways_only(e["candidate"]) for e in examples)
    assert "differ most" in page and examples[0]["candidate"] in page
    assert f'href="/documents/{examples[0]["document_id"]}/"' in page
    # An operator who may train but not read the engineering space sees none of them.
    operator = django_user_model.objects.create_user(
        "operator", password="x", is_staff=True
    )
    operator.user_permissions.add(Permission.objects.get(codename="manage_training"))
    client.force_login(operator)
    page = client.get(
        reverse("admin:summaries_trainingrun_change", args=[run.pk])
    ).content.decode()
    assert "Passed." in page and examples[0]["candidate"] not in page
    with django_capture_on_commit_callbacks(execute=False):
        alias = training_run_promote(run=run, actor=editors_pages)
    trained = get_summarizer(alias.name)
    assert trained.options["adapter_sha256"] == run.adapter_sha256
    assert trained.producer_for(summary_budget()) != get_summarizer(
        "extractive"
    ).producer_for(summary_budget())
    (result,) = trained.summarize_batch(
        [takeaway_page(200)[0]], budget=summary_budget()
    )
    assert takeaways_only(result.text), result.text


def test_an_editor_starts_a_scorer_run_from_the_admin(
    client, editors_pages, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(
        "summaries.training.tasks.training_run_execute.apply_async",
        lambda **kwargs: queued.append(kwargs),
    )
    client.force_login(editors_pages)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:summaries_trainingrun_add"),
            # The form's LLM fields are filled by the browser; a scorer run ignores them.
            {
                "base_alias": "extractive",
                "method": "scorer",
                "max_steps": 200,
                "batch_size": 4,
                "learning_rate": 0.0002,
                "lora_r": 8,
                "scope": "all",
            },
        )

    assert response.status_code == 302
    run = TrainingRun.objects.get()
    assert run.method == "scorer" and run.base_alias == "extractive"
    assert run.hyperparameters == ScorerConfig(scope="all").as_dict()
    assert run.total_steps == run.dataset.counts["train"] > 0
    assert queued == [{"kwargs": {"run_id": run.pk}}]
