"""Writes of summaries: generation in batches (``generation``) and the
editors' review actions (``review``)."""

from .generation import (
    GenerationReport,
    summaries_enqueue,
    summaries_generate,
    summaries_prune,
    summary_row_params,
)
from .review import (
    summary_approve,
    summary_edit,
    summary_regenerate,
    summary_reject,
)

__all__ = [
    "GenerationReport",
    "summaries_enqueue",
    "summaries_generate",
    "summaries_prune",
    "summary_approve",
    "summary_edit",
    "summary_regenerate",
    "summary_reject",
    "summary_row_params",
]
