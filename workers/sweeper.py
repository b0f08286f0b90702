"""The sweeper: find work that is due but not queued, and queue it again.

Runs from Celery beat, over every registered output kind. Everything it
enqueues is idempotent, so sending something twice costs a little time and
writes nothing twice. It only fills in the live producer's outputs of new or
changed documents: after a model switch the rest of the corpus is a job's
business (with its selection and estimate), never the sweeper's.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from docsite.documents.selectors import document_list_due_analysis
from docsite.documents.tasks import document_analyze
from docsite.documents.uploads import uploads_due_enqueue
from docsite.ml.outputs import OutputKind, output_kinds, producer_live
from docsite.tasking import task_enqueue
from interests.services import user_interests_due_enqueue

from .models import ReprocessJob
from .services import reprocess_jobs_pump_running

logger = logging.getLogger(__name__)

# Queued work younger than this is probably still on its way through the broker.
STUCK_AFTER = timedelta(minutes=2)
SWEEP_LIMIT = 500
ABANDONED = (
    "The work was lost (queue purged or worker gone) and no job builds this "
    "producer any more; a reprocessing job or a regenerate makes it again."
)


def output_due_enqueue(output: OutputKind) -> tuple[int, int]:
    """Enqueue one kind's due work for its live producer; abandon what nobody builds.

    Due: documents without any output of their current text (new or changed)
    and the live producer's outputs stuck queued or running. Outputs of other
    producers stuck past the kind's time limit are marked failed unless an
    active job builds that producer (its pump recovers them). Return
    ``(documents enqueued, outputs abandoned)``.
    """
    live = producer_live(kind=output.name)
    due = list(
        output.documents_missing(producer=None)
        .order_by("updated_at")
        .values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    stuck = output.outputs_stuck(older_than=STUCK_AFTER).get(live.producer, [])
    due += [pk for pk in stuck if pk not in set(due)][: SWEEP_LIMIT - len(due)]
    batch = output.batch_size(backend_alias=live.backend_alias)
    for start in range(0, len(due), batch):
        output.enqueue(
            document_ids=due[start : start + batch], backend_alias=live.backend_alias
        )

    building = set(
        ReprocessJob.objects.filter(
            kind=output.name, state__in=ReprocessJob.ACTIVE_STATES
        ).values_list("producer", flat=True)
    )
    abandoned = 0
    lost = output.outputs_stuck(older_than=max(STUCK_AFTER, output.stuck_timeout()))
    for producer, document_ids in lost.items():
        if producer != live.producer and producer not in building:
            abandoned += output.outputs_abandon(
                document_ids=document_ids, producer=producer, reason=ABANDONED
            )
    return len(due), abandoned


def due_work_enqueue() -> int:
    """Enqueue analysis, every kind's outputs and running jobs' chunks that are due.

    Return the count of documents whose work was enqueued.
    """
    analysis = document_list_due_analysis(limit=SWEEP_LIMIT)
    for document_id in analysis:
        task_enqueue(document_analyze, document_id=document_id)
    total = len(analysis)
    report = [f"{len(analysis)} analyses"]
    for name, output in output_kinds().items():
        if not output.enabled():
            continue
        enqueued, abandoned = output_due_enqueue(output)
        total += enqueued
        report.append(
            f"{enqueued} {name}" + (f" ({abandoned} abandoned)" if abandoned else "")
        )
    jobs = reprocess_jobs_pump_running()
    uploads = uploads_due_enqueue(limit=SWEEP_LIMIT)
    refreshes = user_interests_due_enqueue(limit=SWEEP_LIMIT)
    if refreshes:
        logger.info("sweeper: %d interest refreshes requested", refreshes)
    if uploads:
        logger.info("sweeper: %d uploads re-enqueued", uploads)
    if total or jobs:
        logger.info(
            "sweeper: %s re-enqueued; %d running jobs pumped", ", ".join(report), jobs
        )
    return total
