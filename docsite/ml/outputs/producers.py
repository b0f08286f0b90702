"""Which producer is live for each kind of output, and switching it (blue/green).

Readers ask ``producer_live(kind=...)``; a completed reprocessing job calls
``producer_activate``; ``producer_switch_back`` undoes the last switch.
Without an ``ActiveProducer`` row the live producer is the kind's configured
alias (``INTERESTS_EMBEDDER``, the ``default`` summarizer) with the key that
alias writes now, so reads and writes always use one key.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Count, QuerySet

from ..models import ActiveProducer
from .registry import output_kind

SUMMARIES = "summaries"
EMBEDDINGS = "embeddings"
# A second set of document vectors for search in the languages the main
# embedder cannot read (interests.outputs.LanguageVectorsOutput).
LANGUAGE_EMBEDDINGS = "language_embeddings"


@dataclass(frozen=True)
class LiveProducer:
    backend_alias: str
    producer: str


def producer_live(*, kind: str) -> LiveProducer:
    """Return the alias and producer whose outputs readers see (no model load)."""
    return producers_live(kinds=[kind])[kind]


def producers_live(*, kinds: list[str]) -> dict[str, LiveProducer]:
    """Return ``producer_live`` of each of ``kinds``, read in one round trip."""
    # Read on every feed and search request: rows by their unique kind, in
    # SQL composed once (building the ORM query cost twice running it).
    with connection.cursor() as cursor:
        cursor.execute(_live_sql(), [list(kinds)])
        rows = {kind: LiveProducer(alias, producer) for kind, alias, producer in cursor}
    for kind in kinds:
        if kind not in rows:
            output = output_kind(kind)
            alias = output.configured_alias()
            rows[kind] = LiveProducer(alias, output.producer_for(backend_alias=alias))
    return rows


@functools.cache
def _live_sql() -> str:
    quote = connection.ops.quote_name
    meta = ActiveProducer._meta
    kind, alias, producer = (
        quote(meta.get_field(name).column)
        for name in ("kind", "backend_alias", "producer")
    )
    return (
        f"SELECT {kind}, {alias}, {producer} FROM {quote(meta.db_table)}"
        f" WHERE {kind} = ANY(%s)"
    )


def producer_previous(*, kind: str) -> LiveProducer | None:
    """Return the producer a switch back would make live, if any."""
    row = ActiveProducer.objects.filter(kind=kind).first()
    if row is None or not row.previous_producer:
        return None
    return LiveProducer(row.previous_backend_alias, row.previous_producer)


@transaction.atomic
def producer_activate(
    *,
    kind: str,
    backend_alias: str,
    producer: str,
    actor: AbstractBaseUser | None = None,
) -> tuple[LiveProducer, LiveProducer]:
    """Make ``producer`` the one readers see, in one step; remember the one before.

    Return ``(old, new)``: what was live before the call and what is now.
    """
    row = ActiveProducer.objects.select_for_update().filter(kind=kind).first()
    if row is None:
        old = producer_live(kind=kind)
        row = ActiveProducer(kind=kind)
    else:
        old = LiveProducer(row.backend_alias, row.producer)
    if old.producer != producer:
        row.previous_backend_alias, row.previous_producer = (
            old.backend_alias,
            old.producer,
        )
    row.backend_alias, row.producer, row.activated_by = backend_alias, producer, actor
    row.save()
    return old, LiveProducer(backend_alias, producer)


def producer_switch_back(
    *, kind: str, actor: AbstractBaseUser | None = None
) -> ActiveProducer:
    """Make the previous producer live again (its rows are kept until pruned)."""
    previous = producer_previous(kind=kind)
    if previous is None:
        raise ValueError(f"There is no earlier {kind} producer to switch back to.")
    producer_activate(
        kind=kind,
        backend_alias=previous.backend_alias,
        producer=previous.producer,
        actor=actor,
    )
    return ActiveProducer.objects.get(kind=kind)


def producer_rows_delete(*, rows: QuerySet, dry_run: bool = False) -> dict[str, int]:
    """Delete ``rows`` (outputs with a ``producer`` field); return how many per producer."""
    counts = dict(
        rows.values_list("producer")
        .annotate(n=Count("pk"))
        .values_list("producer", "n")
    )
    if not dry_run:
        rows.delete()
    return counts
