"""Faults with real services: Redis stopped, a worker killed, PostgreSQL
restarted, a model that cannot load. Nothing is lost, nothing done twice."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker

from django.db import connection
from django.test import Client
from django.urls import reverse

from docsite.documents.models import Document
from docsite.documents.services import document_create_from_text
from docsite.ml.embedders import reset_embedders
from docsite.ml.models import ActiveProducer
from interests.models import DocumentVector
from summaries.backends import reset_summarizers
from summaries.models import Summary
from summaries.selectors import (
    summary_current,
    summary_producer_for,
    summary_producer_live,
)
from tests.factories import SpaceFactory, UserFactory
from tests.integration.conftest import ALL_QUEUES, wait_for
from workers import sweeper
from workers.celery import app as celery_app

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

HASHING = {
    "default": {"BACKEND": "tests.interests.fakes.HashingEmbedder", "OPTIONS": {}}
}


@pytest.fixture(autouse=True)
def hashing_embedder(settings):
    """The model-free embedder, here and (by the same settings) in the worker thread."""
    settings.DOCSITE_EMBEDDERS = HASHING
    reset_embedders()
    yield
    reset_embedders()


def _documents(space, n: int, prefix: str) -> list[Document]:
    return [
        document_create_from_text(
            space=space,
            title=f"{prefix} {i}",
            text=f"{prefix} {i} covers step {i} of the plan.",
        ).document
        for i in range(n)
    ]


def _complete(document: Document) -> bool:
    """Analyzed, summarized by the live producer, and its current text embedded.

    Any embedder counts: a worker subprocess runs the test settings' real one,
    while this process and its worker threads use the hashing fake.
    """
    document = Document.objects.get(pk=document.pk)
    return (
        not document.analysis_due
        and summary_current(document=document) is not None
        and DocumentVector.objects.filter(
            document=document, content_sha256=document.content_sha256
        ).exists()
    )


# --- Redis stopped while documents are saved ---------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test's own, on a free port; never the shared one."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = _free_port()
        self.dir = tmp_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_for(self._answers, timeout=10), "private redis did not start"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(
                ("127.0.0.1", self.port), timeout=0.5
            ) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@contextmanager
def broker_at(url: str):
    """Point the Celery app at ``url``, then restore it."""
    original = celery_app.conf.broker_url

    def reset_pools():
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    celery_app.conf.broker_url = url
    reset_pools()
    try:
        yield
    finally:
        celery_app.conf.broker_url = original
        reset_pools()


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_saves_succeed_while_redis_is_stopped_and_the_sweeper_finishes_the_work(
    tmp_path,
):
    """GIVEN a Redis that stops WHEN documents are saved THEN every save succeeds
    quickly, and once Redis is back the sweeper gets each document analyzed,
    summarized and embedded."""
    redis = PrivateRedis(tmp_path)
    redis.start()
    space = SpaceFactory(slug="outage")
    try:
        with broker_at(redis.url):
            redis.stop()
            saved = []
            for i in range(4):
                started = time.monotonic()
                saved += _documents(space, 1, f"Outage note {i}")
                assert time.monotonic() - started < 5, "a save waited on the broker"
            assert all(d.analysis_due for d in saved)
            assert not Summary.objects.exists() and not DocumentVector.objects.exists()

            redis.start()
            with start_worker(
                celery_app, pool="solo", queues=ALL_QUEUES, perform_ping_check=False
            ):
                assert sweeper.due_work_enqueue() >= len(saved)
                # The analysis finishing may make more work due; sweep like beat.
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and not all(map(_complete, saved)):
                    time.sleep(1)
                    sweeper.due_work_enqueue()
    finally:
        redis.stop()
    assert [d.pk for d in saved if not _complete(d)] == []
    assert Summary.objects.count() == len(saved)


# --- a worker killed in the middle of a batch of summaries ---------------------------


def test_summaries_of_a_worker_killed_mid_batch_are_finished_once(worker_processes):
    """GIVEN the slow summarizer live and a worker in the middle of a batch
    WHEN the worker is SIGKILLed and another starts THEN after the sweeper each
    document has exactly one finished summary row of that producer."""
    slow = summary_producer_for(backend_alias="slow")
    ActiveProducer.objects.create(kind="summaries", backend_alias="slow", producer=slow)
    env = {"SUMMARIES_RUNNING_TIMEOUT_SECONDS": "3"}
    first = worker_processes(**env)
    documents = _documents(SpaceFactory(slug="batch"), 8, "Batch note")
    assert wait_for(
        lambda: Summary.objects.filter(producer=slow, status="running").exists(),
        timeout=60,
    ), worker_processes.log_path.read_text()[-3000:]
    first.kill()
    unfinished = Summary.objects.filter(producer=slow).exclude(status="generated")
    assert unfinished.exists(), "the kill came too late to test anything"

    worker_processes(**env)
    original = sweeper.STUCK_AFTER
    sweeper.STUCK_AFTER = timedelta(seconds=3)  # beat would wait two minutes
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and unfinished.exists():
            time.sleep(2)
            sweeper.due_work_enqueue()
    finally:
        sweeper.STUCK_AFTER = original
    rows = list(
        Summary.objects.filter(producer=slow).values_list("document_id", "status")
    )
    assert sorted(pk for pk, _ in rows) == sorted(d.pk for d in documents), rows
    assert {status for _, status in rows} == {"generated"}
    assert Summary.objects.filter(producer=slow, attempts__gte=2).exists()
    assert summary_producer_live().producer == slow


# --- PostgreSQL restarted while a worker runs ----------------------------------------


def test_a_running_worker_recovers_from_a_postgres_restart(worker_processes):
    """GIVEN a worker process that has done work WHEN PostgreSQL restarts
    THEN the same process (not restarted) does the work of new saves."""
    from docsite.db.embedded.server import embedded_server_stop

    pgdata = connection.settings_dict.get("EMBEDDED_PGDATA")
    if not pgdata:
        pytest.skip("needs the embedded PostgreSQL (DATABASE_URL is set)")
    worker = worker_processes()
    space = SpaceFactory(slug="restart")
    before = _documents(space, 2, "Before restart")
    assert wait_for(lambda: all(map(_complete, before)), timeout=60), (
        worker_processes.log_path.read_text()[-3000:]
    )

    connection.close()
    assert embedded_server_stop(pgdata=pgdata)
    time.sleep(2)  # the worker polls the broker meanwhile; its next task reconnects

    after = _documents(space, 3, "After restart")  # the first connection restarts it
    assert wait_for(lambda: all(map(_complete, after)), timeout=90), (
        worker_processes.log_path.read_text()[-3000:]
    )
    assert worker.process.poll() is None, "the worker died"


# --- a model that fails to load ---------------------------------------------------------


def test_a_model_that_cannot_load_is_a_stored_error_and_the_site_stays_up(
    celery_worker_real, settings, tmp_path
):
    """GIVEN a transformers backend whose model folder is missing, made live
    WHEN documents are saved THEN each summary fails with an error naming the
    model, and /healthz and the pages still answer."""
    missing = tmp_path / "no-such-model"
    settings.SUMMARIES_BACKENDS = {
        **settings.SUMMARIES_BACKENDS,
        "broken": {"BACKEND": "transformers", "OPTIONS": {"model": str(missing)}},
    }
    reset_summarizers()
    producer = summary_producer_for(backend_alias="broken")
    ActiveProducer.objects.create(
        kind="summaries", backend_alias="broken", producer=producer
    )
    space = SpaceFactory(slug="models", is_public=True)
    documents = _documents(space, 3, "Model note")

    rows = Summary.objects.filter(producer=producer)
    assert wait_for(
        lambda: rows.filter(status="failed").count() == len(documents), timeout=120
    ), (producer, list(Summary.objects.values_list("producer", "status", "error")))
    for error in rows.values_list("error", flat=True):
        assert "no-such-model" in error, error

    client = Client()
    assert client.get(reverse("healthz")).status_code == 200
    client.force_login(UserFactory(username="reader"))
    assert client.get(reverse("documents:list")).status_code == 200
    page = client.get(reverse("documents:detail", args=[documents[0].pk]))
    assert page.status_code == 200
    assert "could not be generated" in page.content.decode()
    # The rest of the pipeline ran: analysis and embeddings are unaffected.
    assert wait_for(
        lambda: all(
            not Document.objects.get(pk=d.pk).analysis_due
            and DocumentVector.objects.filter(document=d).exists()
            for d in documents
        ),
        timeout=60,
    )
    reset_summarizers()
