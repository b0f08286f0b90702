"""Saving a document produces its summary through a real worker and Redis."""

from __future__ import annotations

import pytest

from docsite.documents.services import document_create_from_text
from summaries.backends import reset_summarizers
from summaries.models import Summary
from summaries.selectors import summary_current
from tests.factories import SpaceFactory
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _summary_of(document):
    return summary_current(document=document)


def test_saved_documents_get_summaries_from_the_worker(celery_worker_real):
    space = SpaceFactory(slug="kb")
    documents = [
        document_create_from_text(
            space=space,
            title=f"Note {i}",
            text=f"Note {i} explains step {i} of the rollout plan.",
        ).document
        for i in range(3)
    ]

    assert wait_for(lambda: all(_summary_of(d) for d in documents), timeout=60)
    for i, document in enumerate(documents):
        assert _summary_of(document).text.startswith(f"Note {i} explains step {i}")
    assert Summary.objects.count() == 3


@pytest.mark.slow
def test_real_extractive_summary_through_the_worker(celery_worker_real, settings):
    """The CPU default backend, with the packaged MiniLM, end to end."""
    settings.SUMMARIES_BACKENDS = {
        "default": {"BACKEND": "extractive", "OPTIONS": {"embedder": "default"}}
    }
    settings.SUMMARIES_BUDGET = {"size": 25, "unit": "words"}
    reset_summarizers()
    text = (
        "The payments service moved to the new cluster on Monday. "
        "Latency dropped by a third after the move. "
        "The old cluster will be switched off at the end of the month. "
        "Teams that still call the old endpoint must update their configuration. "
        "The migration guide lists every endpoint that changed."
    )
    document = document_create_from_text(
        space=SpaceFactory(slug="eng"), title="Cluster move", text=text
    ).document

    assert wait_for(lambda: _summary_of(document) is not None, timeout=120)
    summary = _summary_of(document)
    assert summary.backend == "extractive"
    assert 0 < len(summary.text.split()) <= 25
    # Extractive: every sentence of the summary is a sentence of the document.
    assert all(
        sentence.strip(" .") in text
        for sentence in summary.text.split(". ")
        if sentence
    )
