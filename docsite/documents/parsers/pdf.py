"""PDF parser plugin, built on pypdf; ``pdf_layout`` reflows the text into blocks."""

from __future__ import annotations

import io
import logging
import math

from pypdf import PageObject, PasswordType, PdfReader
from pypdf.errors import DependencyError

from docsite.documents.exceptions import DocumentRejectedError, FileTooLargeError
from docsite.documents.parsers import MIME_PDF
from docsite.documents.parsers.base import BaseParser, ParsedDocument, blocks_to_text
from docsite.documents.parsers.pdf_layout import (
    Line,
    Run,
    blocks_from_lines,
    drop_running_lines,
    lines_from_runs,
)

logger = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 1000


class PdfParser(BaseParser):
    """Read the text layer of PDF files, reflowed into paragraphs.

    Headings, list items, tables and page breaks become blocks; running
    headers, footers and page numbers are dropped. Scanned PDFs without a
    text layer come out empty (no OCR). Options:
    ``max_pages`` (default 1000); longer PDFs are refused.
    """

    name = "pdf"
    version = "2"
    mime_types = (MIME_PDF,)
    extensions = (".pdf",)

    def __init__(self, *, max_pages: int = DEFAULT_MAX_PAGES) -> None:
        super().__init__(max_pages=max_pages)
        self.max_pages = max_pages

    def parse(self, data: bytes, *, filename: str) -> ParsedDocument:
        # pypdf reports malformed files through many exception types (its own,
        # KeyError, ValueError, zlib errors, ...); any of them means the file
        # cannot be read, so all but our own refusals are caught below.
        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                raise self.corrupt(
                    filename,
                    "the PDF is password-protected; upload a copy without a password.",
                )
            page_count = len(reader.pages)
            if page_count > self.max_pages:
                raise FileTooLargeError(
                    f"{filename} has {page_count:,} pages; "
                    f"the limit is {self.max_pages:,}."
                )
            pages = [
                _page_lines(page, number=number)
                for number, page in enumerate(reader.pages)
            ]
            page_height = _page_height(reader)
        except DocumentRejectedError:
            raise
        except DependencyError as error:
            raise self.corrupt(
                filename,
                "the PDF is encrypted in a way this site cannot read; "
                "upload a copy without protection.",
            ) from error
        except Exception as error:
            logger.info("pypdf could not read %s.", filename, exc_info=True)
            raise self.corrupt(filename, "the file is damaged or not a PDF.") from error
        drop_running_lines(pages, page_height=page_height)
        blocks = blocks_from_lines(pages)
        first_heading = next(
            (block.text for block in blocks if block.kind == "heading"), ""
        )
        return ParsedDocument(
            text=blocks_to_text(blocks),
            title=_metadata_title(reader) or first_heading,
            metadata={"pages": page_count},
            blocks=blocks,
        )


def _page_lines(page: PageObject, *, number: int) -> list[Line]:
    """Return the lines of one page from the runs pypdf reports."""
    runs: list[Run] = []

    def collect(text, matrix, text_matrix, font, font_size) -> None:
        if not text or not text.strip("\n"):
            return
        # Where the run starts on the page, and its size there: the text
        # matrix placed by the current transformation matrix.
        a, b, c, d, e, f = text_matrix
        ma, mb, mc, md, me, mf = matrix
        x = e * ma + f * mc + me
        y = e * mb + f * md + mf
        scale = math.sqrt(abs((a * d - b * c) * (ma * md - mb * mc))) or 1.0
        name = str((font or {}).get("/BaseFont", ""))
        runs.append(Run(text, x, y, round(float(font_size) * scale, 1), name))

    page.extract_text(visitor_text=collect)
    return lines_from_runs(runs, page=number)


def _page_height(reader: PdfReader) -> float:
    try:
        return float(reader.pages[0].mediabox.height)
    except Exception:
        return 842.0  # A4, when the box cannot be read


def _metadata_title(reader: PdfReader) -> str:
    # Broken metadata must not cost the text that was already read.
    try:
        metadata = reader.metadata
        return str(metadata.title or "") if metadata else ""
    except Exception:
        logger.info("Ignoring unreadable PDF metadata.", exc_info=True)
        return ""
