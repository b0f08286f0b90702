"""Derived outputs in one place: the registry of output kinds, their live and
previous producers, and the work written once over every kind.

See ``registry.OutputKind`` for the adapter contract (including
``on_activate``) and ``producers`` for blue/green switching.
"""

from .producers import (
    EMBEDDINGS,
    LANGUAGE_EMBEDDINGS,
    SUMMARIES,
    LiveProducer,
    producer_activate,
    producer_live,
    producer_previous,
    producer_rows_delete,
    producer_switch_back,
    producers_live,
)
from .registry import (
    ItemOutcome,
    OutputKind,
    Progress,
    output_kind,
    output_kind_register,
    output_kinds,
)
from .work import (
    WorkEstimate,
    chunk_size_for,
    duration_text,
    output_batch_topup,
)

__all__ = [
    "EMBEDDINGS",
    "LANGUAGE_EMBEDDINGS",
    "SUMMARIES",
    "ItemOutcome",
    "LiveProducer",
    "OutputKind",
    "Progress",
    "WorkEstimate",
    "chunk_size_for",
    "duration_text",
    "output_batch_topup",
    "output_kind",
    "output_kind_register",
    "output_kinds",
    "producer_activate",
    "producer_live",
    "producer_previous",
    "producer_rows_delete",
    "producer_switch_back",
    "producers_live",
]
