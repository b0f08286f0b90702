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

import dataclasses
import logging
import re
import threading
from typing import Any

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
from docsite.documents.names import MAX_TITLE_CHARS
from docsite.documents.parsers.base import BaseParser, Block, ParsedDocument
from docsite.documents.parsers.decoding import decode_text, normalise_newlines
from docsite.documents.parsers.formats import (
    HTML_EXTENSIONS,
    MARKDOWN_EXTENSIONS,
    MIME_DOCX,
    MIME_HTML,
    MIME_MARKDOWN,
    MIME_PDF,
    MIME_TEXT,
    SUPPORTED_FORMATS,
    TEXT_EXTENSIONS,
    detect_mime_type,
    sniff_refusal,
)
from docsite.documents.parsers.sandbox import (
    Limits,
    SandboxCrash,
    SandboxMemoryError,
    SandboxTimeout,
    run_limited,
)
from docsite.plugins import plugins_load

__all__ = [
    "ENTRY_POINT_GROUP",
    "HTML_EXTENSIONS",
    "MARKDOWN_EXTENSIONS",
    "MAX_TITLE_CHARS",
    "MIME_DOCX",
    "MIME_HTML",
    "MIME_MARKDOWN",
    "MIME_PDF",
    "MIME_TEXT",
    "SUPPORTED_FORMATS",
    "TEXT_EXTENSIONS",
    "decode_text",
    "detect_mime_type",
    "load_parsers",
    "parse_document",
    "reset_parsers",
    "sniff_refusal",
]

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "docsite.parsers"

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
    text = normalise_newlines(text).translate(_PAGE_BREAKS)
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
