"""Generation, idempotency, versions and review, with the deterministic dummy backend."""

from __future__ import annotations

from unittest import mock

import pytest

from django.contrib.auth.models import Permission

from docsite.documents.services import document_update
from summaries import services
from summaries.backends.base import SummarizerTransientError, SummarizerUnavailableError
from summaries.models import Summary, SummaryEvent
from summaries.selectors import (
    documents_without_summary,
    summary_current,
    summary_producer_live,
    summary_state_for,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(world):
    user = UserFactory(
        username="edna", is_staff=True, groups=[world.engineering.editor_groups.first()]
    )
    user.user_permissions.add(Permission.objects.get(codename="review_summary"))
    return user


def test_generate_writes_one_summary_keyed_by_text_and_producer(make_document):
    document = make_document(
        "Backups run nightly at two. Restores are tested every month."
    )

    report = services.summaries_generate(document_ids=[document.pk])

    summary = Summary.objects.get(document=document)
    assert report.generated == 1
    assert summary.status == Summary.Status.GENERATED
    assert summary.text.startswith("Backups run nightly at two.")
    assert summary.content_sha256 == document.content_sha256
    assert summary.producer == summary_producer_live().producer
    assert summary.producer.startswith("dummy:dummy:")
    assert summary.tokens_in == 10
    assert summary_current(document=document) == summary


def test_generate_twice_writes_nothing_twice(make_document):
    document = make_document()
    services.summaries_generate(document_ids=[document.pk])
    before = Summary.objects.get(document=document)

    report = services.summaries_generate(document_ids=[document.pk])

    after = Summary.objects.get(document=document)
    assert report.skipped == 1 and report.generated == 0
    assert Summary.objects.count() == 1
    assert after.updated_at == before.updated_at


def test_changed_text_gets_a_new_summary_and_keeps_the_old(make_document):
    document = make_document("First version of the runbook.")
    services.summaries_generate(document_ids=[document.pk])
    document = document_update(
        document=document,
        user=None,
        content=b"Second version, rewritten.",
        filename="runbook.txt",
    )

    assert summary_current(document=document) is None
    assert list(
        documents_without_summary(
            producer=summary_producer_live().producer
        ).values_list("pk", flat=True)
    ) == [document.pk]
    services.summaries_generate(document_ids=[document.pk])

    assert Summary.objects.filter(document=document).count() == 2
    assert summary_current(document=document).text == "Second version, rewritten."


def test_unavailable_model_is_stored_readably_and_not_retried(make_document):
    document = make_document()
    with mock.patch(
        "summaries.backends.dummy.DummySummarizer.summarize_batch",
        side_effect=SummarizerUnavailableError("model folder /models/bart is missing"),
    ):
        report = services.summaries_generate(document_ids=[document.pk])

    summary = Summary.objects.get(document=document)
    assert report.failed == 1
    assert summary.status == Summary.Status.FAILED
    assert "model folder /models/bart is missing" in summary.error
    state = summary_state_for(document=document)
    assert state.status == "failed" and "missing" in state.error


def test_transient_failure_requeues_and_raises_for_retry(make_document):
    document = make_document()
    with (
        mock.patch(
            "summaries.backends.dummy.DummySummarizer.summarize_batch",
            side_effect=SummarizerTransientError("CUDA out of memory at batch size 1"),
        ),
        pytest.raises(SummarizerTransientError),
    ):
        services.summaries_generate(document_ids=[document.pk])

    assert Summary.objects.get(document=document).status == Summary.Status.QUEUED
    services.summaries_generate(document_ids=[document.pk])
    assert Summary.objects.get(document=document).status == Summary.Status.GENERATED


def test_failed_rows_are_retried_only_when_forced(make_document):
    document = make_document()
    with mock.patch(
        "summaries.backends.dummy.DummySummarizer.summarize_batch",
        side_effect=SummarizerUnavailableError("no weights"),
    ):
        services.summaries_generate(document_ids=[document.pk])

    services.summaries_generate(document_ids=[document.pk])
    assert Summary.objects.get(document=document).status == Summary.Status.FAILED
    services.summaries_generate(document_ids=[document.pk], force=True)
    assert Summary.objects.get(document=document).status == Summary.Status.GENERATED


def test_approved_summary_wins_over_newer_generated(make_document, editor):
    document = make_document()
    services.summaries_generate(document_ids=[document.pk])
    generated = Summary.objects.get(document=document)
    edited = services.summary_edit(
        summary=generated, text="A better summary.", actor=editor
    )

    assert summary_current(document=document) == edited
    services.summary_reject(summary=edited, actor=editor)
    assert summary_current(document=document) == generated


def test_approval_required_hides_unreviewed_summaries(make_document, editor, settings):
    settings.SUMMARIES_REQUIRE_APPROVAL = True
    document = make_document()
    services.summaries_generate(document_ids=[document.pk])
    summary = Summary.objects.get(document=document)

    assert summary_current(document=document) is None
    assert summary_state_for(document=document).status == "awaiting_review"
    services.summary_approve(summary=summary, actor=editor)
    assert summary_current(document=document) == summary


def test_edit_is_a_new_version_with_author_and_audit(make_document, editor):
    document = make_document()
    services.summaries_generate(document_ids=[document.pk])
    original = Summary.objects.get(document=document)

    first = services.summary_edit(summary=original, text="Edited once.", actor=editor)
    second = services.summary_edit(summary=first, text="Edited twice.", actor=editor)

    original.refresh_from_db()
    assert original.text.startswith("Backups run nightly")
    assert (first.producer, second.producer) == ("human:v1", "human:v2")
    assert second.author == editor and second.edited_from == first
    assert second.status == Summary.Status.APPROVED
    event = SummaryEvent.objects.get(summary=second)
    assert event.action == "edited" and event.actor == editor
    assert (
        event.changes["before"] == "Edited once."
        and event.changes["after"] == "Edited twice."
    )


def test_empty_edit_is_refused(make_document, editor):
    document = make_document()
    services.summaries_generate(document_ids=[document.pk])
    with pytest.raises(ValueError, match="empty"):
        services.summary_edit(summary=Summary.objects.get(), text="   ", actor=editor)


def test_review_actions_are_audited(make_document, editor):
    document = make_document()
    services.summaries_generate(document_ids=[document.pk])
    summary = Summary.objects.get(document=document)

    services.summary_approve(summary=summary, actor=editor)
    services.summary_reject(summary=summary, actor=editor, reason="invents a date")

    actions = list(
        SummaryEvent.objects.order_by("id").values_list("action", "actor__username")
    )
    assert actions == [("approved", "edna"), ("rejected", "edna")]
    assert (
        SummaryEvent.objects.order_by("id").last().changes["reason"] == "invents a date"
    )


def test_regenerate_queues_an_alternative_beside_the_current_summary(
    make_document, editor, django_capture_on_commit_callbacks
):
    """GIVEN a generated summary WHEN an editor regenerates THEN the next
    variant is queued as a row of its own, and generating it writes a
    different text while the current summary stays as it was."""
    document = make_document(
        "Backups run nightly at two. Restores are tested every month. "
        "Snapshots are kept for thirty days."
    )
    services.summaries_generate(document_ids=[document.pk])
    summary = Summary.objects.get(document=document)

    with (
        mock.patch("summaries.tasks.summaries_generate.apply_async") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        alternative = services.summary_regenerate(summary=summary, actor=editor)

    summary.refresh_from_db()
    assert summary.status == Summary.Status.GENERATED
    assert alternative.pk != summary.pk
    assert alternative.status == Summary.Status.QUEUED
    assert alternative.params["variant"] == 1
    assert alternative.producer != summary.producer
    send.assert_called_once()
    assert send.call_args.kwargs["kwargs"]["document_ids"] == [document.pk]
    assert send.call_args.kwargs["kwargs"]["variant"] == 1
    event = SummaryEvent.objects.get(action="regenerated")
    assert event.changes["requested_from"] == summary.pk
    assert event.changes["variant"] == 1

    services.summaries_generate(document_ids=[document.pk], variant=1)
    alternative.refresh_from_db()
    assert alternative.status == Summary.Status.GENERATED
    assert alternative.text and alternative.text != summary.text

    # Once more: a third text, the two before kept.
    with mock.patch("summaries.tasks.summaries_generate.apply_async"):
        third = services.summary_regenerate(summary=summary, actor=editor)
    assert third.params["variant"] == 2
    assert Summary.objects.filter(document=document).count() == 3


def test_regenerate_of_a_failed_summary_requeues_it(make_document, editor):
    document = make_document()
    services.summaries_generate(document_ids=[document.pk])
    summary = Summary.objects.get(document=document)
    Summary.objects.filter(pk=summary.pk).update(status=Summary.Status.FAILED)

    with mock.patch("summaries.tasks.summaries_generate.apply_async"):
        row = services.summary_regenerate(summary=summary, actor=editor)

    assert row.pk == summary.pk
    assert row.status == Summary.Status.QUEUED


def test_text_change_enqueues_summary_after_commit(
    world, django_capture_on_commit_callbacks
):
    from docsite.documents.services import document_create_from_text

    with (
        mock.patch("summaries.tasks.summaries_generate.apply_async") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        document = document_create_from_text(
            space=world.engineering, title="New", text="Fresh words."
        ).document

    sent = [call.kwargs["kwargs"]["document_ids"] for call in send.call_args_list]
    assert [document.pk] in sent


def test_task_batches_other_due_documents(make_document, settings):
    from summaries.tasks import summaries_generate as task

    settings.SUMMARIES_BATCH_SIZE = 8
    documents = [
        make_document(f"Document number {i} text.", title=f"D{i}") for i in range(5)
    ]
    calls = []
    original = __import__(
        "summaries.backends.dummy", fromlist=["x"]
    ).DummySummarizer.summarize_batch

    def spy(self, texts, **kwargs):
        calls.append(len(texts))
        return original(self, texts, **kwargs)

    with mock.patch("summaries.backends.dummy.DummySummarizer.summarize_batch", spy):
        task.run(document_ids=[documents[0].pk])
        task.run(document_ids=[documents[1].pk])

    assert calls == [5]
    assert Summary.objects.filter(status="generated").count() == 5


def test_readers_see_the_live_producer_until_the_switch(make_document, settings):
    """Blue/green: a second backend's summaries stay hidden until its producer goes live."""
    from docsite.ml.outputs import SUMMARIES, producer_activate, producer_switch_back

    settings.SUMMARIES_BACKENDS = {
        "default": {"BACKEND": "dummy", "OPTIONS": {}},
        "candidate": {"BACKEND": "dummy", "OPTIONS": {"flavour": "new"}},
    }
    document = make_document("one two three four five six")
    services.summaries_generate(document_ids=[document.pk])
    old_producer = summary_producer_live().producer
    services.summaries_generate(document_ids=[document.pk], backend_alias="candidate")
    new_producer = Summary.objects.exclude(producer=old_producer).get().producer

    assert summary_current(document=document).producer == old_producer

    producer_activate(
        kind=SUMMARIES,
        backend_alias="candidate",
        producer=new_producer,
    )
    assert summary_current(document=document).producer == new_producer

    producer_switch_back(kind=SUMMARIES)
    assert summary_producer_live().producer == old_producer
    assert summary_current(document=document).producer == old_producer


def test_budget_is_part_of_the_producer(settings):
    from summaries.selectors import summary_producer_for

    settings.SUMMARIES_BUDGET = {"size": 40, "unit": "words"}
    short = summary_producer_for(backend_alias="default")
    settings.SUMMARIES_BUDGET = {"size": 80, "unit": "words"}
    assert summary_producer_for(backend_alias="default") != short


def test_a_batch_out_of_time_is_requeued_in_halves(
    make_document, django_capture_on_commit_callbacks
):
    """A soft time limit must not fail every row of the batch: the rows go back
    to the queue and two tasks take half each, without topping up."""
    from celery.exceptions import SoftTimeLimitExceeded

    documents = [make_document(f"Document number {n} text.") for n in range(4)]
    ids = [document.pk for document in documents]

    with (
        mock.patch(
            "summaries.backends.dummy.DummySummarizer.summarize_batch",
            side_effect=SoftTimeLimitExceeded(),
        ),
        mock.patch("summaries.tasks.summaries_generate.apply_async") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        report = services.summaries_generate(document_ids=ids)

    assert report.failed == 0
    assert set(Summary.objects.values_list("status", flat=True)) == {"queued"}
    halves = [call.kwargs["kwargs"] for call in send.call_args_list]
    assert sorted(id_ for half in halves for id_ in half["document_ids"]) == sorted(ids)
    assert [len(half["document_ids"]) for half in halves] == [2, 2]
    assert all(half["top_up"] is False for half in halves)


def test_one_document_out_of_time_fails_readably(make_document):
    from celery.exceptions import SoftTimeLimitExceeded

    document = make_document()
    with mock.patch(
        "summaries.backends.dummy.DummySummarizer.summarize_batch",
        side_effect=SoftTimeLimitExceeded(),
    ):
        report = services.summaries_generate(document_ids=[document.pk])

    summary = Summary.objects.get(document=document)
    assert report.failed == 1
    assert summary.status == Summary.Status.FAILED
    assert "time limit" in summary.error
