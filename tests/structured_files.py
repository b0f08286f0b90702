"""One small policy document in every format, built at test time.

Each builder returns the bytes of a file carrying the same structure: a
title, an introduction, sections with headings, a sentence ending in ":"
that introduces a list, a table, a code block, and (PDF) several pages with
a running header, page numbers, a hyphenated word and sentences broken
across lines. Tests of parsers and of summaries parse these through the
real parsers.
"""

from __future__ import annotations

import io

import docx
from docx.enum.text import WD_BREAK
from docx.shared import Pt
from fpdf import FPDF

TITLE = "Parental Leave Policy"
INTRO = (
    "Northwind Labs supports employees who become parents, whether through "
    "birth, adoption or surrogacy. This policy sets out the leave, the pay and "
    "how to ask for it."
)
PAY_HEADING = "Leave and pay"
PAY_INTRO = "Parents get the following leave at full pay:"
PAY_ITEMS = (
    "Primary caregivers get 20 weeks of leave at full pay.",
    "Secondary caregivers get 8 weeks of leave at full pay.",
)
TABLE_ROWS = (
    ("Caregiver", "Weeks", "Pay"),
    ("Primary", "20", "Full"),
    ("Secondary", "8", "Full"),
)
CODE = "hr-portal request --type parental --weeks 20\nhr-portal status"
NOTICE_HEADING = "Notice"
NOTICE = (
    "Tell your manager and the People team at least 15 weeks before the "
    "expected date. Store all work passwords there and let it generate them."
)
CLOSING = "Holiday continues to accrue during paid parental leave."


def markdown_bytes() -> bytes:
    rows = "\n".join("| " + " | ".join(row) + " |" for row in TABLE_ROWS[1:])
    return (
        f"# {TITLE}\n\n{INTRO}\n\n## {PAY_HEADING}\n\n{PAY_INTRO}\n\n"
        + "".join(f"- {item}\n" for item in PAY_ITEMS)
        + "\n| "
        + " | ".join(TABLE_ROWS[0])
        + " |\n|---|---|---|\n"
        + rows
        + f"\n\n```\n{CODE}\n```\n\n## {NOTICE_HEADING}\n\n{NOTICE}\n\n> {CLOSING}\n"
    ).encode()


def html_bytes() -> bytes:
    header = "".join(f"<th>{cell}</th>" for cell in TABLE_ROWS[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>"
        for row in TABLE_ROWS[1:]
    )
    items = "".join(f"<li>{item}</li>" for item in PAY_ITEMS)
    return (
        f"<!DOCTYPE html><html><head><title>{TITLE}</title></head><body>"
        f"<h1>{TITLE}</h1><p>{INTRO}</p><h2>{PAY_HEADING}</h2><p>{PAY_INTRO}</p>"
        f"<ul>{items}</ul><table><thead><tr>{header}</tr></thead>"
        f"<tbody>{body}</tbody></table><pre><code>{CODE}</code></pre>"
        f"<h2>{NOTICE_HEADING}</h2><p>{NOTICE}</p>"
        f"<blockquote><p>{CLOSING}</p></blockquote></body></html>"
    ).encode()


def docx_bytes() -> bytes:
    document = docx.Document()
    document.add_heading(TITLE, level=0)
    document.add_paragraph(INTRO)
    document.add_heading(PAY_HEADING, level=1)
    document.add_paragraph(PAY_INTRO)
    for item in PAY_ITEMS:
        document.add_paragraph(item, style="List Bullet")
    table = document.add_table(rows=len(TABLE_ROWS), cols=len(TABLE_ROWS[0]))
    for r, row in enumerate(TABLE_ROWS):
        for c, cell in enumerate(row):
            table.cell(r, c).text = cell
    for line in CODE.split("\n"):
        run = document.add_paragraph().add_run(line)
        run.font.name = "Courier New"
        run.font.size = Pt(9)
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    document.add_heading(NOTICE_HEADING, level=1)
    document.add_paragraph(NOTICE)
    document.add_paragraph(CLOSING, style="Quote")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


class _HandbookPdf(FPDF):
    def header(self) -> None:
        self.set_font("helvetica", size=9)
        self.cell(0, 8, "Northwind Labs - People handbook - Internal")
        self.ln(12)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("helvetica", size=9)
        self.cell(0, 10, f"Page {self.page_no()} of {{nb}}", align="C")


# Sections that fill pages, so the document runs over several of them.
_FILLER = (
    "Benefits during leave",
    "Health benefits, the learning budget and pension contributions continue "
    "unchanged while you are away, and your manager keeps you informed about "
    "team changes if you want to hear about them.",
)


def pdf_bytes(*, filler_sections: int = 14) -> bytes:
    """Return a multi-page PDF of the policy, hard-wrapped as PDFs are."""
    pdf = _HandbookPdf()
    pdf.alias_nb_pages()
    pdf.set_margins(20, 15, 20)
    pdf.add_page()

    def lines(height: float, text: str) -> None:
        pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")

    def heading(text: str, size: int) -> None:
        pdf.ln(3)
        pdf.set_font("helvetica", "B", size)
        lines(size * 0.6, text)
        pdf.set_font("helvetica", size=11)
        pdf.ln(1)

    heading(TITLE, 18)
    lines(6, INTRO)
    heading(PAY_HEADING, 13)
    lines(6, PAY_INTRO)
    for item in PAY_ITEMS:
        pdf.set_x(25)
        pdf.multi_cell(0, 6, f"- {item}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    with pdf.table(col_widths=(60, 30, 30), width=120, align="LEFT") as table:
        for row in TABLE_ROWS:
            cells = table.row()
            for cell in row:
                cells.cell(cell)
    pdf.ln(3)
    pdf.set_font("courier", size=9)
    for code_line in CODE.split("\n"):
        lines(5, code_line)
    pdf.set_font("helvetica", size=11)
    for number in range(filler_sections):
        heading(f"{_FILLER[0]} ({number + 1})", 13)
        lines(6, _FILLER[1])
    heading(NOTICE_HEADING, 13)
    # Hard line breaks inside sentences, and a word hyphenated at a line end
    # next to a real hyphen: what a reflow must undo and keep.
    lines(
        6,
        "Tell your manager and the People team at least 15 weeks before\n"
        "the expected date. Store all work passwords there\n"
        "and let it generate them. The manage-\n"
        "ment of cover plans follows the on-\n"
        "call rota of your team.",
    )
    lines(6, CLOSING)
    return bytes(pdf.output())
