"""File types told apart by their content: the supported formats, and a
readable refusal for the formats people try that are not."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import PurePath

from docsite.documents.exceptions import (
    CorruptFileError,
    DocumentRejectedError,
    UnsupportedFormatError,
)
from docsite.documents.parsers.decoding import BYTE_ORDER_MARKS, decode_text

MIME_TEXT = "text/plain"
MIME_MARKDOWN = "text/markdown"
MIME_HTML = "text/html"
MIME_PDF = "application/pdf"
MIME_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

SUPPORTED_FORMATS = "text, Markdown, HTML, PDF, DOCX"

# Extensions that promise text. A file with one of them that cannot be decoded
# is a damaged text file; without one it is just some unknown binary format.
TEXT_EXTENSIONS = frozenset(
    {".txt", ".text", ".log", ".csv", ".md", ".markdown", ".html", ".htm"}
)
MARKDOWN_EXTENSIONS = frozenset({".md", ".markdown"})
HTML_EXTENSIONS = frozenset({".html", ".htm"})

# Well-known signatures of formats people try to upload, so the refusal can
# say what the file looks like instead of only "unsupported".
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "a legacy Microsoft Office file (.doc, .xls or .ppt)",
    ),
    (b"{\\rtf", "an RTF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "a program"),
)
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
# Members that tell OOXML and other zip-based formats apart.
_ZIP_KINDS: tuple[tuple[str, str], ...] = (
    ("xl/workbook.xml", "an Excel workbook (XLSX)"),
    ("ppt/presentation.xml", "a PowerPoint presentation (PPTX)"),
    ("META-INF/container.xml", "an EPUB e-book"),
    ("content.xml", "an OpenDocument file (ODT, ODS or ODP)"),
)
_DOCX_MAIN_PART = "word/document.xml"

_HTML_OBVIOUS_START = ("<!doctype html", "<html")
_HTML_STRUCTURE = re.compile(r"<(?:head|body)[\s>]", re.IGNORECASE)
_HTML_SNIFF_CHARS = 4096


def detect_mime_type(data: bytes, *, filename: str) -> str:
    """Return the MIME type of ``data``, judged by its content.

    The extension only chooses between text flavours (Markdown, HTML, plain
    text); a PDF named ``.txt`` is still a PDF. Raise
    ``UnsupportedFormatError`` for anything that is not one of the supported
    formats, and ``CorruptFileError`` for a damaged zip or undecodable text
    file.
    """
    extension = PurePath(filename).suffix.lower()

    if data[:1024].lstrip().startswith(b"%PDF-"):
        return MIME_PDF
    if data.startswith(_ZIP_SIGNATURES):
        return _detect_zip_type(data, filename=filename)
    for signature, kind in _BINARY_SIGNATURES:
        if data.startswith(signature):
            raise UnsupportedFormatError(
                f"{filename} looks like {kind}, which is not a supported format "
                f"({SUPPORTED_FORMATS})."
            )

    not_supported = UnsupportedFormatError(
        f"{filename} is not a supported format ({SUPPORTED_FORMATS})."
    )
    try:
        text = decode_text(data, filename=filename)
    except UnsupportedFormatError:
        raise not_supported from None
    except CorruptFileError:
        if extension in TEXT_EXTENSIONS:
            raise
        raise not_supported from None

    head = text[:_HTML_SNIFF_CHARS].lstrip()
    if head.lower().startswith(_HTML_OBVIOUS_START):
        return MIME_HTML
    if extension in MARKDOWN_EXTENSIONS:
        return MIME_MARKDOWN
    if extension in HTML_EXTENSIONS:
        return MIME_HTML
    if head.startswith("<") and _HTML_STRUCTURE.search(head):
        return MIME_HTML
    return MIME_TEXT


def sniff_refusal(head: bytes, *, filename: str) -> DocumentRejectedError | None:
    """Return the refusal of a file that starts with ``head``, if it is certain.

    Cheap enough for a web request: only signatures of formats that are never
    supported, and binary data where text was the only remaining
    possibility. Everything else is decided by the full parse.
    """
    if head[:1024].lstrip().startswith(b"%PDF-") or head.startswith(_ZIP_SIGNATURES):
        return None
    for signature, kind in _BINARY_SIGNATURES:
        if head.startswith(signature):
            return UnsupportedFormatError(
                f"{filename} looks like {kind}, which is not a supported format "
                f"({SUPPORTED_FORMATS})."
            )
    marked = any(head.startswith(mark) for mark, _ in BYTE_ORDER_MARKS)
    if b"\x00" in head and not marked:
        return UnsupportedFormatError(
            f"{filename} is not a supported format ({SUPPORTED_FORMATS})."
        )
    return None


def _detect_zip_type(data: bytes, *, filename: str) -> str:
    # zipfile raises more than BadZipFile on malformed archives.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError):
        raise CorruptFileError(
            f"{filename} is damaged: it starts like a ZIP archive (such as a DOCX "
            "file) but cannot be opened. It may be truncated."
        ) from None
    if _DOCX_MAIN_PART in names:
        return MIME_DOCX
    kind = next(
        (kind for member, kind in _ZIP_KINDS if member in names), "a ZIP archive"
    )
    raise UnsupportedFormatError(
        f"{filename} looks like {kind}, which is not a supported format "
        f"({SUPPORTED_FORMATS})."
    )
