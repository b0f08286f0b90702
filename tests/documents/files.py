"""Real files built at test time (fpdf2 for PDF, python-docx for DOCX), so a test states the words it expects."""

from __future__ import annotations

import io

import docx
from fpdf import FPDF


def make_pdf(pages: list[str], *, title: str = "") -> bytes:
    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(w=0, text=text)
    return bytes(pdf.output())


def make_docx(*, title: str = "") -> bytes:
    document = docx.Document()
    document.core_properties.title = title
    document.add_heading("Backup procedure", level=1)
    document.add_paragraph("Run pg_dump nightly & keep <seven> copies.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Server"
    table.cell(0, 1).text = "Retention"
    table.cell(1, 0).text = "orca"
    table.cell(1, 1).text = "thirty days"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
