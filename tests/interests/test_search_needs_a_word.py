"""Meaning search needs a word to read (``SEARCH["MEANING_NEEDS_A_WORD"]``).

With the real query model (MiniLM as int8 ONNX, as web processes run it),
keyboard mash is read as word pieces and lands near some page, as close as a
real query's page often is. A query with no word that a page holds, the model
learnt whole or English text uses finds nothing; real words that no page
uses still find their page by meaning.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from django.test import override_settings

from docsite.ml.embedders import reset_embedders
from docsite.ml.embedders.onnx import onnx_available
from interests.search_index import search_terms_refresh
from interests.selectors import search_run

pytestmark = pytest.mark.skipif(not onnx_available(), reason="needs onnxruntime")

PAGES = {
    "Annual leave": "Every employee has 25 days of paid time off a year. Book your "
    "days off in the HR portal two weeks ahead; unused days carry over to March.",
    "Kubernetes autoscaling": "The cluster adds nodes when pods wait for CPU and "
    "removes them again at night, when traffic is low.",
    "Expense reimbursement": "Submit receipts for travel and client dinners within "
    "thirty days; finance pays approved claims with the next payroll.",
    "Office guide": "The front desk opens at nine. Visitors sign in at reception "
    "and collect a badge for the day.",
}


@pytest.fixture
def pages(settings, minilm_pages):
    settings.DOCSITE_EMBEDDERS = {"default": {"BACKEND": "transformer", "OPTIONS": {}}}
    reset_embedders()
    minilm_pages(PAGES)
    search_terms_refresh()
    yield
    reset_embedders()


@pytest.fixture
def no_floor(pages, settings):
    """No similarity floor: four short pages sit under MiniLM's 0.25 for mash
    (in a thousand pages it lists twenty) and for "sabbatical" (0.23 to the
    leave page); without a floor the rule alone decides what is listed."""
    settings.DOCSITE_EMBEDDERS = {
        "default": {"BACKEND": "transformer", "OPTIONS": {"similarity_floor": -1.0}}
    }
    reset_embedders()


@pytest.mark.parametrize("query", ["asdf jkl", "hjkl", "zxcvbnm", "the asdfgh"])
@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_keyboard_mash_finds_nothing(world, no_floor, query, mode):
    hits, _ = search_run(user=world.carol, query=query, mode=mode)
    assert hits == []
    settings_off = {"MEANING_NEEDS_A_WORD": False}
    with override_settings(INTERESTS_SEARCH=settings_off):
        hits, _ = search_run(user=world.carol, query=query, mode=mode)
    assert len(hits) == len(PAGES)


@pytest.mark.parametrize(
    "query, title",
    [
        # A word the model learnt whole; no page says it.
        ("vacation", "Annual leave"),
        # Pieces to the model ("sa ##bba ##tical"), but a word of English.
        ("sabbatical", "Annual leave"),
        # Respelled to a word the pages hold.
        ("kuberntes", "Kubernetes autoscaling"),
    ],
)
def test_real_words_still_find_their_page_by_meaning(world, no_floor, query, title):
    hits, _ = search_run(user=world.carol, query=query, mode="semantic")
    assert hits and hits[0].document.title == title


def test_an_unreadable_word_list_keeps_every_query(
    world, no_floor, monkeypatch, caplog
):
    """A broken install must not make meaning search refuse real words: the
    log says the list cannot be read, and every query is searched by meaning
    as before the rule."""
    from interests import lexicon

    monkeypatch.setattr(
        lexicon, "_word_list_path", lambda: Path("/nonexistent/large_en.msgpack.gz")
    )
    lexicon._english_words.cache_clear()
    try:
        hits, _ = search_run(user=world.carol, query="asdf jkl", mode="semantic")
    finally:
        lexicon._english_words.cache_clear()
    assert len(hits) == len(PAGES)
    assert "word list cannot be read" in caplog.text
