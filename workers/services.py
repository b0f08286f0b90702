"""Reprocessing jobs: start, fan out in chunks, record outcomes, pause, resume,
cancel, retry, and switch producers when complete (blue/green).

Invariants:
- a job's progress is its items' states in the database;
- a chunk only writes outcomes for items still in flight in that chunk, so a
  chunk delivered twice records nothing twice;
- at most ``max_chunks_in_flight`` chunks are dispatched at once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from docsite.documents.dispatch import task_enqueue, task_enqueue_on_commit
from docsite.documents.models import Document, Space

from .conf import reprocess_setting
from .kinds import output_kind, output_kind_activate
from .models import ReprocessItem, ReprocessJob

logger = logging.getLogger(__name__)

Job = ReprocessJob
Item = ReprocessItem


def _selected_document_ids(
    *,
    kind,
    selection: str,
    producer: str,
    space: Space | None,
    document_ids: Sequence[int] | None,
):
    documents = Document.objects.all()
    if selection == Job.Selection.SPACE:
        if space is None:
            raise ValueError("A space job needs a space.")
        documents = documents.filter(space=space)
    elif selection == Job.Selection.DOCUMENTS:
        documents = documents.filter(pk__in=list(document_ids or []))
    elif selection == Job.Selection.STALE:
        documents = kind.documents_stale(producer=producer)
        if space is not None:
            documents = documents.filter(space=space)
    return documents.order_by("pk").values_list("pk", flat=True)


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
    """Create a job with one item per selected document and start fanning out."""
    output = output_kind(kind)
    producer = output.producer_for(backend_alias=backend_alias)
    with transaction.atomic():
        job = Job.objects.create(
            kind=kind,
            selection=selection,
            space=space,
            document_ids=list(document_ids or []),
            backend_alias=backend_alias,
            producer=producer,
            activate_on_success=activate_on_success,
            chunk_size=chunk_size or reprocess_setting("CHUNK_SIZE"),
            max_chunks_in_flight=reprocess_setting("MAX_CHUNKS_IN_FLIGHT"),
            started_by=actor,
            state=Job.State.RUNNING,
            started_at=timezone.now(),
            resumed_at=timezone.now(),
        )
        ids = _selected_document_ids(
            kind=output,
            selection=selection,
            producer=producer,
            space=space,
            document_ids=document_ids,
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
        "reprocess job %s started: %s of %d documents with %s",
        job.pk,
        kind,
        job.total,
        producer,
    )
    return job


def _pump_on_commit(job_id: int) -> None:
    from .tasks import reprocess_job_pump

    task_enqueue_on_commit(reprocess_job_pump, job_id=job_id)


def _audit(*, job: Job, actor, action: str) -> None:
    """Record who started, paused, resumed or cancelled a job in the admin's log."""
    if actor is None:
        return
    from django.contrib.admin.models import CHANGE, LogEntry

    LogEntry.objects.log_actions(
        user_id=actor.pk,
        queryset=[job],
        action_flag=CHANGE,
        change_message=f"Job {action}.",
        single_object=True,
    )


def reprocess_job_pump(*, job_id: int) -> list[str]:
    """Dispatch chunks up to the in-flight limit, or finish the job; return chunk ids sent."""
    from .tasks import reprocess_chunk

    stale_before = timezone.now() - timedelta(
        seconds=reprocess_setting("CHUNK_STALE_SECONDS")
    )
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state != Job.State.RUNNING:
            return []
        reclaimed = Item.objects.filter(
            job=job, state=Item.State.IN_FLIGHT, dispatched_at__lt=stale_before
        ).update(state=Item.State.PENDING, chunk=None)
        if reclaimed:
            logger.warning(
                "job %s: %d documents of lost chunks go back to pending",
                job_id,
                reclaimed,
            )
        in_flight = (
            Item.objects.filter(job=job, state=Item.State.IN_FLIGHT)
            .values("chunk")
            .distinct()
            .count()
        )
        chunks: list[str] = []
        for _ in range(max(0, job.max_chunks_in_flight - in_flight)):
            pending = list(
                Item.objects.select_for_update(skip_locked=True)
                .filter(job=job, state=Item.State.PENDING)
                .order_by("pk")
                .values_list("pk", flat=True)[: job.chunk_size]
            )
            if not pending:
                break
            chunk = str(uuid.uuid4())
            Item.objects.filter(pk__in=pending).update(
                state=Item.State.IN_FLIGHT,
                chunk=chunk,
                dispatched_at=timezone.now(),
                attempts=F("attempts") + 1,
            )
            chunks.append(chunk)
        if not chunks and in_flight == 0:
            _job_finish(job)
            return []
        for chunk in chunks:
            task_enqueue_on_commit(reprocess_chunk, job_id=job.pk, chunk=chunk)
    return chunks


