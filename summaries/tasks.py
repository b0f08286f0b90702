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
    *, document_ids: list[int], backend_alias: str = "default", force: bool = False
) -> None:
    """Summarize these documents, plus other due ones up to the batch size."""
    from .conf import summaries_setting
    from .selectors import document_ids_missing_summary, summary_producer_for
    from .services import summaries_generate as generate

    batch_size = summaries_setting("BATCH_SIZE")
    document_ids = list(dict.fromkeys(document_ids))
    if len(document_ids) < batch_size:
        # Saves arrive one document per message; taking other due documents
        # along turns a burst of saves into a few batched model calls.
        producer = summary_producer_for(backend_alias=backend_alias)
        extra = document_ids_missing_summary(producer=producer, limit=batch_size)
        document_ids += [pk for pk in extra if pk not in document_ids][
            : batch_size - len(document_ids)
        ]
    generate(document_ids=document_ids, backend_alias=backend_alias, force=force)
