"""The feed's candidates and everything ranking needs of them, in one statement.

Nearest documents of each interest vector (HNSW scans), the newest documents
of the reader's spaces, the crowd's picks and the popular ones (ids from the
cache), and for each of them its vector, age, space and other readers' feed
responses: one round trip, so a feed request does not pay a statement (and,
on a busy machine, a wait for the database process) per source. Raw SQL: the statement's text does not
grow with the number of ids, and building it through the ORM cost more Python
time than the scans cost the database.

Every row is restricted to the reader's spaces in SQL; nothing is filtered
after the fact in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone

from .ann import (
    ann_scans_sql,
    ann_settings_sql,
    documents_readable_sql,
    statements_run,
)
from .candidates import Candidates, feed_response_sql
from .vectors import vectors_unpacked

User = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class CandidateSources:
    """Where the feed looks for candidates (see ``feed_for``)."""

    query_vectors: Sequence[np.ndarray]
    per_vector: int
    ef_search: int
    fresh_days: int
    fresh_limit: int
    popular_ids: Sequence[int]
    # What other readers opened from their feeds (``documents_crowd_ids``).
    crowd_ids: Sequence[int] = ()
    # Documents whose titles reasons may name (the reader's exemplars).
    title_ids: Sequence[int] = ()
    # The language vectors' producer (``feed_language``): candidates then come
    # with their language vectors, and ``language_query`` (if any) is one
    # more scan, of that producer's vectors, ``per_vector`` deep.
    language_producer: str | None = None
    language_query: np.ndarray | None = None


def candidates_gather(
    *,
    reader: User,
    producer: str,
    sources: CandidateSources,
    space_ids: Sequence[int],
    exclude_ids: Sequence[int],
    within_ids: Sequence[int] | None,
    popularity: dict[int, int],
    popularity_days: int,
) -> tuple[dict[int, str], Candidates]:
    """Return the titles of ``sources.title_ids`` the reader may see, and the
    reader's candidates with what ranking needs, in this order:
    nearest neighbours (by query vector, nearest first), then the newest
    documents, then the crowd's picks, then the popular ones; each once, only
    readable ones.

    ``exclude_ids`` (the reader's dismissed and read documents) are left out
    of the scans and the newest; ``within_ids`` restricts every source to
    those documents (the evaluation ranks an impression's candidates so).
    """
    now = timezone.now()
    excluded = [int(pk) for pk in exclude_ids]
    # The sources given as ids, in the order candidates take them.
    listed = [*sources.crowd_ids, *sources.popular_ids]
    statements: list[tuple[str, list]] = []
    readable, readable_params = documents_readable_sql(
        alias="allowed_", space_ids=space_ids, within_ids=within_ids
    )
    scan_vectors = [(producer, vector) for vector in sources.query_vectors]
    if sources.language_producer and sources.language_query is not None:
        scan_vectors.append((sources.language_producer, sources.language_query))
    if scan_vectors and sources.per_vector > 0:
        settings_sql, settings_params = ann_settings_sql(
            ef_search=sources.ef_search, limit=sources.per_vector
        )
        statements.append((settings_sql, settings_params))
        parts, scan_params = [], []
        for source, (scan_producer, vector) in enumerate(scan_vectors):
            part, params = ann_scans_sql(
                query_vectors=[vector],
                producer=scan_producer,
                limit=sources.per_vector,
                exclude_ids=excluded,
                readable=readable,
                readable_params=readable_params,
                first_source=source,
            )
            parts.append(part)
            scan_params += params
        scans = " UNION ALL ".join(parts)
    else:
        scans = (
            "SELECT NULL::bigint AS document_id, NULL::integer AS source,"
            " NULL::float8 AS distance WHERE false"
        )
        scan_params = []
    # One index range scan per space (document_space_recent), newest first.
    fresh_sql = (
        "SELECT recent.id, recent.updated_at, space.position"
        " FROM unnest(%s::bigint[]) WITH ORDINALITY AS space(id, position)"
        " CROSS JOIN LATERAL (SELECT d.id, d.updated_at FROM documents_document d"
        " WHERE d.space_id = space.id AND d.updated_at >= %s"
        + (" AND d.id <> ALL(%s::bigint[])" if excluded else "")
        + (" AND d.id = ANY(%s::bigint[])" if within_ids is not None else "")
        + " ORDER BY d.updated_at DESC LIMIT %s) recent"
    )
    fresh_params = [
        [int(pk) for pk in space_ids][:50] if sources.fresh_limit > 0 else [],
        now - timedelta(days=sources.fresh_days),
        *([excluded] if excluded else []),
        *([[int(pk) for pk in within_ids]] if within_ids is not None else []),
        max(0, int(sources.fresh_limit)),
    ]
    spaces, spaces_params = documents_readable_sql(alias="d", space_ids=space_ids)
    response_sql, response_params = feed_response_sql(
        document_ids=None, days=popularity_days, exclude_user=reader, now=now
    )
    # Each candidate's language vector and language, when they are asked for.
    language_columns, language_join = "NULL::bytea, NULL::text", ""
    if sources.language_producer:
        language_columns = "vector_send(lv.embedding), d.language"
        language_join = (
            " LEFT JOIN interests_documentvector lv"
            " ON lv.document_id = d.id AND lv.producer = %s"
        )
    candidates_sql = (
        f"WITH nearest AS MATERIALIZED ({scans}),"
        f" fresh AS MATERIALIZED ({fresh_sql}),"
        " wanted AS MATERIALIZED (SELECT document_id AS id FROM nearest"
        # Of the newest of each space, only the newest overall become
        # candidates (with every tie at the cut: Python breaks ties).
        " UNION SELECT id FROM fresh WHERE updated_at >= COALESCE((SELECT"
        " updated_at FROM fresh ORDER BY updated_at DESC OFFSET %s LIMIT 1),"
        " '-infinity')"
        " UNION SELECT unnest(%s::bigint[]))"
        " SELECT 'n', document_id, source, distance, NULL::float8,"
        " NULL::bigint, NULL::bytea, NULL::bigint, NULL::bigint, NULL::bytea,"
        " NULL::text FROM nearest"
        # Ages in seconds, as Python would compute them from the times,
        # without parsing hundreds of timestamps per request.
        " UNION ALL SELECT 'f', id, position, NULL,"
        " EXTRACT(EPOCH FROM (%s::timestamptz - updated_at))::float8,"
        " NULL, NULL, NULL, NULL, NULL, NULL FROM fresh"
        " UNION ALL SELECT 'c', d.id, NULL, NULL,"
        " EXTRACT(EPOCH FROM (%s::timestamptz - d.updated_at))::float8, d.space_id,"
        # pgvector's binary form: parsing the text form costs more than the
        # query. NULL until the document is embedded.
        f" vector_send(v.embedding), response.shown, response.clicked, {language_columns}"
        " FROM documents_document d"
        " LEFT JOIN interests_documentvector v"
        f" ON v.document_id = d.id AND v.producer = %s{language_join}"
        # Other readers' responses, one grouped count (as two correlated
        # counts per candidate they cost 10 ms at 345 candidates).
        # An array, not a semi-join, so the counts read the impressions of
        # these documents by index, never the whole table.
        f" LEFT JOIN ({response_sql} AND document_id = ANY(ARRAY(SELECT id FROM wanted))"
        " GROUP BY document_id) response ON response.document_id = d.id"
        f" WHERE d.id = ANY(ARRAY(SELECT id FROM wanted)) AND {spaces}"
    )
    candidates_params = [
        *scan_params,
        *fresh_params,
        max(0, int(sources.fresh_limit) - 1),
        [int(pk) for pk in listed],
        now,
        now,
        producer,
        *([sources.language_producer] if sources.language_producer else []),
        *response_params,
        *spaces_params,
    ]
    statements.append((candidates_sql, candidates_params))
    # The titles reasons may name, of documents the reader may see.
    statements.append(
        (
            "SELECT d.id, d.title FROM documents_document d"
            f" WHERE d.id = ANY(%s::bigint[]) AND {spaces}",
            [[int(pk) for pk in sources.title_ids], *spaces_params],
        )
    )
    # The scan settings, the candidates, the titles: one round trip.
    *_, rows, titles = statements_run(statements)
    return dict(titles), _candidates_order(
        rows,
        fresh_limit=sources.fresh_limit,
        listed_ids=listed,
        popularity=popularity,
        with_language=bool(sources.language_producer),
    )


def _candidates_order(
    rows: list[tuple],
    *,
    fresh_limit: int,
    listed_ids: Sequence[int],
    popularity: dict[int, int],
    with_language: bool = False,
) -> Candidates:
    nearest = sorted(
        (row for row in rows if row[0] == "n"), key=lambda row: (row[2], row[3])
    )
    # Newest (youngest) first; equal times in the order of the spaces, then
    # of the index.
    fresh = sorted((row for row in rows if row[0] == "f"), key=lambda row: row[2])
    fresh.sort(key=lambda row: row[4])
    loaded = {row[1]: row for row in rows if row[0] == "c"}
    order = dict.fromkeys(
        [
            *(row[1] for row in nearest),
            *(row[1] for row in fresh[:fresh_limit]),
            *listed_ids,
        ]
    )
    document_ids = [pk for pk in order if pk in loaded]
    chosen = [loaded[pk] for pk in document_ids]
    matrix = vectors_unpacked([row[6] for row in chosen])
    age_days = (
        np.array([row[4] for row in chosen], dtype=np.float64).reshape(-1) / 86400
    ).astype(np.float32)
    space_ids = np.array([row[5] for row in chosen], dtype=np.int64).reshape(-1)
    response = np.array(
        [(row[7] or 0, row[8] or 0) for row in chosen], dtype=np.float32
    ).reshape(-1, 2)
    return Candidates(
        document_ids=document_ids,
        vectors=matrix,
        age_days=age_days,
        readers=np.array(
            [popularity.get(pk, 0) for pk in document_ids], dtype=np.float32
        ),
        space_ids=space_ids,
        shown=response[:, 0].copy(),
        clicked=response[:, 1].copy(),
        language_vectors=(
            vectors_unpacked([row[9] for row in chosen]) if with_language else None
        ),
        languages=[row[10] for row in chosen] if with_language else None,
    )
