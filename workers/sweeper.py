"""The sweeper: find work that is due but not queued, and queue it again.

Runs from Celery beat. Everything it enqueues is idempotent, so sending
something twice costs a little time and writes nothing twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from docsite.documents.dispatch import task_enqueue
from docsite.documents.selectors import document_list_due_analysis
from docsite.documents.tasks import document_analyze

from .services import reprocess_jobs_pump_running

logger = logging.getLogger(__name__)

# Queued work younger than this is probably still on its way through the broker.
STUCK_AFTER = timedelta(minutes=2)
SWEEP_LIMIT = 500


def _enqueue_in_batches(
    task, *, document_ids: list[int], batch_size: int, **kwargs
) -> None:
    """Send ``document_ids`` to a batch task, ``batch_size`` documents a message."""
    for start in range(0, len(document_ids), batch_size):
        task_enqueue(
            task, document_ids=document_ids[start : start + batch_size], **kwargs
        )


def _summaries_due_enqueue() -> int:
    from summaries.conf import summaries_setting
    from summaries.selectors import document_ids_due_summary, summary_producer_live
    from summaries.tasks import summaries_generate

    live = summary_producer_live()
    document_ids = document_ids_due_summary(
        producer=live.producer, limit=SWEEP_LIMIT, stuck_after=STUCK_AFTER
    )
    _enqueue_in_batches(
        summaries_generate,
        document_ids=document_ids,
        batch_size=summaries_setting("BATCH_SIZE"),
        backend_alias=live.backend_alias,
    )
    return len(document_ids)


def _embeddings_due_enqueue() -> int:
    # Vectors have no queued state to tell "in flight" from "lost", so every
    # missing one is sent again; the task skips documents embedded meanwhile.
    from interests.conf import interests_setting
    from interests.selectors import document_ids_missing_vector, embedding_producer_live
    from interests.tasks import document_vectors_compute

    live = embedding_producer_live()
    document_ids = document_ids_missing_vector(
        producer=live.producer, limit=SWEEP_LIMIT
    )
    _enqueue_in_batches(
        document_vectors_compute,
        document_ids=document_ids,
        batch_size=interests_setting("BATCH_SIZE"),
        embedder_alias=live.backend_alias,
    )
    return len(document_ids)


def due_work_enqueue() -> int:
    """Enqueue analysis, summaries, embeddings and running jobs' chunks that are due.

    Return the count of documents whose work was enqueued.
    """
    analysis = document_list_due_analysis(limit=SWEEP_LIMIT)
    for document_id in analysis:
        task_enqueue(document_analyze, document_id=document_id)
    summaries = _summaries_due_enqueue()
    embeddings = _embeddings_due_enqueue()
    jobs = reprocess_jobs_pump_running()
    total = len(analysis) + summaries + embeddings
    if total or jobs:
        logger.info(
            "sweeper: %d analyses, %d summaries, %d embeddings re-enqueued; "
            "%d running jobs pumped",
            len(analysis),
            summaries,
            embeddings,
            jobs,
        )
    return total
