"""Starting reprocessing jobs (with the estimate first) and the operator's controls."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from docsite.documents.models import Space
from docsite.ml.outputs import (
    WorkEstimate,
    output_kind,
)
from docsite.tasking import task_enqueue

from .. import tasks
from ..conf import reprocess_setting
from ..models import ReprocessJob
from .common import (
    Item,
    Job,
    _audit,
    _chunk_size,
    _job_counts_refresh,
    _pump_on_commit,
    _selected_documents,
    backend_alias_validate,
)

logger = logging.getLogger(__name__)


def reprocess_job_estimate(
    *,
    kind: str,
    selection: str = Job.Selection.ALL,
    backend_alias: str,
    space: Space | None = None,
    document_ids: Sequence[int] | None = None,
) -> WorkEstimate:
    """Return what a job would run: documents, producer, time per document and chunks.

    Loads no model. Raise ``ValueError`` for an unknown kind or alias and
    ``ImproperlyConfigured`` for a broken alias.
    """
    output = output_kind(kind)
    backend_alias_validate(kind=kind, backend_alias=backend_alias)
    producer = output.producer_for(backend_alias=backend_alias)
    count = _selected_documents(
        output=output,
        selection=selection,
        producer=producer,
        space=space,
        document_ids=document_ids,
    ).count()
    seconds, source = output.seconds_per_document(backend_alias=backend_alias)
    return WorkEstimate(
        kind=kind,
        backend_alias=backend_alias,
        producer=producer,
        documents=count,
        seconds_per_document=seconds,
        source=source,
        chunk_size=_chunk_size(seconds_per_document=seconds),
    )


def reprocess_job_start(
    *,
    kind: str,
    selection: str = Job.Selection.ALL,
    backend_alias: str = "default",
    space: Space | None = None,
    document_ids: Sequence[int] | None = None,
    actor: AbstractBaseUser | None = None,
    activate_on_success: bool = True,
    chunk_size: int | None = None,
) -> ReprocessJob:
    """Create a job with one item per selected document and start fanning out.

    Without ``chunk_size`` chunks are sized from the estimated time per
    document (``REPROCESS_CHUNK_SECONDS`` of work each, 1 to
    ``REPROCESS_CHUNK_SIZE`` documents).
    """
    output = output_kind(kind)
    backend_alias_validate(kind=kind, backend_alias=backend_alias)
    producer = output.producer_for(backend_alias=backend_alias)
    if chunk_size is None:
        seconds, _source = output.seconds_per_document(backend_alias=backend_alias)
        chunk_size = _chunk_size(seconds_per_document=seconds)
    with transaction.atomic():
        job = Job.objects.create(
            kind=kind,
            selection=selection,
            space=space,
            document_ids=list(document_ids or []),
            backend_alias=backend_alias,
            producer=producer,
            activate_on_success=activate_on_success,
            chunk_size=chunk_size,
            max_chunks_in_flight=reprocess_setting("MAX_CHUNKS_IN_FLIGHT"),
            started_by=actor,
            state=Job.State.RUNNING,
            started_at=timezone.now(),
            resumed_at=timezone.now(),
        )
        ids = (
            _selected_documents(
                output=output,
                selection=selection,
                producer=producer,
                space=space,
                document_ids=document_ids,
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        batch: list[Item] = []
        for document_id in ids.iterator(chunk_size=5000):
            batch.append(Item(job=job, document_id=document_id))
            if len(batch) >= 5000:
                Item.objects.bulk_create(batch)
                batch = []
        Item.objects.bulk_create(batch)
        job.total = Item.objects.filter(job=job).count()
        job.save(update_fields=["total"])
        _audit(job=job, actor=actor, action="started")
        _pump_on_commit(job.pk)
    logger.info(
        "reprocess job %s started: %s of %d documents with %s, chunks of %d",
        job.pk,
        kind,
        job.total,
        producer,
        chunk_size,
    )
    return job


def reprocess_job_pause(*, job: Job, actor: AbstractBaseUser | None = None) -> Job:
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.state != Job.State.RUNNING:
            raise ValueError(
                f"Only a running job can be paused (this one is {job.state})."
            )
        now = timezone.now()
        job.active_seconds += (now - (job.resumed_at or now)).total_seconds()
        job.resumed_at = None
        job.state = Job.State.PAUSED
        job.save()
        _audit(job=job, actor=actor, action="paused")
    return job


def reprocess_job_resume(*, job: Job, actor: AbstractBaseUser | None = None) -> Job:
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.state not in (Job.State.PAUSED, Job.State.QUEUED):
            raise ValueError(
                f"Only a paused job can be resumed (this one is {job.state})."
            )
        job.state = Job.State.RUNNING
        job.resumed_at = timezone.now()
        job.save()
        _audit(job=job, actor=actor, action="resumed")
        _pump_on_commit(job.pk)
    return job


def reprocess_job_cancel(*, job: Job, actor: AbstractBaseUser | None = None) -> Job:
    """Stop dispatching; chunks already running finish. The producer is not switched."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.state not in Job.ACTIVE_STATES:
            raise ValueError(f"A {job.state} job cannot be cancelled.")
        now = timezone.now()
        if job.resumed_at:
            job.active_seconds += (now - job.resumed_at).total_seconds()
        job.resumed_at = None
        job.state = Job.State.CANCELLED
        job.finished_at = now
        job.save()
        _audit(job=job, actor=actor, action="cancelled")
    return job


def reprocess_job_retry_failed(
    *, job: Job, actor: AbstractBaseUser | None = None
) -> Job:
    """Put failed documents back in the queue and run the job again."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        retried = Item.objects.filter(job=job, state=Item.State.FAILED).update(
            state=Item.State.PENDING, chunk=None, error=""
        )
        if not retried:
            raise ValueError("This job has no failed documents.")
        job.state = Job.State.RUNNING
        job.finished_at = None
        job.error = ""
        job.resumed_at = timezone.now()
        job.save()
        _job_counts_refresh(job.pk)
        _audit(job=job, actor=actor, action=f"retried {retried} failed documents of")
        _pump_on_commit(job.pk)
    return job


def reprocess_jobs_pump_running() -> int:
    """Pump every running job (the sweeper's part: lost messages, stale chunks)."""
    job_ids = list(
        Job.objects.filter(state=Job.State.RUNNING).values_list("pk", flat=True)
    )
    for job_id in job_ids:
        task_enqueue(tasks.reprocess_job_pump, job_id=job_id)
    return len(job_ids)
