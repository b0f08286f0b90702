"""Search: keyword (Postgres full text), semantic (vectors) and hybrid, with snippets.

Every selector that takes a user restricts documents to that user's spaces in
SQL; nothing is filtered after the fact in Python.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from docsite.documents.models import Document
from docsite.documents.selectors import document_list_visible, space_ids_visible

from ..conf import interests_setting
from .vectors import (
    documents_in_order,
    documents_nearest,
    embedder_live,
    embedding_producer_active,
)

User = AbstractBaseUser | AnonymousUser
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchHit:
    document: Document
    score: float
    keyword_rank: int | None = None
    semantic_rank: int | None = None


def query_embed(*, query: str) -> np.ndarray:
    """Embed a search query with the active embedder."""
    return embedder_live().embed_batch([query])[0]


def documents_search_semantic(
    *, user: User, query: str, limit: int = 20
) -> list[SearchHit]:
    """Return the user's documents nearest in meaning to ``query``."""
    query = query.strip()
    if not query or not user.is_authenticated:
        return []
    nearest = documents_nearest(
        user=user,
        query_vectors=[query_embed(query=query)],
        producer=embedding_producer_active(),
        limit=limit,
    )
    similarity = {pk: score for pk, _, score in nearest}
    documents = documents_in_order(user=user, ids=[pk for pk, _, _ in nearest])
    return [
        SearchHit(document=d, score=similarity[d.pk], semantic_rank=rank)
        for rank, d in enumerate(documents, start=1)
    ]


def documents_search_keyword(
    *, user: User, query: str, limit: int = 20
) -> list[SearchHit]:
    """Return the user's full-text matches for ``query``, best first."""
    documents = (
        list(document_list_visible(user=user, query=query)[:limit])
        if query.strip()
        else []
    )
    return [
        SearchHit(document=d, score=float(getattr(d, "rank", 0.0)), keyword_rank=rank)
        for rank, d in enumerate(documents, start=1)
    ]


def documents_search_hybrid(
    *, user: User, query: str, limit: int = 20
) -> list[SearchHit]:
    """Fuse full-text and vector ranking with reciprocal rank fusion.

    Each list contributes ``1 / (k + rank)`` per document (Cormack et al.,
    2009), so a document ranked well by both wins and no score scales need
    calibrating.
    """
    depth = max(limit, interests_setting("SEARCH_DEPTH"))
    k = interests_setting("RRF_K")
    keyword = documents_search_keyword(user=user, query=query, limit=depth)
    semantic = documents_search_semantic(user=user, query=query, limit=depth)
    fused: dict[int, float] = {}
    ranks: dict[int, dict[str, int]] = {}
    documents: dict[int, Document] = {}
    for hits, key in ((keyword, "keyword_rank"), (semantic, "semantic_rank")):
        for hit in hits:
            rank = getattr(hit, key)
            fused[hit.document.pk] = fused.get(hit.document.pk, 0.0) + 1.0 / (k + rank)
            ranks.setdefault(hit.document.pk, {})[key] = rank
            documents[hit.document.pk] = hit.document
    best = sorted(fused, key=lambda pk: (-fused[pk], pk))[:limit]
    return [
        SearchHit(document=documents[pk], score=fused[pk], **ranks[pk]) for pk in best
    ]


# Portal pages: activity, interest clusters, search snippets ------------------


def search_snippets(
    *, user: User, hits: Sequence[SearchHit], query: str
) -> dict[int, str]:
    """Return ``{document_id: safe HTML}``: a passage of each hit with the query marked.

    Full-text hits get Postgres's ``ts_headline``; the others (found by
    meaning) get the passage around the first query word. Both are escaped
    before ``<mark>`` tags are added.
    """
    from django.contrib.postgres.search import SearchHeadline, SearchQuery

    from ..highlighting import (
        START_SEL,
        STOP_SEL,
        headline_to_html,
        highlight_terms,
        passage_around,
    )

    query = query.strip()
    if not query or not hits:
        return {}
    ids = [hit.document.pk for hit in hits]
    keyword_ids = [hit.document.pk for hit in hits if hit.keyword_rank is not None]
    documents = Document.objects.filter(
        pk__in=ids, space__in=space_ids_visible(user=user)
    )
    snippets: dict[int, str] = {}
    if keyword_ids:
        search = SearchQuery(query, search_type="websearch", config="english")
        rows = (
            documents.filter(pk__in=keyword_ids)
            .annotate(
                headline=SearchHeadline(
                    "text",
                    search,
                    config="english",
                    start_sel=START_SEL,
                    stop_sel=STOP_SEL,
                    max_words=40,
                    min_words=20,
                    max_fragments=2,
                    fragment_delimiter=" … ",
                )
            )
            .values_list("pk", "headline")
        )
        snippets.update({pk: headline_to_html(headline) for pk, headline in rows})
    rest = [pk for pk in ids if pk not in snippets]
    if rest:
        for pk, text in documents.filter(pk__in=rest).values_list("pk", "text"):
            snippets[pk] = highlight_terms(passage_around(text or "", query), query)
    return snippets
