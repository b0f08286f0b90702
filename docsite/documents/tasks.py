"""Core tasks (queue ``default``). Thin wrappers: the work is in services."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def document_analyze(*, document_id: int) -> None:
    """Detect language and count words; idempotent, keyed by the content hash."""
    from .services import document_analyze as analyze

    analyze(document_id=document_id)


@shared_task(acks_late=True, ignore_result=True)
def upload_process(*, upload_id: int) -> None:
    """Parse a received upload under the sandbox's limits; idempotent."""
    from .uploads import upload_process as process

    process(upload_id=upload_id)
