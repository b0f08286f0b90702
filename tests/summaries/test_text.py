"""Text segmentation for summarizers: sentences, headings, lists, dialogue, budgets."""

from __future__ import annotations

import pytest

from summaries.backends.base import SummaryBudget
from summaries.text import (
    sentences_join,
    sentences_split,
    text_word_count,
    truncate_to_budget,
)


def texts(text: str, **kwargs) -> list[str]:
    return [sentence.text for sentence in sentences_split(text, **kwargs)]


def test_english_abbreviations_initials_and_decimals_stay_inside_sentences():
    text = (
        "Dr. Smith moved to the U.S. in 2019, e.g. to New York. "
        "Prices rose 3.5 percent... Then they fell! Did they? "
        "Mr. J. R. R. Tolkien wrote books. Call me at 3 p.m. tomorrow."
    )

    assert texts(text) == [
        "Dr. Smith moved to the U.S. in 2019, e.g. to New York.",
        "Prices rose 3.5 percent...",
        "Then they fell!",
        "Did they?",
        "Mr. J. R. R. Tolkien wrote books.",
        "Call me at 3 p.m. tomorrow.",
    ]


def test_sentence_ending_in_an_abbreviation_ends_before_a_sentence_starter():
    text = (
        "He moved to the U.S. The next year he left. The answer is no. But No. 5 won."
    )

    assert texts(text) == [
        "He moved to the U.S.",
        "The next year he left.",
        "The answer is no.",
        "But No. 5 won.",
    ]


def test_quotes_close_the_sentence_they_end():
    assert texts('He said "Stop." Then he left. "Why?" she asked.') == [
        'He said "Stop."',
        "Then he left.",
        '"Why?" she asked.',
    ]


def test_chinese_splits_on_fullwidth_punctuation_keeping_closing_quotes():
    text = "他说：“今天天气很好。”我们去公园吧！好吗？当然；走吧……然后呢"

    assert texts(text) == [
        "他说：“今天天气很好。”",
        "我们去公园吧！",
        "好吗？",
        "当然；",
        "走吧……",
        "然后呢",
    ]


def test_japanese_quotation_followed_by_to_stays_one_sentence():
    assert texts("「今日は晴れです。」と彼は言った。公園に行こう！") == [
        "「今日は晴れです。」と彼は言った。",
        "公園に行こう！",
    ]


def test_chinese_quotation_followed_by_its_attribution_stays_one_sentence():
    # As '"Why?" she asked.' in English: "李阿姨说。" alone says nothing.
    text = "“现在手机上就能挂号。”家住城南的李阿姨说。据了解，医院已接入平台。"

    assert texts(text) == [
        "“现在手机上就能挂号。”家住城南的李阿姨说。",
        "据了解，医院已接入平台。",
    ]
    # A sentence after a quote that is no attribution still starts anew.
    assert texts("他说：“明天开会。”会议在三楼举行。") == [
        "他说：“明天开会。”",
        "会议在三楼举行。",
    ]


def test_markdown_headings_lists_and_paragraphs():
    text = (
        "# Install guide\n\n"
        "Read this first. It is short.\n\n"
        "## Steps\n"
        "- Download the package. Unpack it.\n"
        "* Run the installer\n"
        "1. Restart the machine\n"
        "2) Log in again\n\n"
        "Troubleshooting\n"
        "===============\n\n"
        "Ask the help desk."
    )

    units = sentences_split(text)

    assert [(u.text, u.is_heading, u.is_list_item) for u in units] == [
        ("Install guide", True, False),
        ("Read this first.", False, False),
        ("It is short.", False, False),
        ("Steps", True, False),
        ("Download the package.", False, True),
        ("Unpack it.", False, True),
        ("Run the installer", False, True),
        ("Restart the machine", False, True),
        ("Log in again", False, True),
        ("Troubleshooting", True, False),
        ("Ask the help desk.", False, False),
    ]
    assert [u.index for u in units] == list(range(len(units)))
    # Both sentences of the first paragraph share it; a heading is its own.
    assert units[1].paragraph == units[2].paragraph != units[0].paragraph


