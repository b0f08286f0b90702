"""Summarizer units from blocks: headings as context, lists with their sentence.

Most cases run on documents parsed through the real parsers
(``tests/structured_files.py``); a few pin single rules with hand-built blocks.
"""

from __future__ import annotations

import pytest

from docsite.documents.parsers import parse_document, reset_parsers
from docsite.documents.parsers.base import Block
from summaries.backends.base import SummaryBudget
from summaries.structure import (
    Unit,
    sentences_segment,
    units_from_blocks,
    units_from_text,
    units_join,
)
from tests import structured_files as files

BUILDERS = {
    "policy.md": files.markdown_bytes,
    "policy.html": files.html_bytes,
    "policy.docx": files.docx_bytes,
    "policy.pdf": files.pdf_bytes,
}


@pytest.fixture(scope="module")
def parsed_units():
    reset_parsers()
    return {
        name: units_from_blocks(parse_document(build(), filename=name)[1].blocks)
        for name, build in BUILDERS.items()
    }


@pytest.mark.parametrize("filename", sorted(BUILDERS))
def test_headings_are_context_never_units(parsed_units, filename):
    units = parsed_units[filename]
    texts = [unit.text for unit in units]

    assert files.TITLE not in texts and files.PAY_HEADING not in texts
    pay = next(unit for unit in units if unit.text == files.PAY_INTRO)
    assert pay.section == (files.TITLE, files.PAY_HEADING)
    assert pay.position == 0
    first = units[0]
    assert first.section == (files.TITLE,) and first.section_index == 1


@pytest.mark.parametrize("filename", sorted(BUILDERS))
def test_tables_and_code_give_no_units(parsed_units, filename):
    for unit in parsed_units[filename]:
        assert "Caregiver" not in unit.text and "Secondary 8 Full" not in unit.text
        assert "hr-portal" not in unit.text


@pytest.mark.parametrize("filename", sorted(BUILDERS))
def test_list_items_are_units_attached_to_their_colon_sentence(parsed_units, filename):
    units = parsed_units[filename]
    intro = next(unit for unit in units if unit.text == files.PAY_INTRO)
    items = [unit for unit in units if unit.intro == intro.index]

    assert intro.introduces_list
    assert [unit.text for unit in items] == list(files.PAY_ITEMS)
    assert all(unit.kind == "list_item" for unit in items)
    assert [unit.index for unit in units] == list(range(len(units)))


def test_pdf_sentence_broken_at_a_line_end_is_one_unit(parsed_units):
    texts = [unit.text for unit in parsed_units["policy.pdf"]]

    assert "Store all work passwords there and let it generate them." in texts
    assert not any(text.endswith("passwords there") for text in texts)


def test_a_list_after_a_heading_has_no_intro():
    units = units_from_blocks(
        [
            Block(kind="paragraph", text="Read this first:"),
            Block(kind="heading", text="Steps", level=2),
            Block(kind="list_item", text="Open the portal."),
        ]
    )

    assert units[1].intro is None


def test_nested_list_belongs_to_the_item_above_it():
    units = units_from_blocks(
        [
            Block(kind="paragraph", text="Before you deploy:"),
            Block(kind="list_item", text="check the dashboards:"),
            Block(kind="list_item", text="error rate", level=1),
            Block(kind="list_item", text="latency", level=1),
            Block(kind="list_item", text="announce the release"),
        ]
    )

    assert [unit.intro for unit in units] == [None, 0, 1, 1, 0]


def test_transcript_turns_are_whole_units_and_a_lone_label_is_prose():
    units = units_from_text(
        "#Person1#: Hello. Is the report ready?\n#Person2#: Almost. Give me an hour.\n"
    )
    assert [unit.kind for unit in units] == ["turn", "turn"]
    assert units[0].text == "#Person1#: Hello. Is the report ready?"

    prose = units_from_text("Note: backups run nightly. They are encrypted.")
    assert [unit.kind for unit in prose] == ["sentence", "sentence"]


TRANSCRIPT = (
    "#Person1#: Hi, Tony. You look unhappy. What's wrong?\n"
    "#Person2#: I got caught cheating. The teacher saw me.\n"
    "张三：你好。我们开会吧。\n"
)


