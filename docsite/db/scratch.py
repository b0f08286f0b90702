"""Databases made for evaluations and benchmarks, and the one guard that keeps
those commands out of every other database.

Evaluation commands and benches create users, documents and interactions, and
some delete everything first. They call ``scratch_database_prepare`` before
anything else: it marks the connected database as theirs only when it is new
(no tables at all), then migrates it; a database that already holds tables
and carries no mark (development, production, the one ``DATABASE_URL``
names) is refused with a message saying how to get a database of their own.
The mark is a table that no model owns, so test flushes keep it.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connections

MARKER_TABLE = "docsite_scratch_marker"
HOW = (
    "Give it a new, empty database of its own, for example "
    "DOCSITE_DB_NAME=docsite_eval (a new database in the embedded server) or "
    "DOCSITE_DATA_DIR=/tmp/docsite-eval (a new embedded server), with "
    "DATABASE_URL unset; the command marks and migrates it itself."
)


class NotAScratchDatabase(ImproperlyConfigured):
    """The connected database was not made for evaluations or benchmarks."""


def _marked(using: str) -> bool:
    connection = connections[using]
    return MARKER_TABLE in connection.introspection.table_names()


def scratch_database_mark(*, purpose: str, using: str = "default") -> None:
    """Mark the database as made for evaluations and benches (idempotent)."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} "
            "(purpose text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
        )
        cursor.execute(f"INSERT INTO {MARKER_TABLE} (purpose) VALUES (%s)", [purpose])


def scratch_database_require(*, purpose: str, using: str = "default") -> None:
    """Raise ``NotAScratchDatabase`` unless the database carries the mark."""
    if not _marked(using):
        name = connections[using].settings_dict.get("NAME")
        raise NotAScratchDatabase(
            f"{purpose} refuses the database '{name}': it was not made for "
            f"evaluations or benchmarks and may hold real data. {HOW}"
        )


def scratch_database_prepare(*, purpose: str, using: str = "default") -> None:
    """Make the connected database ``purpose``'s: mark it if new, refuse it if
    used and unmarked; then migrate it."""
    if not _marked(using):
        if connections[using].introspection.table_names():
            scratch_database_require(purpose=purpose, using=using)
        scratch_database_mark(purpose=purpose, using=using)
    call_command("migrate", database=using, verbosity=0, skip_checks=True)
