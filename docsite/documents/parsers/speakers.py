"""What a "Label: ..." line is: a speaker's turn, a field, or neither.

"#Person1#: ...", "Anna: ...", "Dr. Lee: ...", "主持人：..." name a speaker;
"Subject: ...", "Step 2: ...", "The fix is simple: ..." do not, though they
read alike. Two speaker lines in a block make it a transcript, so a false
speaker turns an e-mail's headers or a recipe's steps into dialogue. A block
of fields (e-mail headers, a ticket's properties) is a table of labels and
values.
"""

from __future__ import annotations

import re

from docsite.documents.parsers.base import CJK_RANGES

# A name of at most five words before a colon, maybe with a role or name in
# brackets ("Agent (Nina): ...", "Chair (Cllr Andrews): ...").
_LABELLED_LINE = re.compile(
    r"^\s*(?P<label>#[^#\n]{1,40}#"
    r"|(?P<words>[^\W\d_][\w.'’-]*(?:[ \t][\w.'’-]+){0,4})"
    r"(?P<bracket>[ \t]*\([^()\n]{1,30}\))?|"
    # A Chinese name may carry its role or full name in brackets:
    # "主持人（王芳）：", "王芳（财务部）：".
    f"(?P<cjk>[{CJK_RANGES}]{{1,8}})(?:[（(][^（）()\\n]{{1,12}}[）)])?)[ \t]*[:：][ \t]*\\S"
)

# Labels of fields, not of people: e-mail and ticket headers, contact lines,
# callouts.
_FIELD_WORDS = """
    from to cc bcc subject re fw fwd date sent received reply-to attachments
    phone mobile tel telephone fax email e-mail web website address
    priority severity status state category tags labels assignee reporter
    requester owner product component version environment platform impact
    due deadline location time when where agenda attendees apologies
    contact published updated modified source author rating verdict score
    tip note notes warning caution important hint example ingredients serves
    发件人 收件人 抄送 主题 日期 时间 地点 备注 注意 提示 注 优先级 状态 类别 标签
    负责人 版本 联系人 电话 邮箱 地址 截止日期
"""
_FIELD_LABELS = frozenset(_FIELD_WORDS.split())
# Labels that take a number: "Step 2:", "Day 1:", "步骤3：".
_NUMBERED_WORDS = """
    step part section chapter phase stage option item figure table appendix
    article clause rule day week round 步骤 第
"""
_NUMBERED_LABELS = frozenset(_NUMBERED_WORDS.split())
_NUMERALS = "0123456789一二三四五六七八九十"
_NUMBER = re.compile(r"^(?:\d+|[一二三四五六七八九十]+)[.)]?$")
# Lower-case words a person's name may hold ("Ana de Souza").
_NAME_PARTICLES = frozenset(["de", "da", "di", "del", "der", "den", "van", "von"])


def speaker_turn(line: str) -> re.Match | None:
    """Return the match of a transcript line's speaker label ("Anna: ..."), else None.

    A field label ("Subject:", "Priority:", "Step 2:", "主题：") is no
    speaker, nor is a lead-in phrase with a lower-case word after its first
    ("The fix is simple:", "Notes to editors:"); a role with a name in
    brackets ("Planning officer (Ms Burke):") is one.
    """
    match = _LABELLED_LINE.match(line)
    if match is None or match.group("label").startswith("#"):  # "#Person1#"
        return match
    tokens = (match.group("words") or match.group("cjk")).split()
    first = tokens[0].lower()
    bare = first.rstrip(_NUMERALS)
    numbered = bare != first or (len(tokens) > 1 and _NUMBER.match(tokens[1]))
    if first in _FIELD_LABELS or (numbered and bare in _NUMBERED_LABELS):
        return None
    if match.group("bracket"):
        return match
    if any(
        token[:1].islower() and token not in _NAME_PARTICLES for token in tokens[1:]
    ):
        return None
    return match


def fields_of(lines: list[str]) -> list[tuple[str, str]] | None:
    """Return the (label, value) rows of a block of fields, else None.

    Every line reads "Label: value" and at least half of the labels are
    known fields ("From:", "Subject:", "Priority:"): e-mail headers and a
    ticket's properties, not sentences to summarize.
    """
    if len(lines) < 2:
        return None
    rows, known = [], 0
    for line in lines:
        match = _LABELLED_LINE.match(line)
        if match is None or match.group("label").startswith("#"):
            return None
        label = match.group("label").strip()
        known += label.split()[0].lower() in _FIELD_LABELS
        value = line[match.end() - 1 :].strip()
        rows.append((label, value))
    return rows if 2 * known >= len(rows) else None
