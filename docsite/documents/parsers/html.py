"""HTML parser plugin, and the HTML cleaning and text extraction all parsers share.

Every ``ParsedDocument.html`` goes through ``clean_html``: the portal shows it
as-is, so only a fixed set of article tags survives, links keep only http,
https and mailto targets, and nothing can load a remote resource.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import lxml.html
import nh3
from lxml import etree

from docsite.documents.exceptions import CorruptFileError
from docsite.documents.parsers import MIME_HTML, decode_text
from docsite.documents.parsers.base import BaseParser, ParsedDocument
from docsite.documents.parsers.html_blocks import html_blocks

if TYPE_CHECKING:
    from lxml.html import HtmlElement

ALLOWED_TAGS = frozenset(
    {
        *("h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "div", "span"),
        *("ul", "ol", "li", "dl", "dt", "dd", "blockquote", "pre", "code"),
        *("a", "strong", "b", "em", "i", "u", "s", "del", "ins", "mark"),
        *("sub", "sup", "small", "abbr", "cite", "q", "kbd", "samp", "var"),
        *("table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td"),
        *("article", "section", "header", "footer", "aside", "main"),
        *("figure", "figcaption", "details", "summary"),
    }
)
# No img, video, iframe and the like: a remote image in an uploaded file
# would tell its author who read the document, and when.
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Tags removed together with their content, not only their markup.
DROPPED_WITH_CONTENT = frozenset(
    {
        *("script", "style", "template", "noscript", "title"),
        *("iframe", "object", "svg", "textarea", "select"),
    }
)
LINK_REL = "noopener noreferrer"

# Deeper HTML is refused. The sanitizer's tree builder does work
# proportional to the nesting depth for every tag, so 100,000 nested <div>s
# take seconds; real documents stay far below this.
DEFAULT_MAX_DEPTH = 512

_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(ALLOWED_URL_SCHEMES),
    link_rel=LINK_REL,
    strip_comments=True,
)

# How extracted text breaks around block elements: 2 leaves a blank line
# (a paragraph), 1 starts a new line. Breaks that meet merge into the larger.
_PARAGRAPH_BREAK = 2
_LINE_BREAK = 1
_BREAK_AROUND = {
    **dict.fromkeys(
        (
            *("address", "article", "aside", "blockquote", "details", "dl"),
            *("figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header"),
            *("hr", "main", "nav", "ol", "p", "pre", "section", "table", "ul"),
        ),
        _PARAGRAPH_BREAK,
    ),
    **dict.fromkeys(
        ("body", "caption", "dd", "div", "dt", "figcaption", "li", "summary", "tr"),
        _LINE_BREAK,
    ),
}
_CELL_TAGS = frozenset({"td", "th"})
_WHITESPACE = re.compile(r"\s+")
_HEADING_XPATH = "(//h1|//h2|//h3|//h4|//h5|//h6)[1]"
_EXTRA_BLANK_LINES = re.compile(r"\n{3,}")


def clean_html(html: str) -> str:
    """Return ``html`` with everything but safe article markup removed."""
    return _CLEANER.clean(html)


def parse_html(html: str) -> HtmlElement | None:
    """Return the lxml tree of ``html``, or ``None`` when it holds no markup.

    lxml's ``huge_tree`` lifts libxml2's default depth limit of 256, past
    which it would silently drop the rest of the document. Raise
    ``lxml.etree.LxmlError`` or ``ValueError`` when the markup cannot be read.
    """
    if not html.strip():
        return None
    # Bytes with an explicit encoding: lxml refuses str input that carries an
    # XML encoding declaration, which XHTML files often do.
    parser = lxml.html.HTMLParser(encoding="utf-8", huge_tree=True)
    try:
        return lxml.html.document_fromstring(
            html.encode("utf-8", "replace"), parser=parser
        )
    except etree.ParserError:  # "Document is empty": only comments or doctype
        return None


def nesting_exceeds(tree: HtmlElement, *, max_depth: int) -> bool:
    """Return whether any element of ``tree`` lies deeper than ``max_depth``.

    One XPath step per level keeps this linear and inside libxml2.
    """
    return bool(tree.xpath("boolean(" + "/*" * (max_depth + 1) + ")"))


def html_text(tree: HtmlElement) -> str:
    """Return the text of ``tree`` laid out roughly as a browser shows it.

    Block elements start new lines (paragraph-like ones leave a blank line),
    whitespace collapses outside ``<pre>``, and cells of a table row share a
    line.
    """
    return _TextCollector().collect(tree)


class _TextCollector:
    def __init__(self) -> None:
        # Text, or an int: a pending break of that weight.
        self.pieces: list[str | int] = []
        self.pre_depth = 0

    def collect(self, tree: HtmlElement) -> str:
        for event, element in etree.iterwalk(tree, events=("start", "end")):
            tag = element.tag if isinstance(element.tag, str) else None
            if event == "start":
                if tag == "pre":
                    self.pre_depth += 1
                self.add_break(_BREAK_AROUND.get(tag, 0))
                if tag == "br":
                    self.pieces.append("\n")
                elif tag is not None and element.text:
                    self.add_text(element.text)
                continue
            if tag == "pre":
                self.pre_depth -= 1
            self.add_break(_BREAK_AROUND.get(tag, 0))
            if tag in _CELL_TAGS:
                self.add_text(" ")
            if element is not tree and element.tail:
                self.add_text(element.tail)
        text = "".join(
            "\n" * piece if isinstance(piece, int) else piece for piece in self.pieces
        )
        text = "\n".join(line.rstrip() for line in text.split("\n"))
        return _EXTRA_BLANK_LINES.sub("\n\n", text).strip()

    def add_break(self, weight: int) -> None:
        if not weight:
            return
        if self.pieces and isinstance(self.pieces[-1], int):
            self.pieces[-1] = max(self.pieces[-1], weight)
        else:
            self.pieces.append(weight)

    def add_text(self, text: str) -> None:
        if not self.pre_depth:
            text = _WHITESPACE.sub(" ", text)
            last = self.pieces[-1] if self.pieces else 0
            if isinstance(last, int) or last.endswith("\n"):  # at a line start
                text = text.lstrip()
        if text:
            self.pieces.append(text)


def element_text(element: HtmlElement | None) -> str:
    """Return the text of ``element`` on one line, or "" for ``None``."""
    if element is None:
        return ""
    return " ".join(element.text_content().split())


def first_heading(tree: HtmlElement | None) -> str:
    """Return the text of the first heading (any level) in ``tree``."""
    if tree is None:
        return ""
    headings = tree.xpath(_HEADING_XPATH)
    return element_text(headings[0]) if headings else ""


@dataclass(frozen=True)
class SanitizedHtml:
    """Untrusted HTML after cleaning, with the trees parsers read from.

    ``source_tree`` is the markup as sent, for what cleaning removes (the
    ``<title>``); ``clean_tree`` is ``html`` parsed, for text and headings.
    Both are ``None`` when there was no markup at all.
    """

    html: str
    source_tree: HtmlElement | None
    clean_tree: HtmlElement | None


def sanitize_html(markup: str, *, filename: str, max_depth: int) -> SanitizedHtml:
    """Clean untrusted ``markup``; refuse it if damaged or nested too deeply.

    Raise ``CorruptFileError`` naming ``filename`` when the markup cannot be
    read or lies deeper than ``max_depth`` elements.
    """
    try:
        source_tree = parse_html(markup)
        if source_tree is None:
            return SanitizedHtml(html="", source_tree=None, clean_tree=None)
        if nesting_exceeds(source_tree, max_depth=max_depth):
            raise CorruptFileError(
                f"{filename}: the HTML is nested more than {max_depth} levels "
                "deep, too deep to read safely."
            )
        cleaned = clean_html(markup)
        clean_tree = parse_html(cleaned)
    except (etree.LxmlError, ValueError) as error:
        if isinstance(error, CorruptFileError):
            raise
        raise CorruptFileError(
            f"{filename}: the HTML is damaged and could not be read."
        ) from error
    return SanitizedHtml(html=cleaned, source_tree=source_tree, clean_tree=clean_tree)


class HtmlParser(BaseParser):
    """Read HTML pages: cleaned markup for reading, block-aware text for search.

    Options: ``max_depth`` (default 512), the deepest element nesting
    accepted.
    """

    name = "html"
    version = "2"
    mime_types = (MIME_HTML,)
    extensions = (".html", ".htm")

    def __init__(self, *, max_depth: int = DEFAULT_MAX_DEPTH) -> None:
        super().__init__(max_depth=max_depth)
        self.max_depth = max_depth

    def parse(self, data: bytes, *, filename: str) -> ParsedDocument:
        markup = decode_text(data, filename=filename)
        sanitized = sanitize_html(markup, filename=filename, max_depth=self.max_depth)
        if sanitized.clean_tree is None:
            return ParsedDocument(text="", html=sanitized.html)
        title = element_text(sanitized.source_tree.find("head/title")) or element_text(
            sanitized.clean_tree.find(".//h1")
        )
        return ParsedDocument(
            text=html_text(sanitized.clean_tree),
            title=title,
            html=sanitized.html,
            blocks=html_blocks(sanitized.clean_tree),
        )
