"""Text segmentation for summarizers: sentences, word counts, budget cuts.

``sentences_split`` turns a document's plain text (what the parsers extract)
into ordered units a summarizer can pick from: sentences of prose, headings,
list items and dialogue turns. It is a rule-based splitter, linear in the
text's length, that needs no model:

- paragraphs are separated by blank lines;
- Markdown headings (``# Title``, or a line underlined with ``===``/``---``)
  and short unpunctuated title lines (what the parsers leave of HTML, DOCX and
  PDF headings) are headings;
- ``-``/``*``/``+``/``•``/``1.``/``1)`` lines are list items;
- in a transcript (two or more lines such as ``#Person1#: ...`` or
  ``Anna: ...``), each speaker line is one unit;
- hard-wrapped lines are joined back before sentences are split;
- sentences end at ``. ! ? …`` followed by a space and a capital, digit or
  opening quote (so lower-case continuations, decimals like ``3.5``,
  abbreviations like ``e.g.``/``Dr.`` and initials stay inside), and at
  ``。！？；…`` in Chinese and Japanese text, closing quotes ``”」』）``
  included.

pysbd was considered: it handles English well but is unmaintained since 2021,
moves Chinese closing quotes to the next sentence, and has super-linear cases
(a long digit run after a period hangs it, nipunsadvilkar/pySBD#76).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from summaries.backends.base import SummaryBudget

__all__ = [
    "Sentence",
    "sentences_join",
    "sentences_of",
    "sentences_split",
    "text_word_count",
    "truncate_to_budget",
]


@dataclass(frozen=True)
class Sentence:
    """One selectable unit of a document.

    ``index`` is the unit's position in the document (0-based, no gaps) and
    ``paragraph`` the position of the blank-line separated block it is in
    (a heading is a paragraph of its own). ``is_turn`` marks a speaker line
    of a transcript, kept whole with its speaker.
    """

    text: str
    index: int
    paragraph: int
    is_heading: bool = False
    is_list_item: bool = False
    is_turn: bool = False

    @property
    def stands_alone(self) -> bool:
        """Whether the unit needs a line of its own when units are joined again."""
        return self.is_heading or self.is_list_item or self.is_turn


# Same definition as the documents app's word count, so budgets and the
# stored ``Document.word_count`` agree: each CJK ideograph is a word.
_WORD = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W_]+(?:['’][^\W_]+)*")
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
_CJK_CHAR = re.compile(f"[{_CJK}]")

_ATX_HEADING = re.compile(r"^\s{0,3}#{1,6}[ \t]+(\S.*)$")
_SETEXT_UNDERLINE = re.compile(r"^\s{0,3}(?:=+|-+)[ \t]*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•●▪‣◦]|\(?\d{1,3}[.)]|[a-zA-Z][.)])[ \t]+(\S.*)$")
# "#Person1#: ...", "Anna: ...", "Dr. Lee: ...", "主持人：..." - a name of at
# most five words before a colon.
_SPEAKER_TURN = re.compile(
    r"^\s*(?:#[^#\n]{1,40}#|[^\W\d_][\w.'’-]*(?:[ \t][\w.'’-]+){0,4}|"
    f"[{_CJK}]{{1,8}})[ \t]*[:：][ \t]*\\S"
)
_THEMATIC_BREAK = re.compile(
    r"^\s{0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$"
)

# Candidate ends of a Latin-script sentence: terminators, then closing
# quotes/brackets, then whitespace. Whether it really ends is decided by
# looking at the words on both sides.
_LATIN_END = re.compile(r"([.!?…]+)([\"'”’»)\]]*)(\s+)")
# Ends of a CJK sentence: no space follows, so the terminator itself decides.
_CJK_END = re.compile(r"([。！？；]+|…{1,2}|\.{3,6}|[!?]+)([”’」』）)】》〉\"']*)")
_CJK_FULLWIDTH_END = re.compile(r"[。！？；]")
_CJK_CLOSERS = tuple("。！？；…”’」』）】》〉")

_SENTENCE_PUNCTUATION = tuple(".!?…。！？；:：\"'”’)」』")
_TITLE_MAX_WORDS = 12

# Abbreviations after which a period never ends a sentence: titles and words
# always followed by more of the sentence.
_NEVER_FINAL = {
    "mr", "mrs", "ms", "mx", "dr", "prof", "sr", "jr", "st", "mt", "rev",
    "hon", "gen", "col", "lt", "capt", "cpt", "sgt", "cmdr", "adm", "maj", "gov",
    "sen", "rep", "pres", "supt", "insp", "det", "messrs", "mme", "mlle",
    "e.g", "i.e", "eg", "ie", "cf", "vs", "v", "viz", "approx", "ca", "al",
    "fig", "figs", "vol", "vols", "ch", "chap", "sec", "pp", "p", "para",
    "dept", "univ", "assn", "ave", "blvd", "rd", "hwy", "tues", "thurs",
}  # fmt: skip
# Words that are abbreviations only before a number ("No. 5", "Jan. 3") and
# ordinary words at the end of a sentence otherwise ("The answer is no.").
_BEFORE_NUMBER = {
    "no", "nos", "art", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec",
}  # fmt: skip
# Abbreviations that often end a sentence too: a period after them ends one
# only when the next word usually starts a sentence.
_MAYBE_FINAL = {
    "etc", "inc", "ltd", "co", "corp", "llc", "plc", "bros", "ft",
    "a.m", "p.m", "u.s", "u.k", "u.n", "e.u", "d.c", "u.s.a", "ph.d",
    "b.a", "m.a", "b.sc", "m.sc", "a.d", "b.c",
}  # fmt: skip
_LANGUAGE_ABBREVIATIONS = {
    "de": {"z.b", "bzw", "usw", "ggf", "vgl", "d.h", "u.a", "s", "nr", "hr", "fr",
           "dipl", "ing", "evtl", "inkl", "zzgl", "ca", "bspw", "u.ä", "o.ä"},
    "fr": {"mm", "mme", "mlle", "env", "p.ex", "av", "bd", "cf", "chap"},
    "es": {"sr", "sra", "srta", "ud", "uds", "dña", "p.ej", "pág", "núm", "av"},
    "it": {"sig", "sig.ra", "dott", "ing", "avv", "pag", "ecc"},
    "nl": {"dhr", "mevr", "bijv", "blz", "o.a", "d.w.z", "m.b.t", "t.a.v", "nr"},
    "pt": {"sr", "sra", "dr", "dra", "pág", "av", "nº"},
}  # fmt: skip
_ALL_LANGUAGE_ABBREVIATIONS = set().union(*_LANGUAGE_ABBREVIATIONS.values())
# Words that start sentences far more often than they follow "U.S." or "Inc.".
_SENTENCE_STARTERS = {
    "a", "an", "the", "he", "she", "it", "they", "we", "i", "you", "this", "that",
    "these", "those", "there", "his", "her", "its", "their", "our", "my", "but",
    "and", "so", "yet", "however", "in", "on", "at", "for", "if", "when", "while",
    "after", "before", "as", "what", "why", "how", "who", "where", "some", "many",
    "most", "all", "both", "each", "one", "no", "not", "then", "also", "meanwhile",
}  # fmt: skip


def sentences_split(text: str, *, language: str | None = None) -> list[Sentence]:
    """Return the units of ``text`` in document order.

    ``language`` (ISO 639-1) adds that language's abbreviations; without it
    the abbreviations of every supported language apply. Chinese and Japanese
    need no hint: their punctuation is recognised wherever it appears.
    """
    abbreviations = _abbreviations_for(language)
    units: list[Sentence] = []
    paragraph = -1
    for block in _blocks(text):
        for kind, lines in _block_parts(block):
            paragraph += 1
            for piece in _part_units(kind, lines, abbreviations):
                units.append(
                    Sentence(
                        text=piece,
                        index=len(units),
                        paragraph=paragraph,
                        is_heading=kind == "heading",
                        is_list_item=kind == "list",
                        is_turn=kind == "turns",
                    )
                )
    return units


def sentences_of(text: str, *, language: str | None = None) -> list[str]:
    """Return the sentences of one run of prose (no headings or lists in it)."""
    return _split_run(" ".join(text.split()), _abbreviations_for(language))


def sentences_join(sentences: Sequence[Sentence]) -> str:
    """Return ``sentences`` as text that ``sentences_split`` reads back into them.

    Prose sentences of one paragraph share a line; headings, list items,
    dialogue turns and sentences from another paragraph start a new line.
    """
    pieces: list[str] = []
    previous: Sentence | None = None
    for sentence in sentences:
        if previous is not None:
            same_line = (
                sentence.paragraph == previous.paragraph
                and not sentence.stands_alone
                and not previous.stands_alone
            )
            pieces.append(
                _inline_separator(previous.text, sentence.text) if same_line else "\n"
            )
        pieces.append(sentence.text)
        previous = sentence
    return "".join(pieces)


def _inline_separator(left: str, right: str) -> str:
    """Return " " between Latin-script sentences and nothing after or before CJK text."""
    if (
        _CJK_CHAR.match(right[:1])
        or left.endswith(_CJK_CLOSERS)
        or _CJK_CHAR.match(left[-1:])
    ):
        return ""
    return " "


def text_word_count(text: str) -> int:
    """Count words; each CJK ideograph counts as one, as word processors do."""
    return len(_WORD.findall(text))


def truncate_to_budget(text: str, budget: SummaryBudget, *, marker: str = "…") -> str:
    """Return ``text`` cut to fit ``budget``, on a word boundary.

    When anything is cut, ``marker`` is appended (and counted against a
    character budget). Text that fits is returned unchanged.
    """
    text = text.strip()
    if budget.size <= 0:
        return ""
    if budget.unit == "chars":
        if len(text) <= budget.size:
            return text
        limit = max(0, budget.size - len(marker))
        cut = _last_word_end(text, limit=limit)
    else:
        words = list(_WORD.finditer(text))
        if len(words) <= budget.size:
            return text
        cut = words[budget.size - 1].end()
        # Closing punctuation that belongs to the last kept word stays.
        while cut < len(text) and text[cut] in "\"'”’)]」』":
            cut += 1
    kept = text[:cut].rstrip(" \t\n,;:-–—(")
    return f"{kept}{marker}" if kept else ""


def _last_word_end(text: str, *, limit: int) -> int:
    """Return the end of the last whole word within ``text[:limit]``."""
    best = 0
    for match in _WORD.finditer(text, 0, limit + 1):
        if match.end() > limit:
            break
        if match.end() == len(text) or match.end() == limit:
            # A word cut by the limit is whole only if nothing of it follows.
            following = text[match.end() : match.end() + 1]
            if following and _WORD.match(following) and not _CJK_CHAR.match(following):
                break
        best = match.end()
    return best


def _abbreviations_for(language: str | None) -> frozenset[str]:
    base = _NEVER_FINAL
    if language is None:
        return frozenset(base | _ALL_LANGUAGE_ABBREVIATIONS)
    return frozenset(base | _LANGUAGE_ABBREVIATIONS.get(language.lower()[:2], set()))


def _blocks(text: str) -> list[list[str]]:
    """Split ``text`` into blank-line separated blocks of stripped lines."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        if line:
            current.append(line.replace("\t", " "))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _block_parts(block: list[str]) -> list[tuple[str, list[list[str]]]]:
    """Split a block into parts: ``heading``, ``turns``, ``list`` or ``prose``.

    Each part is a paragraph of its own (consecutive list items share one)
    and holds entries of raw lines: a turn with its wrapped continuation
    lines, a list item, or one line of prose.
    """
    is_transcript = sum(1 for line in block if _SPEAKER_TURN.match(line)) >= 2
    parts: list[tuple[str, list[list[str]]]] = []

    def add(kind: str, line: str) -> None:
        if parts and parts[-1][0] == kind and kind in {"prose", "list", "turns"}:
            parts[-1][1].append([line])
        else:
            parts.append((kind, [[line]]))

    for position, line in enumerate(block):
        following = block[position + 1] if position + 1 < len(block) else ""
        if _THEMATIC_BREAK.match(line) and not (parts and parts[-1][0] == "prose"):
            continue
        if _SETEXT_UNDERLINE.match(line) and parts and parts[-1][0] == "prose":
            # The line above is a setext heading; a longer paragraph above an
            # underline stays prose (a thematic break).
            previous = parts[-1][1]
            if (
                len(previous) == 1
                and text_word_count(previous[0][0]) <= _TITLE_MAX_WORDS
            ):
                parts[-1] = ("heading", previous)
            continue
        heading = _ATX_HEADING.match(line)
        if heading and (title := _closing_hashes_removed(heading.group(1))):
            parts.append(("heading", [[title]]))
        elif is_transcript and _SPEAKER_TURN.match(line):
            add("turns", line)
        elif (item := _LIST_ITEM.match(line)) and not _looks_like_sentence_start(line):
            add("list", item.group(1))
        elif _is_title_line(
            line,
            following=following,
            starts_block=not parts and position == 0,
            single=len(block) == 1,
        ):
            parts.append(("heading", [[line]]))
        elif parts and parts[-1][0] == "turns":
            # A wrapped continuation of the speaker line above.
            parts[-1][1][-1].append(line)
        else:
            add("prose", line)
    return parts


