"""Reprocessing jobs, driven step by step: fan-out, counts, idempotency, pause,
cancel, failures and the blue/green switch."""

from __future__ import annotations

from unittest import mock

import pytest

from docsite.documents.services import document_create_from_text
from docsite.ml.models import ActiveProducer
from docsite.ml.outputs import SUMMARIES
from summaries.backends.base import SummarizerUnavailableError
from summaries.models import Summary
from summaries.selectors import summary_current, summary_producer_live
from summaries.services import summaries_generate
from workers import services
from workers.models import ReprocessItem, ReprocessJob
from workers.selectors import reprocess_job_progress

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker_sends():
    """Steps are driven by hand here; the real worker flow is in tests/integration."""
    with mock.patch("docsite.tasking.task_enqueue", return_value=True):
        yield


@pytest.fixture
def two_backends(settings):
    settings.SUMMARIES_BACKENDS = {
        "default": {"BACKEND": "dummy", "OPTIONS": {}},
        "candidate": {"BACKEND": "dummy", "OPTIONS": {"model_revision": "2"}},
        "third": {"BACKEND": "dummy", "OPTIONS": {"model_revision": "3"}},
    }


@pytest.fixture
def documents(world, two_backends):
    docs = [
        document_create_from_text(
            space=world.engineering, title=f"Doc {i}", text=f"Text number {i}."
        ).document
        for i in range(7)
    ]
    summaries_generate(document_ids=[d.pk for d in docs])
    return docs


def drive(job: ReprocessJob, *, max_rounds: int = 50) -> ReprocessJob:
    """Run pump and chunks in turn, as the broker would, until nothing is left."""
    for _ in range(max_rounds):
        chunks = services.reprocess_job_pump(job_id=job.pk)
        for chunk in chunks:
            services.reprocess_chunk_run(job_id=job.pk, chunk=chunk)
        job.refresh_from_db()
        if job.phase == ReprocessJob.Phase.ACTIVATING:
            services.reprocess_job_activate(job_id=job.pk)
            job.refresh_from_db()
        if job.state != ReprocessJob.State.RUNNING:
            return job
    raise AssertionError("job did not finish")


def test_job_rebuilds_every_document_and_switches_producer(documents):
    old_producer = summary_producer_live().producer
    job = services.reprocess_job_start(
        kind="summaries", backend_alias="candidate", chunk_size=3
    )

    assert job.total == 7
    job = drive(job)

    assert (job.state, job.done_count, job.failed_count, job.skipped_count) == (
        "done",
        7,
        0,
        0,
    )
    assert (
        Summary.objects.filter(producer=job.producer, status="generated").count() == 7
    )
    live = ActiveProducer.objects.get(kind=SUMMARIES)
    assert (live.producer, live.previous_producer) == (job.producer, old_producer)
    assert summary_current(document=documents[0]).producer == job.producer


def test_readers_keep_old_summaries_until_the_job_completes(documents):
    old_producer = summary_producer_live().producer
    job = services.reprocess_job_start(
        kind="summaries", backend_alias="candidate", chunk_size=3
    )
    chunks = services.reprocess_job_pump(job_id=job.pk)
    services.reprocess_chunk_run(job_id=job.pk, chunk=chunks[0])

    assert Summary.objects.filter(producer=job.producer).count() == 3
    assert {summary_current(document=d).producer for d in documents} == {old_producer}

    for chunk in chunks[1:]:
        services.reprocess_chunk_run(job_id=job.pk, chunk=chunk)
    drive(job)
    assert {summary_current(document=d).producer for d in documents} == {job.producer}


def test_a_chunk_delivered_twice_records_nothing_twice(documents):
    job = services.reprocess_job_start(
        kind="summaries", backend_alias="candidate", chunk_size=4
    )
    chunk = services.reprocess_job_pump(job_id=job.pk)[0]

    first = services.reprocess_chunk_run(job_id=job.pk, chunk=chunk)
    second = services.reprocess_chunk_run(job_id=job.pk, chunk=chunk)

    assert (first, second) == (4, 0)
    job.refresh_from_db()
    assert job.done_count == 4
    assert Summary.objects.filter(producer=job.producer).count() == 4


def test_in_flight_limit_is_respected(documents):
    job = services.reprocess_job_start(
        kind="summaries", backend_alias="candidate", chunk_size=2
    )

    sent = services.reprocess_job_pump(job_id=job.pk)
    again = services.reprocess_job_pump(job_id=job.pk)

    assert len(sent) == job.max_chunks_in_flight
    assert again == []


def test_lost_chunks_are_reclaimed_after_the_stale_timeout(documents, settings):
    job = services.reprocess_job_start(
        kind="summaries", backend_alias="candidate", chunk_size=7
    )
    lost = services.reprocess_job_pump(job_id=job.pk)[0]  # the worker dies with it

    settings.REPROCESS_CHUNK_STALE_SECONDS = -1
    retry = services.reprocess_job_pump(job_id=job.pk)
    settings.REPROCESS_CHUNK_STALE_SECONDS = 2000
    services.reprocess_chunk_run(job_id=job.pk, chunk=retry[0])
    services.reprocess_chunk_run(
        job_id=job.pk, chunk=lost
    )  # late redelivery: no effect
    job = drive(job)

    assert (job.state, job.done_count) == ("done", 7)
    assert ReprocessItem.objects.filter(job=job, attempts=2).count() == 7
    assert Summary.objects.filter(producer=job.producer).count() == 7


