"""Which documents a sentence-long keyword query matches before ranking.

Known-item search (a summary finding its document, an abstract finding its
paper) needs documents that share only some of a long query's rare words.
"""

from __future__ import annotations

import pytest

from docsite.documents.services import document_analyze, document_create_from_text
from interests import selectors
from interests.conf import interests_setting
from interests.search_index import search_terms_refresh
from interests.search_syntax import query_parse
from interests.selectors.search_keyword import match_query as _match_query
from interests.selectors.search_query import PreparedSearch, TermQuery, search_prepare


def _prepared(counts: list[int], corpus: int = 100_000) -> PreparedSearch:
    """Terms t0, t1, ... held by ``counts`` documents (rarer weigh more)."""
    prepared = PreparedSearch(query="x", parsed=query_parse("x"), corpus=corpus)
    prepared.terms = [
        TermQuery(
            english=f"'t{i}'",
            simple=f"'t{i}'",
            weight=1.0 / (1 + count),
            common=False,
            documents=count,
            postings=count,
        )
        for i, count in enumerate(counts)
    ]
    return prepared


def test_a_sentence_matches_any_of_its_rarest_words_within_the_budget(settings):
    settings.INTERESTS_SEARCH = {
        **interests_setting("SEARCH"),
        "MATCH_RULE": "postings",
        "MATCH_TERMS": 10,
        "MATCH_POSTINGS": 100,
    }
    # t3 alone would bring 5000 candidates: it ranks, but does not match alone.
    query = _match_query(_prepared([3, 10, 40, 5000]), 0)
    assert query == "( ( 't0' ) | ( 't1' ) | ( 't2' ) )"


def test_a_corpus_within_the_budget_lets_every_rare_word_match(settings):
    settings.INTERESTS_SEARCH = {
        **interests_setting("SEARCH"),
        "MATCH_RULE": "postings",
        "MATCH_TERMS": 10,
        "MATCH_POSTINGS": 100,
    }
    # 90 documents in all: however the terms' postings add up, at most 90
    # candidates are ranked.
    query = _match_query(_prepared([30, 40, 60, 80], corpus=90), 0)
    assert query == "( ( 't0' ) | ( 't1' ) | ( 't2' ) | ( 't3' ) )"


def test_when_even_two_rare_words_are_too_common_two_must_match(settings):
    settings.INTERESTS_SEARCH = {
        **interests_setting("SEARCH"),
        "MATCH_RULE": "postings",
        "MATCH_POSTINGS": 100,
    }
    query = _match_query(_prepared([80, 90, 95]), 0)
    assert "( 't0' ) & ( 't1' )" in query and "( 't0' ) | ( 't1' )" not in query


@pytest.mark.django_db
def test_a_rare_word_whose_stem_is_common_counts_the_stems_documents(world):
    """ "ones" is in one document, but its English stem "one" is in five: the
    budget must count the documents the stemmed term really matches."""
    document = document_create_from_text(
        space=world.handbook, title="Sizes", text="Only the small ones remain."
    ).document
    document_analyze(document_id=document.pk)
    for i in range(4):
        other = document_create_from_text(
            space=world.handbook, title=f"Count {i}", text=f"Exactly one cup, {i}."
        ).document
        document_analyze(document_id=other.pk)
    search_terms_refresh()
    prepared = search_prepare(query="ones")
    (term,) = prepared.terms
    assert term.documents == 1
    assert term.postings >= 5
    # Both match the same documents, so "ones" is no rarer than "one".
    (one,) = search_prepare(query="one").terms
    assert term.weight == one.weight


@pytest.mark.django_db
def test_a_document_sharing_one_rare_word_of_a_sentence_is_found(world, settings):
    texts = {
        "Zeppelin notes": "The zeppelin sleeps in hangar nine.",
        "Freight": "The cargo audit found nothing; the ledger is fine.",
        **{f"Filler {i}": f"Lunch menu number {i} has soup." for i in range(6)},
    }
    ids = {}
    for title, text in texts.items():
        document = document_create_from_text(
            space=world.handbook, title=title, text=text
        ).document
        document_analyze(document_id=document.pk)
        ids[title] = document.pk
    search_terms_refresh()
    query = "zeppelin cargo audit ledger"
    found = [
        h.document.pk
        for h in selectors.documents_search_keyword(user=world.carol, query=query)
    ]
    assert found[0] == ids["Freight"] and ids["Zeppelin notes"] in found
    settings.INTERESTS_SEARCH = {**interests_setting("SEARCH"), "MATCH_RULE": "pairs"}
    strict = [
        h.document.pk
        for h in selectors.documents_search_keyword(user=world.carol, query=query)
    ]
    assert ids["Zeppelin notes"] not in strict


def test_hybrid_ranks_half_the_words_above_a_meaning_barely_above_chance():
    """A document holding half of the query's words (first by keyword) and
    one barely closer than the floor (first by meaning): ranks alone put the
    second first; scaled by its closeness, the meaning hit counts for little."""
    from docsite.documents.models import Document
    from interests.selectors.search import SearchHit, hits_fuse

    words, barely = Document(pk=2), Document(pk=1)
    keyword = [SearchHit(document=words, score=0.5, keyword_rank=1, match=0.5)]
    semantic = [SearchHit(document=barely, score=0.26, semantic_rank=1)]

    def order(similarity_power: float) -> list[int]:
        fused = hits_fuse(
            keyword=keyword,
            semantic=semantic,
            k=60,
            keyword_weight=1.0,
            semantic_weight=1.0,
            similarity_power=similarity_power,
            floor=0.25,
            limit=10,
        )
        return [hit.document.pk for hit in fused]

    assert order(0.0) == [1, 2]
    assert order(0.5) == [2, 1]


def test_a_chinese_sentence_ranks_its_short_clauses_by_bigrams():
    """In prose, "价格适中" between commas is a clause, not a name asked for:
    as a phrase a document had to hold all of it to match any of it."""
    sentence = query_parse("新开川菜馆菜品地道、价格适中，但上菜很慢，服务有待改进。")
    texts = [term.text for term in sentence.terms]
    assert {"价格", "适中", "服务", "改进"} <= set(texts)
    assert not any(text.startswith('"') for text in texts)
    # Typed keywords keep their phrases.
    keywords = query_parse("价格适中 服务")
    assert [term.text for term in keywords.terms] == ['"价格 格适 适中"', '"服务"']


@pytest.mark.django_db
def test_bigrams_straddling_two_chinese_words_do_not_shrink_the_match_share(world):
    """ "川菜馆价格实惠服务周到水煮鱼" gives "馆价" and "惠服", which no document
    holds: a document holding every other bigram matches the whole query."""
    document = document_create_from_text(
        space=world.handbook,
        title="川菜馆",
        text="周末去了新开的这家川菜馆。服务周到，价格实惠，水煮鱼很好吃。",
    ).document
    document_analyze(document_id=document.pk)
    for i in range(6):
        filler = document_create_from_text(
            space=world.handbook,
            title=f"通知 {i}",
            text=f"第{i}号楼明天停水，请提前储水。",
        ).document
        document_analyze(document_id=filler.pk)
    search_terms_refresh()
    hits = selectors.documents_search_keyword(
        user=world.carol, query="川菜馆价格实惠服务周到水煮鱼"
    )
    assert hits[0].document.pk == document.pk
    assert hits[0].match == pytest.approx(1.0)
