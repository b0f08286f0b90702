"""Enqueue Celery tasks after commit without letting a broker outage break a save.

Every app sends its tasks through these two helpers; the core depends on
Celery only here and never imports ``workers``.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from kombu.exceptions import OperationalError

from django.db import transaction

logger = logging.getLogger(__name__)


def task_enqueue(task: Task, **kwargs: Any) -> bool:
    """Send ``task`` now; return False and log when the broker is unreachable.

    Work that could not be sent is not lost: it stays due in the database and
    the sweeper sends it once the broker answers again.
    """
    try:
        task.apply_async(kwargs=kwargs)
    except (OperationalError, ConnectionError, OSError) as exc:
        logger.warning(
            "broker unreachable, %s(%s) left to the sweeper: %s", task.name, kwargs, exc
        )
        return False
    return True


def task_enqueue_on_commit(task: Task, **kwargs: Any) -> None:
    """Send ``task`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: task_enqueue(task, **kwargs))
