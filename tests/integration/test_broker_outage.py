"""A document saved while Redis is down is still processed once it is back."""

from __future__ import annotations

import time
from contextlib import contextmanager

import pytest

from docsite.documents.models import Document
from docsite.documents.services import document_create_from_text
from tests.factories import SpaceFactory
from tests.integration.conftest import wait_for
from workers.celery import app as celery_app
from workers.tasks import sweep_due_work

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@contextmanager
def broker_unreachable():
    """Point the Celery app at a port where nothing listens, then restore it."""
    original = celery_app.conf.broker_url

    def reset_pools():
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    celery_app.conf.broker_url = "redis://127.0.0.1:9/0"
    reset_pools()
    try:
        yield
    finally:
        celery_app.conf.broker_url = original
        reset_pools()


def test_save_succeeds_while_broker_is_down_and_sweeper_catches_up():
    space = SpaceFactory(slug="kb")
    started = time.monotonic()
    with broker_unreachable():
        document = document_create_from_text(
            space=space,
            title="Outage",
            text="Written while the broker was unreachable.",
        ).document
    assert time.monotonic() - started < 10, "a broker outage must not stall a save"
    assert Document.objects.get(pk=document.pk).analysis_due

    # Broker back: the sweeper sends the missed work; a real worker runs it.
    from celery.contrib.testing.worker import start_worker

    celery_app.control.purge()
    with start_worker(
        celery_app, pool="solo", queues=["default", "bulk"], perform_ping_check=False
    ):
        assert sweep_due_work() >= 1
        assert wait_for(lambda: not Document.objects.get(pk=document.pk).analysis_due)
    assert Document.objects.get(pk=document.pk).language == "en"
