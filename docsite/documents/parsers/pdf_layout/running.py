"""Running headers, footers and page numbers of PDF pages, found and dropped."""

from __future__ import annotations

import math
import re
from collections import Counter

from docsite.documents.parsers.pdf_layout.lines import (
    Line,
    body_font_size,
    typical_width,
)

_EDGE_SHARE = 0.12
_PAGE_NUMBER = re.compile(
    r"^(?:page\s+)?[-–—]?\s*\d{1,4}\s*[-–—]?(?:\s*(?:/|of)\s*\d{1,4})?$", re.IGNORECASE
)
_DIGITS = re.compile(r"\d+")


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
    body_size = body_font_size(every_line)
    full_width = typical_width(every_line, body_size=body_size)

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
