"""Markdown parser plugin.

The source is rendered with Python-Markdown, cleaned like any uploaded HTML
(Markdown may embed raw HTML), and the text is read from that rendering, so
headings' ``#``, emphasis marks and link syntax do not reach search.
"""

from __future__ import annotations

import re

import markdown

from docsite.documents.parsers import MIME_MARKDOWN, decode_text
from docsite.documents.parsers.base import BaseParser, ParsedDocument
from docsite.documents.parsers.html import (
    DEFAULT_MAX_DEPTH,
    first_heading,
    html_text,
    sanitize_html,
)

MARKDOWN_EXTENSIONS = ("extra", "sane_lists")

# Python-Markdown's list handling slows down steeply with nesting: a
# 2,000-line staircase of indented items took 37 s before failing with
# RecursionError. Real documents never indent this far.
MAX_INDENT_CHARS = 128
_DEEP_INDENT = re.compile(rf"^[ \t]{{{MAX_INDENT_CHARS + 1}}}", re.MULTILINE)


class MarkdownParser(BaseParser):
    """Read Markdown files into cleaned HTML and plain text.

    Options: ``max_depth`` (default 512), the deepest element nesting
    accepted in the rendered HTML.
    """

    name = "markdown"
    version = "1"
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
        )
