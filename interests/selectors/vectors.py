"""Vectors: producers, stored document and interest vectors, related documents.

Every selector that takes a user restricts documents to that user's spaces in
SQL; nothing is filtered after the fact in Python.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from pgvector.django import VectorField

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.db.models import (
    BinaryField,
    F,
    Func,
    IntegerField,
    QuerySet,
)
from django.db.models.functions import Cast
from django.utils import timezone

from docsite.documents.models import Document
from docsite.documents.selectors import space_ids_visible
from docsite.ml.embedders import get_embedder
from docsite.ml.embedders.base import BaseEmbedder
from docsite.ml.outputs import EMBEDDINGS, LiveProducer, producer_live

from ..conf import interests_setting
from ..models import DocumentVector, Interaction
from ..ranking import HistoryEvent, InterestVectors, interest_vectors_build

User = AbstractBaseUser | AnonymousUser


def embedding_producer_for(*, embedder: BaseEmbedder, representation: str) -> str:
    """Return the producer key of vectors made by ``embedder`` from ``representation``."""
    return f"{embedder.producer}|{representation}"[:200]


def embedding_producer_for_alias(*, embedder_alias: str) -> str:
    """Return the producer key that the ``DOCSITE_EMBEDDERS`` alias writes now."""
    return embedding_producer_for(
        embedder=get_embedder(embedder_alias),
        representation=interests_setting("DOCUMENT_REPRESENTATION"),
    )


def embedding_producer_live() -> LiveProducer:
    """Return the embedder alias and producer that reads use (blue/green).

    A reprocessing job switches this in one step once the new producer's
    vectors are complete; without a switch it is ``INTERESTS_EMBEDDER``.
    Building the embedder object loads no model.
    """
    return producer_live(kind=EMBEDDINGS)


def embedding_producer_active() -> str:
    """Return the producer whose vectors every read uses: the one point of truth."""
    return embedding_producer_live().producer


def embedder_live() -> BaseEmbedder:
    """Return the embedder whose vectors are live, for queries and interests."""
    return get_embedder(embedding_producer_live().backend_alias)


def documents_without_vector(*, producer: str | None) -> QuerySet[Document]:
    """Return documents whose current text has no vector from ``producer``
    (``None``: from any producer, i.e. new or changed documents)."""
    has_vector = DocumentVector.objects.filter(
        content_sha256=F("document__content_sha256")
    )
    if producer is not None:
        has_vector = has_vector.filter(producer=producer)
    return Document.objects.exclude(pk__in=has_vector.values("document_id"))


def document_ids_missing_vector(*, producer: str, limit: int) -> list[int]:
    return list(
        documents_without_vector(producer=producer)
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )


def document_ids_with_vector(*, document_ids: Sequence[int], producer: str) -> set[int]:
    """Return which of these documents have a vector of their current text from ``producer``."""
    return set(
        DocumentVector.objects.filter(
            document_id__in=list(document_ids),
            producer=producer,
            content_sha256=F("document__content_sha256"),
        ).values_list("document_id", flat=True)
    )


def vectors_by_document(vectors: QuerySet[DocumentVector]) -> dict[int, np.ndarray]:
    """Return ``{document_id: vector}``, transferred in pgvector's binary form.

    Parsing the text form costs more than the query itself for a few hundred
    384-d vectors; ``vector_send`` gives a 4-byte header (dimensions, unused)
    and big-endian float32 values.
    """
    rows = vectors.annotate(
        packed=Func(F("embedding"), function="vector_send", output_field=BinaryField())
    ).values_list("document_id", "packed")
    return {pk: vector_unpacked(bytes(packed)) for pk, packed in rows}


@dataclass
class StoredInterest(InterestVectors):
    """Interest vectors as read for a request; ``stored`` is False when they were
    built from the history just now because no stored row fits the producer."""

    stored: bool = True


# A reader's stored interests as columns of ``interests_userinterest ui``
# (vectors in pgvector's binary form); ``stored_interest_from_row`` reads them.
INTEREST_COLUMNS = (
    "ui.id, vector_send(ui.long_term), vector_send(ui.short_term),"
    " vector_send(ui.negative), ui.centroids, ui.exemplars, ui.exemplar_ids,"
    " ui.exemplar_weights, ui.exemplar_kinds, ui.space_shares"
)


def stored_interest_from_row(row: Sequence) -> StoredInterest | None:
    """The interests in ``INTEREST_COLUMNS`` order, or None when there is no row."""
    if row[0] is None:
        return None
    long_term, short_term, negative = (vector_unpacked(value) for value in row[1:4])
    centroids, exemplar_ids, weights, kinds, shares = (
        _json(value) for value in (row[4], *row[6:10])
    )
    dimension = next(
        (len(v) for v in (long_term, short_term, negative) if v is not None),
        len(centroids[0]) if centroids else None,
    )
    return StoredInterest(
        long_term=long_term,
        short_term=short_term,
        negative=negative,
        centroids=[np.asarray(c, dtype=np.float32) for c in centroids],
        exemplars=_exemplars(row[5], dimension=dimension),
        exemplar_ids=[int(pk) for pk in exemplar_ids],
        exemplar_weights=[float(w) for w in weights],
        exemplar_kinds=[str(kind) for kind in kinds],
        space_shares={int(space): float(share) for space, share in shares.items()},
    )


def vector_unpacked(packed) -> np.ndarray | None:
    """A ``vector_send`` value: a 4-byte header, then big-endian float32s."""
    if packed is None:
        return None
    return np.frombuffer(packed, dtype=">f4", offset=4).astype(np.float32)


def vectors_unpacked(packed: Sequence[bytes | None]) -> np.ndarray:
    """``vector_send`` values as rows of a matrix, zero rows for None.

    Decoded in one call: joined, every row's header is one float's width.
    """
    first = next((value for value in packed if value is not None), None)
    dimension = (len(first) - 4) // 4 if first is not None else 1
    matrix = np.zeros((len(packed), dimension), dtype=np.float32)
    present = [index for index, value in enumerate(packed) if value is not None]
    if present:
        matrix[present] = np.frombuffer(
            b"".join([packed[index] for index in present]), dtype=">f4"
        ).reshape(len(present), dimension + 1)[:, 1:]
    return matrix


def _json(value):
    return json.loads(value) if isinstance(value, str | bytes) else value


def user_interest_vectors(*, user: User, producer: str) -> StoredInterest | None:
    """Return the user's stored interest vectors for ``producer``, or None."""
    if not user.is_authenticated:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {INTEREST_COLUMNS} FROM interests_userinterest ui"
            " WHERE ui.user_id = %s AND ui.producer = %s LIMIT 1",
            [user.pk, producer],
        )
        row = cursor.fetchone()
    return None if row is None else stored_interest_from_row(row)