def _job_finish(job: Job) -> None:
    """Close a job whose items are all settled; switch producers when it fully succeeded."""
    counts = dict(
        Item.objects.filter(job=job)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    job.done_count = counts.get(Item.State.DONE, 0)
    job.failed_count = counts.get(Item.State.FAILED, 0)
    job.skipped_count = counts.get(Item.State.SKIPPED, 0)
    now = timezone.now()
    job.active_seconds += (now - (job.resumed_at or now)).total_seconds()
    job.resumed_at = None
    job.finished_at = now
    if job.failed_count:
        job.state = Job.State.FAILED
        job.error = (
            f"{job.failed_count} document(s) failed; the producer was not switched. "
            "Retry them from the admin or with reprocess --retry-failed."
        )
    else:
        job.state = Job.State.DONE
        job.error = ""
        if job.activate_on_success:
            output_kind_activate(
                kind=output_kind(job.kind),
                backend_alias=job.backend_alias,
                producer=job.producer,
                actor=job.started_by,
            )
    job.save()
    logger.info(
        "reprocess job %s %s: %d done, %d skipped, %d failed",
        job.pk,
        job.state,
        job.done_count,
        job.skipped_count,
        job.failed_count,
    )


def reprocess_chunk_run(*, job_id: int, chunk: str) -> int:
    """Process one chunk; record each document's outcome once. Return items recorded."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        return 0
    document_ids = list(
        Item.objects.filter(
            job_id=job_id, chunk=chunk, state=Item.State.IN_FLIGHT
        ).values_list("document_id", flat=True)
    )
    if not document_ids:
        return 0  # a redelivered chunk that was already recorded
    if job.state in (Job.State.PAUSED, Job.State.CANCELLED):
        Item.objects.filter(
            job_id=job_id, chunk=chunk, state=Item.State.IN_FLIGHT
        ).update(state=Item.State.PENDING, chunk=None)
        return 0
    outcomes = output_kind(job.kind).process(
        document_ids=document_ids, backend_alias=job.backend_alias
    )
    recorded: dict[str, int] = {}
    with transaction.atomic():
        for state in (Item.State.DONE, Item.State.SKIPPED, Item.State.FAILED):
            ids = [pk for pk, outcome in outcomes.items() if outcome.state == state]
            in_this_chunk = Item.objects.filter(
                job_id=job_id, chunk=chunk, state=Item.State.IN_FLIGHT
            )
            if state == Item.State.FAILED:
                recorded[state] = sum(
                    in_this_chunk.filter(document_id=pk).update(
                        state=state, error=outcomes[pk].error[:2000]
                    )
                    for pk in ids
                )
            elif ids:
                recorded[state] = in_this_chunk.filter(document_id__in=ids).update(
                    state=state, error=""
                )
        busy = [pk for pk, outcome in outcomes.items() if outcome.state == "busy"]
        if busy:
            # Left in flight with a fresh clock: the pump sends them again once
            # whoever holds them now has surely finished or died.
            Item.objects.filter(
                job_id=job_id,
                chunk=chunk,
                state=Item.State.IN_FLIGHT,
                document_id__in=busy,
            ).update(dispatched_at=timezone.now())
        # Each item leaves "in flight" once, so adding what this chunk
        # recorded keeps the counts exact without recounting the whole job.
        Job.objects.filter(pk=job_id).update(
            done_count=F("done_count") + recorded.get(Item.State.DONE, 0),
            skipped_count=F("skipped_count") + recorded.get(Item.State.SKIPPED, 0),
            failed_count=F("failed_count") + recorded.get(Item.State.FAILED, 0),
            updated_at=timezone.now(),
        )
    return sum(recorded.values())


def _job_counts_refresh(job_id: int) -> None:
    counts = Item.objects.filter(job_id=job_id).aggregate(
        done=Count("pk", filter=Q(state=Item.State.DONE)),
        failed=Count("pk", filter=Q(state=Item.State.FAILED)),
        skipped=Count("pk", filter=Q(state=Item.State.SKIPPED)),
    )
    Job.objects.filter(pk=job_id).update(
        done_count=counts["done"],
        failed_count=counts["failed"],
        skipped_count=counts["skipped"],
        updated_at=timezone.now(),
    )


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
    from .tasks import reprocess_job_pump

    for job_id in job_ids:
        task_enqueue(reprocess_job_pump, job_id=job_id)
    return len(job_ids)
