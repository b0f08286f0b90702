"""Word (DOCX) parser plugin, built on python-docx."""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

import docx
from docx.table import Table

from docsite.documents.exceptions import FileTooLargeError
from docsite.documents.parsers import MIME_DOCX
from docsite.documents.parsers.base import BaseParser, ParsedDocument
from docsite.documents.parsers.html import clean_html

if TYPE_CHECKING:
    from docx.document import Document

logger = logging.getLogger(__name__)

DEFAULT_MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
# A part larger than this that also shrank more than MAX_COMPRESSION_RATIO
# times is a zip bomb: text and XML compress about 10x, images barely.
SUSPICIOUS_PART_BYTES = 10 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100

_HEADING_STYLE = re.compile(r"Heading (\d)")


class DocxParser(BaseParser):
    """Read paragraphs, headings and tables of Word documents.

    Text boxes, headers, footers, footnotes and comments are not read.
    Options: ``max_uncompressed_bytes`` (default 200 MiB), the most the
    archive may unpack to.
    """

    name = "docx"
    version = "1"
    mime_types = (MIME_DOCX,)
    extensions = (".docx",)

    def __init__(
        self, *, max_uncompressed_bytes: int = DEFAULT_MAX_UNCOMPRESSED_BYTES
    ) -> None:
        super().__init__(max_uncompressed_bytes=max_uncompressed_bytes)
        self.max_uncompressed_bytes = max_uncompressed_bytes

    def parse(self, data: bytes, *, filename: str) -> ParsedDocument:
        self._refuse_zip_bomb(data, filename=filename)
        # python-docx reports malformed packages as BadZipFile, KeyError,
        # ValueError, lxml syntax errors and more; all mean "cannot be read".
        try:
            document = docx.Document(io.BytesIO(data))
            blocks = list(_blocks(document))
            core_title = (document.core_properties.title or "").strip()
        except Exception as error:
            logger.info("python-docx could not read %s.", filename, exc_info=True)
            raise self.corrupt(
                filename, "the file is damaged or not a Word document."
            ) from error

        first_heading = next(
            (block.text for block in blocks if block.heading_level is not None), ""
        )
        return ParsedDocument(
            text="\n\n".join(block.text for block in blocks),
            title=core_title or first_heading,
            html=clean_html("\n".join(block.to_html() for block in blocks)),
        )

    def _refuse_zip_bomb(self, data: bytes, *, filename: str) -> None:
        # zipfile never yields more than a member's declared size (and fails
        # its CRC check if the data hold more), so the declared sizes bound
        # what python-docx can unpack.
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                members = archive.infolist()
        except (zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError):
            raise self.corrupt(
                filename, "the file is damaged or not a Word document."
            ) from None
        total_bytes = sum(member.file_size for member in members)
        if total_bytes > self.max_uncompressed_bytes:
            raise FileTooLargeError(
                f"{filename} unpacks to {_megabytes(total_bytes)}; "
                f"the limit is {_megabytes(self.max_uncompressed_bytes)}."
            )
        for member in members:
            if (
                member.file_size > SUSPICIOUS_PART_BYTES
                and member.file_size
                > MAX_COMPRESSION_RATIO * max(member.compress_size, 1)
            ):
                raise FileTooLargeError(
                    f"{filename} contains a part ({member.filename}) that unpacks "
                    f"to {_megabytes(member.file_size)}, over "
                    f"{MAX_COMPRESSION_RATIO} times its packed size; "
                    "it looks like a zip bomb."
                )


@dataclass(frozen=True)
class _Block:
    """One paragraph, heading or table of the document body."""

    text: str
    # 0 for the Title style, N for "Heading N", None for anything else.
    heading_level: int | None = None
    table_rows: tuple[tuple[str, ...], ...] = ()

    def to_html(self) -> str:
        if self.table_rows:
            rows = "".join(
                "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>"
                for row in self.table_rows
            )
            return f"<table><tbody>{rows}</tbody></table>"
        if self.heading_level is None:
            return f"<p>{escape(self.text)}</p>"
        tag = f"h{min(self.heading_level + 1, 6)}"
        return f"<{tag}>{escape(self.text)}</{tag}>"


def _blocks(document: Document) -> Iterator[_Block]:
    """Yield the paragraphs and tables of the body in document order."""
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            rows = tuple(_table_rows(item))
            if rows:
                text = "\n".join("\t".join(row) for row in rows)
                yield _Block(text=text, table_rows=rows)
            continue
        text = item.text.strip()
        if text:
            style_name = item.style.name if item.style is not None else ""
            yield _Block(text=text, heading_level=_heading_level(style_name))


def _heading_level(style_name: str) -> int | None:
    if style_name == "Title":
        return 0
    match = _HEADING_STYLE.fullmatch(style_name)
    return int(match.group(1)) if match else None


def _table_rows(table: Table) -> Iterator[tuple[str, ...]]:
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            # A merged cell is repeated for each grid column it spans.
            if cell._tc is previous:
                continue
            previous = cell._tc
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            yield tuple(cells)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MB"
