"""Build the knowledge-base evaluation set from its Markdown sources.

Each document is written once, as Markdown with a small front matter, in
``src/<id>.md``:

    ---
    format: pdf            # md, html, docx or pdf: the file the set ships
    genre: runbook
    language: en
    summary: Two or three sentences carrying the key facts.
    ---
    # Title
    ...

Running ``python bench/data/kb/build.py`` (needs the ``dev`` extra: fpdf2,
markdown-it-py) writes ``docs/<id>.<format>`` (HTML pages through
Python-Markdown, Word files through python-docx with real heading, list,
table and quote styles, PDFs through fpdf2 with a running header, page
numbers and hard-wrapped lines) and ``manifest.jsonl``
(``{"id", "file", "summary", "language", "genre"}`` per line), and the
hold-out's lines again in ``holdout-2026-12.jsonl``. The built
files are committed, so evaluating needs none of this; the output is
deterministic, so rebuilding changes nothing unless a source changed.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "src"
DOCS = HERE / "docs"
MANIFEST = HERE / "manifest.jsonl"
# kb-45 onwards were written on 2026-12-01 by writers who saw neither the
# summarizer nor its figures, after its configuration was fixed: a hold-out
# it was never chosen or fitted on, listed again on its own.
HOLDOUT = HERE / "holdout-2026-12.jsonl"
HOLDOUT_FROM = 45
FORMATS = ("md", "html", "docx", "pdf")
COMPANY = "Larkspur Software"
# Fixed dates keep PDF and DOCX output byte-for-byte stable between builds.
BUILT_AT = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)


@dataclass
class Element:
    """One piece of a source: what the renderers turn into a format's own markup."""

    kind: str  # heading, paragraph, list_item, table, code, quote
    text: str = ""
    level: int = 0
    ordered: bool = False
    number: int = 0
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Source:
    id: str
    meta: dict[str, str]
    markdown: str
    elements: list[Element]

    @property
    def title(self) -> str:
        return next((e.text for e in self.elements if e.kind == "heading"), self.id)


def read_source(path: Path) -> Source:
    raw = path.read_text(encoding="utf-8")
    if not raw.startswith("---\n"):
        raise SystemExit(f"{path}: no front matter")
    head, body = raw[4:].split("\n---\n", 1)
    meta: dict[str, str] = {}
    for line in head.splitlines():
        key, _, value = line.partition(":")
        meta[key.strip()] = value.strip()
    missing = {"format", "genre", "language", "summary"} - set(meta)
    if missing or meta["format"] not in FORMATS:
        raise SystemExit(f"{path}: front matter lacks {missing or 'a valid format'}")
    body = body.lstrip("\n")
    return Source(id=path.stem, meta=meta, markdown=body, elements=elements_of(body))


def elements_of(markdown: str) -> list[Element]:
    """Return the elements of a Markdown text (CommonMark with tables)."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    elements: list[Element] = []
    lists: list[list] = []  # [ordered, next number]
    in_quote = 0
    row: list[str] | None = None
    table: list[list[str]] | None = None
    in_item_paragraph = False
    for index, token in enumerate(tokens):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            start = int(token.attrGet("start") or 1)
            lists.append([kind == "ordered_list_open", start])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "blockquote_open":
            in_quote += 1
        elif kind == "blockquote_close":
            in_quote -= 1
        elif kind == "table_open":
            table = []
        elif kind == "table_close":
            elements.append(Element(kind="table", rows=table or []))
            table = None
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and table is not None and row is not None:
            table.append(row)
        elif kind == "fence" or kind == "code_block":
            elements.append(Element(kind="code", text=token.content.rstrip("\n")))
        elif kind == "list_item_open":
            in_item_paragraph = True
        elif kind == "inline":
            text = inline_text(token)
            previous = tokens[index - 1].type
            if previous == "heading_open":
                level = int(tokens[index - 1].tag[1])
                elements.append(Element(kind="heading", text=text, level=level))
            elif previous in ("th_open", "td_open") and row is not None:
                row.append(text)
            elif lists and in_item_paragraph:
                ordered, number = lists[-1]
                elements.append(
                    Element(
                        kind="list_item",
                        text=text,
                        level=len(lists) - 1,
                        ordered=ordered,
                        number=number,
                    )
                )
                lists[-1][1] += 1
                in_item_paragraph = False
            elif lists:  # a second paragraph of a list item
                elements[-1].text += " " + text
            else:
                kind = "quote" if in_quote else "paragraph"
                elements.append(Element(kind=kind, text=text))
    return elements


def inline_text(token) -> str:
    pieces = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            pieces.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            pieces.append(" ")
    return " ".join("".join(pieces).split())


# --- Renderers ------------------------------------------------------------------


def render_html(source: Source) -> bytes:
    import markdown

    body = markdown.markdown(source.markdown, extensions=["extra", "sane_lists"])
    title = html.escape(source.title)
    page = (
        '<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        "<title>{title} - {company} intranet</title>\n</head>\n<body>\n"
        '<main class="article">\n{body}\n</main>\n</body>\n</html>\n'
    ).format(lang=source.meta["language"], title=title, company=COMPANY, body=body)
    return page.encode("utf-8")


def render_docx(source: Source) -> bytes:
    import docx
    from docx.shared import Pt

    document = docx.Document()
    properties = document.core_properties
    properties.title = source.title
    properties.author = COMPANY
    properties.created = properties.modified = BUILT_AT.replace(tzinfo=None)
    for element in source.elements:
        if element.kind == "heading":
            # The document title takes Word's Title style, sections Heading N.
            document.add_heading(element.text, level=element.level - 1)
        elif element.kind == "paragraph":
            document.add_paragraph(element.text)
        elif element.kind == "quote":
            document.add_paragraph(element.text, style="Quote")
        elif element.kind == "list_item":
            style = "List Number" if element.ordered else "List Bullet"
            if element.level:
                style += f" {min(element.level + 1, 3)}"
            document.add_paragraph(element.text, style=style)
        elif element.kind == "table":
            table = document.add_table(
                rows=len(element.rows), cols=max(len(r) for r in element.rows)
            )
            table.style = "Table Grid"
            for r, row in enumerate(element.rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
        elif element.kind == "code":
            for line in element.text.split("\n"):
                run = document.add_paragraph().add_run(line)
                run.font.name = "Courier New"
                run.font.size = Pt(9)
    buffer = io.BytesIO()
    document.save(buffer)
    return _stable_zip(buffer.getvalue())


def _stable_zip(data: bytes) -> bytes:
    """Return the archive with fixed member times, so rebuilds are identical."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            stable = zipfile.ZipInfo(info.filename, date_time=(2026, 11, 30, 0, 0, 0))
            stable.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(stable, source.read(info.filename))
    return out.getvalue()


