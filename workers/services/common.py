"""Pieces shared by the job services: selection, chunk sizing, audit, counts."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db.models import Count, Q
from django.utils import timezone

from docsite.documents.models import Document, Space
from docsite.ml.outputs import (
    OutputKind,
    chunk_size_for,
    output_kind,
)
from docsite.tasking import task_enqueue_on_commit

from .. import tasks
from ..conf import reprocess_setting
from ..models import ReprocessItem, ReprocessJob

logger = logging.getLogger(__name__)

Job = ReprocessJob
Item = ReprocessItem


def _selected_documents(
    *,
    output: OutputKind,
    selection: str,
    producer: str,
    space: Space | None,
    document_ids: Sequence[int] | None,
):
    documents = Document.objects.all()
    if selection == Job.Selection.SPACE:
        if space is None:
            raise ValueError("A space job needs a space.")
        documents = documents.filter(space=space)
    elif selection == Job.Selection.DOCUMENTS:
        documents = documents.filter(pk__in=list(document_ids or []))
    elif selection == Job.Selection.STALE:
        documents = output.documents_missing(producer=producer)
        if space is not None:
            documents = documents.filter(space=space)
    return documents


def _chunk_size(*, seconds_per_document: float) -> int:
    return chunk_size_for(
        seconds_per_document=seconds_per_document,
        target_seconds=reprocess_setting("CHUNK_SECONDS"),
        most=reprocess_setting("CHUNK_SIZE"),
    )


def backend_alias_validate(*, kind: str, backend_alias: str) -> str:
    """Return ``backend_alias`` when ``kind`` has it configured and it loads; else raise.

    ``ValueError`` lists the configured aliases; ``ImproperlyConfigured`` says
    why a configured one is broken.
    """
    output = output_kind(kind)
    aliases = output.aliases()
    if backend_alias not in aliases:
        raise ValueError(
            f"'{backend_alias}' is not an alias of {output.setting}; "
            f"choose one of: {', '.join(aliases)}."
        )
    output.producer_for(backend_alias=backend_alias)
    return backend_alias


def _pump_on_commit(job_id: int) -> None:
    task_enqueue_on_commit(tasks.reprocess_job_pump, job_id=job_id)


def _audit(*, job: Job, actor, action: str) -> None:
    """Record who started, paused, resumed or cancelled a job in the admin's log."""
    if actor is None:
        return
    from django.contrib.admin.models import CHANGE, LogEntry

    LogEntry.objects.log_actions(
        user_id=actor.pk,
        queryset=[job],
        action_flag=CHANGE,
        change_message=f"Job {action}.",
        single_object=True,
    )


def _job_counts_refresh(job_id: int) -> None:
    counts = Item.objects.filter(job_id=job_id).aggregate(
        done=Count("pk", filter=Q(state=Item.State.DONE)),
        failed=Count("pk", filter=Q(state=Item.State.FAILED)),
        skipped=Count("pk", filter=Q(state=Item.State.SKIPPED)),
    )
    Job.objects.filter(pk=job_id).update(
        done_count=counts["done"],
        failed_count=counts["failed"],
        skipped_count=counts["skipped"],
        updated_at=timezone.now(),
    )
