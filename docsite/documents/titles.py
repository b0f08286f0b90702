"""The one rule that names a document; every ingestion path calls it.

A title someone typed wins. Otherwise the content names the document: its
first heading, then a title from the file's metadata, then its first line
when that line reads as a title. The file name comes last, because names like
``forecast-review.pdf`` or ``scan_0042.pdf`` say little. Metadata titles that
editors and converters fill in by themselves ("Word Document", "Untitled",
"Microsoft Word - report.docx", the file's own name) are ignored.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from pathlib import PurePath

from .names import MAX_TITLE_CHARS
from .parsers.base import Block, ParsedDocument

# A first line longer than this is a sentence or a paragraph, not a title.
MAX_LINE_TITLE_CHARS = 120
MAX_LINE_TITLE_WORDS = 16
# A heading this far into the document is a section, not the document's name.
HEADING_WITHIN_BLOCKS = 3

_GENERIC = re.compile(
    r"""^(?:
        untitled(?:\s+document)?(?:\s*\d+)?
      | (?:new\s+)?(?:microsoft\s+)?(?:word|office\s+word)\s+document(?:\s*\d+)?
      | (?:new\s+)?document\s*\d*
      | (?:microsoft\s+)?powerpoint\s+presentation
      | presentation\s*\d*
      | slide\s*\d+
      | title
      | no\s+title
      | page\s*\d+
      | draft
      | template
      | (?:microsoft\s+(?:word|excel|powerpoint)|adobe\s+acrobat|acrobat)\s+-\s+.*
      | .*\.(?:docx?|pdf|txt|md|html?|rtf|odt|pages)
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_ENDS_LIKE_A_SENTENCE = re.compile(r"[.,;:]$")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_STARTS_LIKE_A_TITLE = re.compile(r"^[\"“'‘(\[]?[^\W_a-z]")


def _clean(title: str) -> str:
    return " ".join(title.split())[:MAX_TITLE_CHARS]


def title_is_generic(title: str, *, filename: str = "") -> bool:
    """True when ``title`` names no document: empty, boilerplate, or the file's name."""
    title = _clean(title)
    if not title or not _HAS_LETTER.search(title):
        return True
    if _GENERIC.match(title):
        return True
    if filename:
        # The file's own name, as converters copy it; "Code Review Guidelines"
        # for code-review-guidelines.md is a real title, "code review
        # guidelines" is the name again.
        stem = PurePath(filename).stem
        if title.lower() in {PurePath(filename).name.lower(), stem.lower()}:
            return True
        if title == _humanize(stem):
            return True
    return False


def _humanize(stem: str) -> str:
    return " ".join(re.sub(r"[_\-.]+", " ", stem).split())


def title_from_filename(filename: str) -> str:
    """``forecast-review.pdf`` → ``Forecast review``; the last resort."""
    title = _humanize(PurePath(filename).stem) if filename else ""
    if title and title == title.lower():
        title = title[0].upper() + title[1:]
    return title[:MAX_TITLE_CHARS]


def _first_heading(blocks: Iterable[Block]) -> str:
    """The heading that opens the document, or a level-1 heading near its top."""
    content = [block for block in blocks if block.kind != "page_break"]
    for index, block in enumerate(content[:HEADING_WITHIN_BLOCKS]):
        opens = index == 0 or block.level == 1
        if block.kind == "heading" and block.text.strip() and opens:
            return _unshouted(block.text)
    return ""


def _unshouted(line: str) -> str:
    """Return a heading set in capitals in title case ("LOAD TESTING" → "Load Testing")."""
    if line.isupper() and line.isascii() and len(line.split()) > 1:
        return string.capwords(line)
    return line


def _first_line(text: str) -> tuple[str, bool]:
    """Return the first non-empty line and whether a blank line or the end follows it."""
    lines = text.lstrip().split("\n")
    first = lines[0].strip() if lines else ""
    stands_alone = len(lines) == 1 or not lines[1].strip()
    return first, stands_alone


def title_from_first_line(text: str) -> str:
    """Return the first line of ``text`` when it reads as a title, else ``""``.

    A title line is short, starts with a capital (or a digit, or a script
    without case), does not end like a sentence, and stands alone or is in
    title case. A line in capitals is set in title case.
    """
    line, stands_alone = _first_line(text)
    if not line or len(line) > MAX_LINE_TITLE_CHARS:
        return ""
    words = line.split()
    if len(words) > MAX_LINE_TITLE_WORDS or _ENDS_LIKE_A_SENTENCE.search(line):
        return ""
    if not _STARTS_LIKE_A_TITLE.match(line) or not _HAS_LETTER.search(line):
        return ""
    capitalised = sum(1 for word in words if not word[:1].islower())
    title_case = capitalised >= max(1, (len(words) + 1) // 2)
    if not (stands_alone or title_case):
        return ""
    return _unshouted(line)


def document_title_choose(*, given: str, parsed: ParsedDocument, filename: str) -> str:
    """Return the title a new or replaced document gets.

    In order: ``given`` (typed by a person or named in an import); the first
    heading of ``parsed.blocks``; the parser's title (metadata, ``<title>``,
    a Markdown heading), unless generic; the first line of the text when it
    reads as a title; the file name made readable.
    """
    if _clean(given):
        return _clean(given)
    candidates = (
        _first_heading(parsed.blocks),
        parsed.title,
        title_from_first_line(parsed.text),
    )
    for candidate in candidates:
        if not title_is_generic(candidate, filename=filename):
            return _clean(candidate)
    from_name = title_from_filename(filename)
    if from_name and not _GENERIC.match(from_name):
        return from_name
    return _opening_words(parsed.text) or from_name or "Untitled"


def _opening_words(text: str, *, words: int = 10) -> str:
    """The start of the first line, for a text with no better name."""
    line, _ = _first_line(text)
    opening = line.split()[:words]
    if not opening:
        return ""
    return " ".join(opening) + ("…" if len(line.split()) > words else "")
