"""Reprocessing jobs: estimate, start, fan out in chunks, record outcomes,
pause, resume, cancel, retry, and switch producers when complete (blue/green).

Invariants:
- a job's progress is its items' states in the database;
- a chunk only writes outcomes for items still in flight in that chunk, so a
  chunk delivered twice records nothing twice;
- at most ``max_chunks_in_flight`` chunks are dispatched at once;
- chunks run on the ``bulk`` queue in steps of a few seconds and give way to
  interactive work (``ml``) between steps: what they have not started goes
  back to pending;
- a job only ever processes documents of its selection, including those
  saved while it ran (catch-up rounds before the switch).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from docsite.documents.dispatch import task_enqueue, task_enqueue_on_commit
from docsite.documents.models import Document, Space
from docsite.ml.outputs import (
    LiveProducer,
    OutputKind,
    WorkEstimate,
    chunk_size_for,
    output_kind,
    producer_activate,
)

from .conf import reprocess_setting
from .models import ReprocessItem, ReprocessJob
from .selectors import queue_waiting

logger = logging.getLogger(__name__)

Job = ReprocessJob
Item = ReprocessItem


def _selected_documents(
    *,
    output: OutputKind,
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
        documents = output.documents_missing(producer=producer)
        if space is not None:
            documents = documents.filter(space=space)
    return documents


def _chunk_size(*, seconds_per_document: float) -> int:
    return chunk_size_for(
        seconds_per_document=seconds_per_document,
        target_seconds=reprocess_setting("CHUNK_SECONDS"),
        most=reprocess_setting("CHUNK_SIZE"),
    )


def backend_alias_validate(*, kind: str, backend_alias: str) -> str:
    """Return ``backend_alias`` when ``kind`` has it configured and it loads; else raise.

    ``ValueError`` lists the configured aliases; ``ImproperlyConfigured`` says
    why a configured one is broken.
    """
    output = output_kind(kind)
    aliases = output.aliases()
    if backend_alias not in aliases:
        raise ValueError(
            f"'{backend_alias}' is not an alias of {output.setting}; "
            f"choose one of: {', '.join(aliases)}."
        )
    output.producer_for(backend_alias=backend_alias)
    return backend_alias


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
        if job.phase == Job.Phase.ACTIVATING:
            if job.updated_at < stale_before:
                _activate_on_commit(job.pk)  # the activation task was lost
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
            if _job_catch_up(job):
                _pump_on_commit(job.pk)
            else:
                _job_finish(job)
            return []
        for chunk in chunks:
            task_enqueue_on_commit(reprocess_chunk, job_id=job.pk, chunk=chunk)
    return chunks


def _job_catch_up(job: Job) -> bool:
    """Queue documents of the selection that still lack this producer's output
    for their current text (saved or changed while the job ran); return
    whether any were queued.

    Bounded by ``REPROCESS_CATCHUP_ROUNDS``, so a document edited without end
    cannot keep a job open; failed items are not sent again.
    """
    if job.catchup_rounds >= reprocess_setting("CATCHUP_ROUNDS"):
        return False
    output = output_kind(job.kind)
    lacking = (
        _selected_documents(
            output=output,
            selection=job.selection,
            producer=job.producer,
            space=job.space,
            document_ids=job.document_ids,
        )
        .filter(pk__in=output.documents_missing(producer=job.producer).values("pk"))
        .exclude(
            pk__in=Item.objects.filter(job=job, state=Item.State.FAILED).values(
                "document_id"
            )
        )
        .values_list("pk", flat=True)
    )
    ids = list(lacking[:100_000])
    if not ids:
        return False
    Item.objects.bulk_create(
        [Item(job=job, document_id=pk) for pk in ids], ignore_conflicts=True
    )
    Item.objects.filter(job=job, document_id__in=ids).update(
        state=Item.State.PENDING, chunk=None, error=""
    )
    job.catchup_rounds += 1
    job.total = Item.objects.filter(job=job).count()
    job.save(update_fields=["catchup_rounds", "total", "updated_at"])
    _job_counts_refresh(job.pk)
    logger.info("job %s: %d documents changed meanwhile, sent again", job.pk, len(ids))
    return True


def _job_finish(job: Job) -> None:
    """Close a job whose items are all settled; switch producers when it fully succeeded.

    The switch commits here; the kind's ``on_activate`` hook then runs in its
    own task (the job stays running, phase "activating", until it returns).
    """
    counts = dict(
        Item.objects.filter(job=job)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    job.done_count = counts.get(Item.State.DONE, 0)
    job.failed_count = counts.get(Item.State.FAILED, 0)
    job.skipped_count = counts.get(Item.State.SKIPPED, 0)
    if job.failed_count:
        job.state = Job.State.FAILED
        job.error = (
            f"{job.failed_count} document(s) failed; the producer was not switched. "
            "Retry them from the admin or with reprocess --retry-failed."
        )
    elif job.activate_on_success:
        old, _new = producer_activate(
            kind=job.kind,
            backend_alias=job.backend_alias,
            producer=job.producer,
            actor=job.started_by,
        )
        if old.producer != job.producer:
            job.replaced_backend_alias = old.backend_alias
            job.replaced_producer = old.producer
            job.phase = Job.Phase.ACTIVATING
            job.save()
            _activate_on_commit(job.pk)
            return
        job.state = Job.State.DONE
        job.error = ""
    else:
        job.state = Job.State.DONE
        job.error = ""
    _job_close(job)


def _job_close(job: Job) -> None:
    now = timezone.now()
    job.active_seconds += (now - (job.resumed_at or now)).total_seconds()
    job.resumed_at = None
    job.finished_at = now
    job.save()
    logger.info(
        "reprocess job %s %s: %d done, %d skipped, %d failed",
        job.pk,
        job.state,
        job.done_count,
        job.skipped_count,
        job.failed_count,
    )


def _activate_on_commit(job_id: int) -> None:
    from .tasks import reprocess_job_activate

    task_enqueue_on_commit(reprocess_job_activate, job_id=job_id)


def reprocess_job_activate(*, job_id: int) -> None:
    """Run the output kind's ``on_activate`` hook for a job that just switched, then close it.

    Progress goes to ``activation_done``/``activation_total``; an exception
    fails the job with its message (the switch stays: readers already use
    the new producer, and ``producer_switch_back`` undoes it).
    """
    job = Job.objects.filter(pk=job_id).first()
    if (
        job is None
        or job.state != Job.State.RUNNING
        or job.phase != Job.Phase.ACTIVATING
    ):
        return
    last_write = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last_write
        now = time.monotonic()
        if now - last_write < 0.5 and done < total:
            return
        last_write = now
        Job.objects.filter(pk=job_id).update(
            activation_done=done, activation_total=total, updated_at=timezone.now()
        )

    try:
        output_kind(job.kind).on_activate(
            old=LiveProducer(job.replaced_backend_alias, job.replaced_producer),
            new=LiveProducer(job.backend_alias, job.producer),
            progress=progress,
        )
    except Exception as exc:
        logger.exception("job %s: on_activate failed", job_id)
        state, error = (
            Job.State.FAILED,
            f"Readers were switched to {job.producer}, but carrying state over "
            f"failed ({type(exc).__name__}): {exc}",
        )
    else:
        state, error = Job.State.DONE, ""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if job.state != Job.State.RUNNING or job.phase != Job.Phase.ACTIVATING:
            return
        job.state, job.error = state, error
        _job_close(job)


def reprocess_chunk_run(*, job_id: int, chunk: str) -> int:
    """Process one chunk in steps; record each document's outcome once. Return items recorded.

    A step is a few seconds of work (``REPROCESS_STEP_SECONDS``), so progress
    shows per document for slow producers. Between steps the chunk gives way:
    when interactive work waits on the ``ml`` queue, or the job was paused or
    cancelled, the documents not yet started go back to pending.
    """
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
        _chunk_release(job_id=job_id, chunk=chunk, document_ids=document_ids)
        return 0
    output = output_kind(job.kind)
    seconds, _source = output.seconds_per_document(backend_alias=job.backend_alias)
    step = chunk_size_for(
        seconds_per_document=seconds,
        target_seconds=reprocess_setting("STEP_SECONDS"),
        most=output.batch_size(backend_alias=job.backend_alias),
    )
    recorded = 0
    for start in range(0, len(document_ids), step):
        part = document_ids[start : start + step]
        outcomes = output.process(document_ids=part, backend_alias=job.backend_alias)
        recorded += _outcomes_record(job_id=job_id, chunk=chunk, outcomes=outcomes)
        rest = document_ids[start + step :]
        if rest and (_job_stopped(job_id) or queue_waiting("ml")):
            _chunk_release(job_id=job_id, chunk=chunk, document_ids=rest)
            break
    return recorded


def _job_stopped(job_id: int) -> bool:
    return Job.objects.filter(pk=job_id).exclude(state=Job.State.RUNNING).exists()


def _chunk_release(*, job_id: int, chunk: str, document_ids: Sequence[int]) -> None:
    """Put documents a chunk did not start back to pending (not an attempt)."""
    Item.objects.filter(
        job_id=job_id,
        chunk=chunk,
        state=Item.State.IN_FLIGHT,
        document_id__in=list(document_ids),
    ).update(
        state=Item.State.PENDING,
        chunk=None,
        attempts=Greatest(F("attempts") - 1, 0),
    )


def _outcomes_record(*, job_id: int, chunk: str, outcomes: dict) -> int:
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
        # Each item leaves "in flight" once, so adding what this step
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
