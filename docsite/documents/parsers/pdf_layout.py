"""Reflow the text of PDF pages into blocks.

A PDF holds positioned runs of text, not paragraphs. pypdf reports each run
with its position, font and size (``extract_text``'s ``visitor_text``);
from those this module:

1. groups runs into lines, splitting a line into cells where a wide gap
   separates two runs (table columns);
2. drops running headers and footers (lines at the top or bottom of pages
   whose text, digits aside, repeats on at least half of the pages) and page
   numbers;
3. classifies lines: headings are larger than the body text, or bold, short
   and unpunctuated; list items start with a bullet or a number; runs of
   lines with two or more aligned cells are tables; monospaced lines are
   code;
4. joins the lines of a paragraph (hard line breaks become spaces, words
   hyphenated at a line end are rejoined unless the hyphen is real), across
   page breaks too when a sentence runs on; a paragraph ends at a wider
   vertical gap, an indented first line, or a short line ending a sentence.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass, field

from docsite.documents.parsers.base import Block

# Runs of one line lie within this share of the font size vertically.
_SAME_LINE = 0.35
# Average glyph width of proportional fonts, as a share of the font size; an
# estimate good enough to tell the gap between table cells from the joint
# between two runs of one sentence.
_GLYPH_WIDTH = 0.5
_EDGE_SHARE = 0.12
_PARAGRAPH_GAP = 1.4
_HEADING_MAX_WORDS = 16
_BOLD_HEADING_MAX_WORDS = 12

_BULLET = re.compile(r"^([•●▪‣◦○■□–\-*·])\s*(\S.*)$")
_NUMBER = re.compile(r"^(\(?(?:\d{1,3}|[a-z])[.)])\s+(\S.*)$")
_MARKER = re.compile(r"[•●▪‣◦○■□–\-*·]|\(?(?:\d{1,3}|[a-z])[.)]")
_PAGE_NUMBER = re.compile(
    r"^(?:page\s+)?[-–—]?\s*\d{1,4}\s*[-–—]?(?:\s*(?:/|of)\s*\d{1,4})?$", re.IGNORECASE
)
_SENTENCE_END = re.compile(r"[.!?…。！？:：;；]['\"”’)\]」』）]*$")
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_DIGITS = re.compile(r"\d+")
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_MONOSPACE_FONT = re.compile(r"courier|mono|consolas|menlo|code", re.IGNORECASE)
# Word endings that never stand alone: "manage-\nment" is one word.
_SUFFIXES = (
    "ment", "ments", "tion", "tions", "sion", "sions", "ing", "ings", "ed", "ly",
    "ness", "ity", "ities", "ance", "ence", "able", "ible", "er", "ers", "est",
    "al", "ial", "ive", "ize", "ise", "ized", "ised", "ous", "ship", "ful",
    "less", "ure", "age", "ant", "ent", "ism", "ist", "ists", "ary", "ory",
)  # fmt: skip
# Words that often start or end a hyphenated compound ("self-service",
# "follow-up", "opt-in"): a line-end hyphen next to them is kept.
_COMPOUND_HEADS = frozenset({
    "self", "well", "non", "multi", "cross", "follow", "long", "short", "high",
    "low", "full", "part", "real", "open", "read", "write", "sign", "check",
    "roll", "hand", "time", "back", "built", "user", "end", "front", "third",
    "first", "second", "half", "over", "under", "anti", "semi", "pseudo",
    "post", "inter", "intra", "auto", "single", "double", "point", "state",
    "case", "rate", "zero", "near", "same", "hard", "soft", "best",
})  # fmt: skip
_COMPOUND_TAILS = frozenset({
    "up", "in", "out", "off", "down", "on", "over", "based", "free", "level",
    "time", "term", "wide", "side", "only", "aware", "specific", "friendly",
    "facing", "related", "driven", "owned", "call", "party",
})  # fmt: skip


@dataclass
class Run:
    """One positioned piece of text, as pypdf reports it."""

    text: str
    x: float
    y: float
    size: float
    font: str


@dataclass
class Line:
    page: int
    y: float
    x: float
    size: float
    bold: bool
    mono: bool
    cells: list[str]
    # Where the text after a bullet starts (a list item's hanging indent).
    text_x: float = 0.0
    width: float = 0.0

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.cells).split())


@dataclass
class _Paragraph:
    kind: str
    lines: list[Line] = field(default_factory=list)
    level: int = 0
    ordered: bool = False


def lines_from_runs(runs: list[Run], *, page: int) -> list[Line]:
    """Group one page's runs (in content-stream order) into lines of cells."""
    lines: list[Line] = []
    current: list[Run] = []
    for run in runs:
        for index, piece in enumerate(run.text.split("\n")):
            if index:  # text after a newline inside a run starts a new line
                run = Run(piece, run.x, run.y - 1.2 * run.size, run.size, run.font)
            if not piece.strip():
                continue
            run = Run(piece, run.x, run.y, run.size, run.font)
            if current and abs(run.y - current[0].y) > _SAME_LINE * max(run.size, 1):
                lines.append(_line(current, page=page))
                current = []
            current.append(run)
    if current:
        lines.append(_line(current, page=page))
    return lines


