"""Summarizer input from a document's blocks: sentences that know their place.

``units_from_blocks`` turns the parsed structure (``Document.blocks``) into
the units an extractive summarizer picks from:

- headings are never units; they only name the section (``Unit.section``,
  the heading path, outermost first) of the units under them;
- paragraphs and quotes are split into sentences;
- list items are units of their own (an item of several sentences gives one
  unit per sentence), and a list introduced by a sentence ending in ":" is
  attached to it (``Unit.intro``), so the two can be kept or dropped
  together;
- in a transcript (consecutive "Name: ..." paragraphs) each turn is one unit,
  or, with ``turn_sentences``, each sentence of a turn is one, written with
  its speaker ("#Person2#: I got caught cheating."): a reader needs to know
  who said it, and a long turn no longer costs the whole budget for its one
  telling sentence;
- tables, code and page breaks give no units: their text is never summary
  text.

``units_join`` writes picked units back as summary text in which every
sentence ends properly, a list is folded into the sentence that introduces
it ("You need: a key; the app."), and an introduction whose list was left
out is left out too.

Sentences are segmented by ``summaries.segmentation`` (sentencex).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from docsite.documents.parsers.base import CJK_RANGES, Block
from docsite.documents.parsers.speakers import speaker_turn
from docsite.documents.parsers.text import blocks_from_text
from summaries.segmentation import SEGMENTERS, sentences_segment

__all__ = [
    "SEGMENTERS",
    "Unit",
    "blocks_from_text",
    "sentences_segment",
    "units_from_blocks",
    "units_from_text",
    "units_join",
]

UnitKind = Literal["sentence", "list_item", "quote", "turn"]

_CJK = re.compile(f"[{CJK_RANGES}]")
_COLON_END = re.compile(r"[:：]\s*$")
# A sentence ends with one of these, maybe followed by closing quotes.
_TERMINAL = re.compile(r"[.!?…。！？]['\"”’)\]」』）]*$")
_TRAILING_PUNCTUATION = re.compile(r"[\s.;,:：；，。]+$")


@dataclass(frozen=True)
class Unit:
    """One selectable unit of a document.

    ``index`` is its position among the document's units (0-based, no gaps);
    ``block`` the index of the block it came from in the block list;
    ``paragraph`` the ordinal of that block among blocks giving units.
    ``section`` is the heading path above it, ``section_index`` counts
    headings passed (0 before the first), and ``position`` is the unit's
    index within its section. ``level`` is a list item's nesting depth, and
    ``intro`` the index of the sentence ending in ":" that introduces its
    list, if any. ``speaker`` is the label ("#Person1#: ") that opens a turn
    split into sentences: each of its units starts with it, and all share
    the turn's ``position``; ``reported`` is its sentence in reported speech,
    when given. The ``Sentence`` properties of ``summaries.text`` are here
    too, so code written for either reads both.
    """

    text: str
    index: int
    block: int
    kind: UnitKind = "sentence"
    section: tuple[str, ...] = ()
    section_index: int = 0
    position: int = 0
    paragraph: int = 0
    level: int = 0
    intro: int | None = None
    speaker: str = ""
    # What a dialogue sentence says in reported speech, its speaker first
    # ("#Person2# feels itchy!"), where ``summaries.reported_speech`` could
    # write it; summaries then use it instead of the turn as said.
    reported: str = ""

    is_heading: ClassVar[bool] = False

    @property
    def is_list_item(self) -> bool:
        return self.kind == "list_item"

    @property
    def is_turn(self) -> bool:
        return self.kind == "turn"

    @property
    def said(self) -> str:
        """The unit's text without its speaker label ("Thank you.")."""
        return self.text[len(self.speaker) :]

    @property
    def stands_alone(self) -> bool:
        return self.kind in ("list_item", "turn")

    @property
    def introduces_list(self) -> bool:
        """Whether the unit ends in a colon (it announces what follows)."""
        return bool(_COLON_END.search(self.text))

    @property
    def is_fragment(self) -> bool:
        """Whether the unit does not end like a sentence ("a hardware key")."""
        return not _TERMINAL.search(self.text)


# --- Units ----------------------------------------------------------------------


