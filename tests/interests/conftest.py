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


@pytest.fixture(scope="module", autouse=True)
def vector_indexes_clean(django_db_setup, django_db_blocker):
    """Start each module of these tests with HNSW graphs of live rows only.

    Every test rolls back, and each rolled-back vector stays in a committed
    HNSW graph until a vacuum. These tests insert the same texts, so the same
    vectors, again and again: a new live copy loses its in-links to hundreds
    of dead identical ones and the index scan cannot reach it (seen in about
    one full run in four: an index scan returned no row where a sequential
    scan of the same query found the document, in a different search or
    vector-size test each time). So before each module the indexes of sizes
    made at run time are dropped (a test that embeds creates its own inside
    its transaction, fresh, and it goes with the rollback) and the
    migration's 384-d index is rebuilt. A deployment's autovacuum keeps its
    graphs clean. DDL cannot run inside a test's transaction, so this runs
    between modules on a connection of its own, and gives up rather than
    wait on a lock.
    """
    import psycopg

    from django.db import connection

    from interests.services import vectors

    with django_db_blocker.unblock():
        params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as own:
        try:
            own.execute("SET lock_timeout = '5s'")
            names = [
                row[0]
                for row in own.execute(
                    "SELECT indexname FROM pg_indexes WHERE tablename = "
                    "'interests_documentvector' AND indexname LIKE 'docvector_hnsw_%%'"
                )
            ]
            for name in names:
                if name == "docvector_hnsw_384d":
                    own.execute("REINDEX INDEX docvector_hnsw_384d")
                else:
                    own.execute(f'DROP INDEX IF EXISTS "{name}"')
        except psycopg.errors.LockNotAvailable:
            pass
    vectors._indexed_sizes.clear()


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