def _closing_hashes_removed(title: str) -> str:
    """Return a Markdown heading's text without its optional closing ``#``s."""
    stripped = title.rstrip("#")
    if stripped != title and (not stripped or stripped[-1] in " \t"):
        return stripped.strip()
    return title.strip()


def _looks_like_sentence_start(line: str) -> bool:
    """Tell "1. Install it" (a list item) from "3.5 percent rose" or "A. Smith said"."""
    return bool(re.match(r"^\s*(?:\d+\.\d|[A-Z]\.\s*[A-Z][a-z]*\.?\s)", line))


def _is_title_line(
    line: str, *, following: str, starts_block: bool, single: bool
) -> bool:
    """Whether ``line`` is a heading that lost its markup (HTML, DOCX or PDF text).

    A title line is short, has no closing punctuation, and starts its block;
    it is followed by a capitalised line, or is a block of its own.
    """
    if not starts_block or line.endswith(_SENTENCE_PUNCTUATION) or line.endswith(","):
        return False
    if text_word_count(line) > _TITLE_MAX_WORDS or not _starts_capitalised(line):
        return False
    if single:
        return True
    return bool(following) and _starts_capitalised(following)


def _starts_capitalised(line: str) -> bool:
    for char in line:
        if char.isalpha():
            return not char.islower()
        if char.isdigit():
            return True
    return False