def test_pause_resume_and_cancel(documents):
    job = services.reprocess_job_start(
        kind="summaries", backend_alias="candidate", chunk_size=2
    )
    services.reprocess_job_pause(job=job)

    assert services.reprocess_job_pump(job_id=job.pk) == []
    job = services.reprocess_job_resume(job=job)
    chunk = services.reprocess_job_pump(job_id=job.pk)[0]
    services.reprocess_chunk_run(job_id=job.pk, chunk=chunk)
    job = services.reprocess_job_cancel(job=job)

    assert job.state == "cancelled"
    assert services.reprocess_job_pump(job_id=job.pk) == []
    job.refresh_from_db()
    assert job.done_count == 2
    assert not ActiveProducer.objects.filter(kind=SUMMARIES).exists()
    with pytest.raises(ValueError):
        services.reprocess_job_resume(job=job)


def test_failures_are_recorded_per_document_and_block_the_switch(documents):
    job = services.reprocess_job_start(
        kind="summaries", backend_alias="candidate", chunk_size=10
    )
    with mock.patch(
        "summaries.backends.dummy.DummySummarizer.summarize_batch",
        side_effect=SummarizerUnavailableError(
            "weights for model revision 2 are missing"
        ),
    ):
        job = drive(job)

    assert (job.state, job.failed_count) == ("failed", 7)
    assert (
        "weights for model revision 2 are missing"
        in ReprocessItem.objects.filter(job=job).first().error
    )
    assert not ActiveProducer.objects.filter(kind=SUMMARIES).exists()

    job = services.reprocess_job_retry_failed(job=job)
    job = drive(job)
    assert (job.state, job.done_count, job.failed_count) == ("done", 7, 0)


def test_stale_selection_takes_only_documents_without_output(documents, world):
    job = services.reprocess_job_start(
        kind="summaries", selection="stale", backend_alias="default"
    )
    assert job.total == 0
    drive(job)

    document_create_from_text(
        space=world.hr, title="New", text="A document added later."
    )
    job = services.reprocess_job_start(
        kind="summaries", selection="stale", backend_alias="default"
    )
    assert job.total == 1


def test_space_selection_and_skipped_documents(documents, world):
    job = services.reprocess_job_start(
        kind="summaries",
        selection="space",
        space=world.engineering,
        backend_alias="default",
    )
    job = drive(job)

    # The default producer already summarized them: nothing to redo.
    assert (job.total, job.skipped_count, job.done_count) == (7, 7, 0)


def test_progress_reports_throughput_and_eta(documents):
    job = services.reprocess_job_start(
        kind="summaries", backend_alias="candidate", chunk_size=3
    )
    chunk = services.reprocess_job_pump(job_id=job.pk)[0]
    services.reprocess_chunk_run(job_id=job.pk, chunk=chunk)
    job.refresh_from_db()

    progress = reprocess_job_progress(job=job)

    assert (progress.total, progress.processed, progress.percent) == (
        7,
        3,
        pytest.approx(42.9),
    )
    assert progress.docs_per_second > 0
    assert progress.eta_seconds == pytest.approx(4 / progress.docs_per_second, abs=0.1)


def test_prune_keeps_live_previous_and_approved(documents, world):
    from django.core.management import call_command

    from summaries.services import summary_approve
    from tests.factories import UserFactory

    old_producer = summary_producer_live().producer
    drive(services.reprocess_job_start(kind="summaries", backend_alias="candidate"))
    third = services.reprocess_job_start(
        kind="summaries", backend_alias="third", chunk_size=7
    )
    drive(third)
    editor = UserFactory(username="ed")
    approved = Summary.objects.filter(producer=old_producer).first()
    summary_approve(summary=approved, actor=editor)

    call_command("prune_producers", "--kind", "summaries")
    # live = third, previous = candidate: the first producer goes, except the approved row.
    assert set(Summary.objects.values_list("producer", flat=True)) == {
        third.producer,
        Summary.objects.get(pk=approved.pk).producer,
        ActiveProducer.objects.get(kind=SUMMARIES).previous_producer,
    }
    assert Summary.objects.filter(producer=old_producer).count() == 1

    call_command("prune_producers", "--kind", "summaries", "--include-previous")
    assert set(Summary.objects.values_list("producer", flat=True)) == {
        third.producer,
        old_producer,
    }


def test_embeddings_job_builds_vectors_beside_the_old_and_switches(world, settings):
    """Blue/green for vectors: the feed reads the old producer until the switch."""
    from docsite.ml.embedders import reset_embedders
    from interests.models import DocumentVector
    from interests.selectors import embedding_producer_active
    from interests.services import document_vectors_compute

    fake = "tests.interests.fakes.HashingEmbedder"
    settings.DOCSITE_EMBEDDERS = {
        "default": {"BACKEND": fake, "OPTIONS": {}},
        "retrained": {"BACKEND": fake, "OPTIONS": {"revision": "2"}},
    }
    reset_embedders()
    docs = [
        document_create_from_text(
            space=world.handbook, title=f"V{i}", text=f"Vector text {i}."
        ).document
        for i in range(5)
    ]
    document_vectors_compute(document_ids=[d.pk for d in docs])
    old = embedding_producer_active()

    job = services.reprocess_job_start(
        kind="embeddings", backend_alias="retrained", chunk_size=2
    )
    chunks = services.reprocess_job_pump(job_id=job.pk)
    services.reprocess_chunk_run(job_id=job.pk, chunk=chunks[0])
    assert (
        embedding_producer_active() == old
    )  # half built: readers still on the old vectors
    for chunk in chunks[1:]:
        services.reprocess_chunk_run(job_id=job.pk, chunk=chunk)

    job = drive(job)
    assert (job.state, job.done_count) == ("done", 5)
    assert embedding_producer_active() == job.producer != old
    assert DocumentVector.objects.filter(producer=job.producer).count() == 5
    assert DocumentVector.objects.filter(producer=old).count() == 5
