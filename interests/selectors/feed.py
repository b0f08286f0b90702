"""The "For you" feed: candidates, ranking, MMR and reasons, in one request.

Every selector that takes a user restricts documents to that user's spaces in
SQL; nothing is filtered after the fact in Python.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection

from docsite.documents.models import Document
from docsite.ml.outputs import EMBEDDINGS, LANGUAGE_EMBEDDINGS, producers_live

from ..conf import interests_setting
from ..ranker import (
    LinearRanker,
    candidates_features,
    ranker_default,
    ranker_from_weights,
)
from ..ranking import InterestVectors, mmr_order
from .candidates import (
    CROWD_DEPTH,
    POPULARITY_DEPTH,
    Candidates,
    documents_crowd_ids,
    documents_popular_ids,
)
from .feed_context import LIVE_RANKER_SQL, feed_context_load
from .feed_language import (
    candidates_with_language,
    interest_with_language,
    reader_language_side,
)
from .gather import CandidateSources, candidates_gather
from .language_vectors import language_vectors_alias
from .reasons import feed_reasons
from .shown import documents_shown
from .vectors import embedding_producer_active

User = AbstractBaseUser | AnonymousUser
logger = logging.getLogger(__name__)


# The promoted ranker last read by this process, keyed by its row's id, name
# and a digest of its parameters: a request only checks which version is
# live, and parses parameters again only when that changed (a promotion, a
# roll-back, an edit).
_promoted_cache: dict[str, tuple[tuple, LinearRanker]] = {}


def ranker_for_feed() -> LinearRanker:
    """The ranker the feed uses: the newest promoted, not rolled-back version; else
    the default shipped with the code; else the hand weights of the settings."""
    with connection.cursor() as cursor:
        cursor.execute(LIVE_RANKER_SQL)
        row = cursor.fetchone()
    return ranker_live(key=None if row is None else tuple(row))


def ranker_live(*, key: tuple | None) -> LinearRanker:
    """The ranker of the live version ``key`` (``(id, name, parameters digest)``;
    None: no promoted version), parsed once per process per version."""
    if key is None:
        return ranker_default() or ranker_hand()
    cached = _promoted_cache.get("live")
    if cached is not None and cached[0] == key:
        return cached[1]
    from ..models import RankerVersion

    parameters = (
        RankerVersion.objects.filter(pk=key[0]).values_list("parameters", flat=True)
    ).first()
    if parameters is None:  # deleted in between: read again
        return ranker_for_feed()
    ranker = LinearRanker.from_dict({**parameters, "version": key[1]})
    _promoted_cache["live"] = (key, ranker)
    return ranker


def ranker_hand() -> LinearRanker:
    """The hand-set weights of ``INTERESTS_FEED["WEIGHTS"]`` as a ranker."""
    return ranker_from_weights(interests_setting("FEED")["WEIGHTS"], version="hand")


def feed_features(
    *, interest: InterestVectors | None, candidates: Candidates
) -> np.ndarray:
    """The ranking features of candidates for a reader (used by training too)."""
    feed = interests_setting("FEED")
    return candidates_features(
        vectors=candidates.vectors,
        interest=interest,
        age_days=candidates.age_days,
        readers=candidates.readers,
        space_ids=candidates.space_ids,
        fresh_days=feed["FRESH_DAYS"],
        exemplar_k=feed["EXEMPLAR_K"],
        shown=candidates.shown,
        clicked=candidates.clicked,
    )


@dataclass(frozen=True)
class FeedItem:
    document: Document
    score: float
    reason: str
    # The ranking features the item was scored with, in ranker.FEATURES order.
    features: tuple[float, ...] = ()


@dataclass(frozen=True)
class FeedPage:
    items: list[FeedItem]
    page: int
    page_size: int
    has_next: bool
    personalized: bool
    ranker_version: str = ""

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def first_rank(self) -> int:
        return (self.page - 1) * self.page_size + 1


def feed_for(
    *,
    user: User,
    page: int = 1,
    page_size: int = 20,
    within_ids: Sequence[int] | None = None,
    ranker: LinearRanker | None = None,
) -> FeedPage:
    """Return one page of the user's personalized feed.

    Candidates: nearest neighbours of each interest vector (an HNSW search
    run now, so a document embedded a second ago can be one), plus fresh and
    popular documents (all the feed has for a new reader), all restricted to
    the user's spaces in SQL. Ranked by ``ranker`` (default:
    ``ranker_for_feed()``) over ``ranker.FEATURES``, diversified with MMR;
    dismissed and read documents are left out (see ``INTERESTS_FEED``). Each
    item says why it is there.

    ``within_ids`` restricts every candidate source to those documents: the
    evaluation ranks an impression's candidates through this same path.
    """
    feed = interests_setting("FEED")
    page = max(1, min(int(page), feed["MAX_PAGES"]))
    if not user.is_authenticated or not user.is_active:
        return FeedPage([], page, page_size, False, False)
    producer, language_producer = _feed_producers()
    # Interests, readable spaces (every query below filters by them in SQL),
    # exclusions and the live ranker version: one round trip.
    context = feed_context_load(
        user=user, producer=producer, language_producer=language_producer
    )
    interest, visible, excluded = context.interest, context.visible, context.excluded
    personalized = interest is not None and not interest.is_empty
    language = (
        reader_language_side(
            producer=language_producer,
            weight=feed["LANGUAGE_WEIGHT"],
            base=feed["LANGUAGE_COSINE_BASE"],
            exemplar_ids=interest.exemplar_ids,
            vectors=context.exemplar_language_vectors,
        )
        if personalized and interest.exemplars is not None
        else None
    )
    # A reader with no interests yet has only freshness and popularity to be
    # ranked by: the hand weights order that cold-start feed.
    ranker = ranker or (
        ranker_live(key=context.ranker_key) if personalized else ranker_hand()
    )
    wanted = page * page_size + 1

    vectors: list[np.ndarray] = []
    per_vector = 0
    if personalized:
        vectors = interest.query_vectors()
        most = max(1, int(feed["ANN_VECTORS"]))
        if len(vectors) > most:
            # Each vector is one HNSW scan per request: keep the most specific
            # ones and the long-term vector (last). By default only the
            # long-term one (see INTERESTS_FEED["ANN_VECTORS"]).
            vectors = vectors[: most - 1] + vectors[-1:]
        # A budget of ANN candidates shared by the vectors, each at least a
        # page, each scan with a beam at least as wide as its share. A scan's
        # cost is the index entries it reads: about its share over the
        # readable fraction of the corpus (bench/_feed_knobs.py).
        per_vector = max(wanted, math.ceil(feed["ANN_CANDIDATES"] / len(vectors)))
    # The most used documents of the reader's spaces (cached): the popular
    # candidates, and the popularity of every other candidate (0 outside).
    popular = documents_popular_ids(
        space_ids=visible, days=feed["POPULAR_DAYS"], limit=POPULARITY_DEPTH
    )
    excluded_set = set(excluded)
    within = None if within_ids is None else set(within_ids)

    def unused(ids, limit: int) -> list[int]:
        return [
            pk
            for pk in ids
            if pk not in excluded_set and (within is None or pk in within)
        ][:limit]

    popular_ids = unused(popular, feed["POPULAR_CANDIDATES"])
    # What other readers opened from their feeds (cached until the next click).
    crowd_ids = (
        unused(
            documents_crowd_ids(
                space_ids=visible,
                days=feed["POPULAR_DAYS"],
                limit=CROWD_DEPTH,
            ),
            feed["CROWD_CANDIDATES"],
        )
        if feed["CROWD_CANDIDATES"]
        else []
    )
    titles, candidates = candidates_gather(
        reader=user,
        producer=producer,
        sources=CandidateSources(
            query_vectors=vectors,
            per_vector=per_vector,
            ef_search=max(feed["ANN_EF_SEARCH"], per_vector),
            fresh_days=feed["FRESH_DAYS"],
            fresh_limit=(
                max(feed["FRESH_CANDIDATES"], wanted) if feed["FRESH_CANDIDATES"] else 0
            ),
            crowd_ids=crowd_ids,
            popular_ids=popular_ids,
            title_ids=interest.exemplar_ids if interest is not None else (),
            language_producer=language.producer if language else None,
            language_query=(
                language.query_vector(weights=interest.exemplar_weights)
                if language
                else None
            ),
        ),
        space_ids=visible,
        exclude_ids=excluded,
        within_ids=within_ids,
        popularity=popular,
        popularity_days=feed["POPULAR_DAYS"],
    )
    if not candidates.document_ids:
        return FeedPage([], page, page_size, False, personalized, ranker.version)
    if language is not None:
        interest = interest_with_language(interest, language)
        candidates = candidates_with_language(candidates, language)
    features = feed_features(interest=interest, candidates=candidates)
    scores = ranker.score(features)
    order = mmr_order(
        scores=_unit_range(scores),
        vectors=candidates.vectors,
        lambda_=feed["MMR_LAMBDA"],
        limit=wanted,
    )
    chosen = order[(page - 1) * page_size : page * page_size]
    chosen_ids = [candidates.document_ids[i] for i in chosen]
    # Fetched again with the permission filter, so nothing hidden can slip in.
    by_id = documents_shown(ids=chosen_ids, space_ids=visible)
    chosen = [index for index in chosen if candidates.document_ids[index] in by_id]
    reasons = feed_reasons(
        documents=[by_id[candidates.document_ids[i]] for i in chosen],
        contributions=ranker.contributions(features[chosen]),
        vectors=candidates.vectors[chosen],
        interest=interest,
        user=user,
        producer=producer,
        visible=visible,
        titles=titles,
        opened_by=candidates.clicked[chosen]
        if candidates.clicked is not None
        else None,
    )
    items = [
        FeedItem(
            document=by_id[candidates.document_ids[index]],
            score=float(scores[index]),
            reason=reason,
            features=tuple(round(float(v), 5) for v in features[index]),
        )
        for index, reason in zip(chosen, reasons, strict=True)
    ]
    return FeedPage(
        items=items,
        page=page,
        page_size=page_size,
        has_next=len(order) > page * page_size and page < feed["MAX_PAGES"],
        personalized=personalized,
        ranker_version=ranker.version,
    )


def _feed_producers() -> tuple[str, str | None]:
    """The live main producer, and the language vectors' one when the feed
    reads them (``feed_language``), in one round trip."""
    if (
        language_vectors_alias() is None
        or interests_setting("FEED")["LANGUAGE_WEIGHT"] <= 0
    ):
        return embedding_producer_active(), None
    live = producers_live(kinds=[EMBEDDINGS, LANGUAGE_EMBEDDINGS])
    return live[EMBEDDINGS].producer, live[LANGUAGE_EMBEDDINGS].producer


def _unit_range(scores: np.ndarray) -> np.ndarray:
    """Scale scores to [0, 1] so MMR's trade-off means the same for every ranker."""
    low, high = float(scores.min(initial=0.0)), float(scores.max(initial=0.0))
    if high - low < 1e-9:
        return np.zeros_like(scores)
    return (scores - low) / (high - low)


# How a reason names what the reader did with a document.
