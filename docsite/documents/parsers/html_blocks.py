"""Blocks from a cleaned HTML tree (what the HTML and Markdown parsers render).

Headings ``h1``-``h6``, paragraphs, list items with their nesting depth,
tables, ``pre`` code and ``blockquote`` quotes become blocks; containers
(``div``, ``section``, ``article``...) are walked through, and text standing
loose in a container becomes a paragraph, so no visible text is lost. Every
text but code has its whitespace collapsed to single spaces.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from docsite.documents.parsers.base import Block

if TYPE_CHECKING:
    from lxml.html import HtmlElement

_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_LISTS = frozenset({"ul", "ol"})
# Elements that end the run of inline text before them.
_BLOCK_TAGS = frozenset(
    {
        *_HEADINGS,
        *_LISTS,
        *("p", "li", "table", "pre", "blockquote", "div", "section", "article"),
        *("header", "footer", "aside", "main", "nav", "figure", "figcaption"),
        *("details", "summary", "dl", "dt", "dd", "hr", "address", "caption"),
        *("body", "html", "tr", "td", "th", "thead", "tbody", "tfoot"),
    }
)
_SKIPPED = frozenset({"head", "script", "style", "template", "title"})


def html_blocks(tree: HtmlElement | None) -> list[Block]:
    """Return the blocks of a cleaned HTML ``tree`` in reading order."""
    if tree is None:
        return []
    walker = _Walker(_elements_holding_blocks(tree))
    body = tree.find("body")
    walker.container(body if body is not None else tree, quote=False)
    return walker.blocks


def _elements_holding_blocks(tree: HtmlElement) -> set[HtmlElement]:
    """Return the elements with a block element somewhere inside them.

    One pass from each block element up to the first marked ancestor keeps
    this linear, however deep the tree.
    """
    holding: set[HtmlElement] = set()
    for element in tree.iter():
        if not isinstance(element.tag, str) or element.tag not in _BLOCK_TAGS:
            continue
        parent = element.getparent()
        while parent is not None and parent not in holding:
            holding.add(parent)
            parent = parent.getparent()
    return holding


class _Walker:
    def __init__(self, holding_blocks: set[HtmlElement]) -> None:
        self.blocks: list[Block] = []
        self.holding_blocks = holding_blocks

    def container(self, element: HtmlElement, *, quote: bool) -> None:
        """Walk a container: block children in turn, loose inline text as paragraphs."""
        loose: list[str] = [element.text or ""]
        for child in element:
            tag = child.tag if isinstance(child.tag, str) else None
            if tag is None or tag in _SKIPPED:
                loose.append(child.tail or "")
                continue
            if tag == "br":
                self.paragraph("".join(loose), quote=quote)
                loose = [child.tail or ""]
                continue
            if tag in _BLOCK_TAGS or child in self.holding_blocks:
                self.paragraph("".join(loose), quote=quote)
                loose = []
                self.element(child, quote=quote)
                loose.append(child.tail or "")
                continue
            loose.append(_inline_text(child))
            loose.append(child.tail or "")
        self.paragraph("".join(loose), quote=quote)

    def element(self, element: HtmlElement, *, quote: bool) -> None:
        tag = element.tag
        if tag in _HEADINGS:
            self.add(
                Block(
                    kind="heading",
                    text=_squash(_inline_text(element)),
                    level=_HEADINGS[tag],
                )
            )
        elif tag in ("p", "dt", "dd", "summary", "figcaption", "caption", "address"):
            if element in self.holding_blocks:
                self.container(element, quote=quote)
            else:
                self.paragraph(_inline_text(element), quote=quote)
        elif tag in _LISTS:
            self.list(element, level=0, quote=quote)
        elif tag == "li":  # outside any list: read as a list of one
            self.list_item(element, level=0, ordered=False, quote=quote)
        elif tag == "table":
            self.table(element)
        elif tag == "pre":
            code = element.text_content().strip("\n")
            if code.strip():
                self.add(Block(kind="code", text=code))
        elif tag == "blockquote":
            self.container(element, quote=True)
        elif tag == "hr":
            return
        else:
            self.container(element, quote=quote)

    def list(self, element: HtmlElement, *, level: int, quote: bool) -> None:
        ordered = element.tag == "ol"
        for child in element:
            if not isinstance(child.tag, str):
                continue
            if child.tag == "li":
                self.list_item(child, level=level, ordered=ordered, quote=quote)
            elif child.tag in _LISTS:
                self.list(child, level=level + 1, quote=quote)
            else:
                self.element(child, quote=quote)

    def list_item(
        self, item: HtmlElement, *, level: int, ordered: bool, quote: bool
    ) -> None:
        """Add the item's own text, then its nested lists and other blocks.

        A loose list's ``<li><p>text</p></li>`` is still one item: the first
        paragraphs and inline text up to the first other block are its text.
        """
        own: list[str] = [item.text or ""]
        rest: list[HtmlElement] = []
        for child in item:
            tag = child.tag if isinstance(child.tag, str) else None
            if rest:
                rest.append(child)
                continue
            if tag is None or tag in _SKIPPED:
                own.append(child.tail or "")
            elif tag == "br":
                own.append(" " + (child.tail or ""))
            elif tag == "p" and child not in self.holding_blocks:
                own.append(" " + _inline_text(child) + " " + (child.tail or ""))
            elif tag in _BLOCK_TAGS or child in self.holding_blocks:
                rest.append(child)
            else:
                own.append(_inline_text(child) + (child.tail or ""))
        text = _squash("".join(own))
        if text:
            self.add(
                Block(kind="list_item", text=text, level=min(level, 5), ordered=ordered)
            )
        for child in rest:
            tag = child.tag if isinstance(child.tag, str) else None
            if tag in _LISTS:
                self.list(child, level=level + 1, quote=quote)
            elif tag is not None and tag not in _SKIPPED:
                self.element(child, quote=quote)
            if child.tail and child.tail.strip():
                self.paragraph(child.tail, quote=quote)

    def table(self, table: HtmlElement) -> None:
        rows: list[tuple[str, ...]] = []
        for row in table.iter("tr"):
            # Cells of nested tables belong to their own table's rows.
            if _nearest_table(row) is not table:
                continue
            cells = tuple(
                _squash(cell.text_content())
                for cell in row
                if isinstance(cell.tag, str) and cell.tag in ("td", "th")
            )
            if any(cells):
                rows.append(cells)
        caption = table.find("caption")
        if caption is not None:
            self.paragraph(_inline_text(caption), quote=False)
        if rows:
            self.add(Block(kind="table", rows=tuple(rows)))

    def paragraph(self, text: str, *, quote: bool) -> None:
        text = _squash(text)
        if text:
            self.add(Block(kind="quote" if quote else "paragraph", text=text))

    def add(self, block: Block) -> None:
        if block.text or block.rows:
            self.blocks.append(block)


def _nearest_table(row: HtmlElement) -> HtmlElement | None:
    parent = row.getparent()
    while parent is not None and parent.tag != "table":
        parent = parent.getparent()
    return parent


def _inline_text(element: HtmlElement) -> str:
    """Return the text inside ``element``, a ``<br>`` read as a space."""
    pieces: list[str] = []
    for event, node in etree.iterwalk(element, events=("start", "end")):
        if event == "start":
            if node.tag == "br":
                pieces.append(" ")
            elif isinstance(node.tag, str) and node.tag not in _SKIPPED and node.text:
                pieces.append(node.text)
        elif node is not element and node.tail:
            pieces.append(node.tail)
    return "".join(pieces)


def _squash(text: str) -> str:
    return " ".join(text.split())
