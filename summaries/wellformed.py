"""Is a summary well-formed? The checks a reader would make at a glance.

A well-formed summary:

- ends a sentence (``. ! ? …`` or their CJK forms, maybe inside quotes);
- has no markup: no HTML tags, Markdown headings, emphasis, links, code
  spans, list bullets or table rules (with the source's blocks, an HTML tag
  its prose writes is quoted: "slo/<service>.yaml");
- has no dangling colon: no line or summary ends on ":" (its list was
  dropped);
- has no glued heading: no section heading of the source reads as the start
  of a sentence ("What we back up Continuous archiving: ...") or stands as
  a sentence of its own;
- has no table row: no row of a source table (two or more cells) appears
  flattened into the text;
- has no code: no line of a source code block appears in it.

The last three need the source's blocks; without them only the first three
are checked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from docsite.documents.parsers.base import Block

__all__ = ["PROBLEMS", "SummaryCheck", "summary_check", "well_formed_report"]

PROBLEMS = (
    "empty",
    "unterminated",
    "markup",
    "dangling_colon",
    "glued_heading",
    "table_row",
    "code",
)

_TERMINAL = re.compile(r"[.!?…。！？]['\"”’)\]」』）]*$")
_HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
_MARKUP = (
    _HTML_TAG,
    re.compile(r"^\s{0,3}#{1,6}\s", re.MULTILINE),  # Markdown headings
    re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__"),  # strong emphasis
    re.compile(r"\]\([^)\s]*\)"),  # links
    re.compile(r"`[^`\n]+`|```"),  # code spans and fences
    re.compile(r"^\s*[-*+•]\s", re.MULTILINE),  # bullets
    re.compile(r"^\s*\|.*\|\s*$|\|\s*:?-{3,}", re.MULTILINE),  # tables
    re.compile(r"^\s*>\s", re.MULTILINE),  # block quotes
)
_PROSE_KINDS = frozenset({"paragraph", "list_item", "quote"})
_COLON_END = re.compile(r"[:：]\s*$", re.MULTILINE)
# Where a sentence may start: the text's start, or after a sentence end.
_SENTENCE_START = r"(?:^|(?<=[.!?…。！？:：;；\n])\s*|(?<=[.!?…][\"'”’)])\s*)"
# A heading shorter than this is too likely to occur in a sentence by chance.
_MIN_HEADING_CHARS = 6
_MIN_CODE_LINE_CHARS = 10


@dataclass(frozen=True)
class SummaryCheck:
    """The verdict on one summary: ``problems`` names what is wrong (empty if nothing)."""

    problems: tuple[str, ...]
    details: tuple[str, ...] = ()

    @property
    def well_formed(self) -> bool:
        return not self.problems


def summary_check(
    summary: str, *, blocks: Sequence[Block | dict[str, Any]] | None = None
) -> SummaryCheck:
    """Check ``summary`` against the rules above; ``blocks`` are its source's."""
    text = summary.strip()
    if not text:
        return SummaryCheck(problems=("empty",))
    found: dict[str, str] = {}
    if not _TERMINAL.search(text):
        found["unterminated"] = text[-40:]
    parsed = [b if isinstance(b, Block) else Block.from_dict(b) for b in blocks or ()]
    # A tag the source's own prose writes is quoted, not markup left behind:
    # a page about config files may well say "slo/<service>.yaml". Only tags:
    # a bullet's "-" or a quote's ">" is in any prose.
    prose = "\n".join(block.text for block in parsed if block.kind in _PROSE_KINDS)
    for pattern in _MARKUP:
        for match in pattern.finditer(text):
            if pattern is not _HTML_TAG or match.group(0) not in prose:
                found.setdefault("markup", match.group(0))
                break
    if match := _COLON_END.search(text):
        found["dangling_colon"] = text[max(0, match.start() - 40) : match.end()]
    flat = _squashed(text)
    if heading := _glued_heading(text, parsed):
        found["glued_heading"] = heading
    if row := _table_row(flat, parsed):
        found["table_row"] = row
    if line := _code_line(flat, parsed):
        found["code"] = line
    problems = tuple(problem for problem in PROBLEMS if problem in found)
    return SummaryCheck(
        problems=problems, details=tuple(found[problem] for problem in problems)
    )


def _squashed(text: str) -> str:
    return " ".join(text.split())


def _glued_heading(text: str, blocks: list[Block]) -> str:
    """Return a source heading that starts a sentence of ``text`` or is one."""
    for block in blocks:
        heading = _squashed(block.text)
        if block.kind != "heading" or len(heading) < _MIN_HEADING_CHARS:
            continue
        pattern = re.compile(
            _SENTENCE_START
            + re.escape(heading).replace(r"\ ", r"\s+")
            + r"(?:\s*[.。!?！？]?\s*$|\s+(?=[^\W_a-z]))"
        )
        if pattern.search(text):
            return heading
    return ""


def _table_row(flat: str, blocks: list[Block]) -> str:
    """Return a source table row whose cells appear one after another in ``flat``."""
    for block in blocks:
        if block.kind != "table":
            continue
        for row in block.rows:
            cells = [_squashed(cell) for cell in row if cell.strip()]
            if len(cells) < 2:
                continue
            joined = " ".join(cells)
            if joined in flat or "\t".join(cells) in flat:
                return joined
    return ""


def _code_line(flat: str, blocks: list[Block]) -> str:
    """Return a line of a source code block that appears in ``flat``.

    A line the prose quotes too ("run make smoke ENV=staging") is fair to
    summarize, so it does not count.
    """
    prose = " ".join(
        _squashed(block.text)
        for block in blocks
        if block.kind in ("paragraph", "list_item", "quote")
    )
    for block in blocks:
        if block.kind != "code":
            continue
        for line in block.text.splitlines():
            line = _squashed(line)
            if len(line) >= _MIN_CODE_LINE_CHARS and line in flat and line not in prose:
                return line
    return ""


def well_formed_report(
    *,
    summaries: Sequence[str],
    blocks: Sequence[Sequence[Block | dict[str, Any]] | None],
    ids: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Return the share of well-formed ``summaries`` and what failed.

    ``blocks[i]`` are the source blocks of ``summaries[i]`` (``None`` or empty
    when unknown). The report is ``{"rate", "n", "by_problem": {problem:
    count}, "failures": [{"id", "problems", "details", "summary"}]}``; the
    rate is a percentage rounded to 1 place.
    """
    ids = list(ids) if ids is not None else [str(i) for i in range(len(summaries))]
    by_problem = dict.fromkeys(PROBLEMS, 0)
    failures: list[dict[str, Any]] = []
    for identifier, summary, source in zip(ids, summaries, blocks, strict=True):
        check = summary_check(summary, blocks=source)
        for problem in check.problems:
            by_problem[problem] += 1
        if check.problems:
            failures.append(
                {
                    "id": identifier,
                    "problems": list(check.problems),
                    "details": list(check.details),
                    "summary": summary,
                }
            )
    count = len(summaries)
    rate = 100.0 * (count - len(failures)) / count if count else 0.0
    return {
        "rate": round(rate, 1),
        "n": count,
        "by_problem": {name: n for name, n in by_problem.items() if n},
        "failures": failures,
    }
