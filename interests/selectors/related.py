"""Related documents: a document's nearest neighbours among the vectors of the
model that reads its language."""

from __future__ import annotations

import numpy as np

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from docsite.documents.models import Document
from docsite.ml.outputs import LANGUAGE_EMBEDDINGS, producer_live

from ..models import DocumentVector
from .ann import documents_nearest
from .language_vectors import language_vectors_cover
from .vectors import documents_in_order, embedding_producer_active

User = AbstractBaseUser | AnonymousUser


def document_vector_producers(*, document: Document) -> list[str]:
    """Return the producers whose vector of ``document`` finds its neighbours, best first.

    A document in a language the language vectors cover is compared by them
    (with the other documents in those languages); until it has one, and for
    every other document, by the main vectors.
    """
    main = embedding_producer_active()
    if language_vectors_cover(language=document.language):
        return [producer_live(kind=LANGUAGE_EMBEDDINGS).producer, main]
    return [main]


def documents_related(
    *, user: User, document: Document, limit: int = 5
) -> list[Document]:
    """Return documents like ``document`` that ``user`` may see, most similar first."""
    if not user.is_authenticated:
        return []
    for producer in document_vector_producers(document=document):
        vector = (
            DocumentVector.objects.filter(producer=producer, document=document)
            .order_by("-created_at")
            .values_list("embedding", flat=True)
            .first()
        )
        if vector is not None:
            break
    else:
        return []
    nearest = documents_nearest(
        user=user,
        query_vectors=[np.asarray(vector, dtype=np.float32)],
        producer=producer,
        limit=limit + 1,
        exclude_ids=[document.pk],
    )
    return documents_in_order(user=user, ids=[pk for pk, _, _ in nearest][:limit])
