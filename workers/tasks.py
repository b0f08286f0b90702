"""Periodic upkeep (queue ``bulk``). Thin: the apps' selectors say what is due."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def sweep_due_work() -> int:
    """Enqueue work that is due but was never sent (e.g. Redis was down at save)."""
    from docsite.documents.dispatch import task_enqueue
    from docsite.documents.selectors import document_list_due_analysis
    from docsite.documents.tasks import document_analyze

    document_ids = document_list_due_analysis()
    for document_id in document_ids:
        task_enqueue(document_analyze, document_id=document_id)
    if document_ids:
        logger.info("sweeper re-enqueued analysis of %d documents", len(document_ids))
    return len(document_ids)
