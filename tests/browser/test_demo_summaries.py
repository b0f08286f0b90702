"""The demo's own documents, summarized by the default summarizer, as a reader sees them.

The two pages are saved as screenshots (``demo-parental-leave``,
``demo-postgresql-backup``) for the people who judge the summaries.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from docsite.documents.demo import SAMPLE_DOCUMENTS_DIR
from docsite.documents.services import document_create_from_path
from summaries.backends import reset_summarizers
from summaries.models import Summary
from tests.integration.conftest import wait_for

from .conftest import login

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

PAGES = (
    (
        "people/parental-leave-policy.pdf",
        "demo-parental-leave",
        ("20 weeks of leave at full pay", "8 weeks of leave at full pay"),
    ),
    (
        "engineering/postgresql-backup-and-restore.pdf",
        "demo-postgresql-backup",
        ("within 60 seconds", "35 days of point-in-time recovery"),
    ),
)


@pytest.fixture
def extractive_default(settings, celery_worker_real, live_server):
    """The worker summarizes with the product's default: extractive, MiniLM."""
    settings.SUMMARIES_BACKENDS = {
        "default": {"BACKEND": "extractive", "OPTIONS": {"embedder": "default"}}
    }
    reset_summarizers()
    yield live_server
    reset_summarizers()


@pytest.mark.parametrize(("relative", "shot", "facts"), PAGES)
def test_demo_document_page_shows_a_summary_with_its_key_facts(
    extractive_default, page, shoot, world, relative, shot, facts
):
    document = document_create_from_path(
        space=world.engineering, path=SAMPLE_DOCUMENTS_DIR / relative
    ).document
    assert wait_for(
        lambda: Summary.objects.filter(
            document=document, status__in=("generated", "approved")
        ).exists(),
        timeout=120,
    )

    login(page, "alice")
    page.goto(f"/documents/{document.pk}/")
    panel = page.locator(".summary-panel__text").first
    expect(panel).to_be_visible(timeout=30_000)
    text = panel.inner_text()
    shoot(page, shot)

    for fact in facts:
        assert fact in text
    assert text.rstrip().endswith((".", "!", "?"))
