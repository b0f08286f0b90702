"""Ingestion: what is stored, what is refused, and that nothing is half-saved."""

from __future__ import annotations

import pytest

from django.core.files.uploadedfile import SimpleUploadedFile

from docsite.documents import signals
from docsite.documents.exceptions import (
    DocumentRejectedError,
    EmptyDocumentError,
    FileTooLargeError,
    UnsupportedFormatError,
)
from docsite.documents.models import Document, DocumentUpload
from docsite.documents.services import (
    document_create_from_text,
    document_delete,
    document_ingest,
    document_update,
)
from docsite.documents.uploads import upload_process, upload_receive

pytestmark = pytest.mark.django_db


def _stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_upload_stores_file_text_and_hash(world, settings):
    upload = SimpleUploadedFile("backup.md", b"# Backups\n\nRun **pg_dump** nightly.\n")

    received = upload_receive(space=world.engineering, upload=upload, user=world.alice)
    result = upload_process(upload_id=received.pk)

    document = Document.objects.get(pk=result.document_id)
    assert result.state == "ready" and result.outcome == "created"
    assert document.title == "Backups"
    assert document.mime_type == "text/markdown"
    assert "pg_dump" in document.text
    assert "<strong>pg_dump</strong>" in document.html
    assert len(document.content_sha256) == 64
    assert document.created_by == world.alice
    assert document.source_file.read() == b"# Backups\n\nRun **pg_dump** nightly.\n"
    assert len(_stored_files(settings)) == 1


def test_same_text_in_same_space_is_stored_once(world, settings):
    first = document_create_from_text(
        space=world.engineering, title="A", text="Same words."
    )
    second = document_create_from_text(
        space=world.engineering, title="B", text="Same words."
    )

    assert second.outcome == "unchanged"
    assert second.document.pk == first.document.pk
    assert Document.objects.count() == 1
    assert len(_stored_files(settings)) == 1


def test_same_text_in_another_space_is_a_separate_document(world):
    document_create_from_text(space=world.engineering, title="A", text="Same words.")
    other = document_create_from_text(space=world.hr, title="A", text="Same words.")

    assert other.outcome == "created"
    assert Document.objects.count() == 2


@pytest.mark.parametrize(
    ("filename", "content", "error"),
    [
        ("empty.txt", b"", EmptyDocumentError),
        ("blank.md", b"   \n\t\n", EmptyDocumentError),
        (
            "image.png",
            b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
            UnsupportedFormatError,
        ),
        ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog", DocumentRejectedError),
    ],
)
def test_bad_files_are_refused_whole(world, settings, filename, content, error):
    upload = SimpleUploadedFile(filename, content)

    try:
        received = upload_receive(
            space=world.engineering, upload=upload, user=world.alice
        )
    except error as refused:  # refused on sight, in the request
        reason, code = str(refused), refused.code
    else:  # refused by the parse in the worker
        processed = upload_process(upload_id=received.pk)
        assert processed.state == "refused"
        reason, code = processed.reason, processed.reason_code

    assert filename in reason
    assert code == error.code or issubclass(error, DocumentRejectedError)
    assert Document.objects.count() == 0
    assert _stored_files(settings) == []


def test_oversized_upload_is_refused_before_reading(world, settings):
    settings.DOCSITE_MAX_UPLOAD_BYTES = 1000
    upload = SimpleUploadedFile("big.txt", b"word " * 400)

    with pytest.raises(FileTooLargeError, match="limit"):
        upload_receive(space=world.engineering, upload=upload, user=world.alice)
    assert Document.objects.count() == 0
    assert DocumentUpload.objects.count() == 0


def test_failed_database_write_leaves_no_file(world, settings, monkeypatch):
    def fail_save(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Document, "save", fail_save)

    with pytest.raises(RuntimeError):
        document_create_from_text(
            space=world.engineering, title="A", text="Some words."
        )
    assert _stored_files(settings) == []


def test_signals_fire_after_commit_with_ids(world, django_capture_on_commit_callbacks):
    received = []

    def on_created(**kwargs):
        received.append(("created", kwargs["document_id"]))

    def on_text(**kwargs):
        received.append(("text", kwargs["document_id"], kwargs["content_sha256"]))

    signals.document_created.connect(on_created, dispatch_uid="test-created")
    signals.document_text_changed.connect(on_text, dispatch_uid="test-text")
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            result = document_create_from_text(
                space=world.engineering, title="A", text="Words."
            )
        assert received == []  # nothing before commit
        for callback in callbacks:
            callback()
    finally:
        signals.document_created.disconnect(dispatch_uid="test-created")
        signals.document_text_changed.disconnect(dispatch_uid="test-text")

    document = result.document
    assert ("created", document.pk) in received
    assert ("text", document.pk, document.content_sha256) in received


def test_update_with_new_text_changes_hash_and_keeps_identity(world, settings):
    document = document_create_from_text(
        space=world.engineering, title="Runbook", text="Old steps."
    ).document
    old_sha = document.content_sha256

    updated = document_update(
        document=document,
        user=world.alice,
        content=b"New steps.",
        filename="runbook.txt",
    )

    assert updated.pk == document.pk
    assert updated.content_sha256 != old_sha
    assert updated.text == "New steps."
    assert updated.updated_by == world.alice


def test_update_to_text_of_another_document_is_refused(world):
    document_create_from_text(space=world.engineering, title="A", text="Alpha text.")
    beta = document_create_from_text(
        space=world.engineering, title="B", text="Beta text."
    ).document

    with pytest.raises(DocumentRejectedError, match="same content"):
        document_update(
            document=beta, user=None, content=b"Alpha text.", filename="b.txt"
        )
    beta.refresh_from_db()
    assert beta.text == "Beta text."


def test_source_key_reimport_updates_instead_of_duplicating(world):
    first = document_ingest(
        space=world.engineering,
        content=b"Version one.",
        filename="a.txt",
        source_key="a.txt",
    )
    again = document_ingest(
        space=world.engineering,
        content=b"Version one.",
        filename="a.txt",
        source_key="a.txt",
    )
    changed = document_ingest(
        space=world.engineering,
        content=b"Version two.",
        filename="a.txt",
        source_key="a.txt",
    )

    assert (first.outcome, again.outcome, changed.outcome) == (
        "created",
        "unchanged",
        "updated",
    )
    assert Document.objects.get().text == "Version two."


def test_delete_removes_row_and_file(
    world, settings, django_capture_on_commit_callbacks
):
    document = document_create_from_text(
        space=world.engineering, title="A", text="Bye."
    ).document
    assert len(_stored_files(settings)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        document_delete(document=document)

    assert not Document.objects.exists()
    assert _stored_files(settings) == []


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}
