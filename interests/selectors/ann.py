"""Nearest documents by HNSW search, restricted to what a reader may see.

Raw SQL on purpose: this runs on every feed request, and building the same
statement through the ORM (filters, annotations, a union of querysets) cost
more Python time than the scans cost the database. The statement's text does
not depend on the number of ids (arrays go in as one ``= ANY(%s)``
parameter), so the driver's query parsing is the same small cost every time.

Every selector that takes a user restricts documents to that user's spaces in
SQL; nothing is filtered after the fact in Python.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import psycopg

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.db.models import QuerySet

from docsite.documents.models import Document
from docsite.documents.selectors import space_ids_visible

from ..conf import interests_setting

User = AbstractBaseUser | AnonymousUser

# Turns on iterative HNSW scans (for the transaction when ``is_local``, else
# for the connection). Without them the index hands up ``ef_search`` rows and
# the permission filter is applied after: a reader whose nearest neighbours
# sit in spaces they may not see would silently get too few rows.
ANN_SETTINGS_SQL = (
    "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', %s),"
    " set_config('hnsw.ef_search', %s, %s),"
    " set_config('hnsw.max_scan_tuples', %s, %s)"
)


def vector_literal(vector: np.ndarray) -> str:
    """pgvector's text form of ``vector`` as float32s, each exactly.

    Nine significant digits give back every float32 exactly (pgvector parses
    them with ``strtof``), and one ``%`` formats the whole vector in C: a
    third of the time of ``repr`` per value (five literals per feed request).
    """
    values = np.asarray(vector, dtype=np.float32).tolist()
    return "[" + ",".join(["%.9g"] * len(values)) % tuple(values) + "]"


def _queryset_sql(queryset: QuerySet) -> tuple[str, list]:
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    return sql, list(params)


def documents_readable_sql(
    *,
    alias: str,
    space_ids: Sequence[int] | QuerySet,
    within_ids: Sequence[int] | None = None,
    within: QuerySet[Document] | None = None,
    without: QuerySet[Document] | None = None,
) -> tuple[str, list]:
    """Return a condition on ``{alias}.id`` and ``{alias}.space_id`` (a
    ``documents_document`` row): in these spaces, and in ``within_ids`` /
    ``within`` and not in ``without`` when given."""
    if isinstance(space_ids, QuerySet):
        sql, params = _queryset_sql(space_ids)
        parts, values = [f"{alias}.space_id IN ({sql})"], params
    else:
        parts = [f"{alias}.space_id = ANY(%s::bigint[])"]
        values = [[int(pk) for pk in space_ids]]
    if within_ids is not None:
        parts.append(f"{alias}.id = ANY(%s::bigint[])")
        values.append([int(pk) for pk in within_ids])
    if within is not None:
        sql, params = _queryset_sql(within)
        parts.append(f"{alias}.id IN ({sql})")
        values += params
    if without is not None:
        sql, params = _queryset_sql(without)
        parts.append(f"NOT ({alias}.id IN ({sql}))")
        values += params
    return " AND ".join(parts), values


def statements_run(statements: Sequence[tuple[str, list]]) -> list[list[tuple]]:
    """Run ``(sql, params)`` statements in order; return each one's rows.

    One round trip in libpq's pipeline mode (libpq 14 and later), binding on
    the server and with binary results: a feed's candidates carry ~300
    vectors, which then arrive as bytes rather than as hex text to decode,
    and the ~40 kB statement is not formatted in Python first. Without
    pipelines: one multi-statement query with Django's default client-side
    binding, or one round trip each with server-side binding (one statement
    per query). Django's query logging and execute wrappers see each
    statement either way.
    """
    connection.ensure_connection()
    raw = connection.connection
    if psycopg.Pipeline.is_supported():
        return _statements_pipelined(raw, statements)
    with connection.cursor() as cursor:
        if not isinstance(cursor.cursor, psycopg.ClientCursor):
            results = []
            for sql, params in statements:
                cursor.execute(sql, params)
                results.append(cursor.fetchall())
            return results
        cursor.execute(
            "; ".join(sql for sql, _ in statements),
            [param for _, params in statements for param in params],
        )
        results = [cursor.fetchall()]
        while cursor.cursor.nextset():
            results.append(cursor.fetchall())
        return results


@contextmanager
def round_trips_counted() -> Iterator[list]:
    """Count the database round trips made inside the block: the list yielded
    gets one entry per round trip, statements sent in one pipeline
    (``statements_run``) sharing one. For benches and tests."""
    round_trips: list = []

    def count(execute, sql, params, many, context):
        # The pipeline the statement goes in (psycopg keeps it while open).
        pipeline = getattr(connection.connection, "_pipeline", None)
        if pipeline is None or not round_trips or round_trips[-1] is not pipeline:
            round_trips.append(pipeline or object())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield round_trips


def _statements_pipelined(
    raw: psycopg.Connection, statements: Sequence[tuple[str, list]]
) -> list[list[tuple]]:
    cursors = []
    with raw.pipeline():
        for sql, params in statements:
            cursor = psycopg.Cursor(raw)
            cursor.format = psycopg.pq.Format.BINARY
            # Django's wrapper: query logging, execute wrappers, its errors.
            wrapped = (
                connection.make_debug_cursor(cursor)
                if connection.queries_logged
                else connection.make_cursor(cursor)
            )
            wrapped.execute(sql, params)
            cursors.append(wrapped)
    try:
        return [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


def ann_settings_sql(*, ef_search: int | None, limit: int) -> tuple[str, list]:
    """The statement setting the scans' beam (``ef_search``, default
    ``INTERESTS_FEED["EF_SEARCH"]``, at least ``limit``) and iterative mode.

    A transaction's settings end with it; in autocommit they stay on the
    connection, and every HNSW query of the app sets its own first.
    """
    feed = interests_setting("FEED")
    ef = max(ef_search or feed["EF_SEARCH"], limit)
    local = connection.in_atomic_block
    return ANN_SETTINGS_SQL, [
        local,
        str(ef),
        local,
        str(feed["MAX_SCAN_TUPLES"]),
        local,
    ]


def ann_scans_sql(
    *,
    query_vectors: Sequence[np.ndarray],
    producer: str,
    limit: int,
    exclude_ids: Sequence[int],
    readable: str,
    readable_params: list,
    first_source: int = 0,
) -> tuple[str, list]:
    """A UNION ALL of one HNSW scan per query vector: ``(document_id, source,
    distance)`` rows, ``limit`` per scan, of documents meeting ``readable``
    (a condition on ``allowed_``, see ``documents_readable_sql``); ``source``
    counts the query vectors from ``first_source``."""
    excluded = [int(pk) for pk in exclude_ids]
    scans, params = [], []
    for index, vector in enumerate(query_vectors):
        # The expression and predicate of that size's partial HNSW index
        # (interests.models.DocumentVector), so the ORDER BY can use it.
        size = len(vector)
        scans.append(
            "(SELECT v.document_id, %s AS source,"
            f" (v.embedding::vector({size}) <=> %s::vector) AS distance"
            " FROM interests_documentvector v"
            f" WHERE v.producer = %s AND vector_dims(v.embedding) = {size}"
            + (" AND v.document_id <> ALL(%s::bigint[])" if excluded else "")
            + " AND (SELECT true FROM documents_document allowed_"
            f" WHERE allowed_.id = v.document_id AND {readable} LIMIT 1) IS TRUE"
            " ORDER BY distance LIMIT %s)"
        )
        params += [first_source + index, vector_literal(vector), producer]
        params += [excluded] if excluded else []
        params += [*readable_params, int(limit)]
    return " UNION ALL ".join(scans), params


def documents_nearest(
    *,
    user: User,
    query_vectors: Sequence[np.ndarray],
    producer: str,
    limit: int,
    exclude_ids: Sequence[int] = (),
    space_ids: Sequence[int] | None = None,
    within_ids: Sequence[int] | None = None,
    within: QuerySet[Document] | None = None,
    without: QuerySet[Document] | None = None,
    ef_search: int | None = None,
) -> list[tuple[int, int, float]]:
    """Return ``(document_id, query_index, cosine similarity)`` rows nearest each query.

    One round trip: the scan settings, then a UNION ALL of one filtered HNSW
    scan per query vector, restricted to the user's spaces (``space_ids``,
    when the caller already resolved ``space_ids_visible(user=user)``).
    ``within_ids`` / ``within`` keep only those documents (an impression's
    candidates, facets, required phrases), ``without`` drops those (excluded
    words). Relaxed ordering is re-sorted here. ``ef_search`` (default
    ``INTERESTS_FEED["EF_SEARCH"]``) is the HNSW beam of each scan, at least
    ``limit``.

    The permission filter is a correlated scalar subquery, which Postgres
    neither pulls up into a join nor hashes: each candidate the index hands
    up costs one primary-key lookup, and the LIMIT stops the scan as soon as
    enough readable rows came. As a join, Postgres sorts the whole HNSW output
    under it (0.5 s at 10k documents); as ``IN (subquery)`` it hashes every
    readable document before the first candidate (18 of 35 ms of a scan at
    100k documents).
    """
    if not query_vectors or limit <= 0:
        return []
    readable, readable_params = documents_readable_sql(
        alias="allowed_",
        space_ids=space_ids_visible(user=user) if space_ids is None else space_ids,
        within_ids=within_ids,
        within=within,
        without=without,
    )
    scans, params = ann_scans_sql(
        query_vectors=query_vectors,
        producer=producer,
        limit=limit,
        exclude_ids=exclude_ids,
        readable=readable,
        readable_params=readable_params,
    )
    settings_sql, settings_params = ann_settings_sql(ef_search=ef_search, limit=limit)
    # One round trip: the scans run after the settings.
    _, rows = statements_run([(settings_sql, settings_params), (scans, params)])
    rows.sort(key=lambda row: (row[1], row[2]))
    return [
        (int(document_id), int(source), 1.0 - float(distance))
        for document_id, source, distance in rows
    ]
