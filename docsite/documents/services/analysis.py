"""Text analysis of stored documents: language and word count."""

from __future__ import annotations

import logging
import unicodedata

from django.db import transaction

from .. import signals
from ..models import Document
from .common import (
    word_count,
)

logger = logging.getLogger(__name__)


def _detect_language(text: str) -> str:
    import py3langid

    sample = unicodedata.normalize("NFC", text[:5000])
    language, _score = py3langid.classify(sample)
    return language


def document_analyze(*, document_id: int) -> Document | None:
    """Record the language and word count of a document's current text.

    Idempotent: keyed by the content hash, and a text that changed meanwhile is
    left for the run its own change enqueued.
    """
    document = (
        Document.objects.filter(pk=document_id).only("text", "content_sha256").first()
    )
    if document is None:
        logger.info("document %s is gone; nothing to analyze", document_id)
        return None
    language = _detect_language(document.text)
    updated = Document.objects.filter(
        pk=document_id, content_sha256=document.content_sha256
    ).update(
        language=language,
        word_count=word_count(document.text),
        analyzed_sha256=document.content_sha256,
    )
    if updated:
        transaction.on_commit(
            lambda: signals.document_analyzed.send(
                sender=Document, document_id=document_id, language=language
            ),
            robust=True,
        )
    return Document.objects.get(pk=document_id)
