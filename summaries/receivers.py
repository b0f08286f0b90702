"""Reactions to core document events, and the summary panel of the document page."""

from __future__ import annotations

from django.dispatch import receiver

from docsite.documents import signals

from .services import summaries_enqueue


@receiver(signals.document_text_changed, dispatch_uid="summaries.enqueue_summary")
def enqueue_summary(*, document_id: int, **kwargs) -> None:
    from .selectors import summary_producer_live

    summaries_enqueue(
        document_ids=[document_id], backend_alias=summary_producer_live().backend_alias
    )


@receiver(signals.document_panels, dispatch_uid="summaries.summary_panel")
def summary_panel(*, document, request, **kwargs):
    from .views import summary_panel_for

    return summary_panel_for(document=document, request=request)


@receiver(signals.document_snippets, dispatch_uid="summaries.summary_snippets")
def summary_snippets(*, document_ids, **kwargs) -> dict[int, str]:
    from .selectors import summaries_current_for

    return {
        pk: summary.text
        for pk, summary in summaries_current_for(document_ids=document_ids).items()
    }


@receiver(signals.document_history, dispatch_uid="summaries.summary_versions")
def summary_versions(*, document, request, **kwargs):
    from .views import summary_versions_panel_for

    return summary_versions_panel_for(document=document, request=request)
