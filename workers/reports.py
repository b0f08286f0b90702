"""What each worker holds and does, reported to Redis by the worker itself, so
health pages answer at once instead of waiting on broadcasts.

- Each worker's main process writes a heartbeat every ``HEARTBEAT_SECONDS``
  into the hash ``docsite:workers-alive`` (field: node name): the queues it
  consumes, in the order it takes them. A worker whose heartbeat is older
  than ``ALIVE_SECONDS`` is gone.
- Every task's start and end write one small JSON value into the hash
  ``docsite:workers`` (field ``host:pid``): the task running now and the
  summarizers and embedders the process has built, with what they say about
  themselves (device, dtype, load time). A process that shuts down removes
  its field; reports older than ``STALE_SECONDS`` are ignored.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time

import redis
from celery import bootsteps
from celery.signals import task_postrun, task_prerun, worker_process_shutdown

logger = logging.getLogger(__name__)

KEY = "docsite:workers"
ALIVE_KEY = "docsite:workers-alive"
STALE_SECONDS = 24 * 3600
HEARTBEAT_SECONDS = 10
ALIVE_SECONDS = 3 * HEARTBEAT_SECONDS
_field: str | None = None
_clients: dict[str, redis.Redis] = {}


def broker_redis() -> redis.Redis:
    """A plain client of the broker's Redis (short timeouts; one per URL and process)."""
    from workers.celery import app

    url = app.conf.broker_url
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(
            url, socket_timeout=1, socket_connect_timeout=1
        )
    return _clients[url]


def loaded_models() -> dict[str, dict[str, dict]]:
    """Return the backends this process built, by group and alias (nothing is loaded)."""
    from docsite.ml.embedders import loaded_embedders
    from summaries.backends import loaded_summarizers

    return {
        "summarizers": {a: s.describe() for a, s in loaded_summarizers().items()},
        "embedders": {a: e.describe() for a, e in loaded_embedders().items()},
    }


def worker_report(*, task: str | None) -> None:
    """Write this process's report; never fails the task it runs around."""
    global _field
    _field = f"{socket.gethostname()}:{os.getpid()}"
    report = {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        # A prefork child's parent is the worker's main process; solo and
        # thread pools run tasks in the main process itself.
        "ppid": os.getppid(),
        "task": task,
        "at": time.time(),
        "loaded": loaded_models(),
    }
    try:
        broker_redis().hset(KEY, _field, json.dumps(report, default=str))
    except Exception as exc:  # a report must never fail work
        logger.debug("worker report not written: %s", exc)


def worker_reports() -> list[dict]:
    """Return the fresh process reports (``[]`` when Redis is unreachable)."""
    try:
        raw = broker_redis().hgetall(KEY)
    except Exception:
        return []
    reports = []
    now = time.time()
    for value in raw.values():
        try:
            report = json.loads(value)
        except ValueError:
            continue
        if now - report.get("at", 0) < STALE_SECONDS:
            reports.append(report)
    return reports


@task_prerun.connect(dispatch_uid="workers.reports.prerun")
def _task_started(sender=None, task=None, **kwargs) -> None:
    task = task or sender
    worker_report(task=task.name)


@task_postrun.connect(dispatch_uid="workers.reports.postrun")
def _task_ended(sender=None, task=None, **kwargs) -> None:
    worker_report(task=None)


@worker_process_shutdown.connect(dispatch_uid="workers.reports.shutdown")
def _process_ended(**kwargs) -> None:
    if _field is None:
        return
    with contextlib.suppress(Exception):
        broker_redis().hdel(KEY, _field)


def workers_alive() -> dict[str, dict]:
    """Return ``{node: {"queues", "host", "pid", "at"}}`` of the workers whose
    heartbeat is recent."""
    try:
        raw = broker_redis().hgetall(ALIVE_KEY)
    except Exception:
        return {}
    alive = {}
    now = time.time()
    for node, value in raw.items():
        try:
            beat = json.loads(value)
        except ValueError:
            continue
        if now - beat.get("at", 0) < ALIVE_SECONDS:
            alive[node.decode() if isinstance(node, bytes) else node] = beat
    return alive


class Heartbeat(bootsteps.StartStopStep):
    """A consumer step: the worker's main process writes its heartbeat while it runs."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent, **kwargs) -> None:
        super().__init__(parent, **kwargs)
        self._stop = threading.Event()
        self._node = ""

    def start(self, parent) -> None:
        self._node = parent.hostname
        queues = [queue.name for queue in parent.task_consumer.queues]
        self._stop.clear()

        def beat() -> None:
            while not self._stop.is_set():
                try:
                    broker_redis().hset(
                        ALIVE_KEY,
                        self._node,
                        json.dumps(
                            {
                                "queues": queues,
                                "host": socket.gethostname(),
                                "pid": os.getpid(),
                                "at": time.time(),
                            }
                        ),
                    )
                except Exception as exc:
                    logger.debug("heartbeat not written: %s", exc)
                self._stop.wait(HEARTBEAT_SECONDS)

        threading.Thread(target=beat, name="docsite-heartbeat", daemon=True).start()

    def stop(self, parent) -> None:
        self._stop.set()
        with contextlib.suppress(Exception):
            broker_redis().hdel(ALIVE_KEY, self._node)