def _part_units(
    kind: str, entries: list[list[str]], abbreviations: frozenset[str]
) -> list[str]:
    """Return the text of each unit of a part."""
    if kind in {"heading", "turns"}:
        return [" ".join(_lines_joined(lines).split()) for lines in entries]
    if kind == "list":
        return [
            sentence
            for lines in entries
            for sentence in _split_run(_lines_joined(lines), abbreviations)
        ]
    return _split_prose([lines[0] for lines in entries], abbreviations)


def _split_prose(lines: list[str], abbreviations: frozenset[str]) -> list[str]:
    """Join hard-wrapped lines back into runs, then split each run into sentences.

    A line break is kept as a boundary when the line before is clearly
    shorter than the block's wrapped lines and ends without punctuation
    (an unmarked list item, an address line, a table row).
    """
    widest = max(len(line) for line in lines)
    many = len(lines) > 2
    runs: list[list[str]] = []
    for line in lines:
        if runs and not _keeps_break(runs[-1][-1], line, widest=widest, many=many):
            runs[-1].append(line)
        else:
            runs.append([line])
    return [
        sentence
        for run in runs
        for sentence in _split_run(_lines_joined(run), abbreviations)
    ]


def _keeps_break(previous: str, line: str, *, widest: int, many: bool) -> bool:
    if not _starts_capitalised(line) and not _CJK_CHAR.match(line):
        return False
    if previous.endswith((",", "-", "–", "—", "(", "/", "&")):
        return False
    return many and len(previous) < 0.6 * widest