def test_a_turn_split_into_sentences_keeps_its_speaker_on_each():
    units = units_from_text(TRANSCRIPT, turn_sentences=True)

    assert [unit.text for unit in units] == [
        "#Person1#: Hi, Tony.",
        "#Person1#: You look unhappy.",
        "#Person1#: What's wrong?",
        "#Person2#: I got caught cheating.",
        "#Person2#: The teacher saw me.",
        "张三：你好。",
        "张三：我们开会吧。",
    ]
    # Position counts turns: the sentences of one turn share its place.
    assert [unit.position for unit in units] == [0, 0, 0, 1, 1, 2, 2]


def test_join_writes_one_line_per_turn_with_its_speaker_once():
    units = units_from_text(TRANSCRIPT, turn_sentences=True)

    assert units_join([units[6], units[3], units[2], units[0], units[5]]) == (
        "#Person1#: Hi, Tony. What's wrong?\n"
        "#Person2#: I got caught cheating.\n"
        "张三：你好。我们开会吧。"
    )


# --- Joining picked units --------------------------------------------------------


def _units() -> list[Unit]:
    return units_from_blocks(
        [
            Block(kind="heading", text="Leave", level=1),
            Block(kind="paragraph", text="Parents get the following leave:"),
            Block(kind="list_item", text="primary caregivers get 20 weeks"),
            Block(kind="list_item", text="secondary caregivers get 8 weeks"),
            Block(kind="paragraph", text="Holiday accrues during leave"),
        ]
    )


def test_join_folds_a_list_into_its_introduction():
    units = _units()

    assert units_join([units[0], units[1], units[2]]) == (
        "Parents get the following leave: primary caregivers get 20 weeks; "
        "secondary caregivers get 8 weeks."
    )


def test_join_never_ends_on_a_colon_or_a_fragment():
    units = _units()

    assert units_join([units[0]]) == ""
    assert units_join([units[0], units[3]]) == "Holiday accrues during leave."
    assert units_join([units[1], units[3]]) == "Holiday accrues during leave."


def test_join_keeps_document_order_and_joins_chinese_without_spaces():
    units = units_from_text("我们每周四开会。会议记录在知识库里！\n\n请联系人事部")

    assert (
        units_join(list(reversed(units)))
        == "我们每周四开会。会议记录在知识库里！请联系人事部。"
    )


# --- Segmentation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Dr. Venter was born in 1946. Prices rose 3.5 percent, e.g. in Jan. "
            "this year. The U.S. Army agreed.",
            [
                "Dr. Venter was born in 1946.",
                "Prices rose 3.5 percent, e.g. in Jan. this year.",
                "The U.S. Army agreed.",
            ],
        ),
        (
            '"Is it good? Yes," he said. Then he left.',
            ['"Is it good? Yes," he said.', "Then he left."],
        ),
        (
            "我们每周四开会。会议记录在知识库里！你有问题吗？",
            ["我们每周四开会。", "会议记录在知识库里！", "你有问题吗？"],
        ),
    ],
)
def test_sentences_segment_handles_abbreviations_numbers_and_chinese(text, expected):
    assert sentences_segment(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            # News copy whose paragraph breaks were lost (as in XSum).
            "Risk genes such as amyloid and APOE.But through careful work the "
            "team found more. He was born in 1958.His first race was in Rome.",
            [
                "Risk genes such as amyloid and APOE.",
                "But through careful work the team found more.",
                "He was born in 1958.",
                "His first race was in Rome.",
            ],
        ),
        ("Welcome to the club!Bayern won.", ["Welcome to the club!", "Bayern won."]),
        # Initials, abbreviations and file names stay whole.
        (
            "The U.S.Army uses Node.js, e.g.Express, daily.",
            ["The U.S.Army uses Node.js, e.g.Express, daily."],
        ),
    ],
)
def test_sentences_glued_where_a_paragraph_break_was_lost_are_split(text, expected):
    assert sentences_segment(text) == expected
    # Each unit is still the source's own text.
    assert all(sentence in text for sentence in expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            # A share bar whose labels lost their spaces (a fifth of XSum).
            "Share this withEmailFacebookMessengerTwitterPinterestWhatsAppLinkedinCopy "
            "this linkResearchers found that most children tried new food. They "
            "liked it.",
            ["Researchers found that most children tried new food.", "They liked it."],
        ),
        (
            "The bus left at noon.Share this withEmailFacebookTwitterWhatsAppLinkedin"
            "Copy this link",
            ["The bus left at noon."],
        ),
        # Identifiers and brand names are words, not menus.
        (
            "Call getElementsByTagName first. The HorizontalPodAutoscaler scales "
            "pods. McDonald sells the iPhone.",
            [
                "Call getElementsByTagName first.",
                "The HorizontalPodAutoscaler scales pods.",
                "McDonald sells the iPhone.",
            ],
        ),
    ],
)
def test_a_menu_whose_labels_lost_their_spaces_is_no_sentence(text, expected):
    assert sentences_segment(text) == expected


