"""A summary claim dies with its worker: retries and the sweeper reclaim at once.

The finding: after a PostgreSQL restart or a killed worker during a batch,
the rows stayed "running" for about 32 minutes, and the task's own retry
skipped them.
"""

from __future__ import annotations

import threading

import pytest

from django.db import connection
from django.utils import timezone

from docsite.documents.services import document_create_from_text
from summaries.claims import claims_take
from summaries.models import Summary
from summaries.services import summaries_generate
from tests.factories import SpaceFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _running_row(document) -> Summary:
    summaries_generate(document_ids=[document.pk])
    row = Summary.objects.get(document=document)
    Summary.objects.filter(pk=row.pk).update(
        status=Summary.Status.RUNNING, started_at=timezone.now(), text=""
    )
    return row


def test_rows_of_a_dead_claim_are_summarized_again_at_once():
    """The worker died (or PostgreSQL restarted): nobody holds the claim."""
    document = document_create_from_text(
        space=SpaceFactory(slug="kb"), title="Runbook", text="Restart the service."
    ).document
    row = _running_row(document)

    report = summaries_generate(document_ids=[document.pk])

    assert report.generated == 1
    row.refresh_from_db()
    assert row.status == Summary.Status.GENERATED and row.text


def test_a_live_claim_keeps_its_rows_until_its_connection_goes():
    document = document_create_from_text(
        space=SpaceFactory(slug="kb"), title="Runbook", text="Restart the service."
    ).document
    row = _running_row(document)
    claimed, release = threading.Event(), threading.Event()

    def worker() -> None:  # another worker's connection, mid-batch
        claims_take([row.pk])
        claimed.set()
        release.wait(10)
        connection.close()  # killed: its connection, and the claim, are gone

    thread = threading.Thread(target=worker)
    thread.start()
    assert claimed.wait(10)
    try:
        assert summaries_generate(document_ids=[document.pk]).skipped == 1
        row.refresh_from_db()
        assert row.status == Summary.Status.RUNNING
    finally:
        release.set()
        thread.join(10)

    assert summaries_generate(document_ids=[document.pk]).generated == 1
