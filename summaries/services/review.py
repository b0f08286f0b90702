"""The editors' review actions on summaries: approve, reject, edit, regenerate.

Every action is audited as a ``SummaryEvent``.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from docsite.documents.models import Document

from ..backends import get_summarizer, summary_budget
from ..models import Summary, SummaryEvent
from ..selectors import summary_producer_live
from .generation import summaries_enqueue, summary_row_params


def _audit(
    *,
    summary: Summary,
    actor: AbstractBaseUser | None,
    action: str,
    changes: dict | None = None,
) -> None:
    SummaryEvent.objects.create(
        summary=summary, actor=actor, action=action, changes=changes or {}
    )


def _review(
    *, summary: Summary, actor: AbstractBaseUser, status: str, action: str, **changes
) -> Summary:
    """Set a reviewed status, who reviewed and when, and audit the change."""
    previous = summary.status
    summary.status = status
    summary.reviewed_by = actor
    summary.reviewed_at = timezone.now()
    summary.save(update_fields=["status", "reviewed_by", "reviewed_at", "updated_at"])
    _audit(
        summary=summary,
        actor=actor,
        action=action,
        changes={"status": [previous, summary.status], **changes},
    )
    return summary


@transaction.atomic
def summary_approve(*, summary: Summary, actor: AbstractBaseUser) -> Summary:
    if summary.status not in (
        Summary.Status.GENERATED,
        Summary.Status.REJECTED,
        Summary.Status.APPROVED,
    ):
        raise ValueError(
            f"A {summary.get_status_display().lower()} summary cannot be approved."
        )
    return _review(
        summary=summary,
        actor=actor,
        status=Summary.Status.APPROVED,
        action=SummaryEvent.Action.APPROVED,
    )


@transaction.atomic
def summary_reject(
    *, summary: Summary, actor: AbstractBaseUser, reason: str = ""
) -> Summary:
    return _review(
        summary=summary,
        actor=actor,
        status=Summary.Status.REJECTED,
        action=SummaryEvent.Action.REJECTED,
        reason=reason,
    )


@transaction.atomic
def summary_edit(*, summary: Summary, text: str, actor: AbstractBaseUser) -> Summary:
    """Save an editor's text as a new, approved version; the original stays."""
    text = text.strip()
    if not text:
        raise ValueError("A summary cannot be empty.")
    # Locking the document row gives two editors saving at once distinct versions.
    Document.objects.select_for_update().filter(pk=summary.document_id).first()
    version = (
        Summary.objects.filter(document=summary.document_id, backend="human").count()
        + 1
    )
    now = timezone.now()
    edited = Summary.objects.create(
        document_id=summary.document_id,
        content_sha256=summary.content_sha256,
        producer=f"human:v{version}",
        backend="human",
        model_id=actor.get_username(),
        params={"version": version},
        text=text,
        status=Summary.Status.APPROVED,
        author=actor,
        edited_from=summary,
        reviewed_by=actor,
        reviewed_at=now,
        generated_at=now,
    )
    _audit(
        summary=edited,
        actor=actor,
        action=SummaryEvent.Action.EDITED,
        changes={"edited_from": summary.pk, "before": summary.text, "after": text},
    )
    return edited


def summary_regenerate(
    *,
    summary: Summary,
    actor: AbstractBaseUser | None,
    backend_alias: str | None = None,
) -> Summary:
    """Ask for an alternative machine summary of the document's current text.

    When the live backend (or ``backend_alias``) already summarized this
    text, the next variant is queued beside it (the next-best selection of
    an extractive backend, another sampling seed of a language model), so
    the editor can compare the two and approve either; each variant is a
    row of its own, keyed by its own producer. When it has not, or failed,
    its row is put back in the queue. The request is audited on the queued
    row, and generation is enqueued after commit.
    """
    if backend_alias is None:
        backend_alias = summary_producer_live().backend_alias
    summarizer = get_summarizer(backend_alias)
    document = summary.document
    budget = summary_budget()
    with transaction.atomic():
        # One editor at a time numbers the variants of a document.
        Document.objects.select_for_update().filter(pk=document.pk).first()
        statuses = dict(
            Summary.objects.filter(
                document=document, content_sha256=document.content_sha256
            ).values_list("producer", "status")
        )
        variant = 0
        if statuses.get(summarizer.producer_for(budget)) in Summary.DONE:
            variant = 1
            while summarizer.producer_for(budget, variant=variant) in statuses:
                variant += 1
        row, _ = Summary.objects.select_for_update().get_or_create(
            document=document,
            content_sha256=document.content_sha256,
            producer=summarizer.producer_for(budget, variant=variant),
            defaults={
                "backend": summarizer.name,
                "model_id": summarizer.model_id[:300],
                "params": summary_row_params(summarizer, variant=variant),
            },
        )
        previous = {"status": row.status, "text": row.text}
        row.status = Summary.Status.QUEUED
        row.error = ""
        row.save(update_fields=["status", "error", "updated_at"])
        _audit(
            summary=row,
            actor=actor,
            action=SummaryEvent.Action.REGENERATED,
            changes={
                "requested_from": summary.pk,
                "previous": previous,
                "variant": variant,
            },
        )
        summaries_enqueue(
            document_ids=[document.pk], backend_alias=backend_alias, variant=variant
        )
    return row
