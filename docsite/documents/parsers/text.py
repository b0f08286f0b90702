"""Plain-text parser plugin, and the rules that find structure in plain text.

Plain text carries its structure only in layout, so ``blocks_from_text``
reads it conservatively:

- paragraphs are separated by blank lines, and hard-wrapped lines are joined;
- ``-``/``*``/``+``/``•``/``1.``/``1)``/``a)`` lines are list items, nested
  by indentation, with their wrapped continuation lines;
- ``# Title`` lines and lines underlined with ``===``/``---`` are headings;
  so is a short, unpunctuated, capitalised line standing alone before a
  paragraph or list, or opening a block that continues on the next line;
- fenced (```` ``` ````) and consistently indented blocks are code, unless
  the indented block reads as prose (sentences of mostly lower-case words,
  few code symbols: a bill's or an old e-mail's paragraphs);
- blocks whose lines all split into the same number of cells at tabs or
  ``|`` are tables;
- in a transcript (two or more ``Name: ...`` lines in a block), each
  speaker's turn is a paragraph of its own; a block of ``Field: value``
  lines (e-mail headers, a ticket's properties) is a two-column table
  (``parsers/speakers.py`` tells speakers from fields).
"""

from __future__ import annotations

import re

from docsite.documents.parsers import MIME_TEXT, decode_text
from docsite.documents.parsers.base import (
    CJK_RANGES,
    BaseParser,
    Block,
    ParsedDocument,
)
from docsite.documents.parsers.speakers import fields_of, speaker_turn

_CJK_CHAR = re.compile(f"[{CJK_RANGES}]")
# Each CJK ideograph is a word of its own, also right after digits or Latin
# letters: a run of "word characters" would otherwise swallow the ideographs
# after "2025" or "iPhone" ("10月20日前提交" is 8 words, not 1).
_WORD = re.compile(
    r"[\u3400-\u9fff\uf900-\ufaff]"
    r"|[^\W_\u3400-\u9fff\uf900-\ufaff]+(?:['’][^\W_\u3400-\u9fff\uf900-\ufaff]+)*"
)

