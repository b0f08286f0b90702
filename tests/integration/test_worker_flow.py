"""Saving a document enqueues work that a real worker runs through real Redis."""

from __future__ import annotations

import pytest

from docsite.documents.models import Document
from docsite.documents.services import document_create_from_text, document_update
from tests.factories import SpaceFactory
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _analyzed(document_id: int) -> bool:
    document = Document.objects.get(pk=document_id)
    return not document.analysis_due


def test_saved_document_is_analyzed_by_a_real_worker(celery_worker_real):
    """GIVEN a running worker WHEN documents are saved THEN the worker records
    each one's language, keyed by the text it analyzed."""
    space = SpaceFactory(slug="kb")
    english = document_create_from_text(
        space=space,
        title="Restoring a PostgreSQL backup",
        text="To restore last night's backup, stop the application servers, "
        "then run pg_restore against the new cluster and check the row counts.",
    ).document
    chinese = document_create_from_text(
        space=space,
        title="办公室指南",
        text="欢迎来到上海办公室。前台每天早上九点开门，访客需要在前台登记并领取访客证。",
    ).document

    assert wait_for(lambda: _analyzed(english.pk) and _analyzed(chinese.pk))
    english.refresh_from_db()
    chinese.refresh_from_db()
    assert english.language == "en"
    assert chinese.language == "zh"
    assert english.analyzed_sha256 == english.content_sha256


def test_changed_text_is_analyzed_again(celery_worker_real):
    space = SpaceFactory(slug="kb")
    document = document_create_from_text(
        space=space,
        title="Note",
        text="The quarterly planning meeting moved to Thursday.",
    ).document
    assert wait_for(lambda: _analyzed(document.pk))

    document_update(
        document=document,
        user=None,
        content="La réunion de planification trimestrielle a été déplacée à jeudi prochain.".encode(),
        filename="note.txt",
    )
    document.refresh_from_db()
    assert document.analysis_due
    assert wait_for(lambda: Document.objects.get(pk=document.pk).language == "fr")
