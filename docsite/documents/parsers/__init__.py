"""The parser registry: find parser plugins, tell file types apart, run a parse.

Parsers are plugins in the ``docsite.parsers`` entry-point group;
``DOCSITE_PARSERS`` says which are on and gives each its OPTIONS.
``parse_document`` is the one call the rest of docsite makes: it decides the
type of a file from its content, runs the matching parser in a child process
under hard time and memory limits,
and turns every failure into a ``DocumentRejectedError`` whose message can be
shown to the person who sent the file.
"""

from __future__ import annotations

import codecs
import dataclasses
import io
import logging
import re
import threading
import zipfile
from pathlib import PurePath
from typing import Any

import charset_normalizer

from django.core.signals import setting_changed
from django.dispatch import receiver

from docsite.documents.conf import documents_setting
from docsite.documents.exceptions import (
    CorruptFileError,
    DocumentRejectedError,
    EmptyDocumentError,
    FileTooLargeError,
    UnsupportedFormatError,
)
from docsite.documents.parsers.base import BaseParser, Block, ParsedDocument
from docsite.documents.parsers.sandbox import (
    Limits,
    SandboxCrash,
    SandboxMemoryError,
    SandboxTimeout,
    run_limited,
)
from docsite.plugins import plugins_load

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "docsite.parsers"

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

# Titles end up in a database column and in page headings; a <title> or a
# PDF metadata field can be arbitrarily long.
MAX_TITLE_CHARS = 300

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

# UTF-32 first: its little-endian mark starts with the UTF-16 one.
_BYTE_ORDER_MARKS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# charset_normalizer often ranks Central European code pages first for
# Western text (it read French latin-1 as cp1250, "crème" -> "crčme"). When
# windows-1252 fits as well, it is the likelier source, as the WHATWG encoding
# standard assumes for unlabelled legacy text.
_PREFERRED_LEGACY_ENCODING = "cp1252"

_HTML_OBVIOUS_START = ("<!doctype html", "<html")
_HTML_STRUCTURE = re.compile(r"<(?:head|body)[\s>]", re.IGNORECASE)
_HTML_SNIFF_CHARS = 4096

# Characters a database text column or a reader should never get: C0
# controls other than tab and newline, DEL, and lone UTF-16 surrogates.
_UNWANTED_CHARACTERS = re.compile("[\x00-\x08\x0e-\x1f\x7f\ud800-\udfff]")
_PAGE_BREAKS = str.maketrans({"\x0b": "\n", "\x0c": "\n"})

_parsers: dict[str, BaseParser] | None = None
_parsers_lock = threading.Lock()

# --- Registry --------------------------------------------------------------


def load_parsers() -> dict[str, BaseParser]:
    """Return the enabled parsers by entry-point name, loading them once.

    Only plugins named in ``DOCSITE_PARSERS`` are loaded, in that setting's
    order, each built with its ``OPTIONS``. A plugin that cannot be imported
    or built is logged and skipped, so one broken package cannot stop
    ingestion of the other formats.
    """
    global _parsers
    parsers = _parsers
    if parsers is None:
        with _parsers_lock:
            if _parsers is None:
                _parsers = _build_enabled_parsers()
            parsers = _parsers
    return dict(parsers)


def reset_parsers() -> None:
    """Forget the loaded parsers; the next ``load_parsers`` reads settings again."""
    global _parsers
    with _parsers_lock:
        _parsers = None


@receiver(setting_changed, dispatch_uid="documents.parsers.reset_on_setting_change")
def _reset_on_setting_change(*, setting: str, **kwargs: Any) -> None:
    if setting == "DOCSITE_PARSERS":
        reset_parsers()


def _build_enabled_parsers() -> dict[str, BaseParser]:
    return plugins_load(
        group=ENTRY_POINT_GROUP,
        configured=documents_setting("PARSERS"),
        setting="DOCSITE_PARSERS",
        base=BaseParser,
    )


def _parser_for(
    mime_type: str, parsers: dict[str, BaseParser], *, filename: str
) -> BaseParser:
    for parser in parsers.values():
        if mime_type in parser.mime_types:
            return parser
    raise UnsupportedFormatError(
        f"{filename} is a {mime_type} file, and no parser for that format is "
        "enabled on this site."
    )


# --- Type detection and text decoding --------------------------------------


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
    marked = any(head.startswith(mark) for mark, _ in _BYTE_ORDER_MARKS)
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


