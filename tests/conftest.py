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
