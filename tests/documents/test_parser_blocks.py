"""Parsers emit typed blocks beside the plain text, and the two agree.

Every format is parsed through ``parse_document`` from files built at test
time (``tests/structured_files.py``), plus the demo's own sample documents.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_BREAK

from docsite.documents.parsers import parse_document, reset_parsers
from docsite.documents.parsers.base import Block, blocks_to_text
from docsite.documents.parsers.text import blocks_from_text
from tests import structured_files as files

SAMPLES = Path(__file__).resolve().parents[2] / "docsite/documents/sample_documents"
BUILDERS = {
    "policy.md": files.markdown_bytes,
    "policy.html": files.html_bytes,
    "policy.docx": files.docx_bytes,
    "policy.pdf": files.pdf_bytes,
}


@pytest.fixture(autouse=True)
def _fresh_registry():
    reset_parsers()
    yield
    reset_parsers()


def parsed(filename: str):
    return parse_document(BUILDERS[filename](), filename=filename)[1]


def kinds(blocks: list[Block]) -> list[str]:
    return [block.kind for block in blocks]


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def assert_blocks_follow_text(blocks: list[Block], text: str) -> None:
    """Every block's words occur in the plain text, in the blocks' order."""
    haystack = " ".join(words(text))
    position = 0
    for block in blocks:
        content = block.text or " ".join(cell for row in block.rows for cell in row)
        needle = " ".join(words(content))
        if not needle:
            continue
        found = haystack.find(needle, position)
        assert found >= 0, f"{block.kind} {content[:60]!r} is not in the text"
        position = found + len(needle)


# --- The same document in every format --------------------------------------


@pytest.mark.parametrize("filename", sorted(BUILDERS))
def test_every_format_yields_headings_list_table_and_code(filename):
    document = parsed(filename)
    blocks = document.blocks

    headings = [block.text for block in blocks if block.kind == "heading"]
    assert headings[:2] == [files.TITLE, files.PAY_HEADING]
    assert files.NOTICE_HEADING in headings
    levels = {block.text: block.level for block in blocks if block.kind == "heading"}
    assert levels[files.TITLE] < levels[files.PAY_HEADING]

    intro = blocks.index(Block(kind="paragraph", text=files.PAY_INTRO))
    items = [block for block in blocks[intro + 1 :] if block.kind == "list_item"]
    assert [item.text for item in items[:2]] == list(files.PAY_ITEMS)
    assert kinds(blocks[intro + 1 : intro + 3]) == ["list_item", "list_item"]

    (table,) = [block for block in blocks if block.kind == "table"]
    assert table.rows == files.TABLE_ROWS
    assert document.title == files.TITLE
    for block in blocks:
        assert "<" not in block.text and "#" not in block.text and "|" not in block.text


@pytest.mark.parametrize("filename", sorted(BUILDERS))
def test_code_and_quotes_are_their_own_blocks(filename):
    blocks = parsed(filename).blocks

    (code,) = [block for block in blocks if block.kind == "code"]
    assert code.text == files.CODE
    if filename != "policy.pdf":  # nothing marks a quote in a PDF
        assert Block(kind="quote", text=files.CLOSING) in blocks


@pytest.mark.parametrize("filename", sorted(BUILDERS))
def test_blocks_agree_with_the_plain_text(filename):
    document = parsed(filename)

    assert document.blocks
    assert_blocks_follow_text(document.blocks, document.text)


def test_docx_page_break_is_a_block():
    blocks = parsed("policy.docx").blocks

    notice = blocks.index(Block(kind="heading", text=files.NOTICE_HEADING, level=2))
    assert blocks[notice - 1].kind == "page_break"


def test_docx_numbered_and_nested_list_items():
    document = docx.Document()
    document.add_paragraph("Steps:")
    document.add_paragraph("Declare an incident", style="List Number")
    document.add_paragraph("Page the database owner", style="List Bullet 2")
    document.add_paragraph("Restore to a new instance", style="List Number")
    document.add_paragraph().add_run("").add_break(WD_BREAK.PAGE)
    buffer = io.BytesIO()
    document.save(buffer)

    blocks = parse_document(buffer.getvalue(), filename="steps.docx")[1].blocks

    assert blocks == [
        Block(kind="paragraph", text="Steps:"),
        Block(kind="list_item", text="Declare an incident", ordered=True),
        Block(kind="list_item", text="Page the database owner", level=1),
        Block(kind="list_item", text="Restore to a new instance", ordered=True),
    ]


def test_html_nested_lists_loose_text_and_cells():
    page = b"""<html><body><div>Loose words before.<p>A paragraph.</p>tail text</div>
    <ol><li><p>First step</p><ul><li>detail <b>one</b></li></ul></li><li>Second</li></ol>
    <table><tr><th>a</th><td>b <i>c</i></td></tr><tr><td>1</td><td>2</td></tr></table>
    <dl><dt>Term</dt><dd>Meaning</dd></dl></body></html>"""

    blocks = parse_document(page, filename="page.html")[1].blocks

    assert blocks == [
        Block(kind="paragraph", text="Loose words before."),
        Block(kind="paragraph", text="A paragraph."),
        Block(kind="paragraph", text="tail text"),
        Block(kind="list_item", text="First step", ordered=True),
        Block(kind="list_item", text="detail one", level=1),
        Block(kind="list_item", text="Second", ordered=True),
        Block(kind="table", rows=(("a", "b c"), ("1", "2"))),
        Block(kind="paragraph", text="Term"),
        Block(kind="paragraph", text="Meaning"),
    ]


def test_markdown_blocks_come_from_the_rendered_tree_not_the_source():
    source = (
        b"Intro with `code` and **bold**\n\n1. one\n    - nested *item*\n2. two\n\n"
        b"```\nfenced code\n```\n\nSetext heading\n--------------\n"
    )

    blocks = parse_document(source, filename="notes.md")[1].blocks

    assert blocks == [
        Block(kind="paragraph", text="Intro with code and bold"),
        Block(kind="list_item", text="one", ordered=True),
        Block(kind="list_item", text="nested item", level=1),
        Block(kind="list_item", text="two", ordered=True),
        Block(kind="code", text="fenced code"),
        Block(kind="heading", text="Setext heading", level=2),
    ]


# --- PDF reflow ----------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf_document():
    reset_parsers()
    return parse_document(files.pdf_bytes(), filename="policy.pdf")[1]


def test_pdf_runs_over_several_pages_with_page_breaks(pdf_document):
    assert pdf_document.metadata["pages"] >= 3
    assert kinds(pdf_document.blocks).count("page_break") >= 2


def test_pdf_drops_running_header_and_page_numbers(pdf_document):
    assert "People handbook" not in pdf_document.text
    assert not re.search(r"Page \d+ of \d+", pdf_document.text)
    assert all("handbook" not in block.text for block in pdf_document.blocks)


def test_pdf_joins_sentences_broken_at_line_ends(pdf_document):
    paragraphs = [b.text for b in pdf_document.blocks if b.kind == "paragraph"]

    assert any(
        "Store all work passwords there and let it generate them." in text
        for text in paragraphs
    )
    assert "there\nand" not in pdf_document.text
    assert files.INTRO in paragraphs


def test_pdf_undoes_hyphenation_but_keeps_real_hyphens(pdf_document):
    assert "The management of cover plans follows the on-call rota" in (
        pdf_document.text
    )
    assert "manage-" not in pdf_document.text


def test_pdf_headings_are_found_by_font_and_ranked(pdf_document):
    headings = {b.text: b.level for b in pdf_document.blocks if b.kind == "heading"}

    assert headings[files.TITLE] == 1
    assert headings[files.PAY_HEADING] == headings[files.NOTICE_HEADING] == 2
    assert "Benefits during leave (3)" in headings


def test_pdf_text_is_built_from_its_blocks(pdf_document):
    assert pdf_document.text == blocks_to_text(pdf_document.blocks).strip()


def test_pdf_paragraph_running_over_a_page_break_is_joined():
    # One long paragraph whose sentence crosses from page 1 to page 2.
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    pdf.add_page()
    sentence = "Every backup is copied to a second region within one hour of its end"
    pdf.multi_cell(0, 6, "Backups run nightly. " * 100 + sentence + ".")
    blocks = parse_document(bytes(pdf.output()), filename="long.pdf")[1].blocks

    assert kinds(blocks) == ["paragraph", "page_break"] or kinds(blocks) == [
        "paragraph"
    ]
    assert blocks[0].text.endswith(sentence + ".")


# --- Plain text ------------------------------------------------------------------


def test_text_headings_only_when_confident():
    text = (
        "Deployment Runbook\n==================\n\n"
        "Before you deploy\n"
        "- the change is merged\n"
        "- CI is green\n\n"
        "The meeting with\nJohn Smith was moved to Friday, after the\nrelease.\n\n"
        "1. Tests pass locally but fail in CI\n\n"
        "Time zones differ: CI runs in UTC.\n"
    )

    blocks = blocks_from_text(text)

    assert blocks == [
        Block(kind="heading", text="Deployment Runbook", level=1),
        Block(kind="heading", text="Before you deploy", level=2),
        Block(kind="list_item", text="the change is merged"),
        Block(kind="list_item", text="CI is green"),
        Block(
            kind="paragraph",
            text="The meeting with John Smith was moved to Friday, after the release.",
        ),
        Block(kind="heading", text="1. Tests pass locally but fail in CI", level=2),
        Block(kind="paragraph", text="Time zones differ: CI runs in UTC."),
    ]


def test_text_loose_list_items_stay_list_items():
    blocks = blocks_from_text("1. First thing\n\n2. Second thing\n\n3. Third thing\n")

    assert kinds(blocks) == ["list_item"] * 3
    assert all(block.ordered for block in blocks)


def test_text_tables_code_and_transcripts():
    text = (
        "Host\tPort\norca\t5432\n\n"
        "```\npg_dump --format=custom\n```\n\n"
        "    make smoke ENV=staging\n\n"
        "#Person1#: Hello, is the report ready?\n#Person2#: Almost, give me an hour\n"
        "to finish the charts.\n"
    )

    blocks = blocks_from_text(text)

    assert blocks == [
        Block(kind="table", rows=(("Host", "Port"), ("orca", "5432"))),
        Block(kind="code", text="pg_dump --format=custom"),
        Block(kind="code", text="make smoke ENV=staging"),
        Block(kind="paragraph", text="#Person1#: Hello, is the report ready?"),
        Block(
            kind="paragraph",
            text="#Person2#: Almost, give me an hour to finish the charts.",
        ),
    ]


def test_text_email_headers_and_ticket_fields_are_a_table_not_a_dialogue():
    """GIVEN an e-mail opening with From/To/Subject lines and a ticket with
    its properties WHEN the text is parsed THEN each field block is a table
    of labels and values (the page shows it as one, the summarizer never
    quotes it), and the body stays paragraphs."""
    email = (
        "From: Daniel Okafor <daniel@example.com>\n"
        "To: Facilities Helpdesk <facilities@example.com>\n"
        "Subject: URGENT: server room air conditioning failed\n\n"
        "Hello, the air conditioning in the server room stopped last night.\n\n"
        "Priority: High\nStatus: Open\nShort description: Server room too hot\n"
    )

    blocks = blocks_from_text(email)

    assert blocks == [
        Block(
            kind="table",
            rows=(
                ("From", "Daniel Okafor <daniel@example.com>"),
                ("To", "Facilities Helpdesk <facilities@example.com>"),
                ("Subject", "URGENT: server room air conditioning failed"),
            ),
        ),
        Block(
            kind="paragraph",
            text="Hello, the air conditioning in the server room stopped last night.",
        ),
        Block(
            kind="table",
            rows=(
                ("Priority", "High"),
                ("Status", "Open"),
                ("Short description", "Server room too hot"),
            ),
        ),
    ]


def test_text_indented_prose_is_paragraphs_and_an_indented_command_is_code():
    """GIVEN a bill whose paragraphs are indented four spaces, as legal texts
    and old e-mails are, beside an indented shell command WHEN parsed THEN
    the prose is a paragraph (a summary may use it) and the command is code."""
    text = (
        "SECTION 1. SHORT TITLE.\n\n"
        "    This Act may be cited as the Rural Broadband Access Act of 2019.\n"
        "    It takes effect on the first day of the next fiscal year.\n\n"
        "    make smoke ENV=staging --jobs=4\n"
    )

    blocks = blocks_from_text(text)

    assert blocks[1] == Block(
        kind="paragraph",
        text="This Act may be cited as the Rural Broadband Access Act of 2019. "
        "It takes effect on the first day of the next fiscal year.",
    )
    assert blocks[2] == Block(kind="code", text="make smoke ENV=staging --jobs=4")


def test_text_parser_keeps_the_text_as_written():
    source = "Intro\n\n- one\n- two\n"

    document = parse_document(source.encode(), filename="notes.txt")[1]

    assert document.text == source.strip()
    assert kinds(document.blocks) == ["heading", "list_item", "list_item"]


# --- The demo's sample documents -------------------------------------------------


@pytest.mark.parametrize(
    "path",
    sorted(p.relative_to(SAMPLES) for p in SAMPLES.rglob("*") if p.is_file()),
    ids=str,
)
def test_sample_document_parses_into_sensible_blocks(path):
    document = parse_document((SAMPLES / path).read_bytes(), filename=path.name)[1]
    blocks = document.blocks

    assert blocks[0].kind == "heading"
    assert blocks[0].text == (document.title or blocks[0].text)
    assert kinds(blocks).count("heading") >= 1
    assert {"paragraph", "list_item"} & set(kinds(blocks))
    assert_blocks_follow_text(blocks, document.text)
    for block in blocks:
        if block.kind == "heading":
            assert len(block.text.split()) <= 16, block.text
            assert not block.text.endswith((".", ":")), block.text


def test_postgresql_backup_pdf_blocks():
    data = (SAMPLES / "engineering/postgresql-backup-and-restore.pdf").read_bytes()
    blocks = parse_document(data, filename="backup.pdf")[1].blocks

    headings = [block.text for block in blocks if block.kind == "heading"]
    assert headings[:3] == [
        "PostgreSQL Backup and Restore",
        "What we back up",
        "Recovery objectives",
    ]
    (table,) = [block for block in blocks if block.kind == "table"]
    assert table.rows[0] == ("Database", "RPO", "RTO")
    assert ("pg-main", "1 minute", "1 hour") in table.rows
    steps = [block for block in blocks if block.kind == "list_item" and block.ordered]
    assert len(steps) == 6
    assert steps[0].text == (
        "Declare an incident and name an incident commander. "
        "Never restore over a running production database."
    )
    archiving = next(block for block in blocks if block.kind == "list_item")
    assert archiving.text.endswith(
        "shipped to object storage by pgBackRest within 60 seconds."
    )
    # The "Restore drills" paragraph runs over the page break in one piece.
    assert blocks[-1].text.endswith(
        "A drill that exceeds the recovery time objective becomes an incident "
        "action item."
    )


def test_parental_leave_pdf_blocks():
    data = (SAMPLES / "people/parental-leave-policy.pdf").read_bytes()
    blocks = parse_document(data, filename="leave.pdf")[1].blocks

    pay = blocks.index(Block(kind="heading", text="Leave and pay", level=2))
    items = blocks[pay + 1 : pay + 5]
    assert kinds(items) == ["list_item"] * 4
    assert items[0].text.startswith(
        "Primary caregivers: 20 weeks of leave at full pay."
    )
    assert items[1].text.startswith(
        "Secondary caregivers: 8 weeks of leave at full pay"
    )
