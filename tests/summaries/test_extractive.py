"""The extractive summarizer with the real packaged embedder."""

from __future__ import annotations

import pytest

from docsite.ml.embedders import get_embedder
from summaries.backends import get_summarizer
from summaries.backends.base import SummaryBudget
from summaries.backends.extractive import CJK_CHARS_PER_WORD, ExtractiveSummarizer
from summaries.backends.extractive.scoring import topic_word_scores
from summaries.reported_speech import sentence_reported
from summaries.structure import units_from_text
from summaries.text import sentences_split, text_word_count

from .samples import (
    CHINESE,
    DIALOGUE,
    NEWS,
    PAGES,
    SMALL_TALK_FIRST,
    page_of,
    paged_document,
    summary_sentences,
)

BUDGET = SummaryBudget(60)


@pytest.fixture(scope="module")
def embedder():
    return get_embedder()


@pytest.fixture(scope="module")
def summarizer(embedder):
    return ExtractiveSummarizer(embedder=embedder)


def summarize(summarizer, text: str, *, budget: SummaryBudget = BUDGET) -> str:
    return summarizer.summarize_batch([text], budget=budget)[0].text


@pytest.mark.slow
@pytest.mark.parametrize("size", [25, 60])
def test_summary_respects_the_word_budget(summarizer, size):
    texts = [NEWS, DIALOGUE, paged_document()]

    results = summarizer.summarize_batch(texts, budget=SummaryBudget(size, "words"))

    for result in results:
        assert result.text
        assert text_word_count(result.text) <= size


@pytest.mark.slow
def test_summary_respects_a_character_budget(summarizer):
    result = summarizer.summarize_batch(
        [paged_document()], budget=SummaryBudget(120, "chars")
    )[0]

    assert 0 < len(result.text) <= 120


@pytest.mark.slow
def test_sentences_keep_their_document_order(summarizer):
    units = [unit.text for unit in sentences_split(NEWS)]
    filled = ExtractiveSummarizer(embedder=summarizer.embedder, length_ratio=0)

    picked = summary_sentences(summarize(filled, NEWS))

    assert len(picked) >= 2
    positions = [units.index(sentence) for sentence in picked]
    assert positions == sorted(positions)


@pytest.mark.slow
def test_a_repeated_sentence_is_picked_once(embedder):
    repeated = "The council approved forty electric buses for the city."
    text = f"{repeated} Night services will run on six routes. {repeated} Fares stay the same."
    # Fill a generous budget, so only redundancy can keep the copy out.
    filled = ExtractiveSummarizer(embedder=embedder, length_ratio=0)

    summary = summarize(filled, text, budget=SummaryBudget(200))

    assert summary.count(repeated) == 1


@pytest.mark.slow
def test_long_document_summary_draws_from_across_the_document(summarizer):
    """GIVEN twenty pages on distinct topics WHEN summarized in 60 words THEN
    the sentences come from several pages, some in the second half."""
    pages = [
        page_of(sentence)
        for sentence in summary_sentences(summarize(summarizer, paged_document()))
    ]

    assert len(set(pages)) >= 3
    assert max(pages) >= len(PAGES) // 2


@pytest.mark.slow
def test_sentence_cap_samples_the_whole_document(embedder):
    capped = ExtractiveSummarizer(embedder=embedder, max_sentences=20)
    plan = capped._plan(
        paged_document(), blocks=None, budget=SummaryBudget(60), language=None
    )

    # The candidates reach the last pages, not just the first 20 sentences.
    assert len(plan.units) == 20
    assert max(page_of(unit.text) for unit in plan.units) == len(PAGES) - 1
    # Only the sampled units were embedded: about a quarter of the 80.
    result = capped.summarize_batch([paged_document()], budget=SummaryBudget(60))[0]
    uncapped = ExtractiveSummarizer(embedder=embedder)
    full = uncapped.summarize_batch([paged_document()], budget=SummaryBudget(60))[0]
    assert result.tokens_in < full.tokens_in / 2


