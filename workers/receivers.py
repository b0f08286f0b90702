"""Receivers of the apps' events: each enqueues one task with IDs."""

from __future__ import annotations

from django.dispatch import receiver

from docsite.tasking import task_enqueue
from summaries.signals import summarizer_promoted


@receiver(summarizer_promoted, dispatch_uid="workers.rollout_promoted_summarizer")
def rollout_promoted_summarizer(
    *, alias: str, actor_id: int | None = None, **kwargs
) -> None:
    from .tasks import summarizer_rollout

    # Sent after commit already, so the alias row is there for the task.
    task_enqueue(summarizer_rollout, alias=alias, actor_id=actor_id)
