"""Search in Chinese from the header box, in a real browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from docsite.documents.services import document_create_from_path
from interests.search_index import search_terms_refresh
from interests.services import document_vectors_compute

from .conftest import login

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SAMPLES = (
    Path(__file__).resolve().parents[2] / "docsite" / "documents" / "sample_documents"
)


def test_reader_finds_the_kubernetes_note_by_a_chinese_word_in_its_title(
    portal, page, shoot, world
):
    """The demo's sample note is titled "Kubernetes 自动扩缩容笔记"; the word
    自动扩缩容 sits inside a longer run, with no space around it."""
    for name in (
        "engineering/kubernetes-autoscaling-notes.md",
        "handbook/office-guide-shanghai.md",
        "engineering/on-call-handbook.md",
    ):
        document = document_create_from_path(
            space=world.handbook, path=SAMPLES / name
        ).document
        document_vectors_compute(document_ids=[document.pk])
    search_terms_refresh()

    login(page, "carol")
    box = page.get_by_role("search").first.get_by_label("Search documents")
    box.fill("自动扩缩容")
    box.press("Enter")
    page.wait_for_url("**/search/**")
    first = page.locator(".search-result").first
    expect(first.locator("a.doc-list__title")).to_have_text("Kubernetes 自动扩缩容笔记")
    expect(first.locator("mark").first).to_have_text("自动扩缩容")
    shoot(page, "search-chinese")
