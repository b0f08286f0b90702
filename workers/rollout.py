"""Rolling a promoted summarizer out to readers: one blue/green reprocessing job."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model

from .models import ReprocessJob
from .services import reprocess_job_start

logger = logging.getLogger(__name__)


def summarizer_rollout(*, alias: str, actor_id: int | None = None) -> ReprocessJob:
    """Start (once) the job that summarizes every document with ``alias`` and then
    makes it live; readers see the old summaries until the job completes.

    A second call for the same alias returns the job already started.
    """
    existing = (
        ReprocessJob.objects.filter(
            kind=ReprocessJob.Kind.SUMMARIES, backend_alias=alias
        )
        .order_by("-created_at")
        .first()
    )
    if existing is not None:
        return existing
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    job = reprocess_job_start(
        kind=ReprocessJob.Kind.SUMMARIES,
        selection=ReprocessJob.Selection.ALL,
        backend_alias=alias,
        actor=actor,
        activate_on_success=True,
    )
    logger.info("summarizer %s rolls out with reprocess job %s", alias, job.pk)
    return job