def _line(runs: list[Run], *, page: int) -> Line:
    runs = sorted(runs, key=lambda run: run.x)
    cells: list[str] = [runs[0].text]
    end = runs[0].x + _estimated_width(runs[0])
    for previous, run in itertools.pairwise(runs):
        gap = run.x - end
        if gap > max(2 * run.size, 0.3 * _estimated_width(previous)):
            cells.append(run.text)
        else:
            spaced = cells[-1][-1:].isspace() or run.text[:1].isspace()
            if gap > 0.25 * run.size and not spaced:
                cells[-1] += " "
            cells[-1] += run.text
        end = max(end, run.x + _estimated_width(run))
    sizes: Counter[float] = Counter()
    for run in runs:
        sizes[round(run.size, 1)] += len(run.text.strip())
    visible = [run for run in runs if run.text.strip()]
    line = Line(
        page=page,
        y=runs[0].y,
        x=runs[0].x,
        size=sizes.most_common(1)[0][0],
        bold=all(_BOLD_FONT.search(run.font) for run in visible),
        mono=all(_MONOSPACE_FONT.search(run.font) for run in visible),
        cells=[" ".join(cell.split()) for cell in cells if cell.strip()],
        width=end - runs[0].x,
    )
    line.text_x = line.x
    if _MARKER.fullmatch(runs[0].text.strip()) and len(runs) > 1:
        line.text_x = runs[1].x
    elif marker := (_BULLET.match(line.text) or _NUMBER.match(line.text)):
        offset = line.text.index(marker.group(2))
        line.text_x = line.x + _estimated_width(
            Run(line.text[:offset], 0, 0, line.size, "")
        )
    return line


def _estimated_width(run: Run) -> float:
    wide = len(_CJK.findall(run.text))
    return (len(run.text) - wide) * _GLYPH_WIDTH * run.size + wide * run.size


def drop_running_lines(pages: list[list[Line]], *, page_height: float) -> None:
    """Remove headers, footers and page numbers from ``pages``, in place.

    A running line sits among the first or last two lines of a page, near
    its edge, at the same height on at least half of the pages (two at
    least), with the same text once digits are set aside ("Page 3 of 9").
    A page number alone at the edge goes too, and so does the outermost
    line of a single page when it is set smaller than the body. Full-width
    lines of body text are never taken for running lines, however alike.
    """
    edge = _EDGE_SHARE * page_height
    every_line = [line for lines in pages for line in lines]
    if not every_line:
        return
    body_size = _body_size(every_line)
    full_width = _typical_width(every_line, body_size=body_size)

    def body_like(line: Line) -> bool:
        return line.size == body_size and line.width >= 0.7 * full_width

    def key(line: Line) -> tuple[str, int]:
        return _DIGITS.sub("#", line.text.lower()), round(line.y / 3)

    edge_lines: list[list[Line]] = []
    for lines in pages:
        ordered = sorted(lines, key=lambda line: -line.y)
        edge_lines.append(
            [
                line
                for line in {
                    id(line): line for line in [*ordered[:2], *ordered[-2:]]
                }.values()
                if line.y > page_height - edge or line.y < edge
            ]
        )
    counts = Counter(
        line_key for lines in edge_lines for line_key in {key(line) for line in lines}
    )
    needed = max(2, math.ceil(len(pages) / 2))
    for lines, edges in zip(pages, edge_lines, strict=True):
        running = {
            id(line)
            for line in edges
            if (counts[key(line)] >= needed and not body_like(line))
            or _PAGE_NUMBER.match(line.text)
            or (len(pages) == 1 and _small_edge_line(line, lines, body_size))
        }
        lines[:] = [line for line in lines if id(line) not in running]


