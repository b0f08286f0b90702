"""Running reprocessing jobs: the pump, chunks in steps that give way to
interactive work, catch-up rounds, the switch and its on_activate task."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, F
from django.db.models.functions import Greatest
from django.utils import timezone

from docsite.ml.outputs import (
    LiveProducer,
    chunk_size_for,
    output_kind,
    producer_activate,
)
from docsite.tasking import task_enqueue_on_commit

from .. import tasks
from ..conf import reprocess_setting
from ..selectors import queue_waiting
from .common import (
    Item,
    Job,
    _job_counts_refresh,
    _pump_on_commit,
    _selected_documents,
)

logger = logging.getLogger(__name__)


def reprocess_job_pump(*, job_id: int) -> list[str]:
    """Dispatch chunks up to the in-flight limit, or finish the job; return chunk ids sent."""
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
            task_enqueue_on_commit(tasks.reprocess_chunk, job_id=job.pk, chunk=chunk)
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
    task_enqueue_on_commit(tasks.reprocess_job_activate, job_id=job_id)


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
