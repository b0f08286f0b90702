"""Language vectors: a second set of document vectors for the languages the
main embedder cannot read, and which set a search query reads.

The main vectors (``EMBEDDINGS``) serve the feed, related documents and
search, and cover every document. MiniLM, the default, reads no Chinese: on
the search hold-out, typed Chinese queries found their page with MRR@10 16.7
by meaning. So documents in ``INTERESTS_LANGUAGE_VECTORS["LANGUAGES"]`` get a
second vector from a multilingual embedder (output kind
``LANGUAGE_EMBEDDINGS``, switched blue/green like the first), and a query
written in Chinese, Japanese or Korean script is embedded by that embedder
and searched among those vectors. An English query keeps the main vectors:
on the same hold-out the multilingual model found English pages less well
(meaning 79.4 -> 71.4), so neither model serves both languages best.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import F, QuerySet

from docsite.documents.models import Document
from docsite.ml.conf import ml_setting
from docsite.ml.outputs import LANGUAGE_EMBEDDINGS, LiveProducer, producer_live

from ..conf import interests_setting
from ..models import DocumentVector
from ..search_syntax import CJK_RUN
from .vectors import embedding_producer_live


def language_vectors_alias() -> str | None:
    """Return the embedder alias of the language vectors, or None when they are off.

    Off when ``INTERESTS_LANGUAGE_VECTORS["EMBEDDER"]`` is empty or names no
    ``DOCSITE_EMBEDDERS`` alias (system check ``interests.W006`` says so).
    """
    alias = interests_setting("LANGUAGE_VECTORS").get("EMBEDDER")
    if not alias or alias not in ml_setting("EMBEDDERS"):
        return None
    return alias


def language_vectors_languages() -> list[str]:
    """Return the language codes (as document analysis detects them) that get language vectors."""
    return [
        str(code).lower()
        for code in interests_setting("LANGUAGE_VECTORS").get("LANGUAGES") or ()
    ]


def language_vectors_cover(*, language: str) -> bool:
    """Return whether a document detected as ``language`` gets a language vector."""
    return (
        language_vectors_alias() is not None
        and language.lower() in language_vectors_languages()
    )


def documents_in_vector_languages() -> QuerySet[Document]:
    """Return the documents that language vectors cover (none when they are off)."""
    if language_vectors_alias() is None:
        return Document.objects.none()
    return Document.objects.filter(language__in=language_vectors_languages())


def documents_without_language_vector(*, producer: str) -> QuerySet[Document]:
    """Return covered documents whose current text has no vector from ``producer``."""
    has_vector = DocumentVector.objects.filter(
        producer=producer, content_sha256=F("document__content_sha256")
    )
    return documents_in_vector_languages().exclude(
        pk__in=has_vector.values("document_id")
    )


def document_ids_in_vector_languages(*, document_ids: Sequence[int]) -> list[int]:
    """Return those of ``document_ids`` that language vectors cover, in order."""
    covered = set(
        documents_in_vector_languages()
        .filter(pk__in=list(document_ids))
        .values_list("pk", flat=True)
    )
    return [pk for pk in document_ids if pk in covered]


def query_reads_language_vectors(*, query: str) -> bool:
    """Return whether meaning search embeds ``query`` with the language vectors' model.

    A query with any Chinese, Japanese or Korean characters does, when the
    language vectors are on: the multilingual model reads a query mixing
    scripts ("Kubernetes 自动扩缩容"), the main one does not.
    """
    return bool(CJK_RUN.search(query)) and language_vectors_alias() is not None


def meaning_producer_for(*, query: str) -> LiveProducer:
    """Return the live embedder alias and producer that meaning search uses for ``query``."""
    if query_reads_language_vectors(query=query):
        return producer_live(kind=LANGUAGE_EMBEDDINGS)
    return embedding_producer_live()
