"""How plain text is laid out: blank-line blocks, headings, list items, dialogue turns and hard-wrapped prose."""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass
from docsite.documents.parsers.speakers import speaker_turn
from docsite.documents.parsers.text import prose_runs, starts_capitalised

from .ends import run_split
from .measure import text_word_count
from .patterns import (
    ATX_HEADING,
    CJK_CHAR,
    LIST_ITEM,
    SENTENCE_PUNCTUATION,
    SETEXT_UNDERLINE,
    THEMATIC_BREAK,
    TITLE_MAX_WORDS,
)


def text_blocks(text: str) -> list[list[str]]:
    """Split ``text`` into blank-line separated blocks of stripped lines."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        if line:
            current.append(line.replace("\t", " "))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def block_parts(block: list[str]) -> list[tuple[str, list[list[str]]]]:
    """Split a block into parts: ``heading``, ``turns``, ``list`` or ``prose``.

    Each part is a paragraph of its own (consecutive list items share one)
    and holds entries of raw lines: a turn with its wrapped continuation
    lines, a list item, or one line of prose.
    """
    is_transcript = sum(1 for line in block if speaker_turn(line)) >= 2
    parts: list[tuple[str, list[list[str]]]] = []

    def add(kind: str, line: str) -> None:
        if parts and parts[-1][0] == kind and kind in {"prose", "list", "turns"}:
            parts[-1][1].append([line])
        else:
            parts.append((kind, [[line]]))

    for position, line in enumerate(block):
        following = block[position + 1] if position + 1 < len(block) else ""
        if THEMATIC_BREAK.match(line) and not (parts and parts[-1][0] == "prose"):
            continue
        if SETEXT_UNDERLINE.match(line) and parts and parts[-1][0] == "prose":
            # The line above is a setext heading; a longer paragraph above an
            # underline stays prose (a thematic break).
            previous = parts[-1][1]
            if (
                len(previous) == 1
                and text_word_count(previous[0][0]) <= TITLE_MAX_WORDS
            ):
                parts[-1] = ("heading", previous)
            continue
        heading = ATX_HEADING.match(line)
        if heading and (title := _closing_hashes_removed(heading.group(1))):
            parts.append(("heading", [[title]]))
        elif is_transcript and speaker_turn(line):
            add("turns", line)
        elif (item := LIST_ITEM.match(line)) and not _looks_like_sentence_start(line):
            add("list", item.group(1))
        elif _is_title_line(
            line,
            following=following,
            starts_block=not parts and position == 0,
            single=len(block) == 1,
        ):
            parts.append(("heading", [[line]]))
        elif parts and parts[-1][0] == "turns":
            # A wrapped continuation of the speaker line above.
            parts[-1][1][-1].append(line)
        else:
            add("prose", line)
    return parts


def _closing_hashes_removed(title: str) -> str:
    """Return a Markdown heading's text without its optional closing ``#``s."""
    stripped = title.rstrip("#")
    if stripped != title and (not stripped or stripped[-1] in " \t"):
        return stripped.strip()
    return title.strip()


def _looks_like_sentence_start(line: str) -> bool:
    """Tell "1. Install it" (a list item) from "3.5 percent rose" or "A. Smith said"."""
    return bool(re.match(r"^\s*(?:\d+\.\d|[A-Z]\.\s*[A-Z][a-z]*\.?\s)", line))


def _is_title_line(
    line: str, *, following: str, starts_block: bool, single: bool
) -> bool:
    """Whether ``line`` is a heading that lost its markup (HTML, DOCX or PDF text).

    A title line is short, has no closing punctuation, and starts its block;
    it is followed by a capitalised line, or is a block of its own.
    """
    if not starts_block or line.endswith(SENTENCE_PUNCTUATION) or line.endswith(","):
        return False
    if text_word_count(line) > TITLE_MAX_WORDS or not starts_capitalised(line):
        return False
    if single:
        return True
    return bool(following) and starts_capitalised(following)


def part_units(
    kind: str, entries: list[list[str]], abbreviations: frozenset[str]
) -> list[str]:
    """Return the text of each unit of a part."""
    if kind in {"heading", "turns"}:
        return [" ".join(_lines_joined(lines).split()) for lines in entries]
    if kind == "list":
        return [
            sentence
            for lines in entries
            for sentence in run_split(_lines_joined(lines), abbreviations)
        ]
    return _split_prose([lines[0] for lines in entries], abbreviations)


def _split_prose(lines: list[str], abbreviations: frozenset[str]) -> list[str]:
    """Join hard-wrapped lines back into runs, then split each run into sentences.

    Lines are grouped into runs by the text parser's rule
    (``docsite.documents.parsers.text.prose_runs``), so a summary reads plain
    text the way the document page shows it.
    """
    runs = prose_runs(lines)
    return [
        sentence
        for run in runs
        for sentence in run_split(_lines_joined(run), abbreviations)
    ]


def _lines_joined(lines: list[str]) -> str:
    """Join wrapped lines: with a space, or with nothing between CJK text and after a hyphen."""
    pieces = [lines[0]]
    for left, right in itertools.pairwise(lines):
        pieces.append(_line_separator(left, right))
        pieces.append(right)
    return "".join(pieces)


def _line_separator(left: str, right: str) -> str:
    if CJK_CHAR.match(left[-1:]) and CJK_CHAR.match(right[:1]):
        return ""
    if len(left) > 1 and left[-1] == "-" and left[-2].isalpha() and right[:1].islower():
        # A word hyphenated at the line end keeps its hyphen: "well-\nknown"
        # cannot be told from "docu-\nment".
        return ""
    return " "
