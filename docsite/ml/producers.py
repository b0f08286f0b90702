"""Which producer is live for each kind of output, and switching it (blue/green).

Readers ask ``producer_active(kind=...)``; a completed reprocessing job calls
``producer_activate``; ``producer_switch_back`` undoes the last switch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, QuerySet

from .models import ActiveProducer

SUMMARIES = "summaries"
EMBEDDINGS = "embeddings"
KINDS = (SUMMARIES, EMBEDDINGS)


@dataclass(frozen=True)
class LiveProducer:
    backend_alias: str
    producer: str


def producer_active(*, kind: str, default: Callable[[], str]) -> LiveProducer:
    """Return the live alias and producer; ``default()`` gives the settings' producer."""
    row = ActiveProducer.objects.filter(kind=kind).first()
    if row is None:
        return LiveProducer("default", default())
    return LiveProducer(row.backend_alias, row.producer)


@transaction.atomic
def producer_activate(
    *,
    kind: str,
    backend_alias: str,
    producer: str,
    actor: AbstractBaseUser | None = None,
    previous: LiveProducer | None = None,
) -> ActiveProducer:
    """Make ``producer`` the one readers see, in one step; remember the one before."""
    row = ActiveProducer.objects.select_for_update().filter(kind=kind).first()
    if row is None:
        row = ActiveProducer(kind=kind)
        if previous is not None:
            row.previous_backend_alias, row.previous_producer = (
                previous.backend_alias,
                previous.producer,
            )
    elif row.producer != producer:
        row.previous_backend_alias, row.previous_producer = (
            row.backend_alias,
            row.producer,
        )
    row.backend_alias, row.producer, row.activated_by = backend_alias, producer, actor
    row.save()
    return row


def producer_switch_back(
    *, kind: str, actor: AbstractBaseUser | None = None
) -> ActiveProducer:
    """Make the previous producer live again (its rows are kept until pruned)."""
    row = ActiveProducer.objects.filter(kind=kind).first()
    if row is None or not row.previous_producer:
        raise ValueError(f"There is no earlier {kind} producer to switch back to.")
    return producer_activate(
        kind=kind,
        backend_alias=row.previous_backend_alias,
        producer=row.previous_producer,
        actor=actor,
    )


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
