"""The parser plugin contract.

A parser turns the bytes of one uploaded file into plain text (and, for rich
formats, a cleaned HTML rendition). Parsers are found through the
``docsite.parsers`` entry-point group; ``DOCSITE_PARSERS`` chooses which are on
and passes each its options.

Parsers are pure computation: they MUST NOT touch the ORM, Celery or Django
settings. Everything they need reaches them through the constructor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from docsite.documents.exceptions import CorruptFileError


@dataclass(frozen=True)
class ParsedDocument:
    """What a parser extracts from one file.

    ``text`` is the plain text used for search, summaries and embeddings.
    ``html`` is an optional rendition for reading; it MUST already be cleaned
    with nh3 (see ``docsite.documents.parsers.html.clean_html``), because the
    portal shows it as-is.
    """

    text: str
    title: str = ""
    html: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


class BaseParser:
    """Base class for parser plugins.

    Subclasses set ``name``, ``version``, ``mime_types`` and ``extensions`` and
    implement ``parse``. ``parse`` MUST raise a
    :class:`~docsite.documents.exceptions.DocumentRejectedError` subclass with a
    message a reader understands (never a bare library exception) when the file
    cannot be read.
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    mime_types: ClassVar[tuple[str, ...]] = ()
    extensions: ClassVar[tuple[str, ...]] = ()

    def __init__(self, **options: Any) -> None:
        self.options = options

    def parse(self, data: bytes, *, filename: str) -> ParsedDocument:
        """Return the text of ``data``; raise ``DocumentRejectedError`` if unreadable."""
        raise NotImplementedError

    def corrupt(self, filename: str, reason: str) -> CorruptFileError:
        return CorruptFileError(f"{filename}: {reason}")