def units_from_blocks(
    blocks: Sequence[Block | dict[str, Any]],
    *,
    language: str | None = None,
    segmenter: str = "sentencex",
    turn_sentences: bool = False,
) -> list[Unit]:
    """Return the units of ``blocks`` (``Block``s or their stored dicts) in order.

    ``turn_sentences`` splits each dialogue turn into its sentences, each
    written with the turn's speaker; without it (LEAD's reading) a turn is
    one unit.
    """
    parsed = [b if isinstance(b, Block) else Block.from_dict(b) for b in blocks]
    turns = _turn_blocks(parsed)
    units: list[Unit] = []
    headings: list[tuple[int, str]] = []
    section_index = 0
    position = 0
    paragraph = -1
    # The ":" sentence that the list at each nesting level belongs to.
    intro_at_level: dict[int, int | None] = {}
    previous_kind = ""

    def add(text: str, *, block: int, kind: UnitKind, level: int = 0,
            intro: int | None = None, speaker: str = "",
            advance: bool = True) -> Unit:  # fmt: skip
        nonlocal position
        unit = Unit(
            text=text,
            index=len(units),
            block=block,
            kind=kind,
            section=tuple(title for _level, title in headings),
            section_index=section_index,
            position=position,
            paragraph=paragraph,
            level=level,
            intro=intro,
            speaker=speaker,
        )
        units.append(unit)
        position += advance
        return unit

    for number, block in enumerate(parsed):
        if block.kind == "heading":
            while headings and headings[-1][0] >= block.level:
                headings.pop()
            headings.append((block.level, block.text))
            section_index += 1
            position = 0
            previous_kind = "heading"
            continue
        if block.kind in ("table", "code", "page_break"):
            if block.kind != "page_break":
                previous_kind = block.kind
            continue
        paragraph += 1
        if block.kind == "list_item":
            if previous_kind != "list_item":
                before = units[-1] if units else None
                opens = (
                    before is not None
                    and before.introduces_list
                    and before.block == _previous_content_block(parsed, number)
                )
                intro_at_level = {block.level: before.index if opens else None}
            intro_at_level = {
                level: intro
                for level, intro in intro_at_level.items()
                if level <= block.level
            }
            if block.level not in intro_at_level:
                # A nested list belongs to the item above it if that ends in ":".
                parent = units[-1] if units else None
                attached = parent is not None and parent.introduces_list
                intro_at_level[block.level] = parent.index if attached else None
            for sentence in sentences_segment(
                block.text, language=language, segmenter=segmenter
            ):
                add(sentence, block=number, kind="list_item", level=block.level,
                    intro=intro_at_level[block.level])  # fmt: skip
        elif number in turns and turn_sentences:
            speaker, said = _turn_parts(block.text)
            sentences = sentences_segment(said, language=language, segmenter=segmenter)
            for count, sentence in enumerate(sentences, start=1):
                # A turn's sentences share its place in the dialogue.
                add(speaker + sentence, block=number, kind="turn",
                    speaker=speaker, advance=count == len(sentences))  # fmt: skip
        elif number in turns:
            add(" ".join(block.text.split()), block=number, kind="turn")
        else:
            kind: UnitKind = "quote" if block.kind == "quote" else "sentence"
            for sentence in sentences_segment(
                block.text, language=language, segmenter=segmenter
            ):
                add(sentence, block=number, kind=kind)
        previous_kind = block.kind
    return units


def units_from_text(
    text: str,
    *,
    language: str | None = None,
    segmenter: str = "sentencex",
    turn_sentences: bool = False,
) -> list[Unit]:
    """Return the units of a plain text, read into blocks as the text parser does."""
    return units_from_blocks(
        blocks_from_text(text),
        language=language,
        segmenter=segmenter,
        turn_sentences=turn_sentences,
    )


def _turn_parts(text: str) -> tuple[str, str]:
    """Split a turn into its speaker label ("#Person1#: ") and what was said."""
    text = " ".join(text.split())
    match = speaker_turn(text)
    said_from = match.end() - 1 if match else 0
    return text[:said_from], text[said_from:]


def _previous_content_block(blocks: list[Block], number: int) -> int:
    """Return the index of the block before ``number``, page breaks skipped."""
    number -= 1
    while number >= 0 and blocks[number].kind == "page_break":
        number -= 1
    return number


