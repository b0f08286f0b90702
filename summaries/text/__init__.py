"""Text segmentation for summarizers: sentences, word counts, budget cuts.

``sentences_split`` turns a document's plain text (what the parsers extract)
into ordered units a summarizer can pick from: sentences of prose, headings,
list items and dialogue turns. It is a rule-based splitter, linear in the
text's length, that needs no model:

- paragraphs are separated by blank lines;
- Markdown headings (``# Title``, or a line underlined with ``===``/``---``)
  and short unpunctuated title lines (what the parsers leave of HTML, DOCX and
  PDF headings) are headings;
- ``-``/``*``/``+``/``•``/``1.``/``1)`` lines are list items;
- in a transcript (two or more lines such as ``#Person1#: ...`` or
  ``Anna: ...``), each speaker line is one unit;
- hard-wrapped lines are joined back before sentences are split;
- sentences end at ``. ! ? …`` followed by a space and a capital, digit or
  opening quote (so lower-case continuations, decimals like ``3.5``,
  abbreviations like ``e.g.``/``Dr.`` and initials stay inside), and at
  ``。！？；…`` in Chinese and Japanese text, closing quotes ``”」』）``
  included.

pysbd was considered: it handles English well but is unmaintained since 2021,
moves Chinese closing quotes to the next sentence, and has super-linear cases
(a long digit run after a period hangs it, nipunsadvilkar/pySBD#76).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

from .ends import abbreviations_for, run_split
from .layout import block_parts, part_units, text_blocks
from .measure import text_word_count, truncate_to_budget
from .patterns import CJK_CHAR, CJK_CLOSERS

__all__ = [
    "Sentence",
    "sentences_join",
    "sentences_of",
    "sentences_split",
    "text_word_count",
    "truncate_to_budget",
]


@dataclass(frozen=True)
class Sentence:
    """One selectable unit of a document.

    ``index`` is the unit's position in the document (0-based, no gaps) and
    ``paragraph`` the position of the blank-line separated block it is in
    (a heading is a paragraph of its own). ``is_turn`` marks a speaker line
    of a transcript, kept whole with its speaker.
    """

    text: str
    index: int
    paragraph: int
    is_heading: bool = False
    is_list_item: bool = False
    is_turn: bool = False

    @property
    def stands_alone(self) -> bool:
        """Whether the unit needs a line of its own when units are joined again."""
        return self.is_heading or self.is_list_item or self.is_turn


def sentences_split(text: str, *, language: str | None = None) -> list[Sentence]:
    """Return the units of ``text`` in document order.

    ``language`` (ISO 639-1) adds that language's abbreviations; without it
    the abbreviations of every supported language apply. Chinese and Japanese
    need no hint: their punctuation is recognised wherever it appears.
    """
    abbreviations = abbreviations_for(language)
    units: list[Sentence] = []
    paragraph = -1
    for block in text_blocks(text):
        for kind, lines in block_parts(block):
            paragraph += 1
            for piece in part_units(kind, lines, abbreviations):
                units.append(
                    Sentence(
                        text=piece,
                        index=len(units),
                        paragraph=paragraph,
                        is_heading=kind == "heading",
                        is_list_item=kind == "list",
                        is_turn=kind == "turns",
                    )
                )
    return units


def sentences_of(text: str, *, language: str | None = None) -> list[str]:
    """Return the sentences of one run of prose (no headings or lists in it)."""
    return run_split(" ".join(text.split()), abbreviations_for(language))


def sentences_join(sentences: Sequence[Sentence]) -> str:
    """Return ``sentences`` as text that ``sentences_split`` reads back into them.

    Prose sentences of one paragraph share a line; headings, list items,
    dialogue turns and sentences from another paragraph start a new line.
    """
    pieces: list[str] = []
    previous: Sentence | None = None
    for sentence in sentences:
        if previous is not None:
            same_line = (
                sentence.paragraph == previous.paragraph
                and not sentence.stands_alone
                and not previous.stands_alone
            )
            pieces.append(
                _inline_separator(previous.text, sentence.text) if same_line else "\n"
            )
        pieces.append(sentence.text)
        previous = sentence
    return "".join(pieces)


def _inline_separator(left: str, right: str) -> str:
    """Return " " between Latin-script sentences and nothing after or before CJK text."""
    if (
        CJK_CHAR.match(right[:1])
        or left.endswith(CJK_CLOSERS)
        or CJK_CHAR.match(left[-1:])
    ):
        return ""
    return " "
