"""LEAD-k, the baseline every summarizer must beat."""

from __future__ import annotations

from summaries.backends.base import SummaryBudget
from summaries.backends.lead import LeadSummarizer
from summaries.text import text_word_count

from .samples import DIALOGUE, NEWS


def test_lead_takes_the_leading_sentences_skipping_headings():
    text = "# Budget news\n\n" + NEWS
    lead = LeadSummarizer(sentences=2)

    result = lead.summarize_batch([text], budget=SummaryBudget(60))[0]

    assert result.text == (
        "The city council approved a new budget for public transport on Monday. "
        "The plan adds forty electric buses and extends night services on six routes."
    )
    assert result.tokens_out == text_word_count(result.text)


def test_lead_takes_whole_dialogue_turns():
    result = LeadSummarizer(sentences=2).summarize_batch(
        [DIALOGUE], budget=SummaryBudget(60)
    )[0]

    assert result.text.split("\n") == DIALOGUE.split("\n")[:2]


def test_lead_without_k_fills_the_budget_with_whole_sentences():
    result = LeadSummarizer().summarize_batch([NEWS], budget=SummaryBudget(30))[0]

    assert result.text == (
        "The city council approved a new budget for public transport on Monday. "
        "The plan adds forty electric buses and extends night services on six routes."
    )


def test_lead_cuts_to_the_budget():
    result = LeadSummarizer(sentences=1).summarize_batch(
        [NEWS], budget=SummaryBudget(5)
    )[0]

    assert result.text == "The city council approved a…"


def test_lead_of_empty_text_is_empty():
    assert (
        LeadSummarizer(sentences=1)
        .summarize_batch([""], budget=SummaryBudget(5))[0]
        .text
        == ""
    )
