"""The document page shows a document's blocks as headings, lists, tables, code.

Block text is escaped like any text: a heading or a cell holding markup
shows the markup, never runs it.
"""

from __future__ import annotations

import re

import pytest

from django.urls import reverse

from docsite.documents.models import Document
from docsite.documents.services import document_ingest
from docsite.documents.templatetags.documents_extras import block_tree
from tests import structured_files as files

pytestmark = pytest.mark.django_db


def _page(client, world, document) -> str:
    client.force_login(world.alice)
    response = client.get(
        reverse("documents:detail", kwargs={"document_id": document.pk})
    )
    assert response.status_code == 200
    return response.content.decode()


def _text_section(html: str) -> str:
    return html.split('id="text-heading"', 1)[1]


def test_pdf_page_shows_headings_lists_and_tables(client, world):
    document = document_ingest(
        space=world.engineering, content=files.pdf_bytes(), filename="leave.pdf"
    ).document

    html = _text_section(_page(client, world, document))

    assert '<div class="rendered blocks">' in html
    assert f"<h4>{files.PAY_HEADING}</h4>" in html
    assert f"<h3>{files.TITLE}</h3>" not in html  # the page title already says it
    assert re.search(r"<ul><li>Primary caregivers get 20 weeks", html)
    assert '<th scope="col">Caregiver</th>' in html
    assert "<tr><td>Secondary</td><td>8</td><td>Full</td></tr>" in html
    assert '<hr class="page-break"' in html
    assert "Store all work passwords there and let it generate them." in html


def test_text_document_shows_its_list_and_code(client, world):
    document = document_ingest(
        space=world.engineering,
        content=b"Runbook\n\nSteps:\n1. stop the service\n2. restore\n   - check logs\n\n"
        b"```\npg_restore -d main\n```\n",
        filename="runbook.txt",
    ).document

    html = _text_section(_page(client, world, document))

    assert (
        "<ol><li>stop the service</li><li>restore<ul><li>check logs</li></ul></li></ol>"
        in html
    )
    assert "<pre><code>pg_restore -d main</code></pre>" in html


def test_block_text_is_escaped(client, world):
    document = document_ingest(
        space=world.engineering,
        content=b"x",
        filename="x.txt",
    ).document
    Document.objects.filter(pk=document.pk).update(
        blocks=[
            {"kind": "heading", "text": "<script>alert(1)</script>", "level": 2},
            {"kind": "list_item", "text": "<img src=x onerror=alert(2)>"},
            {"kind": "table", "rows": [["<b>a</b>", "b"], ["c", "d"]]},
            {"kind": "code", "text": "</code><script>alert(3)</script>"},
        ]
    )

    html = _text_section(_page(client, world, Document.objects.get(pk=document.pk)))

    assert "<script>alert" not in html and "<img" not in html and "<b>a</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;/code&gt;&lt;script&gt;alert(3)" in html


def test_html_documents_keep_their_cleaned_html(client, world):
    document = document_ingest(
        space=world.engineering, content=files.html_bytes(), filename="p.html"
    ).document

    html = _text_section(_page(client, world, document))

    assert '<div class="rendered">' in html and "rendered blocks" not in html


def test_block_tree_nests_lists_and_closes_them_at_other_blocks():
    nodes = block_tree(
        [
            {"kind": "list_item", "text": "a", "ordered": True},
            {"kind": "list_item", "text": "a1", "level": 1},
            {"kind": "list_item", "text": "a1x", "level": 2},
            {"kind": "list_item", "text": "b", "ordered": True},
            {"kind": "paragraph", "text": "p"},
            {"kind": "list_item", "text": "c"},
        ]
    )

    assert [node["kind"] for node in nodes] == ["list", "paragraph", "list"]
    first = nodes[0]
    assert first["ordered"] and [item["text"] for item in first["items"]] == ["a", "b"]
    nested = first["items"][0]["children"][0]
    assert nested["items"][0]["text"] == "a1"
    assert nested["items"][0]["children"][0]["items"][0]["text"] == "a1x"
