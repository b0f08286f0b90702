"""Reads for operators: job progress, queue depths, workers and what they hold."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from docsite.documents.models import Document
from docsite.documents.selectors import sees_every_space, space_ids_visible

from .models import ReprocessItem, ReprocessJob
from .reports import broker_redis, worker_reports, workers_alive


@dataclass(frozen=True)
class JobProgress:
    total: int
    processed: int
    done: int
    failed: int
    skipped: int
    percent: float
    docs_per_second: float
    eta_seconds: float | None
    state: str

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def reprocess_jobs_visible(*, user) -> QuerySet[ReprocessJob]:
    """Return the jobs ``user`` may see: those over what they may read.

    A job over one space is seen by whoever reads that space; a job over all
    documents, or the stale ones, by those who read every space (its counts
    and failures are about documents anywhere); everyone sees the jobs they
    started (over documents they could read then).
    """
    if not user.is_authenticated or not user.is_active:
        return ReprocessJob.objects.none()
    if sees_every_space(user):
        return ReprocessJob.objects.all()
    return ReprocessJob.objects.filter(
        Q(started_by=user)
        | Q(
            selection=ReprocessJob.Selection.SPACE,
            space__in=space_ids_visible(user=user),
        )
    )


def reprocess_job_progress(*, job: ReprocessJob) -> JobProgress:
    elapsed = job.active_seconds
    if job.resumed_at:
        elapsed += (timezone.now() - job.resumed_at).total_seconds()
    processed = job.processed
    rate = processed / elapsed if elapsed > 0 else 0.0
    remaining = max(0, job.total - processed)
    eta = remaining / rate if rate > 0 and job.state == job.State.RUNNING else None
    return JobProgress(
        total=job.total,
        processed=processed,
        done=job.done_count,
        failed=job.failed_count,
        skipped=job.skipped_count,
        percent=round(job.percent, 1),
        docs_per_second=round(rate, 2),
        eta_seconds=round(eta, 1) if eta is not None else None,
        state=job.state,
    )


def reprocess_job_failures(*, job: ReprocessJob, limit: int = 200):
    return (
        ReprocessItem.objects.filter(job=job, state=ReprocessItem.State.FAILED)
        .order_by("pk")
        .values("document_id", "error", "attempts")[:limit]
    )


# By urgency: workers that serve several list them in this order (see celery.py).
# "train" is last: a training run holds its worker for a long time.
QUEUES = ("ml", "default", "bulk", "train")


def queue_depths(names: tuple[str, ...] = QUEUES) -> dict[str, int | None]:
    """Return the messages waiting in each queue (None when the broker is unreachable)."""
    from kombu.transport.redis import PRIORITY_STEPS, Channel

    depths: dict[str, int | None] = {}
    try:
        client = broker_redis()
        # The Redis transport keeps one list per queue and priority step.
        for name in names:
            depths[name] = sum(
                client.llen(f"{name}{Channel.sep}{step}" if step else name)
                for step in PRIORITY_STEPS
            )
    except Exception:  # the broker being down is itself what the page reports
        return dict.fromkeys(names)
    return depths


def queue_waiting(name: str) -> int:
    """Return how many messages wait in queue ``name`` (0 when it cannot be read)."""
    return queue_depths((name,)).get(name) or 0


def workers_status() -> dict[str, dict]:
    """Return each live worker's queues, what its processes run now and the
    models they hold.

    Read from what the workers write to Redis themselves (heartbeats and
    per-process reports, ``workers.reports``): no broadcast, so this answers
    in milliseconds even while every worker is busy.
    """
    reports = worker_reports()
    status = {}
    for name, beat in sorted(workers_alive().items()):
        processes = sorted(
            (
                r
                for r in reports
                if r.get("host") == beat["host"]
                and beat["pid"] in (r.get("pid"), r.get("ppid"))
            ),
            key=lambda r: r["pid"],
        )
        loaded: dict[str, dict] = {}
        for report in processes:
            for group, backends in report.get("loaded", {}).items():
                loaded.setdefault(group, {}).update(backends)
        status[name] = {
            "queues": beat["queues"],
            "processes": len(processes),
            "active_tasks": [r["task"] for r in processes if r.get("task")],
            "loaded": loaded,
        }
    return status


def reprocess_items_failed_recent(*, user, limit: int = 10):
    """Return the most recent failed job items of documents ``user`` may read."""
    return (
        ReprocessItem.objects.filter(
            state=ReprocessItem.State.FAILED,
            job__in=reprocess_jobs_visible(user=user),
            document_id__in=Document.objects.filter(
                space__in=space_ids_visible(user=user)
            ).values("pk"),
        )
        .select_related("job")
        .order_by("-dispatched_at", "-id")[:limit]
    )
