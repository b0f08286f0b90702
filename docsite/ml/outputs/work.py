"""Work over every output kind, written once: the interactive batch top-up and
the estimate an operator sees before a job starts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .producers import producer_live
from .registry import output_kind


def output_batch_topup(
    *, kind: str, document_ids: Sequence[int], backend_alias: str
) -> list[int]:
    """Return ``document_ids`` (deduplicated) plus other new or changed documents
    up to the kind's batch size.

    Saves arrive one document per message; taking other due documents along
    turns a burst of saves into a few batched model calls. Only documents
    without any output of their current text are added, and only for the
    live producer: a model switch never pulls the rest of the corpus in.
    """
    output = output_kind(kind)
    ids = list(dict.fromkeys(int(pk) for pk in document_ids))
    size = output.batch_size(backend_alias=backend_alias)
    if len(ids) >= size or backend_alias != producer_live(kind=kind).backend_alias:
        return ids
    extra = (
        output.documents_missing(producer=None)
        .exclude(pk__in=ids)
        .order_by("updated_at")
        .values_list("pk", flat=True)[: size - len(ids)]
    )
    return ids + list(extra)


@dataclass(frozen=True)
class WorkEstimate:
    """What a job would run, shown before it starts."""

    kind: str
    backend_alias: str
    producer: str
    documents: int
    seconds_per_document: float
    source: str
    chunk_size: int

    @property
    def seconds(self) -> float:
        return self.documents * self.seconds_per_document

    def describe(self) -> str:
        return (
            f"{self.documents} document(s) of {self.kind} with '{self.backend_alias}' "
            f"({self.producer}): about {duration_text(self.seconds)} at "
            f"{self.seconds_per_document:.2g} s per document ({self.source}), "
            f"in chunks of {self.chunk_size}."
        )


def chunk_size_for(
    *, seconds_per_document: float, target_seconds: float, most: int
) -> int:
    """Return how many documents fit in ``target_seconds`` (at least 1, at most ``most``)."""
    if seconds_per_document <= 0:
        return max(1, most)
    return max(1, min(most, int(target_seconds // seconds_per_document)))


def duration_text(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"