def _lines_joined(lines: list[str]) -> str:
    """Join wrapped lines: with a space, or with nothing between CJK text and after a hyphen."""
    pieces = [lines[0]]
    for left, right in itertools.pairwise(lines):
        pieces.append(_line_separator(left, right))
        pieces.append(right)
    return "".join(pieces)


def _line_separator(left: str, right: str) -> str:
    if _CJK_CHAR.match(left[-1:]) and _CJK_CHAR.match(right[:1]):
        return ""
    if len(left) > 1 and left[-1] == "-" and left[-2].isalpha() and right[:1].islower():
        # A word hyphenated at the line end keeps its hyphen: "well-\nknown"
        # cannot be told from "docu-\nment".
        return ""
    return " "


def _split_run(run: str, abbreviations: frozenset[str]) -> list[str]:
    """Split one run of text (no line breaks) into sentences."""
    sentences: list[str] = []
    for latin_piece in _split_latin(run, abbreviations):
        sentences.extend(_split_cjk(latin_piece))
    return [" ".join(sentence.split()) for sentence in sentences if sentence.strip()]


def _split_latin(run: str, abbreviations: frozenset[str]) -> list[str]:
    pieces: list[str] = []
    start = 0
    for match in _LATIN_END.finditer(run):
        if _ends_sentence(run, match, abbreviations):
            pieces.append(run[start : match.end(2)])
            start = match.end()
    pieces.append(run[start:])
    return pieces


