"""PDF parser plugin, built on pypdf."""

from __future__ import annotations

import io
import logging

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError

from docsite.documents.exceptions import DocumentRejectedError, FileTooLargeError
from docsite.documents.parsers import MIME_PDF
from docsite.documents.parsers.base import BaseParser, ParsedDocument

logger = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 1000


class PdfParser(BaseParser):
    """Read the text layer of PDF files, page by page.

    Scanned PDFs without a text layer come out empty (no OCR). Options:
    ``max_pages`` (default 1000); longer PDFs are refused.
    """

    name = "pdf"
    version = "1"
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
            page_texts = [page.extract_text() or "" for page in reader.pages]
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
        return ParsedDocument(
            text="\n\n".join(text for text in page_texts if text.strip()),
            title=_metadata_title(reader),
            metadata={"pages": page_count},
        )


def _metadata_title(reader: PdfReader) -> str:
    # Broken metadata must not cost the text that was already read.
    try:
        metadata = reader.metadata
        return str(metadata.title or "") if metadata else ""
    except Exception:
        logger.info("Ignoring unreadable PDF metadata.", exc_info=True)
        return ""