def decode_text(data: bytes, *, filename: str = "") -> str:
    """Return ``data`` decoded as text, with newlines normalised to ``\\n``.

    A byte-order mark (UTF-8, UTF-16, UTF-32) decides the encoding. Without
    one, strict UTF-8 is tried, then charset_normalizer's guess. Raise
    ``UnsupportedFormatError`` when ``data`` holds NUL bytes (binary, or
    UTF-16 without a mark) and ``CorruptFileError`` when no encoding fits.
    ``filename``, when given, starts the error messages.
    """
    subject = filename or "The file"
    for mark, encoding in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                raise CorruptFileError(
                    f"{subject} is damaged: it is marked as {encoding.upper()} text "
                    "but is not valid in that encoding."
                ) from None
            return _normalise_newlines(text)

    if b"\x00" in data:
        raise UnsupportedFormatError(f"{subject} holds binary data, not text.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = _decode_legacy_encoding(data, subject=subject)
    return _normalise_newlines(text)


def _decode_legacy_encoding(data: bytes, *, subject: str) -> str:
    matches = charset_normalizer.from_bytes(data)
    best = matches.best()
    if best is None:
        raise CorruptFileError(
            f"{subject} is not readable: its text encoding could not be recognised. "
            "Save it as UTF-8 and upload it again."
        )
    equally_good = set(best.could_be_from_charset) | {
        match.encoding
        for match in matches
        if match.percent_chaos == best.percent_chaos
        and match.percent_coherence == best.percent_coherence
    }
    if _PREFERRED_LEGACY_ENCODING in equally_good:
        try:
            return data.decode(_PREFERRED_LEGACY_ENCODING)
        except UnicodeDecodeError:
            pass  # one of cp1252's five unused bytes; keep the detector's choice
    return str(best)


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- Parsing ---------------------------------------------------------------


def parse_document(data: bytes, *, filename: str) -> tuple[str, ParsedDocument]:
    """Detect the type of ``data``, parse it, and return ``(mime_type, parsed)``.

    The returned text is tidied (newlines normalised, control characters
    removed, surrounding whitespace stripped) and the title shortened to one
    line of at most ``MAX_TITLE_CHARS``. Raise a ``DocumentRejectedError``
    subclass with a readable message when the file is empty, of an
    unsupported type, damaged, has too much text, or takes longer than
    ``DOCSITE_PARSE_TIMEOUT_SECONDS`` to read or more memory than
    ``DOCSITE_PARSE_MEMORY_BYTES``: detection and parsing run in a child
    process under those hard limits (``sandbox.run_limited``), which is
    killed when it runs over. Errors a parser did not anticipate are logged
    with their traceback and reported as ``CorruptFileError``.
    """
    if not data:
        raise EmptyDocumentError(f"{filename} is empty.")
    parsers = load_parsers()

    def detect_and_parse() -> tuple[str, ParsedDocument]:
        mime_type = detect_mime_type(data, filename=filename)
        parser = _parser_for(mime_type, parsers, filename=filename)
        return mime_type, parser.parse(data, filename=filename)

    timeout = documents_setting("PARSE_TIMEOUT_SECONDS") or None
    limits = Limits(
        wall_seconds=timeout,
        cpu_seconds=timeout,
        memory_bytes=documents_setting("PARSE_MEMORY_BYTES"),
    )
    try:
        mime_type, parsed = run_limited(
            detect_and_parse, limits=limits, expected=(DocumentRejectedError,)
        )
    except SandboxTimeout:
        logger.warning("Parsing %s took longer than %s seconds.", filename, timeout)
        raise FileTooLargeError(
            f"{filename} took longer than {timeout} seconds to read; "
            "it is too large or too complex."
        ) from None
    except SandboxMemoryError:
        logger.warning("Parsing %s ran out of its memory budget.", filename)
        raise FileTooLargeError(
            f"{filename} needs more memory to read than this site allows; "
            "it is too large or too complex."
        ) from None
    except SandboxCrash as error:
        logger.error("Parsing %s failed unexpectedly:\n%s", filename, error.details)
        raise CorruptFileError(
            f"{filename} could not be read. The file may be damaged, or use "
            "features the reader does not support."
        ) from None

    text = _tidy_text(parsed.text)
    max_text_chars = documents_setting("MAX_TEXT_CHARS")
    if max_text_chars and len(text) > max_text_chars:
        raise FileTooLargeError(
            f"{filename} holds {len(text):,} characters of text; "
            f"the limit is {max_text_chars:,}."
        )
    if not text:
        raise EmptyDocumentError(f"{filename} contains no text.")
    title = " ".join(parsed.title.split())[:MAX_TITLE_CHARS]
    return mime_type, dataclasses.replace(
        parsed, text=text, title=title, blocks=_tidy_blocks(parsed.blocks)
    )


def _tidy_text(text: str) -> str:
    text = _normalise_newlines(text).translate(_PAGE_BREAKS)
    return _UNWANTED_CHARACTERS.sub("", text).strip()


def _tidy_blocks(blocks: list[Block]) -> list[Block]:
    """Return ``blocks`` cleaned like the text; drop those left empty.

    Only code keeps its line breaks; a page break that starts or ends the
    document, or follows another, says nothing and is dropped.
    """
    tidy: list[Block] = []
    for block in blocks:
        if block.kind == "page_break":
            if tidy and tidy[-1].kind != "page_break":
                tidy.append(block)
            continue
        if block.kind == "code":
            text = _tidy_text(block.text)
        else:
            text = " ".join(_UNWANTED_CHARACTERS.sub("", block.text).split())
        rows = tuple(
            tuple(" ".join(_UNWANTED_CHARACTERS.sub("", cell).split()) for cell in row)
            for row in block.rows
        )
        rows = tuple(row for row in rows if any(row))
        if text or rows:
            tidy.append(dataclasses.replace(block, text=text, rows=rows))
    while tidy and tidy[-1].kind == "page_break":
        tidy.pop()
    return tidy
