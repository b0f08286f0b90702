"""Reprocessing jobs through real workers, Redis and PostgreSQL, including a
worker killed with SIGKILL in the middle of a chunk."""

from __future__ import annotations

import time

import pytest

from docsite.documents.services import document_create_from_text
from docsite.ml.models import ActiveProducer
from summaries.models import Summary
from summaries.services import summaries_generate
from tests.factories import SpaceFactory
from tests.integration.conftest import wait_for
from workers.models import ReprocessItem, ReprocessJob
from workers.services import reprocess_job_start, reprocess_jobs_pump_running

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _documents(n: int) -> list[int]:
    space = SpaceFactory(slug="kb")
    return [
        document_create_from_text(
            space=space, title=f"Doc {i}", text=f"Body of document {i}."
        ).document.pk
        for i in range(n)
    ]


def _job(job_id: int) -> ReprocessJob:
    return ReprocessJob.objects.get(pk=job_id)


def test_job_completes_with_exact_counts(celery_worker_real):
    ids = _documents(9)
    assert wait_for(lambda: Summary.objects.filter(status="generated").count() == 9)

    job = reprocess_job_start(kind="summaries", backend_alias="candidate", chunk_size=4)

    assert wait_for(lambda: _job(job.pk).state == "done", timeout=60)
    job = _job(job.pk)
    assert (job.total, job.done_count, job.failed_count, job.skipped_count) == (
        9,
        9,
        0,
        0,
    )
    assert Summary.objects.filter(producer=job.producer).count() == 9
    assert ActiveProducer.objects.get(kind="summaries").producer == job.producer
    assert set(
        Summary.objects.filter(producer=job.producer).values_list(
            "document_id", flat=True
        )
    ) == set(ids)


def test_job_survives_a_worker_killed_mid_chunk(worker_processes):
    ids = _documents(8)
    summaries_generate(document_ids=ids)  # the live producer's summaries exist already
    env = {
        "REPROCESS_CHUNK_STALE_SECONDS": "4",
        "SUMMARIES_RUNNING_TIMEOUT_SECONDS": "3",
    }
    first = worker_processes(**env)

    job = reprocess_job_start(kind="summaries", backend_alias="slow", chunk_size=2)
    # Wait until the worker is inside a chunk: some summaries of the new producer run.
    assert wait_for(
        lambda: Summary.objects.filter(
            producer=job.producer, status="running"
        ).exists(),
        timeout=60,
    ), worker_processes.log_path.read_text()
    first.kill()
    assert _job(job.pk).state == "running"
    assert ReprocessItem.objects.filter(job=job, state="in_flight").exists()

    worker_processes(**env)

    def finished() -> bool:
        # Stands in for celery beat: the sweeper pumps running jobs periodically.
        reprocess_jobs_pump_running()
        return _job(job.pk).state in ("done", "failed")

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not finished():
        time.sleep(1)

    job = _job(job.pk)
    errors = list(
        ReprocessItem.objects.filter(job=job, state="failed").values_list(
            "error", flat=True
        )
    )
    assert job.state == "done", (errors, worker_processes.log_path.read_text()[-3000:])
    assert (job.done_count, job.failed_count, job.skipped_count) == (8, 0, 0)
    # Nothing lost, nothing duplicated: exactly one row per document for the new producer.
    rows = list(
        Summary.objects.filter(producer=job.producer).values_list(
            "document_id", "status"
        )
    )
    assert sorted(document_id for document_id, _ in rows) == sorted(ids)
    assert {status for _, status in rows} == {"generated"}
    assert ReprocessItem.objects.filter(job=job, attempts__gte=2).exists()


def test_pause_resume_and_cancel_with_a_real_worker(celery_worker_real):
    from workers.services import (
        reprocess_job_cancel,
        reprocess_job_pause,
        reprocess_job_resume,
    )

    _documents(6)
    job = reprocess_job_start(kind="summaries", backend_alias="slow", chunk_size=1)
    job.max_chunks_in_flight = 1
    job.save(update_fields=["max_chunks_in_flight"])
    assert wait_for(lambda: _job(job.pk).done_count >= 1, timeout=30)

    reprocess_job_pause(job=job)
    time.sleep(1.5)  # a chunk already running may still finish
    paused_at = _job(job.pk).processed
    time.sleep(1.5)
    assert _job(job.pk).processed == paused_at < 6

    reprocess_job_resume(job=_job(job.pk))
    assert wait_for(lambda: _job(job.pk).processed > paused_at, timeout=30)
    reprocess_job_cancel(job=_job(job.pk))
    time.sleep(1.5)
    job = _job(job.pk)
    assert job.state == "cancelled"
    assert job.processed < 6
    assert not ActiveProducer.objects.filter(kind="summaries").exists()
