"""Interest tasks (queue ``ml``): thin wrappers around services."""

from __future__ import annotations

from celery import shared_task

from django.db import InterfaceError, OperationalError


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
    # The first task in a worker process pays for loading the model.
    soft_time_limit=1800,
    time_limit=1900,
)
def document_vectors_compute(
    *, document_ids: list[int], force: bool = False, embedder_alias: str | None = None
) -> None:
    """Embed these documents, plus other due ones up to the batch size."""
    from .conf import interests_setting
    from .selectors import (
        document_ids_missing_vector,
        embedding_producer_for_alias,
        embedding_producer_live,
    )
    from .services import document_vectors_compute as compute

    embedder_alias = embedder_alias or embedding_producer_live().backend_alias
    batch_size = interests_setting("BATCH_SIZE")
    document_ids = list(dict.fromkeys(document_ids))
    if len(document_ids) < batch_size:
        # Saves arrive one document per message; taking other due documents
        # along turns a burst of saves into a few batched model calls.
        extra = document_ids_missing_vector(
            producer=embedding_producer_for_alias(embedder_alias=embedder_alias),
            limit=batch_size,
        )
        document_ids += [pk for pk in extra if pk not in document_ids][
            : batch_size - len(document_ids)
        ]
    compute(document_ids=document_ids, force=force, embedder_alias=embedder_alias)


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=3,
)
def user_interest_refresh(*, user_id: int) -> None:
    """Rebuild one reader's interest vectors from their recent interactions."""
    from .services import user_interest_refresh as refresh

    refresh(user_id=user_id)
