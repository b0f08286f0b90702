"""Markdown parser plugin.

The source is rendered with Python-Markdown, cleaned like any uploaded HTML
(Markdown may embed raw HTML), and the text and blocks are read from that
rendering (Python-Markdown's own element tree, serialised), so headings'
``#``, emphasis marks and link syntax reach neither search nor summaries.
"""

from __future__ import annotations

import re

import markdown
from lxml import etree

from docsite.documents.parsers import MIME_MARKDOWN, decode_text
from docsite.documents.parsers.base import BaseParser, ParsedDocument
from docsite.documents.parsers.html import (
    DEFAULT_MAX_DEPTH,
    first_heading,
    html_text,
    nesting_exceeds,
    parse_html,
    sanitize_html,
)
from docsite.documents.parsers.html_blocks import html_blocks

MARKDOWN_EXTENSIONS = ("extra", "sane_lists")

# Python-Markdown's list handling slows down steeply with nesting: a
# 2,000-line staircase of indented items took 37 s before failing with
# RecursionError. Real documents never indent this far.
MAX_INDENT_CHARS = 128
_DEEP_INDENT = re.compile(rf"^[ \t]{{{MAX_INDENT_CHARS + 1},}}+\S", re.MULTILINE)


class MarkdownParser(BaseParser):
    """Read Markdown files into cleaned HTML and plain text.

    Options: ``max_depth`` (default 512), the deepest element nesting
    accepted in the rendered HTML.
    """

    name = "markdown"
    version = "2"
    mime_types = (MIME_MARKDOWN,)
    extensions = (".md", ".markdown")

    def __init__(self, *, max_depth: int = DEFAULT_MAX_DEPTH) -> None:
        super().__init__(max_depth=max_depth)
        self.max_depth = max_depth

    def parse(self, data: bytes, *, filename: str) -> ParsedDocument:
        source = decode_text(data, filename=filename)
        if _DEEP_INDENT.search(source):
            raise self.corrupt(
                filename,
                f"a line is indented more than {MAX_INDENT_CHARS} characters; "
                "Markdown nested this deeply cannot be read safely.",
            )
        if _raw_html_too_deep(source, max_depth=self.max_depth):
            raise self.corrupt(
                filename,
                f"its HTML is nested more than {self.max_depth} levels deep, "
                "too deep to read safely.",
            )
        try:
            rendered = markdown.markdown(source, extensions=list(MARKDOWN_EXTENSIONS))
        except RecursionError:
            raise self.corrupt(
                filename, "the Markdown is nested too deeply to be read."
            ) from None
        sanitized = sanitize_html(rendered, filename=filename, max_depth=self.max_depth)
        if sanitized.clean_tree is None:
            return ParsedDocument(text="", html=sanitized.html)
        return ParsedDocument(
            text=html_text(sanitized.clean_tree),
            title=first_heading(sanitized.clean_tree),
            html=sanitized.html,
            blocks=html_blocks(sanitized.clean_tree),
        )


def _raw_html_too_deep(source: str, *, max_depth: int) -> bool:
    """Return whether the raw HTML in ``source`` nests deeper than ``max_depth``.

    Python-Markdown takes tens of seconds over deeply nested raw HTML (100,000
    open ``<b>`` tags: 19 s) before the rendering could be checked, so the
    source is checked first. Read as HTML, Markdown's own syntax adds no
    elements, so only raw tags count.
    """
    if "<" not in source:
        return False
    try:
        tree = parse_html(source)
    except (etree.LxmlError, ValueError):
        return False  # sanitize_html reports unreadable HTML after rendering
    return tree is not None and nesting_exceeds(tree, max_depth=max_depth)
