"""Uploads are parsed by a real worker; a hostile slow file cannot hold a web worker.

The finding: a 30 KB crafted Markdown file held a production web worker for
60 s, and three of them stalled the three default gunicorn workers.
"""

from __future__ import annotations

import time

import pytest
from rest_framework.test import APIClient

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from docsite.documents.models import Document, DocumentUpload
from tests.factories import GroupFactory, SpaceFactory, UserFactory
from tests.integration.conftest import wait_for
from tests.security.test_parse_sandbox import HOSTILE_MARKDOWN, our_children

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

WEB_BUDGET_SECONDS = 2


def _finished(upload_id: int) -> bool:
    return (
        DocumentUpload.objects.get(pk=upload_id).state
        != DocumentUpload.State.PROCESSING
    )


def test_hostile_slow_files_cannot_hold_a_web_worker(celery_worker_real, settings):
    settings.DOCSITE_PARSE_TIMEOUT_SECONDS = 2
    editors = GroupFactory(name="editors")
    space = SpaceFactory(slug="kb", name="Knowledge base")
    space.viewer_groups.add(editors)
    space.editor_groups.add(editors)
    user = UserFactory(username="mallory", groups=[editors])
    browser = Client()
    browser.force_login(user)
    api = APIClient()
    api.force_authenticate(user)
    children_before = set(our_children())

    # Three hostile files, as many as gunicorn's default workers, then a
    # reader: every request answers within the budget.
    hostile_ids = []
    for number in range(3):
        started = time.monotonic()
        response = browser.post(
            reverse("documents:upload"),
            {
                "space": space.pk,
                "file": SimpleUploadedFile(f"brackets-{number}.md", HOSTILE_MARKDOWN),
            },
        )
        assert time.monotonic() - started < WEB_BUDGET_SECONDS
        assert response.status_code == 302
        hostile_ids.append(DocumentUpload.objects.latest("pk").pk)
    started = time.monotonic()
    api_response = api.post(
        "/api/v1/documents/",
        {"space": "kb", "file": SimpleUploadedFile("api.md", HOSTILE_MARKDOWN)},
        format="multipart",
    )
    assert time.monotonic() - started < WEB_BUDGET_SECONDS
    assert api_response.status_code == 202
    hostile_ids.append(api_response.json()["id"])
    started = time.monotonic()
    assert browser.get(reverse("documents:home")).status_code == 200
    assert time.monotonic() - started < WEB_BUDGET_SECONDS
    good = api.post(
        "/api/v1/documents/",
        {
            "space": "kb",
            "file": SimpleUploadedFile("notes.md", b"# Notes\n\nBackups run nightly."),
        },
        format="multipart",
    ).json()

    # The worker refuses each hostile file at its limit, then takes the next.
    assert wait_for(lambda: _finished(good["id"]), timeout=60)
    for upload_id in hostile_ids:
        upload = DocumentUpload.objects.get(pk=upload_id)
        assert upload.state == DocumentUpload.State.REFUSED
        assert "took longer than 2 seconds" in upload.reason
        assert not upload.stored_file.storage.exists(upload.stored_file.name)
    status = api.get(api_response["Location"]).json()
    assert status["state"] == "refused" and status["reason_code"] == "too_large"
    assert "took longer than 2 seconds" in status["reason"]
    page = browser.get(
        reverse("documents:upload-status", kwargs={"upload_id": hostile_ids[0]})
    ).content.decode()
    assert "Refused." in page and "took longer than 2 seconds" in page
    ready = api.get(good["status_url"]).json()
    assert ready["state"] == "ready" and ready["outcome"] == "created"
    assert list(Document.objects.values_list("title", flat=True)) == ["Notes"]
    assert set(our_children()) <= children_before, "a parse outlived its limit"
