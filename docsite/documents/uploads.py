"""Writes of uploads: receive a file in the request, parse it in a worker.

No file holds a web worker while it is parsed. ``upload_receive`` runs in the
request and does only what is cheap: the size, the name, a look at the first
bytes for formats that are never supported; it stores the file, records a
``DocumentUpload`` in state ``processing`` and enqueues ``upload_process``
on the ``default`` queue after commit. The task parses the file under the
sandbox's hard limits (``parsers.sandbox``) through the same ingestion
service as every other path, and records the outcome: ``ready`` with the
document, or ``refused`` with the reason. A refused file leaves no document.

An upload whose task was never sent (broker down) or was lost with its worker
is sent again by the sweeper (``uploads_due_enqueue``); after
``MAX_ATTEMPTS`` it is refused, so a status never stays "processing".
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from docsite.tasking import task_enqueue, task_enqueue_on_commit

from .conf import documents_setting
from .exceptions import DocumentGoneError, DocumentRejectedError, EmptyDocumentError
from .models import Document, DocumentUpload, Space
from .names import filename_clean, stored_name, title_clean
from .parsers import sniff_refusal
from .selectors import space_list_editable
from .services import document_ingest, document_update, size_refusal
from .tasks import upload_process as upload_process_task

logger = logging.getLogger(__name__)

State = DocumentUpload.State

MAX_ATTEMPTS = 3
_SNIFF_BYTES = 8192
# A task not started this long after the upload was probably never sent.
NOT_STARTED_AFTER = timedelta(minutes=2)


def upload_receive(
    *,
    space: Space,
    upload: UploadedFile,
    user: AbstractBaseUser,
    title: str = "",
    document: Document | None = None,
) -> DocumentUpload:
    """Check ``upload`` cheaply, store it and queue its parse; return the record.

    With ``document``, the file replaces that document's file once parsed.
    Raise ``DocumentRejectedError`` for a file refused on sight (too large,
    empty, a format that is never supported); nothing is stored then.
    """
    filename = filename_clean(upload.name or "") or "upload"
    size = upload.size or 0
    refusal = size_refusal(size=size, filename=filename)
    if refusal is not None:
        raise refusal
    if size == 0:
        raise EmptyDocumentError(f"{filename} is empty.")
    upload.seek(0)
    head = upload.read(_SNIFF_BYTES)
    upload.seek(0)
    refusal = sniff_refusal(head, filename=filename)
    if refusal is not None:
        raise refusal

    record = DocumentUpload(
        space=space,
        document=document,
        replaces_document=document is not None,
        user=user,
        title=title_clean(title),
        filename=filename,
        size=size,
    )
    try:
        with transaction.atomic():
            record.stored_file.save(stored_name(filename), upload, save=False)
            record.save()
            task_enqueue_on_commit(upload_process_task, upload_id=record.pk)
    except BaseException:
        if record.stored_file.name:
            record.stored_file.storage.delete(record.stored_file.name)
        raise
    logger.info(
        "upload %s of %s received for space %s", record.pk, filename, space.slug
    )
    return record


def upload_process(*, upload_id: int) -> DocumentUpload | None:
    """Parse a received upload and record its outcome; idempotent.

    A task claims the upload first; an upload that is finished, or claimed by
    a task that is still within its time limit, is left alone, so a task sent
    twice does the work once.
    """
    now = timezone.now()
    claimed = (
        DocumentUpload.objects.filter(pk=upload_id, state=State.PROCESSING)
        .filter(Q(started_at__isnull=True) | Q(started_at__lt=now - _stale_after()))
        .update(attempts=F("attempts") + 1, started_at=now)
    )
    if not claimed:
        logger.info("upload %s is finished or being processed", upload_id)
        return None
    upload = DocumentUpload.objects.select_related("space", "user").get(pk=upload_id)
    if upload.attempts > MAX_ATTEMPTS:
        return _finish(
            upload,
            state=State.REFUSED,
            reason=f"{upload.filename} could not be processed; please upload it again.",
            reason_code="failed",
        )
    try:
        with upload.stored_file.open("rb") as stored:
            content = stored.read()
    except OSError:
        logger.exception("upload %s lost its stored file", upload_id)
        return _finish(
            upload,
            state=State.REFUSED,
            reason=f"{upload.filename} was lost before it could be read; "
            "please upload it again.",
            reason_code="failed",
        )
    try:
        document, outcome = _ingest(upload, content=content)
    except DocumentRejectedError as error:
        return _finish(
            upload, state=State.REFUSED, reason=str(error), reason_code=error.code
        )
    return _finish(upload, state=State.READY, document=document, outcome=outcome)


def _ingest(upload: DocumentUpload, *, content: bytes) -> tuple[Document, str]:
    editable = space_list_editable(user=upload.user)
    if upload.replaces_document:
        document = (
            Document.objects.filter(pk=upload.document_id, space__in=editable)
            .select_related("space")
            .first()
        )
        if document is None:
            raise _gone(upload)
        before = document.content_sha256
        document = document_update(
            document=document,
            user=upload.user,
            content=content,
            filename=upload.filename,
            title=upload.title,
        )
        return document, "updated" if document.content_sha256 != before else "unchanged"
    if not editable.filter(pk=upload.space_id).exists():
        raise DocumentRejectedError(
            f"You may no longer add documents to {upload.space.name}; "
            f"{upload.filename} was not added."
        )
    result = document_ingest(
        space=upload.space,
        content=content,
        filename=upload.filename,
        user=upload.user,
        title=upload.title,
    )
    return result.document, result.outcome


def _gone(upload: DocumentUpload) -> DocumentRejectedError:
    return DocumentGoneError(
        f"The document {upload.filename} was meant for was deleted, or you may no "
        "longer edit it; nothing was saved."
    )


def _finish(
    upload: DocumentUpload,
    *,
    state: str,
    document: Document | None = None,
    outcome: str = "",
    reason: str = "",
    reason_code: str = "",
) -> DocumentUpload:
    changes = {
        "state": state,
        "outcome": outcome,
        "reason": reason,
        "reason_code": reason_code,
        "finished_at": timezone.now(),
    }
    if document is not None:
        changes["document"] = document
    DocumentUpload.objects.filter(pk=upload.pk, state=State.PROCESSING).update(
        **changes
    )
    # The outcome is committed (tasks run in autocommit): the file has served.
    upload.stored_file.storage.delete(upload.stored_file.name)
    upload.refresh_from_db()
    if state == State.REFUSED:
        logger.info("upload %s refused: %s", upload.pk, reason)
    return upload


def _stale_after() -> timedelta:
    """How long after its start a claim is surely dead: the parse was killed."""
    parse_limit = documents_setting("PARSE_TIMEOUT_SECONDS") or 0
    return timedelta(seconds=parse_limit) + NOT_STARTED_AFTER


def uploads_due_enqueue(*, limit: int = 500) -> int:
    """Send again the uploads whose task never ran or died; return how many.

    Called by the sweeper: not started within ``NOT_STARTED_AFTER`` (the task
    was never sent, the broker being down), or claimed longer ago than the
    parse time limit plus that margin (its worker was killed).
    ``upload_process`` counts attempts and refuses the upload after
    ``MAX_ATTEMPTS``.
    """
    now = timezone.now()
    due = list(
        DocumentUpload.objects.filter(state=State.PROCESSING)
        .filter(
            Q(started_at__isnull=True, created_at__lt=now - NOT_STARTED_AFTER)
            | Q(started_at__lt=now - _stale_after())
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for upload_id in due:
        task_enqueue(upload_process_task, upload_id=upload_id)
    return len(due)