_ATX_HEADING = re.compile(r"^\s{0,3}(#{1,6})[ \t]+(\S.*?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r"^\s{0,3}(=+|-+)[ \t]*$")
_BULLET = re.compile(r"^([ \t]*)([-*+•●▪‣◦])[ \t]+(\S.*)$")
_NUMBERED = re.compile(r"^([ \t]*)(\(?(?:\d{1,3}|[a-zA-Z])[.)])[ \t]+(\S.*)$")
_FENCE = re.compile(r"^[ \t]{0,3}(```+|~~~+)")
_THEMATIC_BREAK = re.compile(
    r"^\s{0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,}|(?:=[ \t]*){3,})$"
)
_PROSE_WORD = re.compile(r"[^\W\d_]+")
_SENTENCE_STOP = re.compile(r"[.!?](?:[\"'’”)]*)(?:\s|$)")
_CODE_SYMBOLS = frozenset("{}[]()<>=;$\\|_/*#@`~^")
_TABLE_RULE = re.compile(r"^[\s|:+-]+$")
_SENTENCE_END = tuple(".!?…。！？；;:：,，、")
_CLOSERS = "\"'”’)]」』）"
_TITLE_MAX_WORDS = 12
# A line ending on one of these words is a wrapped sentence, not a title.
_CONTINUING_WORDS = frozenset(
    {
        *("a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at"),
        *("for", "with", "by", "from", "as", "that", "which", "who", "is", "are"),
        *("was", "were", "be", "our", "your", "their", "its", "this", "these"),
    }
)
_INDENT_STEP = 2


class TextParser(BaseParser):
    """Read plain text in any encoding ``decode_text`` recognises.

    The text is kept as written; ``blocks`` hold what ``blocks_from_text``
    finds in it.
    """

    name = "text"
    version = "3"  # 3: field blocks are tables; indented prose is no code
    mime_types = (MIME_TEXT,)
    extensions = (".txt", ".text", ".log", ".csv")

    def parse(self, data: bytes, *, filename: str) -> ParsedDocument:
        text = decode_text(data, filename=filename)
        return ParsedDocument(text=text, blocks=blocks_from_text(text))


def blocks_from_text(text: str) -> list[Block]:
    """Return the blocks found in plain ``text`` (see the module docstring)."""
    blocks: list[Block] = []
    chunks = _chunks(text)
    for position, (kind, lines) in enumerate(chunks):
        if kind == "code":
            blocks.append(Block(kind="code", text="\n".join(lines)))
            continue
        following = chunks[position + 1][1] if position + 1 < len(chunks) else []
        previous = chunks[position - 1][1] if position else []
        blocks.extend(
            _chunk_blocks(lines, next_chunk=following, previous_chunk=previous)
        )
    return blocks


def _chunks(text: str) -> list[tuple[str, list[str]]]:
    """Split ``text`` into fenced code and blank-line separated chunks of lines."""
    chunks: list[tuple[str, list[str]]] = []
    current: list[str] = []
    fence: str | None = None
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.rstrip()
        if fence is not None:
            if line.strip().startswith(fence):
                chunks.append(("code", current))
                current, fence = [], None
            else:
                current.append(raw.rstrip())
            continue
        if opening := _FENCE.match(line):
            if current:
                chunks.append(("text", current))
            current, fence = [], opening.group(1)
            continue
        if line.strip():
            current.append(line)
        elif current:
            chunks.append(("text", current))
            current = []
    if current:
        chunks.append(("code" if fence is not None else "text", current))
    return [(kind, lines) for kind, lines in chunks if lines]


def _chunk_blocks(
    lines: list[str], *, next_chunk: list[str], previous_chunk: list[str]
) -> list[Block]:
    """Return the blocks of one blank-line separated chunk."""
    underline = _SETEXT_UNDERLINE.match(lines[1]) if len(lines) == 2 else None
    if underline and _word_count(lines[0]) <= 2 * _TITLE_MAX_WORDS:
        level = 1 if underline.group(1).startswith("=") else 2
        return [Block(kind="heading", text=_squash(lines[0]), level=level)]
    if table := _table(lines):
        return [table]
    if (
        all(_indent(line) >= 4 for line in lines)
        and not any(_list_match(line) for line in lines)
        and not _reads_as_indented_prose(lines)
    ):
        common = min(_indent(line) for line in lines)
        return [
            Block(
                kind="code",
                text="\n".join(line.expandtabs(4)[common:] for line in lines),
            )
        ]
    if fields := fields_of(lines):
        return [Block(kind="table", rows=tuple(fields))]
    if sum(1 for line in lines if speaker_turn(line)) >= 2:
        return _turns(lines)

    blocks: list[Block] = []
    rest = lines
    heading = _ATX_HEADING.match(rest[0])
    if heading:
        blocks.append(
            Block(kind="heading", text=heading.group(2), level=len(heading.group(1)))
        )
        rest = rest[1:]
    elif _is_title(rest, next_chunk=next_chunk, previous_chunk=previous_chunk):
        blocks.append(Block(kind="heading", text=_title_text(rest[0]), level=2))
        rest = rest[1:]
    blocks.extend(_body_blocks(rest))
    return blocks


def _body_blocks(lines: list[str]) -> list[Block]:
    """Return the paragraphs and list items of lines that are not a heading."""
    blocks: list[Block] = []
    prose: list[str] = []
    item: list[str] = []
    item_match: re.Match[str] | None = None
    base_indent: int | None = None

    def flush_prose() -> None:
        if prose:
            blocks.extend(
                Block(kind="paragraph", text=_join_lines(run))
                for run in prose_runs(prose)
            )
            prose.clear()

    def flush_item() -> None:
        nonlocal item_match
        if item_match is not None:
            indent = _indent(item_match.group(1))
            level = max(0, (indent - (base_indent or 0)) // _INDENT_STEP)
            ordered = not _BULLET.match(item_match.group(0))
            blocks.append(
                Block(
                    kind="list_item",
                    text=_join_lines(item),
                    level=min(level, 5),
                    ordered=ordered,
                )
            )
            item.clear()
            item_match = None

    for line in lines:
        if _THEMATIC_BREAK.match(line):
            flush_prose()
            flush_item()
            continue
        match = _list_match(line)
        if match:
            flush_prose()
            flush_item()
            if base_indent is None:
                base_indent = _indent(match.group(1))
            item_match = match
            item.append(match.group(3).strip())
        elif item_match is not None and (
            _indent(line) > _indent(item_match.group(1))
            or not starts_capitalised(line.strip())
        ):
            item.append(line.strip())  # a wrapped continuation of the item
        else:
            flush_item()
            prose.append(line.strip())
    flush_prose()
    flush_item()
    return blocks


def _list_match(line: str) -> re.Match[str] | None:
    match = _BULLET.match(line) or _NUMBERED.match(line)
    if match is None:
        return None
    if re.match(r"^\s*(?:\d+\.\d|[A-Z]\.\s*[A-Z][a-z]*\.?\s)", line):
        return None  # "3.5 percent rose", "A. Smith said"
    return match


def _is_title(
    lines: list[str], *, next_chunk: list[str], previous_chunk: list[str]
) -> bool:
    """Whether the first of ``lines`` is a heading that lost its markup.

    It is short, unpunctuated and capitalised, and it either stands alone
    before more text or opens a chunk whose next line is a new start (a
    capital or a list item), not the rest of a wrapped sentence.
    """
    first = lines[0].strip()
    if _list_match(lines[0]):
        # "1. Tests fail in CI" alone above its explanation is a numbered
        # heading; a loose list's items stand alone beside other items.
        if len(lines) > 1 or _BULLET.match(lines[0]):
            return False
        neighbours = [previous_chunk[-1:], next_chunk[:1]]
        if any(_list_match(line) for lines_ in neighbours for line in lines_):
            return False
    if not first or first.rstrip(_CLOSERS).endswith(_SENTENCE_END):
        return False
    if _indent(lines[0]) >= 4:
        return False
    title = _title_text(first)
    if _word_count(title) > _TITLE_MAX_WORDS or not starts_capitalised(title):
        return False
    last_word = title.split()[-1].lower() if title.split() else ""
    if last_word in _CONTINUING_WORDS:
        return False
    if len(lines) == 1:
        return bool(next_chunk) and not _SETEXT_UNDERLINE.match(next_chunk[0])
    following = lines[1].strip()
    if _list_match(lines[1]):
        return True
    widest = max(len(line.strip()) for line in lines[1:])
    return starts_capitalised(following) and len(first) < 0.6 * max(widest, 1)


def _title_text(line: str) -> str:
    """Return a numbered heading's text with its number kept: "1. Setup"."""
    return _squash(line)


def _table(lines: list[str]) -> Block | None:
    """Return ``lines`` as a table when every row splits into the same cells."""
    if len(lines) < 2:
        return None
    for separator in ("\t", "|"):
        rows = [
            _cells(line, separator)
            for line in lines
            if not (separator == "|" and _TABLE_RULE.match(line))
        ]
        widths = {len(row) for row in rows}
        if len(rows) >= 2 and len(widths) == 1 and widths.pop() >= 2:
            return Block(kind="table", rows=tuple(tuple(row) for row in rows))
    return None


def _cells(line: str, separator: str) -> list[str]:
    if separator not in line:
        return [line.strip()]
    stripped = line.strip()
    if separator == "|":
        stripped = stripped.removeprefix("|").removesuffix("|")
    return [_squash(cell) for cell in stripped.split(separator)]


def _turns(lines: list[str]) -> list[Block]:
    """Return each speaker's turn (with its wrapped lines) as a paragraph."""
    turns: list[list[str]] = []
    for line in lines:
        if speaker_turn(line) or not turns:
            turns.append([line.strip()])
        else:
            turns[-1].append(line.strip())
    return [Block(kind="paragraph", text=_join_lines(turn)) for turn in turns]


def prose_runs(lines: list[str]) -> list[list[str]]:
    """Group hard-wrapped lines into paragraphs.

    A line break stays a boundary when the line before is clearly shorter
    than the chunk's wrapped lines and the next starts anew (an unmarked
    list, an address); otherwise the lines are one wrapped paragraph.
    """
    widest = max(len(line) for line in lines)
    many = len(lines) > 2
    runs: list[list[str]] = []
    for line in lines:
        if runs and not _keeps_break(runs[-1][-1], line, widest=widest, many=many):
            runs[-1].append(line)
        else:
            runs.append([line])
    return runs


def _keeps_break(previous: str, line: str, *, widest: int, many: bool) -> bool:
    if not starts_capitalised(line) and not _CJK_CHAR.match(line):
        return False
    if previous.endswith((",", "-", "–", "—", "(", "/", "&")):
        return False
    last_word = previous.rsplit(None, 1)[-1].lower()
    if last_word in _CONTINUING_WORDS:
        return False
    return many and len(previous) < 0.6 * widest


def _reads_as_indented_prose(lines: list[str]) -> bool:
    """Whether an indented block is prose, not code: sentences of mostly
    lower-case words with few code symbols. Legal texts, old e-mails and
    plain-text books indent their paragraphs ("    This Act may be cited
    as ..."); a command or a snippet ("    make smoke ENV=staging") is code.
    """
    text = " ".join(line.strip() for line in lines)
    words = _PROSE_WORD.findall(text)
    if len(words) < 8 or not _SENTENCE_STOP.search(text):
        return False
    lower = sum(1 for word in words if word.islower())
    symbols = sum(1 for char in text if char in _CODE_SYMBOLS)
    return 2 * lower >= len(words) and symbols <= 0.03 * len(text)


def _join_lines(lines: list[str]) -> str:
    """Join wrapped lines: with a space, or nothing between CJK characters."""
    text = lines[0].strip() if lines else ""
    for line in lines[1:]:
        line = line.strip()
        if _CJK_CHAR.match(text[-1:]) and _CJK_CHAR.match(line[:1]):
            text += line
        else:
            text += " " + line
    return _squash(text)


def _squash(text: str) -> str:
    return " ".join(text.split())


def _indent(line: str) -> int:
    return len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())


def _word_count(text: str) -> int:
    return len(_WORD.findall(text))


def starts_capitalised(line: str) -> bool:
    for char in line:
        if char.isalpha():
            return not char.islower()
        if char.isdigit():
            return True
    return False
