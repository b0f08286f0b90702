"""Reads for operators: job progress, queue depths, workers and what they hold."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from .models import ReprocessItem, ReprocessJob


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
QUEUES = ("ml", "default", "bulk")


def queue_depths(names: tuple[str, ...] = QUEUES) -> dict[str, int | None]:
    """Return the messages waiting in each queue (None when the broker is unreachable)."""
    from workers.celery import app

    depths: dict[str, int | None] = {}
    try:
        with app.pool.acquire(block=True, timeout=2) as connection:
            channel = connection.default_channel
            # The Redis transport keeps one list per queue and priority step.
            for name in names:
                depths[name] = sum(
                    channel.client.llen(channel._q_for_pri(name, priority))
                    for priority in channel.priority_steps
                )
    except Exception:  # the broker being down is itself what the page reports
        return dict.fromkeys(names)
    return depths


def queue_waiting(name: str) -> int:
    """Return how many messages wait in queue ``name`` (0 when it cannot be read)."""
    return queue_depths((name,)).get(name) or 0


def workers_status(*, timeout: float = 1.0) -> dict[str, dict]:
    """Ask every worker for its queues, activity and loaded models."""
    from workers.celery import app

    inspect = app.control.inspect(timeout=timeout)
    try:
        stats = inspect.stats() or {}
        active = inspect.active() or {}
        queues = inspect.active_queues() or {}
        models = inspect._request("docsite_loaded_models") or {}
    except Exception:
        return {}
    return {
        name: {
            "queues": sorted(q["name"] for q in queues.get(name, [])),
            "active_tasks": [task["name"] for task in active.get(name, [])],
            "concurrency": info.get("pool", {}).get("max-concurrency"),
            "pid": info.get("pid"),
            "loaded": models.get(name, {}),
        }
        for name, info in stats.items()
    }


def reprocess_items_failed_recent(*, limit: int = 10):
    """Return the most recent failed job items, with their jobs."""
    return (
        ReprocessItem.objects.filter(state=ReprocessItem.State.FAILED)
        .select_related("job")
        .order_by("-dispatched_at", "-id")[:limit]
    )