def _small_edge_line(line: Line, lines: list[Line], body_size: float) -> bool:
    """Whether ``line`` is the top or bottom line of a page, set small: a running line.

    With one page nothing repeats, so a header or footer shows only by being
    the outermost line in a smaller type than the body.
    """
    outermost = (
        max(lines, key=lambda other: other.y),
        min(lines, key=lambda other: other.y),
    )
    return line in outermost and line.size <= 0.85 * body_size


def blocks_from_lines(pages: list[list[Line]]) -> list[Block]:
    """Return the blocks of the (header-free) lines of every page."""
    body = [line for lines in pages for line in lines]
    if not body:
        return []
    body_size = _body_size(body)
    leading = _typical_leading(pages, body_size=body_size)
    full_width = _typical_width(body, body_size=body_size)
    heading_levels = _heading_levels(body, body_size=body_size)
    bullet_levels = _bullet_levels(body)
    vocabulary = _vocabulary(body)

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


def _body_size(lines: list[Line]) -> float:
    """Return the font size most of the text is set in."""
    sizes: Counter[float] = Counter()
    for line in lines:
        sizes[line.size] += len(line.text)
    return sizes.most_common(1)[0][0]


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
    if _BULLET.match(text):
        return "list_item", bullet_levels.get(round(line.x), 0), False
    if _NUMBER.match(text):
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
            if _BULLET.match(line.text) or _NUMBER.match(line.text)
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


def _typical_width(lines: list[Line], *, body_size: float) -> float:
    widths = sorted(line.width for line in lines if line.size == body_size)
    return widths[int(0.8 * (len(widths) - 1))] if widths else 0.0


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
        char = _GLYPH_WIDTH * 1.2 * lines[0].size
        return Block(
            kind="code",
            text="\n".join(
                " " * round((line.x - left) / char) + line.text for line in lines
            ),
        )
    text = _join_lines([line.text for line in lines], vocabulary=vocabulary)
    if paragraph.kind == "heading":
        return Block(kind="heading", text=text, level=paragraph.level)
    if paragraph.kind == "list_item":
        match = _BULLET.match(text) or _NUMBER.match(text)
        return Block(
            kind="list_item",
            text=match.group(2) if match else text,
            level=paragraph.level,
            ordered=paragraph.ordered,
        )
    return Block(kind="paragraph", text=text)


def _vocabulary(lines: list[Line]) -> set[str]:
    """Return the words (hyphenated ones too) written inside lines, lower-cased."""
    words: set[str] = set()
    for line in lines:
        tokens = _WORD.findall(line.text)
        # The last word of a line may be a hyphenated half; it proves nothing.
        words.update(token.lower() for token in tokens[:-1])
    return words


def _join_lines(lines: list[str], *, vocabulary: set[str]) -> str:
    text = lines[0]
    for line in lines[1:]:
        if _CJK.match(text[-1:]) and _CJK.match(line[:1]):
            text += line
        elif text.endswith("-") and _dehyphenate(text, line, vocabulary=vocabulary):
            text = text[:-1] + line
        elif (
            text.endswith("-") and re.search(r"[^\W\d_]-$", text) and line[:1].isalpha()
        ):
            text += line  # a real hyphen: "on-\ncall" is "on-call"
        else:
            text += " " + line
    return " ".join(text.split())


def _dehyphenate(left: str, right: str, *, vocabulary: set[str]) -> bool:
    """Whether ``left`` ends with half a word that ``right`` completes.

    The document itself decides first: a joined form written elsewhere in it
    wins, then a hyphenated one. Otherwise a common suffix ("-ment",
    "-tion") is a typesetter's break, and a short first part ("on-call",
    "re-run") a real hyphen.
    """
    head = re.search(r"([^\W\d_]+)-$", left)
    tail = re.match(r"[^\W\d_]+", right)
    if head is None or tail is None or not tail.group(0)[0].islower():
        return False
    first, second = head.group(1), tail.group(0)
    if (first + second).lower() in vocabulary:
        return True
    if f"{first}-{second}".lower() in vocabulary:
        return False
    if second.lower() in _SUFFIXES:
        return True
    if len(first) <= 3 or first.lower() in _COMPOUND_HEADS:
        return False
    return second.lower() not in _COMPOUND_TAILS
