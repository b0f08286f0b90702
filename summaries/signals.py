"""Events the summaries app sends to the apps above it (after commit, IDs only)."""

from django.dispatch import Signal

summarizer_promoted = Signal()
"""A training run passed its gate and was registered as a summarizer alias.

Sent after the promotion commits. kwargs: ``alias: str`` (a name
``get_summarizer`` resolves), ``run_id: int``, ``actor_id: int | None``. The
workers app answers it with a blue/green reprocessing job for that alias.
"""
