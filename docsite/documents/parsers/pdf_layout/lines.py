"""Lines of a PDF page: positioned runs grouped into lines of cells, and
the measures of a page's body text that the later steps share."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass

from docsite.documents.parsers.base import CJK_RANGES

# Runs of one line lie within this share of the font size vertically.
_SAME_LINE = 0.35
# Average glyph width of proportional fonts, as a share of the font size; an
# estimate good enough to tell the gap between table cells from the joint
# between two runs of one sentence.
GLYPH_WIDTH = 0.5

BULLET = re.compile(r"^([•●▪‣◦○■□–\-*·])\s*(\S.*)$")
NUMBERED = re.compile(r"^(\(?(?:\d{1,3}|[a-z])[.)])\s+(\S.*)$")
_MARKER = re.compile(r"[•●▪‣◦○■□–\-*·]|\(?(?:\d{1,3}|[a-z])[.)]")
CJK = re.compile(f"[{CJK_RANGES}]")
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_MONOSPACE_FONT = re.compile(r"courier|mono|consolas|menlo|code", re.IGNORECASE)


@dataclass
class Run:
    """One positioned piece of text, as pypdf reports it."""

    text: str
    x: float
    y: float
    size: float
    font: str


@dataclass
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
    elif marker := (BULLET.match(line.text) or NUMBERED.match(line.text)):
        offset = line.text.index(marker.group(2))
        line.text_x = line.x + _estimated_width(
            Run(line.text[:offset], 0, 0, line.size, "")
        )
    return line


def _estimated_width(run: Run) -> float:
    wide = len(CJK.findall(run.text))
    return (len(run.text) - wide) * GLYPH_WIDTH * run.size + wide * run.size


def body_font_size(lines: list[Line]) -> float:
    """Return the font size most of the text is set in."""
    sizes: Counter[float] = Counter()
    for line in lines:
        sizes[line.size] += len(line.text)
    return sizes.most_common(1)[0][0]


def typical_width(lines: list[Line], *, body_size: float) -> float:
    widths = sorted(line.width for line in lines if line.size == body_size)
    return widths[int(0.8 * (len(widths) - 1))] if widths else 0.0
