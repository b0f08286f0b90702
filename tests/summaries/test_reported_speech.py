"""Dialogue summaries in reported speech: who said it is named, and only the
persons change."""

from __future__ import annotations

import sys

import pytest

from docsite.ml.embedders import get_embedder
from summaries.backends.base import SummaryBudget
from summaries.backends.extractive import ExtractiveSummarizer
from summaries.reported_speech import sentence_reported, units_reported
from summaries.structure import units_from_text, units_join

from .samples import SMALL_TALK_FIRST


@pytest.mark.parametrize(
    ("said", "reported"),
    [
        ("I feel itchy!", "Anna feels itchy!"),
        ("I can't stand it anymore!", "Anna can't stand it anymore!"),
        ("I really appreciate your help.", "Anna really appreciates Ben's help."),
        ("I'm not sure.", "Anna is not sure."),
        ("I’m not sure.", "Anna is not sure."),  # a typographic apostrophe
        ("I've almost finished packing.", "Anna has almost finished packing."),
        ("I'd like a turkey sandwich.", "Anna would like a turkey sandwich."),
        ("I'd better get back to work.", "Anna had better get back to work."),
        ("I don't know.", "Anna doesn't know."),
        ("I went home and slept.", "Anna went home and slept."),
        ("I can swim and do yoga.", "Anna can swim and do yoga."),
        ("My sister is tall.", "Anna's sister is tall."),
        (
            "I hope you got the number of the car.",
            "Anna hopes Ben got the number of the car.",
        ),
        # Interjections and forms of address before the "I" are left out.
        ("Oh, Steven, I made a big mistake.", "Anna made a big mistake."),
        (
            "I am going to start working for myself!",
            "Anna is going to start working for themselves!",
        ),
    ],
)
def test_first_person_sentences_name_the_speaker_and_agree(said, reported):
    assert sentence_reported(said, speaker="Anna", listener="Ben") == reported


@pytest.mark.parametrize(
    "said",
    [
        "Are you coming to the party?",  # a question
        "We are going to the beach.",  # "we": who?
        "It's ten to nine by my watch.",  # does not open with the speaker
        "If I think of famous people, I think of Lincoln.",
        "I think you look great.",  # "you look" would need "looks"
        "I'll call you back.",  # "back" could be a verb: cannot tell
        "I usually calm down first and think about it.",  # "think" shares "I"
        "I don't know and don't care.",
        "I, too, like it.",  # no verb after "I"
        "Ich habe keine Zeit.",  # not English
        "我觉得很好。",
    ],
)
def test_a_sentence_that_cannot_be_reported_safely_stays_as_said(said):
    assert sentence_reported(said, speaker="Anna", listener="Ben") is None


def test_you_is_only_rewritten_when_the_dialogue_has_two_speakers():
    said = "I told you so."

    assert (
        sentence_reported(said, speaker="Anna", listener="Ben") == "Anna told Ben so."
    )
    assert sentence_reported(said, speaker="Anna", listener=None) is None


MEETING = (
    "Anna: I baked cookies for the team. Do you want some?\n"
    "Ben: Sure! I love your cookies.\n"
    "Cleo: I finished the budget draft yesterday. It is on the shared drive."
)


def test_a_transcripts_units_carry_their_reported_form_and_join_as_lines():
    units = units_reported(units_from_text(MEETING, turn_sentences=True))
    by_text = {unit.text: unit for unit in units}

    assert by_text["Anna: I baked cookies for the team."].reported == (
        "Anna baked cookies for the team."
    )
    assert by_text["Anna: Do you want some?"].reported == ""
    # Three speakers: "your" has no one listener.
    assert by_text["Ben: I love your cookies."].reported == ""
    assert by_text["Cleo: I finished the budget draft yesterday."].reported == (
        "Cleo finished the budget draft yesterday."
    )

    # A turn's reported sentence and its question as said: two lines, each
    # naming the speaker; the rest of a turn as said goes on as said.
    picked = [
        "Anna: I baked cookies for the team.",
        "Anna: Do you want some?",
        "Ben: Sure!",
        "Ben: I love your cookies.",
    ]
    assert units_join([by_text[text] for text in picked]) == (
        "Anna baked cookies for the team.\n"
        "Anna: Do you want some?\n"
        "Ben: Sure! I love your cookies."
    )


def test_without_the_inflection_tables_turns_stay_as_said(monkeypatch):
    monkeypatch.setitem(sys.modules, "lemminflect", None)  # import fails
    units = units_from_text(MEETING, turn_sentences=True)

    assert units_reported(units) == units


def test_a_language_other_than_english_is_left_as_said():
    units = units_from_text(MEETING, turn_sentences=True)

    assert units_reported(units, language="de") == units


@pytest.mark.slow
def test_a_dialogue_summary_says_who_will_do_what():
    embedder = get_embedder()
    # A budget for the whole dialogue: the same sentences, written two ways.
    summarizer = ExtractiveSummarizer(embedder=embedder, length_ratio=0)
    as_said = ExtractiveSummarizer(
        embedder=embedder, length_ratio=0, reported_speech=False
    )

    [summary] = summarizer.summarize_batch(
        [SMALL_TALK_FIRST], budget=SummaryBudget(200)
    )
    [before] = as_said.summarize_batch([SMALL_TALK_FIRST], budget=SummaryBudget(200))

    assert "#Person2#: I will phone the plumber" in before.text
    assert "#Person2# will phone the plumber and ask him" in summary.text
    assert "I will" not in summary.text
    assert summarizer.producer_for(SummaryBudget(200)) != as_said.producer_for(
        SummaryBudget(200)
    )
