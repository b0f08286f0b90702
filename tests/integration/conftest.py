"""A real Celery worker, in this process, consuming from the test Redis database."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from celery.contrib.testing.worker import start_worker

from workers.celery import app as celery_app

ALL_QUEUES = ["default", "ml", "bulk"]


@pytest.fixture
def celery_worker_real(transactional_db):
    """Start a worker thread against the real broker; purge leftovers first."""
    celery_app.control.purge()
    with start_worker(
        celery_app,
        pool="solo",
        concurrency=1,
        queues=ALL_QUEUES,
        perform_ping_check=False,
        shutdown_timeout=30,
        loglevel="WARNING",
    ) as worker:
        yield worker


def wait_for(condition: Callable[[], bool], *, timeout: float = 30.0) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()
