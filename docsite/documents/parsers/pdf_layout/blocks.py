"""Blocks of PDF lines: headings, list items, tables, code and paragraphs,
classified by size, weight, markers and cells, with lines joined across
wraps and page breaks."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass, field

from docsite.documents.parsers.base import Block
from docsite.documents.parsers.pdf_layout.lines import (
    BULLET,
    GLYPH_WIDTH,
    NUMBERED,
    Line,
    body_font_size,
    typical_width,
)
from docsite.documents.parsers.pdf_layout.reflow import join_lines, vocabulary_of

_PARAGRAPH_GAP = 1.4
_HEADING_MAX_WORDS = 16
_BOLD_HEADING_MAX_WORDS = 12
_SENTENCE_END = re.compile(r"[.!?…。！？:：;；]['\"”’)\]」』）]*$")


@dataclass
class _Paragraph:
    kind: str
    lines: list[Line] = field(default_factory=list)
    level: int = 0
    ordered: bool = False


def blocks_from_lines(pages: list[list[Line]]) -> list[Block]:
    """Return the blocks of the (header-free) lines of every page."""
    body = [line for lines in pages for line in lines]
    if not body:
        return []
    body_size = body_font_size(body)
    leading = _typical_leading(pages, body_size=body_size)
    full_width = typical_width(body, body_size=body_size)
    heading_levels = _heading_levels(body, body_size=body_size)
    bullet_levels = _bullet_levels(body)
    vocabulary = vocabulary_of(body)

    paragraphs: list[_Paragraph] = []
    previous: Line | None = None
    for line in body:
        kind, level, ordered = _classify(
            line, body_size=body_size, heading_levels=heading_levels,
            bullet_levels=bullet_levels,
        )  # fmt: skip
        current = paragraphs[-1] if paragraphs else None
        if (
            current is not None
            and previous is not None
            and _continues(
                current, kind, line, previous, leading=leading, full_width=full_width
            )
        ):
            current.lines.append(line)
        else:
            paragraphs.append(_Paragraph(kind, [line], level, ordered))
        previous = line

    blocks: list[Block] = []
    page = body[0].page
    for paragraph in _merge_tables(paragraphs):
        first_page = paragraph.lines[0].page
        if first_page != page:
            blocks.append(Block(kind="page_break"))
            page = first_page
        blocks.append(_block(paragraph, vocabulary=vocabulary))
        if paragraph.lines[-1].page != first_page:
            # A paragraph running over a page break stays whole; the break
            # follows it.
            blocks.append(Block(kind="page_break"))
            page = paragraph.lines[-1].page
    return blocks


def _classify(
    line: Line,
    *,
    body_size: float,
    heading_levels: dict[tuple[float, bool], int],
    bullet_levels: dict[int, int],
) -> tuple[str, int, bool]:
    text = line.text
    if len(line.cells) >= 2:
        return "row", 0, False
    if line.mono:
        return "code", 0, False
    if (line.size, line.bold) in heading_levels and _heading_like(
        text, line=line, body_size=body_size
    ):
        return "heading", heading_levels[(line.size, line.bold)], False
    if BULLET.match(text):
        return "list_item", bullet_levels.get(round(line.x), 0), False
    if NUMBERED.match(text):
        return "list_item", bullet_levels.get(round(line.x), 0), True
    return "paragraph", 0, False


def _heading_like(text: str, *, line: Line, body_size: float) -> bool:
    words = len(text.split())
    if line.size >= body_size * 1.15:
        return words <= _HEADING_MAX_WORDS
    return (
        line.bold
        and words <= _BOLD_HEADING_MAX_WORDS
        and not text.endswith((".", ",", ";", ":"))
    )


def _heading_levels(
    lines: list[Line], *, body_size: float
) -> dict[tuple[float, bool], int]:
    """Rank the heading styles: larger first, bold before regular at one size."""
    styles = {
        (line.size, line.bold)
        for line in lines
        if line.size >= body_size * 1.15
        or (line.bold and line.size >= body_size * 0.95)
    }
    ranked = sorted(styles, key=lambda style: (-style[0], not style[1]))
    return {style: min(rank + 1, 6) for rank, style in enumerate(ranked)}


def _bullet_levels(lines: list[Line]) -> dict[int, int]:
    """Return the nesting level of list items by their left edge."""
    edges = sorted(
        {
            round(line.x)
            for line in lines
            if BULLET.match(line.text) or NUMBERED.match(line.text)
        }
    )
    levels: dict[int, int] = {}
    level, last = -1, None
    for edge in edges:
        if last is None or edge - last > 4:
            level += 1
        levels[edge] = min(level, 5)
        last = edge
    return levels


def _typical_leading(pages: list[list[Line]], *, body_size: float) -> float:
    gaps = Counter()
    for lines in pages:
        for above, below in itertools.pairwise(lines):
            gap = round(above.y - below.y, 1)
            if above.size == below.size == body_size and 0 < gap < 3 * body_size:
                gaps[gap] += 1
    if sum(gaps.values()) < 3:
        # Too few lines to tell line spacing from paragraph spacing.
        return min([*gaps, 1.25 * body_size])
    return gaps.most_common(1)[0][0]


def _continues(
    paragraph: _Paragraph,
    kind: str,
    line: Line,
    previous: Line,
    *,
    leading: float,
    full_width: float,
) -> bool:
    """Whether ``line`` goes on the paragraph whose last line is ``previous``."""
    if paragraph.kind == "row":
        return kind == "row" and _near(previous, line, leading)
    if paragraph.kind == "code":
        return kind == "code" and _near(previous, line, leading)
    if paragraph.kind == "heading":
        return (
            kind == "heading"
            and line.size == previous.size
            and line.page == previous.page
            and previous.y - line.y <= 1.5 * line.size
        )
    if kind != "paragraph":
        return False
    ends_sentence = bool(_SENTENCE_END.search(previous.text))
    if line.page != previous.page:
        # A sentence running on over the page break continues.
        return not ends_sentence
    if not _near(previous, line, leading):
        return False
    if paragraph.kind == "list_item":
        # A wrapped item's lines hang under its text, not under its bullet.
        return (
            line.x >= paragraph.lines[0].text_x - 2
            and line.x > paragraph.lines[0].x + 2
        )
    if line.x > paragraph.lines[0].x + line.size and len(paragraph.lines) == 1:
        return True  # the paragraph's first line was outdented: keep going
    if line.x > previous.x + 0.8 * line.size:
        return False  # an indented first line starts a paragraph
    return not (ends_sentence and full_width and previous.width < 0.75 * full_width)


def _near(above: Line, below: Line, leading: float) -> bool:
    return (
        above.page == below.page and 0 < above.y - below.y <= _PARAGRAPH_GAP * leading
    )


def _merge_tables(paragraphs: list[_Paragraph]) -> list[_Paragraph]:
    """Keep runs of two or more rows as tables; a lone row is a paragraph."""
    for paragraph in paragraphs:
        if paragraph.kind == "row":
            paragraph.kind = "table" if len(paragraph.lines) >= 2 else "paragraph"
    return paragraphs


def _block(paragraph: _Paragraph, *, vocabulary: set[str]) -> Block:
    lines = paragraph.lines
    if paragraph.kind == "table":
        width = max(len(line.cells) for line in lines)
        rows = tuple(
            tuple(line.cells) + ("",) * (width - len(line.cells)) for line in lines
        )
        return Block(kind="table", rows=rows)
    if paragraph.kind == "code":
        left = min(line.x for line in lines)
        char = GLYPH_WIDTH * 1.2 * lines[0].size
        return Block(
            kind="code",
            text="\n".join(
                " " * round((line.x - left) / char) + line.text for line in lines
            ),
        )
    text = join_lines([line.text for line in lines], vocabulary=vocabulary)
    if paragraph.kind == "heading":
        return Block(kind="heading", text=text, level=paragraph.level)
    if paragraph.kind == "list_item":
        match = BULLET.match(text) or NUMBERED.match(text)
        return Block(
            kind="list_item",
            text=match.group(2) if match else text,
            level=paragraph.level,
            ordered=paragraph.ordered,
        )
    return Block(kind="paragraph", text=text)
