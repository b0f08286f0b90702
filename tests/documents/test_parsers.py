"""Parser plugins and their registry: what each format yields.

What is refused, made safe or detected by content: test_parser_safety.py.
"""

from __future__ import annotations

import importlib.metadata
import logging
import threading
import time

import pytest

from docsite.documents.exceptions import (
    CorruptFileError,
    FileTooLargeError,
)
from docsite.documents.parsers import (
    ENTRY_POINT_GROUP,
    MIME_DOCX,
    MIME_HTML,
    MIME_MARKDOWN,
    MIME_PDF,
    MIME_TEXT,
    load_parsers,
    parse_document,
    reset_parsers,
)
from docsite.documents.parsers.base import BaseParser, ParsedDocument

from .files import make_docx, make_pdf

pytestmark = pytest.mark.usefixtures("fresh_parser_registry")

BUILTIN_PARSERS = {
    "text": "docsite.documents.parsers.text:TextParser",
    "markdown": "docsite.documents.parsers.markdown:MarkdownParser",
    "html": "docsite.documents.parsers.html:HtmlParser",
    "pdf": "docsite.documents.parsers.pdf:PdfParser",
    "docx": "docsite.documents.parsers.docx:DocxParser",
}


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
