"""Evaluation commands and benches refuse every database not made for them."""

from __future__ import annotations

import pytest

from django.core.management import CommandError, call_command
from django.db import connection

from docsite.db.scratch import (
    MARKER_TABLE,
    NotAScratchDatabase,
    scratch_database_prepare,
    scratch_database_require,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def unmarked():
    """The test database as any used database looks: tables, no mark (the
    test's transaction puts the mark back)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {MARKER_TABLE}")


def test_a_used_database_without_the_mark_is_refused(unmarked):
    with pytest.raises(NotAScratchDatabase, match="DOCSITE_DB_NAME"):
        scratch_database_prepare(purpose="bench")
    with pytest.raises(NotAScratchDatabase):
        scratch_database_require(purpose="bench")


def test_evaluate_interests_refuses_the_default_database(unmarked):
    """GIVEN the settings' database, which holds tables and no mark WHEN the
    evaluation command runs THEN it stops before reading or writing anything.

    (evaluate_summarizer opens no connection at all; tests/summaries proves it.)
    """
    with pytest.raises(CommandError, match="refuses the database"):
        call_command(
            "evaluate_interests",
            "--news",
            "/nonexistent.tsv",
            "--impressions",
            "/nonexistent.jsonl",
        )


def test_the_test_database_is_marked_and_accepted():
    scratch_database_require(purpose="tests")


def test_each_database_gets_cache_keys_of_its_own():
    """A bench's or an evaluation's database shares Redis with the portal's:
    cached ids and mean vectors must never cross from one to the other."""
    import os
    import subprocess
    import sys

    def prefix(**env) -> str:
        run = subprocess.run(
            [
                sys.executable,
                "-c",
                "import docsite.settings.base as s;"
                " print(s.CACHES['default']['KEY_PREFIX'])",
            ],
            env={**os.environ, "DATABASE_URL": "", **env},
            capture_output=True,
            text=True,
            check=True,
        )
        return run.stdout.strip()

    portal = prefix(DOCSITE_DB_NAME="docsite", DOCSITE_DATA_DIR="/srv/docsite")
    assert portal == prefix(DOCSITE_DB_NAME="docsite", DOCSITE_DATA_DIR="/srv/docsite")
    assert portal != prefix(
        DOCSITE_DB_NAME="docsite_eval", DOCSITE_DATA_DIR="/srv/docsite"
    )
    assert portal != prefix(DOCSITE_DB_NAME="docsite", DOCSITE_DATA_DIR="/tmp/bench")
