"""Summary tasks (queue ``ml``): thin wrappers around services."""

from __future__ import annotations

from celery import shared_task

from django.db import InterfaceError, OperationalError

from .backends.base import SummarizerTransientError


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(SummarizerTransientError, OperationalError, InterfaceError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
    # The first task in a worker process pays for loading the model.
    soft_time_limit=1800,
    time_limit=1900,
)
def summaries_generate(
    *,
    document_ids: list[int],
    backend_alias: str = "default",
    force: bool = False,
    variant: int = 0,
    top_up: bool = True,
) -> None:
    """Summarize these documents, plus other new ones up to the batch size.

    An alternative (``variant`` > 0, asked for by an editor), or half of a
    batch that ran out of time (``top_up=False``), is made for the documents
    named only.
    """
    from docsite.ml.outputs import SUMMARIES, output_batch_topup

    from .services import summaries_generate as generate

    if top_up and not variant:
        document_ids = output_batch_topup(
            kind=SUMMARIES, document_ids=document_ids, backend_alias=backend_alias
        )
    generate(
        document_ids=document_ids,
        backend_alias=backend_alias,
        force=force,
        variant=variant,
    )


# Training tasks live with the training code; importing them here registers
# them when Celery autodiscovers this module.
from .training.tasks import (  # noqa: E402,F401
    training_run_execute,
    training_runs_recover,
)
