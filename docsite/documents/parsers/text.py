"""Plain-text parser plugin."""

from __future__ import annotations

from docsite.documents.parsers import MIME_TEXT, decode_text
from docsite.documents.parsers.base import BaseParser, ParsedDocument


class TextParser(BaseParser):
    """Read plain text in any encoding ``decode_text`` recognises."""

    name = "text"
    version = "1"
    mime_types = (MIME_TEXT,)
    extensions = (".txt", ".text", ".log", ".csv")

    def parse(self, data: bytes, *, filename: str) -> ParsedDocument:
        return ParsedDocument(text=decode_text(data, filename=filename))
