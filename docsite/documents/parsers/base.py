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
from typing import Any, ClassVar, Literal

from docsite.documents.exceptions import CorruptFileError

# Chinese, Japanese kana and CJK compatibility characters, as a regex class
# body: the text rules of every parser read these scripts alike.
CJK_RANGES = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"

BlockKind = Literal[
    "heading", "paragraph", "list_item", "table", "code", "quote", "page_break"
]
BLOCK_KINDS: tuple[str, ...] = BlockKind.__args__


@dataclass(frozen=True)
class Block:
    """One typed piece of a document's structure, in reading order.

    - ``heading``: ``text``; ``level`` 1-6.
    - ``paragraph``, ``quote``: ``text`` (one paragraph, line breaks joined).
    - ``list_item``: ``text``; ``level`` is the nesting depth (0 = top level);
      ``ordered`` for numbered lists.
    - ``table``: ``rows``, a tuple of rows of cell strings (the first row is the
      header row when the source marks one); ``text`` is empty.
    - ``code``: ``text`` verbatim, line breaks kept.
    - ``page_break``: nothing else (PDF pages, Word page breaks).

    Blocks are stored on the document as ``Block.as_dict()`` values.
    """

    kind: BlockKind
    text: str = ""
    level: int = 0
    rows: tuple[tuple[str, ...], ...] = ()
    ordered: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form, leaving out fields at their defaults."""
        data: dict[str, Any] = {"kind": self.kind}
        if self.text:
            data["text"] = self.text
        if self.level:
            data["level"] = self.level
        if self.rows:
            data["rows"] = [list(row) for row in self.rows]
        if self.ordered:
            data["ordered"] = True
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Block:
        """Return the block stored as ``data`` (the inverse of ``as_dict``)."""
        return cls(
            kind=data["kind"],
            text=data.get("text", ""),
            level=int(data.get("level", 0)),
            rows=tuple(tuple(row) for row in data.get("rows", ())),
            ordered=bool(data.get("ordered", False)),
        )


def blocks_to_text(blocks: list[Block]) -> str:
    """Return the plain text of ``blocks``, for parsers whose text is built from them.

    Blocks are separated by a blank line; consecutive list items share
    lines (``- `` or ``1. `` marks them, indented by nesting); table rows
    are lines of tab-separated cells; code keeps its line breaks.
    """
    pieces: list[str] = []
    previous: Block | None = None
    number = 0
    for block in blocks:
        if block.kind == "page_break":
            continue
        if block.kind == "list_item":
            continuing = previous is not None and previous.kind == "list_item"
            number = number + 1 if continuing else 1
            marker = f"{number}." if block.ordered else "-"
            line = f"{'  ' * block.level}{marker} {block.text}"
            if pieces:
                pieces.append("\n" if continuing else "\n\n")
            pieces.append(line)
        else:
            if pieces:
                pieces.append("\n\n")
            if block.kind == "table":
                pieces.append("\n".join("\t".join(row) for row in block.rows))
            else:
                pieces.append(block.text)
        previous = block
    return "".join(pieces)


@dataclass(frozen=True)
class ParsedDocument:
    """What a parser extracts from one file.

    ``text`` is the plain text used for search, summaries and embeddings.
    ``blocks`` is the same content with its structure (see :class:`Block`);
    an empty list means the parser knows no structure.
    ``html`` is an optional rendition for reading; it MUST already be cleaned
    with nh3 (see ``docsite.documents.parsers.html.clean_html``), because the
    portal shows it as-is.
    """

    text: str
    title: str = ""
    html: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)


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