@pytest.mark.slow
def test_chinese_text_gets_a_chinese_summary_within_budget(summarizer):
    source_sentences = [unit.text for unit in sentences_split(CHINESE)]

    summary = summarize(summarizer, CHINESE, budget=SummaryBudget(40))

    # Measured in characters: 40 words say about what 64 characters say.
    assert 0 < len(summary) <= 40 * CJK_CHARS_PER_WORD
    assert all(sentence in source_sentences for sentence in summary_sentences(summary))


@pytest.mark.slow
def test_dialogue_summary_names_the_speaker_of_every_line(summarizer):
    turns = DIALOGUE.split("\n")

    summary = summarize(summarizer, DIALOGUE, budget=SummaryBudget(25))

    assert summary
    for line in summary.split("\n"):
        speaker = line.split(" ", 1)[0].rstrip(":")
        assert speaker in ("#Person1#", "#Person2#")
        if line.startswith(speaker + ": "):
            # Sentences of one turn as said, opened by that turn's speaker.
            said = line[len(speaker) + 2 :]
            turn = next(turn for turn in turns if said.split(". ")[0] in turn)
            assert turn.startswith(speaker + ": ")
            assert all(sentence in turn for sentence in summary_sentences(said))
        else:
            # Reported speech: each sentence one the speaker said, in the third person.
            other = "#Person2#" if speaker == "#Person1#" else "#Person1#"
            reported = [
                sentence_reported(sentence, speaker=speaker, listener=other)
                for turn in turns
                if turn.startswith(speaker + ": ")
                for sentence in summary_sentences(turn[len(speaker) + 2 :])
            ]
            assert all(sentence in reported for sentence in summary_sentences(line))


@pytest.mark.slow
def test_a_dialogue_summary_gets_past_the_small_talk_to_its_topic(summarizer):
    summary = summarize(summarizer, SMALL_TALK_FIRST, budget=SummaryBudget(30))

    # The sink and the plumber are what both speakers come back to.
    assert "sink" in summary
    assert "plumber" in summary


def test_topic_words_are_the_content_words_a_document_repeats():
    scores = topic_word_scores(
        [
            "The kitchen sink is leaking.",
            "The plumber fixed the sink.",
            "I will phone the plumber about the sink.",
            "See you tonight, thanks.",
        ]
    )

    # "sink" (3 uses) and "plumber" (2) are topic words; "the", "kitchen"
    # (once) and "tonight" are not.
    assert scores.tolist() == [3.0, 5.0, 5.0, 0.0]


@pytest.mark.slow
def test_batch_gives_the_same_summaries_as_one_at_a_time(summarizer):
    texts = [NEWS, DIALOGUE, CHINESE, "", "Only one sentence here.", paged_document(),
             SMALL_TALK_FIRST]  # fmt: skip
    budget = SummaryBudget(40)

    batch = summarizer.summarize_batch(texts, budget=budget)
    one_by_one = [
        summarizer.summarize_batch([text], budget=budget)[0] for text in texts
    ]

    assert [result.text for result in batch] == [result.text for result in one_by_one]
    assert [result.tokens_in for result in batch] == [
        result.tokens_in for result in one_by_one
    ]


@pytest.mark.slow
def test_empty_and_one_sentence_texts(summarizer):
    empty, single, blank = summarizer.summarize_batch(
        ["", "Backups run every night.", "  \n\n "], budget=SummaryBudget(60)
    )

    assert (empty.text, empty.tokens_in, empty.tokens_out) == ("", 0, 0)
    assert single.text == "Backups run every night."
    assert single.tokens_in > 0 and single.tokens_out > 0
    assert blank.text == ""


@pytest.mark.slow
def test_a_budget_smaller_than_any_sentence_still_gives_a_whole_sentence(summarizer):
    """A sentence cut short misleads; one a little over a tiny budget does not."""
    for text in (NEWS, DIALOGUE):
        summary = summarize(summarizer, text, budget=SummaryBudget(8))

        assert summary in {unit.text for unit in units_from_text(text)}
        assert text_word_count(summary) <= 1.5 * 8
    text = "This single sentence is clearly much longer than the tiny budget allows."
    assert summarize(summarizer, text, budget=SummaryBudget(4)) == text


