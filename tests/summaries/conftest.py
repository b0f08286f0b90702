from __future__ import annotations

import pytest

from docsite.documents.services import document_create_from_text
from summaries.backends import reset_summarizers


@pytest.fixture(autouse=True)
def _fresh_summarizers():
    reset_summarizers()
    yield
    reset_summarizers()


@pytest.fixture
def make_document(world):
    def make(
        text: str = "Backups run nightly. Restores are tested monthly.",
        *,
        space=None,
        title: str = "Backups",
    ):
        return document_create_from_text(
            space=space or world.engineering, title=title, text=text
        ).document

    return make
