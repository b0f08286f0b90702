"""Background upkeep and reprocessing: the sweeper, job pumps and activation
run on ``default`` (no model); chunks run on ``bulk``, which ML workers take
after ``ml``.

Thin: the work is in ``workers.services`` and the apps' own services.
"""

from __future__ import annotations

import logging

from celery import shared_task

from django.db import InterfaceError, OperationalError

from summaries.backends.base import SummarizerTransientError

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def sweep_due_work() -> int:
    """Enqueue work that is due but was never sent (e.g. Redis was down at save)."""
    from .sweeper import due_work_enqueue

    return due_work_enqueue()


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def reprocess_job_pump(*, job_id: int) -> None:
    from .services import reprocess_job_pump as pump

    pump(job_id=job_id)


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=1800,
    time_limit=1900,
)
def reprocess_job_activate(*, job_id: int) -> None:
    """Carry state over to a job's new producer (the kind's on_activate), then close it."""
    from .services import reprocess_job_activate as activate

    activate(job_id=job_id)


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError, SummarizerTransientError),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=1800,
    time_limit=1900,
)
def reprocess_chunk(*, job_id: int, chunk: str) -> None:
    """Process one chunk of a job, then let the pump send the next."""
    from .services import reprocess_chunk_run

    try:
        reprocess_chunk_run(job_id=job_id, chunk=chunk)
    finally:
        from docsite.tasking import task_enqueue

        task_enqueue(reprocess_job_pump, job_id=job_id)


@shared_task(
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def summarizer_rollout(*, alias: str, actor_id: int | None = None) -> None:
    """Start the blue/green job of a promoted summarizer alias."""
    from .rollout import summarizer_rollout as rollout

    rollout(alias=alias, actor_id=actor_id)
