"""Reactions to core document events, and the interests panels of the document page."""

from __future__ import annotations

from django.dispatch import receiver

from docsite.documents import signals


@receiver(
    signals.document_text_changed, dispatch_uid="interests.enqueue_document_vector"
)
def enqueue_document_vector(*, document_id: int, **kwargs) -> None:
    from .selectors import embedding_producer_live
    from .services import document_vectors_enqueue

    document_vectors_enqueue(
        document_ids=[document_id],
        embedder_alias=embedding_producer_live().backend_alias,
    )


@receiver(signals.document_analyzed, dispatch_uid="interests.enqueue_language_vector")
def enqueue_language_vector(*, document_id: int, language: str, **kwargs) -> None:
    """Documents in the language vectors' languages get their second vector once
    their language is known (analysis runs after every change of text)."""
    from docsite.ml.outputs import LANGUAGE_EMBEDDINGS, producer_live

    from .selectors import language_vectors_cover
    from .services import document_vectors_enqueue

    if not language_vectors_cover(language=language):
        return
    document_vectors_enqueue(
        document_ids=[document_id],
        embedder_alias=producer_live(kind=LANGUAGE_EMBEDDINGS).backend_alias,
        kind=LANGUAGE_EMBEDDINGS,
    )


@receiver(signals.document_text_changed, dispatch_uid="interests.enqueue_search_terms")
@receiver(signals.document_deleted, dispatch_uid="interests.enqueue_search_terms_gone")
def enqueue_search_terms_refresh(**kwargs) -> None:
    from .search_index import search_terms_refresh_schedule

    search_terms_refresh_schedule()


@receiver(signals.document_panels, dispatch_uid="interests.reader_actions_panel")
def reader_actions_panel(*, document, request, **kwargs):
    from .views import reader_actions_panel_for

    return reader_actions_panel_for(document=document, request=request)


@receiver(signals.document_panels, dispatch_uid="interests.related_panel")
def related_panel(*, document, request, **kwargs):
    from .views import related_panel_for

    return related_panel_for(document=document, request=request)


@receiver(signals.portal_home_sections, dispatch_uid="interests.home_sections")
def home_sections(*, request, **kwargs):
    from .views import home_sections_for

    return home_sections_for(request=request)
