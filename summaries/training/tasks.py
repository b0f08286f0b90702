"""Training tasks (queue ``train``); thin wrappers around ``summaries.training.runs``.

Not ``acks_late``: a run lasts longer than the broker's visibility timeout,
so a redelivery would start a second copy. A worker killed mid-run leaves the
run without heartbeat; ``training_runs_recover`` (beat) queues it again and it
resumes from its last checkpoint.
"""

from __future__ import annotations

from celery import shared_task

# A long run on a CPU; the run resumes from a checkpoint if a limit kills it.
TRAINING_TIME_LIMIT = 12 * 3600


@shared_task(
    ignore_result=True,
    soft_time_limit=TRAINING_TIME_LIMIT,
    time_limit=TRAINING_TIME_LIMIT + 600,
)
def training_run_execute(*, run_id: int) -> None:
    from .runs import training_run_execute as execute

    execute(run_id=run_id)


@shared_task(ignore_result=True)
def training_runs_recover() -> list[int]:
    from .runs import training_runs_recover as recover

    return recover()
