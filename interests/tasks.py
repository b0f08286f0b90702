"""Interest tasks: vectors on ``ml`` (a model); interest refreshes and ranker
training on ``default`` (no model, seconds); thin wrappers around services."""

from __future__ import annotations

from celery import shared_task

from django.db import InterfaceError, OperationalError

# Periodic upkeep without a model (``default`` queue): a lost database
# connection is retried a few times, nothing else.
MODEL_FREE_UPKEEP = {
    "ignore_result": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "max_retries": 3,
}


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
    *,
    document_ids: list[int],
    force: bool = False,
    embedder_alias: str | None = None,
    kind: str = "embeddings",
) -> None:
    """Embed these documents for the vector set ``kind``, plus other new ones
    up to the batch size."""
    from docsite.ml.outputs import output_batch_topup, producer_live

    from .services import document_vectors_compute as compute

    embedder_alias = embedder_alias or producer_live(kind=kind).backend_alias
    document_ids = output_batch_topup(
        kind=kind, document_ids=document_ids, backend_alias=embedder_alias
    )
    compute(
        document_ids=document_ids,
        force=force,
        embedder_alias=embedder_alias,
        kind=kind,
    )


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


@shared_task(**MODEL_FREE_UPKEEP)
def search_terms_refresh() -> None:
    """Rebuild keyword search's term dictionary (model-free, ``default`` queue)."""
    from .search_index import search_terms_refresh as refresh

    refresh()


@shared_task(**MODEL_FREE_UPKEEP)
def ranker_train() -> None:
    """Fit the feed's ranker on logged impressions (seconds of CPU, no model)."""
    from .learning import ranker_train as train

    try:
        train()
    except ValueError as exc:
        # Not enough traffic yet: nothing to learn, nothing to change.
        import logging

        logging.getLogger(__name__).info("ranker not trained: %s", exc)


@shared_task(**MODEL_FREE_UPKEEP)
def feed_impressions_prune() -> None:
    """Delete feed impressions past their retention (model-free, ``default`` queue)."""
    from .learning import feed_impressions_prune as prune

    prune()


@shared_task(**MODEL_FREE_UPKEEP)
def vectors_means_refresh() -> None:
    """Count the mean vectors that meaning search judges chance by, off the
    request path (model-free, ``default`` queue)."""
    from .services import vectors_means_refresh as refresh

    refresh()