def test_a_news_summary_and_its_lead_never_open_with_a_share_bar():
    from summaries.backends.lead import LeadSummarizer

    text = (
        "Share this withEmailFacebookMessengerTwitterPinterestWhatsAppLinkedinCopy "
        "this linkThe council approved the budget on Monday. Forty buses are added."
    )
    lead = LeadSummarizer(sentences=1).summarize_batch([text], budget=SummaryBudget(60))

    assert lead[0].text == "The council approved the budget on Monday."


def test_a_long_dialogue_cut_into_sections_counts_places_in_turns():
    from summaries.backends.extractive.planning import sections_by_paragraphs

    turns = "\n".join(
        f"#Person{1 + turn % 2}#: Sentence one of turn {turn}. And sentence two."
        for turn in range(6)
    )
    units = units_from_text(turns, turn_sentences=True)

    sections, positions = sections_by_paragraphs(units, size=4)

    assert [sections[unit.index] for unit in units] == [0] * 4 + [1] * 4 + [2] * 4
    assert [positions[unit.index] for unit in units] == [0, 0, 1, 1] * 3


def test_a_speaker_label_with_a_name_in_brackets_opens_its_own_turn():
    """GIVEN a support chat whose agent is labelled "Agent (Nina):" WHEN it is
    read into units THEN each of the agent's lines is its own turn under the
    agent's label, never appended to the customer's turn before it."""
    chat = (
        "Agent (Nina): Hello, thank you for contacting Appliance Support.\n"
        "Customer: My washing machine stopped with error E21.\n"
        "Agent (Nina): E21 means the machine can't drain. The filter is blocked.\n"
        "Customer: It's draining now. Thank you!\n"
    )

    units = units_from_text(chat, turn_sentences=True)
    said_by = {unit.text[len(unit.speaker) :]: unit.speaker for unit in units}

    assert said_by["E21 means the machine can't drain."] == "Agent (Nina): "
    assert said_by["The filter is blocked."] == "Agent (Nina): "
    assert said_by["My washing machine stopped with error E21."] == "Customer: "
    assert "Customer: Agent (Nina):" not in units_join(units)


def test_email_headers_and_numbered_steps_are_no_speakers():
    """GIVEN an e-mail whose headers read "From: ..." and a recipe whose steps
    read "Step 1: ..." WHEN they are read into units THEN neither is a
    transcript: no unit is a turn, so no header or step is written as
    someone's words."""
    email = (
        "From: Daniel Okafor <daniel@example.com>\n"
        "To: Facilities Helpdesk <facilities@example.com>\n"
        "Subject: Server room air conditioning failed\n"
        "\n"
        "Hello, the air conditioning unit in the server room stopped last night.\n"
    )
    recipe = (
        "Step 1: Heat the oven to 180 degrees.\n"
        "Step 2: Whisk the eggs with the sugar until pale.\n"
        "Step 3: Fold in the flour and bake for 25 minutes.\n"
    )
    chinese = "发件人：王芳\n收件人：全体员工\n主题：办公室搬迁\n\n下周一起我们搬到新的办公室。\n"

    for text in (email, recipe, chinese):
        units = units_from_text(text, turn_sentences=True)
        assert units and not any(unit.is_turn for unit in units), text


def test_a_lead_in_phrase_is_no_speaker_but_a_named_role_is():
    """GIVEN lines that open with a phrase and a colon ("The fix is simple:")
    beside a council transcript whose officer is labelled with her name in
    brackets WHEN each is read THEN the phrases stay prose and the
    officer's lines are turns."""
    prose = (
        "The fix is simple: restart the agent after the update.\n"
        "Good news for everyone: the VPN works again on macOS.\n"
    )
    council = (
        "Chair (Cllr Andrews): We move to item four, the car park.\n"
        "Planning officer (Ms Burke): The application adds forty spaces.\n"
        "Cllr Dawson: Will the trees on the boundary be kept?\n"
    )

    assert not any(u.is_turn for u in units_from_text(prose, turn_sentences=True))
    turns = [u for u in units_from_text(council, turn_sentences=True) if u.is_turn]
    assert {u.speaker for u in turns} == {
        "Chair (Cllr Andrews): ",
        "Planning officer (Ms Burke): ",
        "Cllr Dawson: ",
    }
