"""What the feed needs to know about a reader before it searches, in one statement:
their stored interests, the spaces they may read, the documents they used
(left out of the feed) and which ranker version is live."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import EmptyResultSet

from docsite.documents.selectors import space_ids_visible_sql

from .ann import statements_run
from .candidates import EXCLUDED_IDS_SQL, EXCLUDED_LIMIT, excluded_kinds
from .vectors import (
    INTEREST_COLUMNS,
    StoredInterest,
    stored_interest_from_row,
    user_interest_from_history,
    vector_unpacked,
)

# The live ranker version's key: the newest promoted version not rolled back,
# as its id, name and a digest of its parameters (``ranker_live``'s cache key).
LIVE_RANKER_SQL = (
    "SELECT id, name, md5(parameters::text) AS digest FROM interests_rankerversion"
    " WHERE promoted AND rolled_back_at IS NULL"
    " ORDER BY created_at DESC, id DESC LIMIT 1"
)


@dataclass(frozen=True)
class FeedContext:
    interest: StoredInterest | None
    # The ids of the spaces the reader may read, in ``space_ids_visible`` order.
    visible: list[int]
    # ``user_excluded_ids``: dismissed and read documents, most recent first.
    excluded: list[int]
    # ``(id, name, parameters digest)`` of the live ranker version, or None.
    ranker_key: tuple | None
    # The language vectors of the reader's exemplars that have one, with
    # their documents' languages, by document id (``feed_language``; empty
    # unless asked for).
    exemplar_language_vectors: dict[int, tuple[np.ndarray, str]] = field(
        default_factory=dict
    )


def feed_context_load(
    *, user: AbstractBaseUser, producer: str, language_producer: str | None = None
) -> FeedContext:
    """Read the reader's context for one feed request in one round trip.

    The same queries as ``user_interest_vectors``, ``space_ids_visible``
    (compiled once per process, ``space_ids_visible_sql``),
    ``user_excluded_ids`` and ``ranker_for_feed``'s check, as scalar
    subqueries of one statement. A reader with no stored interests for
    ``producer`` gets ones built from the history (``user_interest_from_history``).
    With ``language_producer``, also its vectors of the stored exemplars.
    """
    try:
        visible_sql, visible_params = space_ids_visible_sql(user=user)
    except EmptyResultSet:  # a reader who may read nothing
        visible_sql, visible_params = "SELECT NULL::bigint AS pk WHERE false", ()
    # Through statements_run: binary results, so the exemplars' vectors come
    # as bytes, not as hex text to decode.
    ((row,),) = statements_run(
        [
            (
                # The visible query's first column is the id (the others order it).
                f"SELECT ARRAY(SELECT visible.pk FROM ({visible_sql}) visible),"
                f" ARRAY({EXCLUDED_IDS_SQL}),"
                " (SELECT ARRAY[live.id::text, live.name, live.digest]"
                f" FROM ({LIVE_RANKER_SQL}) live),"
                f" {INTEREST_COLUMNS},"
                + (
                    " ARRAY(SELECT ARRAY[int8send(lv.document_id),"
                    " vector_send(lv.embedding), convert_to(ld.language, 'UTF8')]"
                    " FROM interests_documentvector lv JOIN documents_document ld"
                    " ON ld.id = lv.document_id WHERE lv.producer = %s"
                    " AND lv.document_id IN (SELECT value::bigint"
                    " FROM jsonb_array_elements_text(ui.exemplar_ids)))"
                    if language_producer
                    else " NULL::bytea[]"
                )
                + " FROM (SELECT 1) AS one LEFT JOIN interests_userinterest ui"
                " ON ui.user_id = %s AND ui.producer = %s",
                [
                    *visible_params,
                    user.pk,
                    excluded_kinds(),
                    EXCLUDED_LIMIT,
                    *([language_producer] if language_producer else []),
                    user.pk,
                    producer,
                ],
            )
        ]
    )
    visible, excluded, ranker = row[:3]
    interest = stored_interest_from_row(row[3:-1])
    if interest is None:
        # No stored row for this producer (an embeddings switch not yet
        # re-derived for this reader): built from the history, rarely.
        interest = user_interest_from_history(user=user, producer=producer)
    return FeedContext(
        interest=interest,
        visible=list(visible),
        excluded=list(excluded),
        ranker_key=None if ranker is None else (int(ranker[0]), *ranker[1:]),
        exemplar_language_vectors={
            int.from_bytes(pk, "big", signed=True): (  # int8send: big-endian
                vector_unpacked(vector),
                bytes(language).decode(),
            )
            for pk, vector, language in (row[-1] or ())
        },
    )