def _turn_blocks(blocks: list[Block]) -> set[int]:
    """Return the paragraphs that are speaker turns of a transcript.

    A paragraph is a turn when it and a neighbouring paragraph both read
    "Name: ..."; one "Note: ..." paragraph alone is prose.
    """
    speaking = [
        block.kind == "paragraph" and bool(speaker_turn(block.text)) for block in blocks
    ]
    return {
        number
        for number, is_turn in enumerate(speaking)
        if is_turn
        and (
            (number > 0 and speaking[number - 1])
            or (number + 1 < len(speaking) and speaking[number + 1])
        )
    }


# --- Joining ---------------------------------------------------------------------


def units_join(units: Sequence[Unit]) -> str:
    """Return picked ``units`` as summary text, in document order.

    A list item whose introducing sentence is picked too is folded into it:
    "Parents get: 20 weeks for primary caregivers; 8 weeks for secondary
    caregivers." An introduction none of whose items is picked is dropped,
    so no summary ends on a colon, and so is an item of a list whose
    introduction was left out when it is no sentence by itself. Every other
    unit ends as a sentence (a full stop is added to an item without one).
    Each dialogue turn gets a line of its own, and sentences picked from one
    turn share it and its speaker. A sentence in reported speech
    (``Unit.reported``) is written so, and a sentence of the same turn that
    is not starts a line of its own with the speaker's label; one that
    follows a sentence as said goes on as said.
    """
    picked = sorted({unit.index: unit for unit in units}.values(), key=_order)
    kept_intros = {unit.index for unit in picked if unit.introduces_list}
    items_of: dict[int, list[Unit]] = {}
    for unit in picked:
        if unit.intro is not None and unit.intro in kept_intros:
            items_of.setdefault(unit.intro, []).append(unit)

    sentences: list[str] = []
    turn_on_line = None  # the turn whose sentences the last line holds
    line_reported = False  # whether that line is in reported speech
    for unit in picked:
        if (
            unit.speaker
            and unit.block == turn_on_line
            # A line as said goes on as said; a reported one only reported.
            and (unit.reported or not line_reported)
        ):
            # More of the same turn: one line, its speaker named once (or,
            # reported, named as the subject of each sentence).
            said = _terminated(unit.reported if line_reported else unit.said)
            sentences[-1] += ("" if _CJK.match(said[:1]) else " ") + said
            continue
        turn_on_line = unit.block if unit.speaker else None
        line_reported = bool(unit.reported)
        if unit.reported:
            sentences.append("\n" + _terminated(unit.reported))
            continue
        if unit.intro is not None and unit.intro in kept_intros:
            continue  # written with its introduction
        if unit.intro is not None and _reads_as_fragment(unit):
            continue  # "a hardware key" means nothing without "You need:"
        if unit.introduces_list:
            items = items_of.get(unit.index)
            if items:
                sentences.append(_folded(unit, items))
            continue
        # A dialogue turn keeps its own line, as in the transcript.
        sentences.append(("\n" if unit.is_turn else "") + _terminated(unit.text))
    return _joined(sentences)


def _reads_as_fragment(unit: Unit) -> bool:
    first = unit.text[:1]
    return unit.is_fragment or (first.isalpha() and first.islower())


def _order(unit: Unit) -> int:
    return unit.index


def _folded(intro: Unit, items: list[Unit]) -> str:
    cjk = bool(_CJK.search(intro.text))
    parts = [_TRAILING_PUNCTUATION.sub("", item.text) for item in items]
    parts = [part for part in parts if part]
    lead = _COLON_END.sub("", intro.text).rstrip()
    if cjk:
        return f"{lead}：{'；'.join(parts)}。"
    return f"{lead}: {'; '.join(parts)}."


def _terminated(text: str) -> str:
    text = text.strip()
    if _TERMINAL.search(text):
        return text
    text = _TRAILING_PUNCTUATION.sub("", text)
    return text + ("。" if _CJK.search(text[-1:]) else ".")


def _joined(sentences: list[str]) -> str:
    text = ""
    after_turn = False
    for sentence in sentences:
        turn = sentence.startswith("\n")
        sentence = sentence.lstrip("\n")
        if not text:
            text = sentence
        elif turn or after_turn:
            text += "\n" + sentence
        elif _CJK.match(sentence[:1]) or text.endswith(("。", "！", "？", "」", "』")):
            text += sentence
        else:
            text += " " + sentence
        after_turn = turn
    return text
