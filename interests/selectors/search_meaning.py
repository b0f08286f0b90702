"""Meaning search's query side: which model embeds a query, and which of its
nearest documents are closer than chance."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from django.core.exceptions import ImproperlyConfigured

from docsite.ml.embedders import get_embedder
from docsite.ml.embedders.base import BaseEmbedder
from docsite.ml.outputs import LiveProducer

from ..conf import interests_setting
from ..lexicon import english_word
from ..search_syntax import CJK_RUN
from .language_vectors import meaning_producer_for, query_reads_language_vectors
from .search_query import PreparedSearch
from .vectors import embedding_producer_live
from .vectors_means import vectors_mean

logger = logging.getLogger(__name__)


def meaning_text(prepared: PreparedSearch) -> str:
    """Return what meaning search embeds: with ``SEARCH["MEANING_QUERY"]`` =
    "respelled", the query with its respellings when words were respelled (a
    typo becomes a token the model never saw; split a, XSum with typos:
    meaning MRR@10 85.3 -> 91.1), else the query as typed."""
    if prepared.respelled_for_meaning and (
        interests_setting("SEARCH")["MEANING_QUERY"] == "respelled"
    ):
        return prepared.respelled_for_meaning
    return prepared.query


@dataclass(frozen=True)
class QueryVector:
    """A query embedded for meaning search, and the vectors it is compared with."""

    live: LiveProducer
    embedder: BaseEmbedder
    vector: np.ndarray
    # Read by the language vectors' model (a Chinese, Japanese or Korean
    # query), not the main one.
    language_vectors: bool = False


# What a model that cannot load raises (a missing package or weights file, an
# engine that fails on this CPU).
MODEL_UNAVAILABLE = (ImproperlyConfigured, ImportError, OSError, RuntimeError)


def query_vector_for(*, prepared: PreparedSearch) -> QueryVector:
    """Embed ``prepared`` with the model that reads its language (the language
    vectors' for Chinese, Japanese and Korean).

    If that model cannot load, the query is searched with the main vectors, as
    before language vectors existed, and the error is logged: a broken
    multilingual model must not take Chinese search down with it.
    """
    live = meaning_producer_for(query=prepared.query)
    text = meaning_text(prepared)
    # Only a query the language vectors read can have a producer other than
    # the main one: the others need no second lookup of the live producer.
    if query_reads_language_vectors(query=prepared.query):
        main = embedding_producer_live()
    else:
        main = live
    try:
        embedder = get_embedder(live.backend_alias)
        return QueryVector(
            live,
            embedder,
            embedder.embed_queries([text])[0],
            language_vectors=live != main,
        )
    except MODEL_UNAVAILABLE:
        if live == main:
            raise
        logger.exception(
            "The language vectors' embedder '%s' failed; meaning search reads "
            "the main vectors for this query.",
            live.backend_alias,
        )
    embedder = get_embedder(main.backend_alias)
    return QueryVector(main, embedder, embedder.embed_queries([text])[0])


def query_has_a_word(*, prepared: PreparedSearch, query_vector: QueryVector) -> bool:
    """Return whether meaning search has a word of ``prepared`` to read: one a
    document holds (or holds respelled), a content word the query model
    learnt whole, or a word of English text (``lexicon``: "sabbatical", which
    the model reads from its pieces). Keyboard mash ("asdf jkl", "hjkl") is
    none of these: the model reads it as word pieces, and its nearest pages
    sit as far above chance as a real query's page often does (split a,
    MiniLM: junk's best hit 0.14 to 0.35 above the query's average cosine, a
    typed query's page under 0.06 above it one time in twenty), so no
    threshold on closeness tells them apart. Chinese, Japanese and Korean
    queries are read by bigrams and have the chance margin instead; an
    embedder that cannot tell keeps every query.
    """
    if (
        not interests_setting("SEARCH")["MEANING_NEEDS_A_WORD"]
        or query_vector.language_vectors
        or CJK_RUN.search(prepared.query)
        or any(term.known for term in prepared.terms)
    ):
        return True
    # Stop words are no terms: "the asdf" has no word to read either.
    return any(
        query_vector.embedder.query_word_known(word) is not False or english_word(word)
        for term in prepared.parsed.terms
        for word in term.words
    )


def nearest_above_chance(
    nearest: list[tuple[int, int, float]], *, query_vector: QueryVector
) -> list[tuple[int, int, float]]:
    """Keep the ``(document_id, query_index, cosine)`` rows closer to the query
    than chance: at least the embedder's similarity floor, and, for a model
    whose cosines carry a per-query offset (e5: any two Chinese texts score
    0.8), at least its chance margin above the query's average cosine with a
    document, which no fixed floor can say."""
    # Rows come nearest first, so the floor only cuts the tail.
    floor = query_vector.embedder.similarity_floor
    nearest = [row for row in nearest if row[2] >= floor]
    margin = query_vector.embedder.chance_margin
    if margin is None or not nearest:
        return nearest
    means = vectors_mean(producer=query_vector.live.producer)
    if means is None:
        return nearest
    kept = []
    for row in nearest:
        chance = means.chance(query=query_vector.vector, cosine=row[2])
        if chance is None or row[2] - chance >= margin:
            kept.append(row)
    return kept
