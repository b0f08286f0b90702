"""Claims on summary rows that die with the worker holding them.

A batch marks its rows ``running`` and then runs the model for minutes. If
its worker is killed, or PostgreSQL restarts, the rows stay ``running``; a
time-out alone would keep them (and the task's own retry) waiting for half
an hour. So a claim is also a session-level advisory lock of PostgreSQL,
held by the claiming worker's connection for the length of the batch: it
disappears the moment that connection does. A ``running`` row whose lock
can be taken has no live claimer and is claimed again at once, by the
task's retry or by the task the sweeper sends.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

# The first key of the two-key advisory lock: this module's namespace.
_NAMESPACE = 0x53554D4D  # "SUMM"
_KEY = "(id %% 2147483647)::int"


def claims_take(row_ids: Collection[int]) -> set[int]:
    """Lock the rows' claims in this connection; return the ids now held.

    A claim held by another live connection is not taken.
    """
    if not row_ids:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM unnest(%s::bigint[]) AS id "
            f"WHERE pg_try_advisory_lock(%s, {_KEY})",
            [list(row_ids), _NAMESPACE],
        )
        return {row[0] for row in cursor.fetchall()}


def claims_release(row_ids: Collection[int]) -> None:
    """Release claims this connection holds; a lost connection released them."""
    if not row_ids:
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT pg_advisory_unlock(%s, {_KEY}) FROM unnest(%s::bigint[]) AS id",
                [_NAMESPACE, list(row_ids)],
            )
    except DatabaseError:
        logger.warning("could not release summary claims; the connection is gone")
