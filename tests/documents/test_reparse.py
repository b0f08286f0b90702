"""Blocks are stored at ingestion, and stored documents can be parsed again.

Re-parsing fills in blocks without touching anything derived from the text
when the text is unchanged; a changed text (a PDF reflowed) is updated and
announced, so summaries and vectors follow.
"""

from __future__ import annotations

import io

import pytest

from django.core.management import call_command

from docsite.documents import signals
from docsite.documents.models import Document
from docsite.documents.parsers.base import Block
from docsite.documents.services import (
    document_create_from_text,
    document_ingest,
    document_reparse,
)
from tests import structured_files as files

pytestmark = pytest.mark.django_db


@pytest.fixture
def text_changes():
    received: list[int] = []

    def on_text(*, document_id, **kwargs):
        received.append(document_id)

    signals.document_text_changed.connect(on_text, dispatch_uid="test-reparse")
    yield received
    signals.document_text_changed.disconnect(dispatch_uid="test-reparse")


def test_ingestion_stores_blocks(world):
    result = document_ingest(
        space=world.engineering, content=files.markdown_bytes(), filename="policy.md"
    )

    blocks = Document.objects.get(pk=result.document.pk).blocks
    assert blocks[0] == {"kind": "heading", "text": files.TITLE, "level": 1}
    assert {"kind": "list_item", "text": files.PAY_ITEMS[0]} in blocks
    assert Block.from_dict(blocks[0]) == Block(
        kind="heading", text=files.TITLE, level=1
    )


def test_reparse_fills_blocks_and_leaves_the_text_alone(
    world, text_changes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        document = document_ingest(
            space=world.engineering, content=files.html_bytes(), filename="p.html"
        ).document
    # A document stored before parsers emitted blocks.
    Document.objects.filter(pk=document.pk).update(blocks=[])
    text_changes.clear()
    before = Document.objects.get(pk=document.pk)

    with django_capture_on_commit_callbacks(execute=True):
        outcome = document_reparse(document_id=document.pk)

    after = Document.objects.get(pk=document.pk)
    assert outcome == "blocks"
    assert after.blocks and after.blocks[0]["text"] == files.TITLE
    assert after.text == before.text
    assert after.content_sha256 == before.content_sha256
    assert after.updated_at == before.updated_at
    assert text_changes == []
    assert document_reparse(document_id=document.pk) == "unchanged"


def test_reparse_of_a_changed_text_updates_and_announces_it(
    world, text_changes, django_capture_on_commit_callbacks
):
    document = document_ingest(
        space=world.engineering, content=files.pdf_bytes(), filename="leave.pdf"
    ).document
    # What the old PDF reader stored: raw lines with the running header.
    Document.objects.filter(pk=document.pk).update(
        text="Northwind Labs - People handbook\nParental Leave Policy",
        content_sha256="0" * 64,
        blocks=[],
    )
    text_changes.clear()

    with django_capture_on_commit_callbacks(execute=True):
        outcome = document_reparse(document_id=document.pk)

    after = Document.objects.get(pk=document.pk)
    assert outcome == "text"
    assert "People handbook" not in after.text
    assert "Store all work passwords there and let it generate them." in after.text
    assert after.content_sha256 != "0" * 64
    assert text_changes == [document.pk]


def test_reparse_without_a_stored_file_reads_the_text(world):
    document = document_create_from_text(
        space=world.engineering, title="Notes", text="Agenda\n\n- budget\n- hiring\n"
    ).document
    document.source_file.delete(save=True)
    Document.objects.filter(pk=document.pk).update(blocks=[])

    assert document_reparse(document_id=document.pk) == "blocks"
    assert [b["kind"] for b in Document.objects.get(pk=document.pk).blocks] == [
        "heading",
        "list_item",
        "list_item",
    ]


def test_reparse_command_counts_and_filters_by_space(world):
    engineering = document_ingest(
        space=world.engineering, content=files.docx_bytes(), filename="p.docx"
    ).document
    hr = document_create_from_text(
        space=world.hr, title="HR", text="One line."
    ).document
    Document.objects.update(blocks=[])
    out, err = io.StringIO(), io.StringIO()

    call_command("reparse_documents", "--space", "engineering", stdout=out, stderr=err)

    assert "re-parsed 1 documents: 1 got new blocks" in out.getvalue()
    assert Document.objects.get(pk=engineering.pk).blocks
    assert Document.objects.get(pk=hr.pk).blocks == []

    out = io.StringIO()
    call_command("reparse_documents", "--all", "--no-progress", stdout=out)
    assert "re-parsed 2 documents: 1 got new blocks" in out.getvalue()
    assert "1 unchanged" in out.getvalue()


def test_reparse_command_refuses_an_unknown_space(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No space"):
        call_command("reparse_documents", "--space", "nope")
