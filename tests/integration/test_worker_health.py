"""worker_health and the Queues-and-workers page answer fast and list the
models each worker holds, with a real worker."""

from __future__ import annotations

import io
import json
import time

import pytest

from django.core.management import call_command
from django.urls import reverse

from docsite.documents.services import document_create_from_text
from summaries.models import Summary
from tests.factories import SpaceFactory, UserFactory
from tests.integration.conftest import ALL_QUEUES, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_worker_health_answers_in_under_two_seconds_with_loaded_models(
    celery_worker_real, client
):
    space = SpaceFactory(slug="health")
    document = document_create_from_text(
        space=space, title="Health", text="A document to summarize."
    ).document
    assert wait_for(
        lambda: Summary.objects.filter(document=document, status="generated").exists()
    )

    started = time.monotonic()
    out = io.StringIO()
    call_command("worker_health", "--json", stdout=out)
    elapsed = time.monotonic() - started
    report = json.loads(out.getvalue())
    assert elapsed < 2, f"worker_health took {elapsed:.1f}s"
    assert list(report["queues"]) == ALL_QUEUES
    (worker,) = report["workers"].values()
    assert worker["queues"] == ALL_QUEUES
    assert "default" in worker["loaded"]["summarizers"]
    assert worker["loaded"]["summarizers"]["default"]["backend"] == "dummy"

    client.force_login(UserFactory(username="ops", is_staff=True, is_superuser=True))
    started = time.monotonic()
    html = client.get(reverse("admin:workers_reprocessjob_health")).content.decode()
    assert time.monotonic() - started < 2
    assert "summarizers/default" in html
