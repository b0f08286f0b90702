from __future__ import annotations

import pytest

from docsite.documents.services import document_create_from_text
from docsite.ml.embedders import reset_embedders
from interests.services import document_vectors_compute
from tests.integration.conftest import celery_worker_real  # noqa: F401  (shared fixture)

HASHING = {
    "default": {"BACKEND": "tests.interests.fakes.HashingEmbedder", "OPTIONS": {}}
}


@pytest.fixture(autouse=True)
def hashing_embedder(settings):
    """Use the model-free embedder unless a test configures the real one."""
    from django.core.cache import cache

    settings.DOCSITE_EMBEDDERS = HASHING
    reset_embedders()
    cache.clear()  # the feed caches popularity for a minute
    yield
    reset_embedders()


@pytest.fixture
def make_document(world):
    """Create a document through the ingestion service and embed it at once."""

    def make(title: str, text: str = "", *, space=None, embed: bool = True):
        document = document_create_from_text(
            space=space or world.handbook, title=title, text=text or title
        ).document
        if embed:
            document_vectors_compute(document_ids=[document.pk])
        return document

    return make


@pytest.fixture
def minilm_pages(world):
    """Create analysed pages in the handbook with MiniLM vectors under the live
    producer of the "default" embedder (configured by the test), made by the
    int8 ONNX model: the test loads no torch, and the two agree to ~0.99
    cosine (evaluate_search measures it on real text)."""
    from docsite.documents.services import document_analyze
    from docsite.ml.embedders.onnx import OnnxMiniLM
    from interests.models import DocumentVector
    from interests.selectors import embedding_producer_for_alias

    runtime = OnnxMiniLM()

    def make(pages: dict[str, str]) -> list:
        producer = embedding_producer_for_alias(embedder_alias="default")
        documents = []
        for title, text in pages.items():
            created = document_create_from_text(
                space=world.handbook, title=title, text=text
            ).document
            document = document_analyze(document_id=created.pk)
            DocumentVector.objects.create(
                document=document,
                content_sha256=document.content_sha256,
                producer=producer,
                embedding=runtime.embed([f"{title}\n{text}"])[0],
            )
            documents.append(document)
        return documents

    return make


@pytest.fixture
def patch():
    """Start ``unittest.mock.patch`` objects that stop after the test."""
    from unittest import mock

    started = []

    def start(target: str, **kwargs):
        patcher = mock.patch(target, **kwargs)
        started.append(patcher)
        return patcher.start()

    yield start
    for patcher in reversed(started):
        patcher.stop()