def user_history_events(
    *, user: User, producer: str
) -> tuple[list[HistoryEvent], int | None]:
    """Return the user's recent interactions on documents they may still see, with
    vectors from ``producer``, and the id of the newest interaction."""
    interactions = list(
        Interaction.objects.filter(
            user=user, document__space__in=space_ids_visible(user=user)
        )
        .order_by("-created_at", "-id")
        .values(
            "id",
            "document_id",
            "kind",
            "dwell_seconds",
            "created_at",
            "document__space_id",
        )[: interests_setting("HISTORY_LIMIT")]
    )
    vectors = vectors_by_document(
        DocumentVector.objects.filter(
            producer=producer,
            document_id__in={row["document_id"] for row in interactions},
        )
    )
    events = [
        HistoryEvent(
            document_id=row["document_id"],
            kind=row["kind"],
            created_at=row["created_at"],
            vector=vectors[row["document_id"]],
            dwell_seconds=row["dwell_seconds"],
            space_id=row["document__space_id"],
        )
        for row in interactions
        if row["document_id"] in vectors
    ]
    return events, (interactions[0]["id"] if interactions else None)


def user_interest_build(
    *, user: User, producer: str, now: datetime | None = None
) -> tuple[InterestVectors, int, int | None]:
    """Build the user's interests from their history (no write).

    Return the vectors, how many events were used and the newest interaction id.
    """
    events, last_id = user_history_events(user=user, producer=producer)
    interest = interest_vectors_build(
        events,
        now=now or timezone.now(),
        kind_weights=interests_setting("KIND_WEIGHTS"),
        half_life_days=interests_setting("HALF_LIFE_DAYS"),
        dwell_full_seconds=interests_setting("DWELL_FULL_SECONDS"),
        short_term_events=interests_setting("SHORT_TERM_EVENTS"),
        max_centroids=interests_setting("MAX_CENTROIDS"),
    )
    return interest, len(events), last_id


def user_interest_current(*, user: User, producer: str) -> StoredInterest | None:
    """Return the interests the feed ranks with: the stored ones for ``producer``, or,
    when the reader has none for it yet (an embeddings switch whose re-derivation
    has not reached them), ones built from their history for this request."""
    stored = user_interest_vectors(user=user, producer=producer)
    if stored is not None:
        return stored
    return user_interest_from_history(user=user, producer=producer)


def user_interest_from_history(*, user: User, producer: str) -> StoredInterest | None:
    """Return interests built from the user's history for this request (not
    stored), or None for a reader with no history."""
    if not user.is_authenticated or not Interaction.objects.filter(user=user).exists():
        return None
    built, _, _ = user_interest_build(user=user, producer=producer)
    return StoredInterest(**vars(built), stored=False)


def _exemplars(raw, *, dimension: int | None) -> np.ndarray | None:
    if not raw or not dimension:
        return None
    flat = np.frombuffer(bytes(raw), dtype=np.float32)
    return flat.reshape(-1, dimension)


def vectors_of_size(
    vectors: QuerySet[DocumentVector], *, dimension: int
) -> QuerySet[DocumentVector]:
    """Return ``vectors`` of ``dimension`` with ``sized``, the embedding cast to
    ``vector(dimension)``: the expression and predicate of that size's HNSW
    index, so ordering by a distance to ``sized`` can use it."""
    return vectors.annotate(
        dims=Func(F("embedding"), function="vector_dims", output_field=IntegerField()),
        sized=Cast("embedding", VectorField(dimensions=dimension)),
    ).filter(dims=dimension)


def documents_in_order(*, user: User, ids: Sequence[int]) -> list[Document]:
    documents = (
        Document.objects.filter(
            pk__in=list(ids), space__in=space_ids_visible(user=user)
        )
        .select_related("space")
        .defer("text", "html")
    )
    by_id = {document.pk: document for document in documents}
    return [by_id[pk] for pk in ids if pk in by_id]
