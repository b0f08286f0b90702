"""Keyword ranking by BM25: how often a document holds a query's words, against
its length, not only whether it holds them.

A long page that mentions a sentence's words in passing used to rank with the
short note about them (known-item search on XSum and DialogSum, split a).
"""

from __future__ import annotations

import pytest

from docsite.documents.services import document_analyze, document_create_from_text
from interests import selectors
from interests.conf import interests_setting
from interests.search_index import search_terms_refresh
from interests.search_syntax import query_parse
from interests.selectors.search_keyword import (
    rows_bm25_order,
    term_frequency,
    tsquery_lexemes,
)
from interests.selectors.search_query import PreparedSearch, TermQuery


def test_tsquery_text_gives_alternatives_of_lexemes_needed_together():
    assert tsquery_lexemes("'robberi'") == [["robberi"]]
    # A respelled word ORs in its respelling.
    assert tsquery_lexemes("'orbberi' | 'robberi'") == [["orbberi"], ["robberi"]]
    # A hyphenated word or a run of Chinese bigrams is a phrase.
    assert tsquery_lexemes("'远程' <-> '程访'") == [["远程", "程访"]]
    assert tsquery_lexemes("'kube':*") == [["kube*"]]
    assert tsquery_lexemes("'o''neil'") == [["o'neil"]]
    assert tsquery_lexemes("") == []


def test_a_term_occurs_as_often_as_its_best_spelling_and_rarest_phrase_word():
    counts = {"robberi": 3, "new": 5, "york": 2, "kubernet": 2, "kubectl": 1}
    assert term_frequency([["orbberi"], ["robberi"]], counts) == 3
    assert term_frequency([["new", "york"]], counts) == 2
    assert term_frequency([["kube*"]], counts) == 3
    assert term_frequency([["absent"]], counts) == 0


def _prepared(*weights: float) -> PreparedSearch:
    prepared = PreparedSearch(query="x", parsed=query_parse("x"), corpus=100)
    prepared.terms = [
        TermQuery(english=f"'e{i}'", simple=f"'s{i}'", weight=w, common=False)
        for i, w in enumerate(weights)
    ]
    return prepared


def test_bm25_ranks_the_best_rows_and_leaves_the_rest_in_their_first_order():
    """Rows are (id, match, first score, is English, length, lexeme counts)."""
    prepared = _prepared(2.0, 1.0)
    rows = [
        # First by the first score: both words once, in a long text.
        (1, 1.0, 1.3, True, 900, {"e0": 1, "e1": 1}),
        # Both words, the rarer three times, in a short text.
        (2, 1.0, 1.2, True, 60, {"e0": 3, "e1": 1}),
        # A Chinese document counts the simple form's lexemes, not the English.
        (3, 1.0, 1.1, False, 60, {"s0": 1, "s1": 2, "e0": 9}),
        # Below the depth: never re-ranked, whatever its counts.
        (4, 0.5, 0.6, True, None, None),
    ]
    ranked = rows_bm25_order(rows=rows, prepared=prepared, depth=3, k1=1.2, b=0.75)
    assert [pk for pk, _, _ in ranked] == [2, 3, 1, 4]
    # The match share is kept for the fusion; scores are BM25 over total weight.
    assert [match for _, _, match in ranked] == [1.0, 1.0, 1.0, 0.5]
    assert ranked[0][1] > ranked[1][1] > ranked[2][1] > 0
    assert ranked[3][1] == 0.6
    # Depth 0: the first order, untouched.
    first = rows_bm25_order(rows=rows, prepared=prepared, depth=0, k1=1.2, b=0.75)
    assert [pk for pk, _, _ in first] == [1, 2, 3, 4]


@pytest.mark.django_db
def test_a_short_note_about_the_words_ranks_above_a_long_page_mentioning_them(
    world, settings
):
    filler = " ".join(
        f"The quarterly facilities report lists item {i} as unchanged."
        for i in range(60)
    )
    long_page = document_create_from_text(
        space=world.handbook,
        title="Facilities report",
        text=f"{filler} The zeppelin hangar was repainted. {filler} "
        f"A zeppelin visited the hangar once. {filler}",
    ).document
    note = document_create_from_text(
        space=world.handbook,
        title="Note",
        text="The zeppelin is kept in hangar nine.",
    ).document
    for document in (long_page, note):
        document_analyze(document_id=document.pk)
    for i in range(4):
        other = document_create_from_text(
            space=world.handbook, title=f"Menu {i}", text=f"Lunch menu {i} has soup."
        ).document
        document_analyze(document_id=other.pk)
    search_terms_refresh()

    def order(ranking: str) -> list[int]:
        settings.INTERESTS_SEARCH = {
            **interests_setting("SEARCH"),
            "KEYWORD_RANKING": ranking,
        }
        hits = selectors.documents_search_keyword(
            user=world.carol, query="zeppelin hangar"
        )
        return [hit.document.pk for hit in hits]

    # Cover density alone counts the long page's two mentions of each word.
    assert order("match") == [long_page.pk, note.pk]
    assert order("bm25") == [note.pk, long_page.pk]
