"""A real Celery worker, in this process, consuming from the test Redis database."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from celery.contrib.testing.worker import start_worker

from workers.celery import app as celery_app

# By urgency, as the demo worker consumes them (README "Workers").
ALL_QUEUES = ["ml", "default", "bulk", "train"]


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


class WorkerProcess:
    """A real ``celery worker`` process on the test database, that a test may kill."""

    def __init__(
        self,
        *,
        log_path,
        env_overrides: dict[str, str] | None = None,
        queues: list[str] | None = None,
    ) -> None:
        import os
        import subprocess
        import sys

        from django.db import connection

        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "docsite.settings.test",
            "DOCSITE_DB_NAME": connection.settings_dict["NAME"],
            **(env_overrides or {}),
        }
        self._log = open(log_path, "ab")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workers",
                "worker",
                "-Q",
                ",".join(queues or ALL_QUEUES),
                "-P",
                "solo",
                "-c",
                "1",
                "--without-mingle",
                "--without-gossip",
                "--loglevel",
                "INFO",
                "-n",
                f"test-{os.getpid()}-{time.monotonic_ns()}@localhost",
            ],
            env=env,
            stdout=self._log,
            stderr=self._log,
        )

    def kill(self) -> None:
        import signal

        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except Exception:
                self.process.kill()
        self._log.close()


@pytest.fixture
def worker_processes(transactional_db, tmp_path):
    """Start real worker processes with ``start(queues=None, **env)``; all are
    stopped afterwards."""
    celery_app.control.purge()
    started: list[WorkerProcess] = []

    def start(queues: list[str] | None = None, **env_overrides: str) -> WorkerProcess:
        worker = WorkerProcess(
            log_path=tmp_path / "worker.log", env_overrides=env_overrides, queues=queues
        )
        started.append(worker)
        return worker

    start.log_path = tmp_path / "worker.log"
    yield start
    for worker in started:
        worker.stop()
