"""Titles come from the content: one rule for every ingestion path."""

from __future__ import annotations

import pytest

from docsite.documents.importing import documents_import
from docsite.documents.parsers.base import Block, ParsedDocument
from docsite.documents.services import document_ingest
from docsite.documents.titles import document_title_choose, title_is_generic
from docsite.documents.uploads import upload_process, upload_receive

from .files import make_pdf


def choose(text: str, *, title: str = "", blocks=(), filename="notes.txt", given=""):
    parsed = ParsedDocument(text=text, title=title, blocks=list(blocks))
    return document_title_choose(given=given, parsed=parsed, filename=filename)


@pytest.mark.parametrize(
    "generic",
    [
        "Word Document",
        "Untitled",
        "untitled document 3",
        "Microsoft Word - forecast-review.docx",
        "Microsoft Word - Q3 notes",
        "Document1",
        "forecast-review.pdf",
        "PowerPoint Presentation",
        "   ",
    ],
)
def test_generic_metadata_titles_are_ignored(generic):
    assert title_is_generic(generic, filename="forecast-review.pdf")
    assert choose("Quarterly Sales Forecast Review\n\nSales grew.", title=generic) == (
        "Quarterly Sales Forecast Review"
    )


def test_the_order_typed_heading_metadata_first_line_file_name():
    blocks = [Block("heading", "Deployment Runbook", level=1), Block("paragraph", "x")]
    text = "Release Checklist\n\nShip it on Tuesdays."
    assert choose(text, blocks=blocks, title="Meta", given="Typed") == "Typed"
    assert choose(text, blocks=blocks, title="Meta") == "Deployment Runbook"
    assert choose(text, title="Ops Handbook") == "Ops Handbook"
    assert choose(text) == "Release Checklist"
    sentence = "we ship on tuesdays and roll back on wednesdays."
    assert choose(sentence, filename="release_notes-v2.txt") == "Release notes v2"


def test_a_heading_deep_in_the_text_is_a_section_not_the_title():
    blocks = [
        Block("paragraph", "An introduction that runs on."),
        Block("paragraph", "More of it."),
        Block("heading", "Background", level=2),
    ]
    assert choose("An introduction that runs on.", blocks=blocks) == "Notes"


@pytest.mark.parametrize(
    ("first_line", "expected"),
    [
        ("LOAD TESTING GUIDE", "Load Testing Guide"),
        ("Holiday Calendar 2027", "Holiday Calendar 2027"),
        ("上海办公室指南", "上海办公室指南"),
        ("Page the on-call engineer and open a channel.", "Notes"),
        ("the meeting went well", "Notes"),
        ("Owner: Platform team.", "Notes"),
    ],
)
def test_the_first_line_counts_only_when_it_reads_as_a_title(first_line, expected):
    assert choose(first_line + "\nmore text on the next line") == expected


def test_a_text_with_no_name_gets_its_opening_words_not_untitled():
    text = "we ship on tuesdays and roll back on wednesdays when the error rate climbs."
    assert choose(text, filename="document.txt") == (
        "we ship on tuesdays and roll back on wednesdays when…"
    )


@pytest.mark.django_db
def test_forecast_review_pdf_is_named_by_its_first_line(world):
    pdf = make_pdf(
        [
            "Quarterly Sales Forecast Review\n\nRevenue rose four percent on the quarter."
        ],
        title="Microsoft Word - forecast-review.docx",
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    received = upload_receive(
        space=world.engineering,
        upload=SimpleUploadedFile("forecast-review.pdf", pdf, "application/pdf"),
        user=world.alice,
    )
    result = upload_process(upload_id=received.pk)
    assert result.document.title == "Quarterly Sales Forecast Review"


@pytest.mark.django_db
def test_every_ingestion_path_uses_the_rule(world, tmp_path):
    folder = tmp_path / "engineering"
    folder.mkdir()
    (folder / "load-testing.txt").write_text("LOAD TESTING GUIDE\n\nOwner: Platform.")
    (tmp_path / "rows.jsonl").write_text(
        '{"text": "Travel Booking Policy\\n\\nBook trains.", "space": "engineering"}\n'
    )
    documents_import(path=folder, space_slug="engineering")
    documents_import(path=tmp_path / "rows.jsonl", space_slug="engineering")
    titles = set(world.engineering.documents.values_list("title", flat=True))
    assert titles == {"Load Testing Guide", "Travel Booking Policy"}

    result = document_ingest(
        space=world.engineering,
        content=b"# Code Review Guidelines\n\nReview within a day.",
        filename="code-review-guidelines.md",
    )
    assert result.document.title == "Code Review Guidelines"