def _ends_sentence(
    run: str, match: re.Match[str], abbreviations: frozenset[str]
) -> bool:
    terminators, closers = match.group(1), match.group(2)
    following = run[match.end() : match.end() + 40]
    if not following:
        return True
    first = following[0]
    if first.islower():
        # "e.g. apples", '"Why?" she asked', "3 p.m. today": no new sentence.
        return False
    # Past lower case, any letter starts a sentence: capitals, CJK, and the
    # caseless scripts (Arabic, Hindi, Thai...).
    if not (first.isalpha() or first.isdigit() or first in "\"'“‘«([¿¡"):
        return False
    if terminators != "." or closers:
        # "!", "?", "…" and "..." end a sentence before a capital; a closing
        # quote after a period does too.
        return True
    word = _word_before(run, match.start(1))
    lowered = word.lower()
    if lowered in abbreviations:
        return False
    if lowered in _BEFORE_NUMBER:
        return not first.isdigit()
    next_word = re.match(r"[\w’']+", following)
    next_lowered = next_word.group(0).lower() if next_word else ""
    if lowered in _MAYBE_FINAL or re.fullmatch(r"(?:[^\W\d_]\.)+[^\W\d_]", word):
        # "U.S. The" ends a sentence; "U.S. Army" and "J.R.R. Tolkien" do not.
        return next_lowered in _SENTENCE_STARTERS
    if len(word) == 1 and word.isalpha() and word.isupper():
        # An initial: "J. Smith". "Plan B. Then" is rarer than initials.
        return next_lowered in _SENTENCE_STARTERS and next_lowered != "a"
    return True


def _word_before(run: str, end: int) -> str:
    """Return the token that ends at ``end``: letters, digits and inner periods."""
    start = end
    while start > 0 and (run[start - 1].isalnum() or run[start - 1] in ".-’'"):
        start -= 1
    return run[start:end].strip(".-’'")


def _split_cjk(piece: str) -> list[str]:
    if not _CJK_CHAR.search(piece):
        return [piece]
    sentences: list[str] = []
    start = 0
    for match in _CJK_END.finditer(piece):
        terminator = match.group(1)
        before = piece[match.start(1) - 1 : match.start(1)]
        after = piece[match.end() : match.end() + 1]
        fullwidth = bool(_CJK_FULLWIDTH_END.match(terminator)) or terminator.startswith(
            "…"
        )
        if not fullwidth and not _CJK_CHAR.match(before):
            # "?" or "..." inside Latin text in a CJK document.
            continue
        if not fullwidth and after and not (_CJK_CHAR.match(after) or after.isspace()):
            continue
        if terminator.startswith(("…", ".")) and not (
            _CJK_CHAR.match(before) or before in "”」』"
        ):
            continue
        if match.group(2) and after in {"と", "っ"}:
            # Japanese quotative: 「...。」と言った continues the sentence.
            continue
        if after and not after.strip() and not fullwidth:
            continue
        sentences.append(piece[start : match.end()])
        start = match.end()
    sentences.append(piece[start:])
    return sentences