def render_pdf(source: Source) -> bytes:
    from fpdf import FPDF

    title = source.title

    class Page(FPDF):
        def header(self) -> None:
            self.set_font("helvetica", size=8)
            self.cell(0, 6, f"{COMPANY} - {title} - Internal")
            self.ln(10)

        def footer(self) -> None:
            self.set_y(-14)
            self.set_font("helvetica", size=8)
            self.cell(0, 8, f"Page {self.page_no()} of {{nb}}", align="C")

    pdf = Page(format="A4")
    pdf.set_creation_date(BUILT_AT)
    pdf.set_title(title)
    pdf.set_author(COMPANY)
    pdf.alias_nb_pages()
    pdf.set_margins(22, 16, 22)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()

    def write(text: str, *, height: float = 5.6, indent: float = 0.0) -> None:
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")

    sizes = {1: 17, 2: 13, 3: 11.5}
    for number, element in enumerate(source.elements):
        if element.kind == "heading":
            pdf.ln(3 if number else 0)
            pdf.set_font("helvetica", "B", sizes.get(element.level, 11))
            write(element.text, height=sizes.get(element.level, 11) * 0.55)
            pdf.ln(1.5)
        elif element.kind in ("paragraph", "quote"):
            pdf.set_font("helvetica", "I" if element.kind == "quote" else "", 10.5)
            write(element.text, indent=8 if element.kind == "quote" else 0)
            pdf.ln(2.2)
        elif element.kind == "list_item":
            pdf.set_font("helvetica", "", 10.5)
            marker = f"{element.number}." if element.ordered else "-"
            write(f"{marker} {element.text}", indent=5 + 6 * element.level)
            pdf.ln(0.8)
        elif element.kind == "table":
            pdf.ln(1)
            pdf.set_font("helvetica", "", 9.5)
            with pdf.table(line_height=5.2, text_align="LEFT") as table:
                for row in element.rows:
                    cells = table.row()
                    for cell in row:
                        cells.cell(cell)
            pdf.ln(2.5)
        elif element.kind == "code":
            pdf.set_font("courier", "", 9)
            for line in element.text.split("\n"):
                write(line or " ", height=4.6, indent=4)
            pdf.ln(2.5)
    return bytes(pdf.output())


RENDERERS = {"html": render_html, "docx": render_docx, "pdf": render_pdf}


def build() -> int:
    DOCS.mkdir(exist_ok=True)
    sources = [read_source(path) for path in sorted(SOURCES.glob("*.md"))]
    rows = []
    for source in sources:
        fmt = source.meta["format"]
        target = DOCS / f"{source.id}.{fmt}"
        if fmt == "md":
            shutil.copyfile(SOURCES / f"{source.id}.md", target)
            # The shipped Markdown file has no front matter.
            target.write_text(source.markdown, encoding="utf-8")
        else:
            target.write_bytes(RENDERERS[fmt](source))
        rows.append(
            {
                "id": source.id,
                "file": f"docs/{target.name}",
                "summary": source.meta["summary"],
                "language": source.meta["language"],
                "genre": source.meta["genre"],
            }
        )
    holdout = [row for row in rows if int(row["id"].split("-")[1]) >= HOLDOUT_FROM]
    for path, listed in ((MANIFEST, rows), (HOLDOUT, holdout)):
        with path.open("w", encoding="utf-8") as handle:
            for row in listed:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"built {len(rows)} documents into {DOCS.relative_to(HERE.parents[2])}")
    return 0


if __name__ == "__main__":
    sys.exit(build())
