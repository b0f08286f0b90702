"""Shared fixtures. The suite runs against the embedded PostgreSQL (or
DATABASE_URL) and a real Redis; nothing here fakes either."""

from __future__ import annotations

import os

# huggingface_hub reads these at import time, so they are set before anything
# can import it.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pytest

from tests.factories import GroupFactory, SpaceFactory, UserFactory


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database is made for the suite, so evaluation commands may run
    in it (docsite.db.scratch)."""
    from docsite.db.scratch import scratch_database_mark

    with django_db_blocker.unblock():
        scratch_database_mark(purpose="tests")


@pytest.fixture(scope="module", autouse=True)
def vector_indexes_clean(django_db_setup, django_db_blocker):
    """Start each test module with HNSW graphs of live rows only.

    Every test rolls back, and each rolled-back vector stays in a committed
    HNSW graph until a vacuum. Tests insert the same texts, so the same
    vectors, again and again: a new live copy loses its in-links to dead
    identical ones and an index scan cannot reach it (an index scan returned
    no row where a sequential scan found the document). The fake embedder's
    size has no migration index, so most tests build theirs inside their own
    transaction; this drops the ones a committing (transactional) test left
    behind and rebuilds the migration's 384-d index, which tests of the real
    model use. A deployment's autovacuum keeps its graphs clean. DDL cannot
    run inside a test's transaction, so this runs between modules on a
    connection of its own, and gives up rather than wait on a lock.
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


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(db):
    """Two groups, each with a private space, a public space, and three users.

    - ``alice`` is in engineering (views and edits the engineering space);
    - ``bob`` is in hr (views the hr space only);
    - ``carol`` is in no group (public space only).
    """
    engineering = GroupFactory(name="engineering")
    hr = GroupFactory(name="hr")
    eng_space = SpaceFactory(slug="engineering", name="Engineering")
    eng_space.viewer_groups.add(engineering)
    eng_space.editor_groups.add(engineering)
    hr_space = SpaceFactory(slug="hr", name="People & HR")
    hr_space.viewer_groups.add(hr)
    public_space = SpaceFactory(slug="handbook", name="Handbook", is_public=True)
    alice = UserFactory(username="alice", groups=[engineering])
    bob = UserFactory(username="bob", groups=[hr])
    carol = UserFactory(username="carol")
    return type(
        "World",
        (),
        {
            "engineering": eng_space,
            "hr": hr_space,
            "handbook": public_space,
            "alice": alice,
            "bob": bob,
            "carol": carol,
        },
    )