@pytest.mark.slow
def test_batch_accounts_tokens_and_shares_its_time(summarizer):
    results = summarizer.summarize_batch([NEWS, DIALOGUE], budget=SummaryBudget(60))

    assert all(result.tokens_in > result.tokens_out > 0 for result in results)
    assert all(result.seconds > 0 for result in results)


def test_model_id_and_producer_follow_the_embedder(embedder):
    summarizer = ExtractiveSummarizer(embedder=embedder)
    other = ExtractiveSummarizer(embedder=embedder, method="centroid")
    budget = SummaryBudget(60)

    assert summarizer.model_id == embedder.model_id
    assert summarizer.producer_for(budget).startswith(
        f"extractive:{embedder.model_id}:"
    )
    assert summarizer.params["embedder"] == embedder.producer
    assert summarizer.producer_for(budget) != other.producer_for(budget)


def test_registry_gives_the_shared_embedder(settings):
    settings.SUMMARIES_BACKENDS = {
        "default": {"BACKEND": "extractive", "OPTIONS": {"embedder": "default"}}
    }

    summarizer = get_summarizer("default")

    assert isinstance(summarizer, ExtractiveSummarizer)
    assert summarizer.embedder is get_embedder("default")


@pytest.mark.parametrize(
    "options",
    [
        {"method": "magic"},
        {"mmr_lambda": 1.5},
        {"length_ratio": -0.1},
        {"max_sentences": 0},
        {"topic_weight": 1.5},
        {"transcript_position_weight": -0.5},
    ],
)
def test_bad_options_are_refused(embedder, options):
    with pytest.raises(ValueError):
        ExtractiveSummarizer(embedder=embedder, **options)


def test_missing_embedder_is_refused():
    with pytest.raises(ValueError, match="embedder"):
        ExtractiveSummarizer()


@pytest.mark.slow
def test_a_variant_is_the_next_best_selection_of_source_sentences(summarizer):
    """Regenerate must give the editor a real alternative, not the same text."""
    units = {unit.text for unit in units_from_text(NEWS)}

    first, second = (
        summarizer.summarize_batch([NEWS], budget=BUDGET, variant=variant)[0].text
        for variant in (0, 1)
    )

    assert first != second
    assert all(sentence in units for sentence in summary_sentences(second))
    assert summarizer.producer_for(BUDGET) != summarizer.producer_for(BUDGET, variant=1)


@pytest.mark.slow
def test_a_news_summary_leaves_out_the_byline_and_dateline(summarizer):
    """Scraped news often opens with its byline and publishing times, split into
    short "sentences" with no lower-case word; none of them is a summary."""
    article = (
        "By . Daily Mail Reporter . PUBLISHED: . 12:53 EST, 3 March 2013 . | . "
        "UPDATED: . 14:02 EST, 3 March 2013 . " + NEWS
    )

    summary = summarize(summarizer, article, budget=SummaryBudget(30))

    assert summary.startswith("The city council approved a new budget")
    for byline in ("Daily Mail", "PUBLISHED", "EST", "UPDATED"):
        assert byline not in summary


def test_a_chinese_sentence_of_four_characters_is_too_short_to_pick():
    """ "首先别慌。" ("First, don't panic.") is four ideographs, which
    ``text_word_count`` counts as four words; the three-word minimum reads
    CJK text at the budget's 1.6 characters a word."""
    from summaries.backends.extractive.planning import document_plan

    text = (
        "问：房东突然说要卖房，让我一个月内搬走，我该怎么办？\n\n"
        "答：首先别慌。根据买卖不破租赁的原则，原租赁合同对新房主仍然有效。"
    )
    plan = document_plan(
        text,
        blocks=None,
        budget=SummaryBudget(size=60, unit="words"),
        language="zh",
        section_units=12,
        max_sentences=60,
        min_sentence_words=3,
        length_ratio=0.2,
    )
    eligible = {u.text: bool(e) for u, e in zip(plan.units, plan.eligible, strict=True)}
    assert eligible["答：首先别慌。"] is False
    assert eligible["答：根据买卖不破租赁的原则，原租赁合同对新房主仍然有效。"] is True
