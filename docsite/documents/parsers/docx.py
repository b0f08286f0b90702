"""Word (DOCX) parser plugin, built on python-docx."""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Iterator
from html import escape
from typing import TYPE_CHECKING

import docx
from docx.table import Table

from docsite.documents.exceptions import FileTooLargeError
from docsite.documents.parsers import MIME_DOCX
from docsite.documents.parsers.base import BaseParser, Block, ParsedDocument
from docsite.documents.parsers.html import clean_html

if TYPE_CHECKING:
    from docx.document import Document
    from docx.text.paragraph import Paragraph

logger = logging.getLogger(__name__)

DEFAULT_MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
# A part larger than this that also shrank more than MAX_COMPRESSION_RATIO
# times is a zip bomb: text and XML compress about 10x, images barely.
SUSPICIOUS_PART_BYTES = 10 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100

_HEADING_STYLE = re.compile(r"Heading (\d)")
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


class DocxParser(BaseParser):
    """Read paragraphs, headings and tables of Word documents.

    Text boxes, headers, footers, footnotes and comments are not read.
    Options: ``max_uncompressed_bytes`` (default 200 MiB), the most the
    archive may unpack to.
    """

    name = "docx"
    version = "2"
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
            has_title = _has_title(document)
            blocks = list(_body_blocks(document, has_title=has_title))
            core_title = (document.core_properties.title or "").strip()
        except Exception as error:
            logger.info("python-docx could not read %s.", filename, exc_info=True)
            raise self.corrupt(
                filename, "the file is damaged or not a Word document."
            ) from error

        first_heading = next(
            (block.text for block in blocks if block.kind == "heading"), ""
        )
        return ParsedDocument(
            text=_blocks_text(blocks),
            title=core_title or first_heading,
            html=clean_html(_blocks_html(blocks, has_title=has_title)),
            blocks=blocks,
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


_LIST_STYLE = re.compile(r"List (?:Paragraph|Bullet|Number)(?: (\d))?")
_CODE_STYLES = frozenset({"HTML Preformatted", "Macro Text", "Plain Text"})
_QUOTE_STYLES = frozenset({"Quote", "Intense Quote"})
_MONOSPACE_FONTS = frozenset(
    {"Courier New", "Courier", "Consolas", "Menlo", "Monaco", "Lucida Console"}
)
_PAGE_BREAK = f"{{{_W}}}br"


def _has_title(document: Document) -> bool:
    return any(paragraph.style.name == "Title" for paragraph in document.paragraphs)


def _body_blocks(document: Document, *, has_title: bool) -> Iterator[Block]:
    """Yield the blocks of the body in document order.

    Headings come from the Title and "Heading N" styles (levels shift down
    one when the document has a Title), list items from numbering or the
    List styles, code from preformatted styles or all-monospace runs, quotes
    from the Quote styles; consecutive code paragraphs form one block.
    """
    numbering = _Numbering(document)
    items = list(document.iter_inner_content())
    code: list[str] = []
    for item in items:
        if isinstance(item, Table):
            if code:
                yield Block(kind="code", text="\n".join(code))
                code = []
            rows = tuple(_table_rows(item))
            if rows:
                yield Block(kind="table", rows=rows)
            continue
        breaks = _page_breaks(item)
        style_name = _style_name(item)
        is_code = _is_code(item, style_name)
        if code and (breaks == "before" or not is_code):
            yield Block(kind="code", text="\n".join(code).strip("\n"))
            code = []
        if breaks == "before":
            yield Block(kind="page_break")
        if is_code:
            code.append(item.text.rstrip())
        else:
            block = _paragraph_block(item, style_name, numbering, has_title=has_title)
            if block is not None:
                yield block
        if breaks == "after":
            if code:
                yield Block(kind="code", text="\n".join(code).strip("\n"))
                code = []
            yield Block(kind="page_break")
    if code:
        yield Block(kind="code", text="\n".join(code).strip("\n"))


def _paragraph_block(
    paragraph: Paragraph,
    style_name: str,
    numbering: _Numbering,
    *,
    has_title: bool,
) -> Block | None:
    text = " ".join(paragraph.text.split())
    if not text:
        return None
    if style_name == "Title":
        return Block(kind="heading", text=text, level=1)
    if heading := _HEADING_STYLE.fullmatch(style_name):
        level = int(heading.group(1)) + (1 if has_title else 0)
        return Block(kind="heading", text=text, level=min(level, 6))
    if style_name in _QUOTE_STYLES:
        return Block(kind="quote", text=text)
    list_style = _LIST_STYLE.fullmatch(style_name)
    numbered = numbering.of(paragraph)
    if numbered is not None or list_style:
        if numbered is not None:
            level, ordered = numbered
        else:
            level, ordered = 0, "Number" in style_name
        if list_style and list_style.group(1) and not level:
            level = int(list_style.group(1)) - 1
        return Block(kind="list_item", text=text, level=min(level, 5), ordered=ordered)
    return Block(kind="paragraph", text=text)


def _style_name(paragraph: Paragraph) -> str:
    return paragraph.style.name if paragraph.style is not None else ""


def _is_code(paragraph: Paragraph, style_name: str) -> bool:
    if style_name in _CODE_STYLES or "Code" in style_name:
        return True
    runs = [run for run in paragraph.runs if run.text.strip()]
    return bool(runs) and all(run.font.name in _MONOSPACE_FONTS for run in runs)


def _page_breaks(paragraph: Paragraph) -> str:
    """Return "before", "after" or "" for a page break set on ``paragraph``.

    A break before any of the paragraph's text (or ``pageBreakBefore``)
    comes before it; one after some text comes after it.
    """
    element = paragraph._p
    properties = element.pPr
    if (
        properties is not None
        and properties.find(f"{{{_W}}}pageBreakBefore") is not None
    ):
        return "before"
    seen_text = False
    for node in element.iter(_PAGE_BREAK, f"{{{_W}}}t"):
        if node.tag == f"{{{_W}}}t":
            seen_text = seen_text or bool((node.text or "").strip())
        elif node.get(f"{{{_W}}}type") == "page":
            return "after" if seen_text else "before"
    return ""


class _Numbering:
    """Tell whether a paragraph is numbered, at which level, and how.

    Word keeps a paragraph's numbering (``w:numPr``) on the paragraph or on
    its style; the numbering part says whether a level shows bullets or
    numbers.
    """

    def __init__(self, document: Document) -> None:
        try:
            self.element = document.part.numbering_part.element
        except (KeyError, NotImplementedError):
            self.element = None

    def of(self, paragraph: Paragraph) -> tuple[int, bool] | None:
        """Return ``(level, ordered)`` for a numbered paragraph, else ``None``."""
        num_pr = _num_pr(paragraph._p.pPr)
        style = paragraph.style
        while num_pr is None and style is not None:
            num_pr = _num_pr(style.element.pPr)
            style = style.base_style
        if num_pr is None:
            return None
        num_id = num_pr.find(f"{{{_W}}}numId")
        level_element = num_pr.find(f"{{{_W}}}ilvl")
        num = num_id.get(f"{{{_W}}}val") if num_id is not None else None
        if num is None or num == "0":  # numId 0 switches numbering off
            return None
        level = (
            int(level_element.get(f"{{{_W}}}val", "0"))
            if level_element is not None
            else 0
        )
        return level, self._ordered(num, level)

    def _ordered(self, num_id: str, level: int) -> bool:
        if self.element is None:
            return False
        formats = self.element.xpath(
            f"./w:num[@w:numId='{int(num_id)}']/w:abstractNumId/@w:val"
        )
        if not formats:
            return False
        found = self.element.xpath(
            f"./w:abstractNum[@w:abstractNumId='{int(formats[0])}']"
            f"/w:lvl[@w:ilvl='{level}']/w:numFmt/@w:val"
        )
        return bool(found) and found[0] not in ("bullet", "none")


def _num_pr(properties):  # an lxml element or None
    return properties.find(f"{{{_W}}}numPr") if properties is not None else None


def _blocks_html(blocks: list[Block], *, has_title: bool) -> str:
    """Return ``blocks`` as HTML, for reading (escaped; the caller cleans it)."""
    pieces: list[str] = []
    open_lists: list[str] = []

    def close_lists(depth: int) -> None:
        while len(open_lists) > depth:
            pieces.append(f"</li></{open_lists.pop()}>")

    for block in blocks:
        if block.kind != "list_item":
            close_lists(0)
        if block.kind == "heading":
            tag = f"h{min(block.level + (0 if has_title else 1), 6)}"
            pieces.append(f"<{tag}>{escape(block.text)}</{tag}>")
        elif block.kind == "paragraph":
            pieces.append(f"<p>{escape(block.text)}</p>")
        elif block.kind == "quote":
            pieces.append(f"<blockquote><p>{escape(block.text)}</p></blockquote>")
        elif block.kind == "code":
            pieces.append(f"<pre><code>{escape(block.text)}</code></pre>")
        elif block.kind == "table":
            rows = "".join(
                "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>"
                for row in block.rows
            )
            pieces.append(f"<table><tbody>{rows}</tbody></table>")
        elif block.kind == "list_item":
            depth = block.level + 1
            if len(open_lists) >= depth:
                close_lists(depth)
                pieces.append("</li>")
            while len(open_lists) < depth:
                tag = "ol" if block.ordered else "ul"
                pieces.append(f"<{tag}>")
                open_lists.append(tag)
            pieces.append(f"<li>{escape(block.text)}")
    close_lists(0)
    return "\n".join(pieces)


def _blocks_text(blocks: list[Block]) -> str:
    """Return the plain text: one paragraph per block, table rows as tab-separated lines."""
    pieces = []
    for block in blocks:
        if block.kind == "table":
            pieces.append("\n".join("\t".join(row) for row in block.rows))
        elif block.text:
            pieces.append(block.text)
    return "\n\n".join(pieces)


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
