"""Uploads: received in the request, parsed by the worker's task, status reported."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from rest_framework.test import APIClient

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from docsite.documents.exceptions import DocumentGoneError
from docsite.documents.models import Document, DocumentUpload
from docsite.documents.services import document_create_from_text, document_update
from docsite.documents.uploads import (
    MAX_ATTEMPTS,
    upload_process,
    upload_receive,
    uploads_due_enqueue,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _receive(world, name="notes.md", content=b"# Notes\n\nSome words.", **kwargs):
    return upload_receive(
        space=world.engineering,
        upload=SimpleUploadedFile(name, content),
        user=world.alice,
        **kwargs,
    )


def test_status_is_reported_only_to_the_uploader(world):
    upload = _receive(world)
    url = reverse("api:upload-detail", kwargs={"upload_id": upload.pk})
    page = reverse("documents:upload-status", kwargs={"upload_id": upload.pk})
    owner, other, admin = APIClient(), APIClient(), APIClient()
    owner.force_authenticate(world.alice)
    other.force_authenticate(world.bob)
    admin.force_authenticate(UserFactory(username="root", is_superuser=True))

    assert owner.get(url).json()["state"] == "processing"
    assert other.get(url).status_code == 404
    assert admin.get(url).status_code == 200
    assert [u["id"] for u in owner.get("/api/v1/uploads/").json()["results"]] == [
        upload.pk
    ]
    assert other.get("/api/v1/uploads/").json()["count"] == 0
    other.force_login(world.bob)
    assert other.get(page).status_code == 404


def test_an_editor_who_lost_the_space_meanwhile_gets_a_refusal(world):
    upload = _receive(world)
    world.engineering.editor_groups.clear()

    processed = upload_process(upload_id=upload.pk)

    assert processed.state == "refused" and "no longer" in processed.reason
    assert not Document.objects.exists()


def test_a_file_for_a_document_deleted_meanwhile_does_not_bring_it_back(world):
    """Finding: DELETE 204, GET 404, then the PATCH's parse re-inserted the row."""
    document = document_create_from_text(
        space=world.engineering, title="Runbook", text="Old text."
    ).document
    upload = _receive(world, "v2.txt", b"New text.", document=document)
    Document.objects.filter(pk=document.pk).delete()

    processed = upload_process(upload_id=upload.pk)

    assert processed.state == "refused" and processed.reason_code == "deleted"
    assert not Document.objects.filter(pk=document.pk).exists()


def test_a_write_racing_a_delete_fails_cleanly_instead_of_reinserting(world):
    document = document_create_from_text(
        space=world.engineering, title="Runbook", text="Old text."
    ).document
    stale = Document.objects.get(pk=document.pk)  # loaded before the delete
    Document.objects.filter(pk=document.pk).delete()

    with pytest.raises(DocumentGoneError):
        document_update(
            document=stale, user=None, content=b"New text.", filename="v2.txt"
        )
    with pytest.raises(DocumentGoneError):
        document_update(document=stale, user=None, title="Renamed")
    assert not Document.objects.filter(pk=document.pk).exists()


def test_a_task_sent_twice_does_the_work_once(world):
    upload = _receive(world)

    first = upload_process(upload_id=upload.pk)
    second = upload_process(upload_id=upload.pk)

    assert first.state == "ready" and second is None
    assert Document.objects.count() == 1


def test_sweeper_sends_lost_uploads_again_and_gives_up_after_the_attempts(world):
    lost = _receive(world)
    fresh = _receive(world, "other.md", b"# Other\n\nMore words.")
    DocumentUpload.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )

    with mock.patch("docsite.documents.uploads.task_enqueue") as enqueue:
        assert uploads_due_enqueue() == 1
    assert enqueue.call_args.kwargs == {"upload_id": lost.pk}
    assert fresh.pk not in [c.kwargs["upload_id"] for c in enqueue.call_args_list]

    DocumentUpload.objects.filter(pk=lost.pk).update(attempts=MAX_ATTEMPTS)
    processed = upload_process(upload_id=lost.pk)
    assert processed.state == "refused" and "upload it again" in processed.reason


def test_upload_named_with_a_snowman_is_stored_and_answered_in_json(world):
    """Finding: an upload named ☃ ended in a bare HTML "Bad Request (400)"."""
    client = APIClient()
    client.force_authenticate(world.alice)

    response = client.post(
        "/api/v1/documents/",
        {"space": "engineering", "file": SimpleUploadedFile("☃", b"Snow day notes.")},
        format="multipart",
    )

    assert response.status_code == 202, response.content
    assert response.json()["filename"] == "☃"
    upload_process(upload_id=response.json()["id"])
    document = Document.objects.get()
    assert document.original_filename == "☃" and document.title == "☃"
    assert client.get(f"/api/v1/documents/{document.pk}/").status_code == 200


def test_portal_upload_named_with_a_snowman_gets_a_status_page(client, world):
    client.force_login(world.alice)

    response = client.post(
        reverse("documents:upload"),
        {"space": world.engineering.pk, "file": SimpleUploadedFile("☃", b"Snow.")},
    )

    assert response.status_code == 302
    upload_process(upload_id=DocumentUpload.objects.get().pk)
    page = client.get(response["Location"]).content.decode()
    assert "☃ was added to Engineering" in page


def test_bidi_controls_are_stripped_from_file_names_and_titles(world):
    """Finding: ``Report \\u202egnp.exe`` displayed as "Report exe.png"."""
    upload = _receive(
        world, "Report \u202egnp.exe.md", "# Quarterly \u202ereport\n\nWords.".encode()
    )
    processed = upload_process(upload_id=upload.pk)
    document = Document.objects.get(pk=processed.document_id)

    assert upload.filename == "Report gnp.exe.md"
    assert document.original_filename == "Report gnp.exe.md"
    assert document.title == "Quarterly report"
    renamed = document_update(document=document, user=None, title="A\u2067B\u2069")
    assert renamed.title == "AB"
    given = _receive(world, "x.md", b"# x\n\nOther words.", title="T\u202eitle")
    assert given.title == "Title"