def test_blank_lines_separate_paragraphs_and_wrapped_lines_are_joined():
    text = (
        "The queue keeps every job that the workers have not finished yet, so a\n"
        "restart loses nothing.\n\n"
        "Backups run nightly."
    )

    units = sentences_split(text)

    assert [u.text for u in units] == [
        "The queue keeps every job that the workers have not finished yet, so a "
        "restart loses nothing.",
        "Backups run nightly.",
    ]
    assert units[0].paragraph != units[1].paragraph


def test_unmarked_title_line_of_extracted_text_is_a_heading():
    text = "Quarterly results\nRevenue grew in every region. Costs fell."

    units = sentences_split(text)

    assert units[0].text == "Quarterly results" and units[0].is_heading
    assert not any(u.is_heading for u in units[1:])


def test_each_dialogue_line_is_one_unit_with_its_speaker():
    text = (
        "#Person1#: Hello, Mr. Smith. How are you?\n"
        "#Person2#: Fine. Thanks for asking.\n"
        "#Person1#: Good."
    )

    units = sentences_split(text)

    assert [u.text for u in units] == [
        "#Person1#: Hello, Mr. Smith. How are you?",
        "#Person2#: Fine. Thanks for asking.",
        "#Person1#: Good.",
    ]
    assert all(u.is_turn and not u.is_heading for u in units)


def test_chinese_speakers_with_a_bracketed_role_make_a_transcript():
    text = "主持人（王芳）：欢迎大家。\n李娜：谢谢。我们开始吧。\n王芳(财务部)：好的。"

    units = sentences_split(text)

    assert [u.text for u in units] == [
        "主持人（王芳）：欢迎大家。",
        "李娜：谢谢。我们开始吧。",
        "王芳(财务部)：好的。",
    ]
    assert all(u.is_turn for u in units)


def test_named_speakers_make_a_transcript_too():
    units = sentences_split("Anna: Shall we start? It is late.\nBen: Yes. Go ahead.")

    assert [u.text for u in units] == [
        "Anna: Shall we start? It is late.",
        "Ben: Yes. Go ahead.",
    ]


def test_language_hint_adds_its_abbreviations():
    text = "Wir brauchen z.B. Milch. Dann gehen wir."

    assert texts(text, language="de") == ["Wir brauchen z.B. Milch.", "Dann gehen wir."]


@pytest.mark.parametrize("text", ["", "   \n\n  ", "\n"])
def test_empty_text_has_no_units(text):
    assert sentences_split(text) == []


def test_join_reads_back_into_the_same_units():
    text = "# Title\n\nFirst point. Second point.\n\n- An item\n- Another item\n\nLast words."
    units = sentences_split(text)

    assert [u.text for u in sentences_split(sentences_join(units))] == [
        u.text for u in units
    ]


def test_word_count_counts_each_cjk_ideograph():
    assert text_word_count("今天天气 good day, isn't it?") == 4 + 4


def test_word_count_counts_ideographs_after_digits_and_latin_letters():
    # "2025年度" once read as one word: the run of word characters took the
    # ideographs after the digits with it.
    assert text_word_count("2025年度评审工作即将开始。") == 1 + 10
    assert text_word_count("iPhone手机") == 1 + 2
    assert text_word_count("10月20日前") == 5


def test_truncate_cuts_words_on_a_boundary():
    budget = SummaryBudget(size=3, unit="words")

    assert truncate_to_budget("One two three four five.", budget) == "One two three…"
    assert truncate_to_budget("One two three.", budget) == "One two three."


def test_truncate_to_characters_never_cuts_a_word():
    budget = SummaryBudget(size=14, unit="chars")

    cut = truncate_to_budget("One two three four five six.", budget)

    assert cut == "One two three…"
    assert len(cut) <= 14


def test_truncate_chinese_by_ideographs():
    assert (
        truncate_to_budget("今天天气很好我们去公园", SummaryBudget(size=4))
        == "今天天气…"
    )
