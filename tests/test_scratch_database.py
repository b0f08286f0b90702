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
