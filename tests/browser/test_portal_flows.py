"""The portal's main flows in a real browser, with a real worker behind it.

Each test saves screenshots of the pages it passes through under
``var/test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from docsite.documents.services import document_create_from_text
from interests.services import document_vectors_compute
from summaries.models import Summary
from tests.factories import UserFactory
from tests.integration.conftest import wait_for

from .conftest import editor_with_generated_summary, login, reader_actions_ready

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def _document(space, title: str, text: str):
    document = document_create_from_text(space=space, title=title, text=text).document
    document_vectors_compute(document_ids=[document.pk])
    return document


def test_reader_uploads_a_document_and_watches_its_summary_appear(
    portal, page, shoot, world
):
    login(page, "alice")
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
    shoot(page, "home")

    page.get_by_role("link", name="Upload", exact=True).click()
    # Validation first: a file type no parser reads is refused with a message.
    page.get_by_label("Space").select_option(label="Engineering")
    page.get_by_label("File", exact=True).set_input_files(
        files=[
            {
                "name": "tool.exe",
                "mimeType": "application/octet-stream",
                "buffer": b"MZ\x90\x00",
            }
        ]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.locator(".field--error .errorlist")).to_be_visible()
    shoot(page, "upload-error")

    page.get_by_label("Space").select_option(label="Engineering")
    page.get_by_label("Title").fill("Incident runbook")
    page.get_by_label("File", exact=True).set_input_files(
        files=[
            {
                "name": "runbook.md",
                "mimeType": "text/markdown",
                "buffer": (
                    b"# Incident runbook\n\nPage the on-call engineer. Open an incident "
                    b"channel. Write down the timeline as it happens.\n\nAfter the "
                    b"incident, hold a blameless postmortem within two days."
                ),
            }
        ]
    )
    page.get_by_role("button", name="Upload").click()
    # The worker parses the file; the status page follows it without a click
    # and opens the document once it is read.
    expect(page.locator(".message--success")).to_contain_text(
        "was added", timeout=30_000
    )
    expect(page.locator("#document-title")).to_have_text("Incident runbook")

    # The panel polls while the worker generates the summary; no reload.
    expect(page.locator('.summary-panel[data-summary-status="ready"]')).to_be_visible(
        timeout=30_000
    )
    expect(page.locator(".summary-panel__text")).not_to_be_empty()
    shoot(page, "document-detail")

    page.goto("/documents/?type=Markdown")
    expect(
        page.locator(".doc-list__title", has_text="Incident runbook")
    ).to_be_visible()
    expect(page.locator(".doc-list__snippet").first).to_be_visible()
    shoot(page, "document-list")


def test_liking_a_document_changes_the_feed(portal, page, shoot, world):
    _document(
        world.handbook,
        "Kubernetes autoscaling",
        "kubernetes pods autoscaling cluster nodes",
    )
    _document(
        world.handbook,
        "Kubernetes pod scheduling",
        "kubernetes pods scheduling cluster nodes",
    )
    _document(
        world.handbook, "Holiday calendar", "holidays vacation days office closed"
    )
    _document(
        world.handbook,
        "Expense reimbursement",
        "expenses receipts travel reimbursement",
    )
    login(page, "carol")

    page.goto("/for-you/")
    expect(
        page.get_by_text("New and popular documents from your spaces")
    ).to_be_visible()
    expect(page.locator(".feed-item__reason", has_text="Because you")).to_have_count(0)

    page.get_by_role("link", name="Kubernetes autoscaling").click()
    reader_actions_ready(page)
    like = page.get_by_role("button", name="Like")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".reader-actions__status")).to_contain_text("Liked")

    def personalized() -> bool:
        page.goto("/for-you/")
        return (
            page.locator(".feed-item__reason", has_text="Because you liked").count() > 0
        )

    assert wait_for(personalized, timeout=30), "the feed did not follow the like"
    expect(
        page.locator(".feed-item", has_text="Kubernetes pod scheduling")
    ).to_contain_text("Because you liked “Kubernetes autoscaling”")
    shoot(page, "feed")

    page.get_by_role("link", name="Interests", exact=True).click()
    expect(page.locator("svg.chart")).to_be_visible()
    shoot(page, "interests")

    page.get_by_role("link", name="My activity").click()
    expect(page.locator(".activity-list")).to_contain_text("Kubernetes autoscaling")
    shoot(page, "activity")

    page.goto("/me/interests/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Clear my history and interests").click()
    expect(page.locator(".message--success")).to_contain_text("cleared")
    expect(page.get_by_text("No interests learned yet")).to_be_visible()


def test_search_highlights_matches_in_each_mode(portal, page, shoot, world):
    _document(
        world.handbook,
        "Deployment runbook",
        "Deploy the web tier, then run the migrations and watch the error rate.",
    )
    _document(
        world.handbook, "Holiday calendar", "The office is closed on public holidays."
    )
    login(page, "carol")

    page.get_by_role("link", name="Search", exact=True).click()
    page.get_by_label("Search for").fill("migrations")
    page.get_by_label("Exact words").check()
    page.get_by_role("main").get_by_role("button", name="Search").click()
    result = page.locator(".search-result").first
    expect(result).to_contain_text("Deployment runbook")
    expect(result.locator("mark")).to_have_text(re.compile("migrations", re.I))
    shoot(page, "search")

    for mode in ("Meaning", "Words and meaning"):
        page.get_by_label(mode, exact=True).check()
        page.get_by_role("main").get_by_role("button", name="Search").click()
        expect(
            page.locator(".search-result", has_text="Deployment runbook")
        ).to_be_visible()


def test_editor_edits_and_approves_a_summary_in_the_admin(portal, page, shoot, world):
    _, summary = editor_with_generated_summary(
        world,
        title="Deploy guide",
        text="Run the migrations. Restart the workers. Watch the dashboards for errors.",
    )
    document = summary.document
    login(page, "erin")

    page.goto("/admin/summaries/summary/")
    expect(page.locator("#result_list")).to_contain_text("Deploy guide")
    shoot(page, "admin-review-queue")
    page.locator("#result_list a", has_text="Deploy guide").first.click()
    expect(page.locator(".review-grid")).to_contain_text("Restart the workers")
    shoot(page, "admin-review-form")

    # Approve (also the "a" key, see the review-page test).
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".messagelist")).to_contain_text("Summary approved.")
    assert Summary.objects.get(document=document, status="approved").author is None

    page.locator("textarea[name=text]").fill(
        "Migrate, restart the workers, watch for errors."
    )
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("new approved version")
    edited = Summary.objects.get(document=document, text__startswith="Migrate")
    assert edited.status == "approved"

    page.goto(f"/documents/{document.pk}/")
    expect(page.locator(".summary-panel")).to_contain_text(
        "Migrate, restart the workers"
    )
    expect(page.locator(".summary-panel")).to_contain_text("Approved")


def test_operator_starts_a_job_and_watches_it_finish(portal, page, shoot, world):
    UserFactory(username="olga", is_staff=True, is_superuser=True)
    for index in range(4):
        document_create_from_text(
            space=world.handbook,
            title=f"Note {index}",
            text=f"Note number {index}. It says a thing.",
        )
    login(page, "olga")

    page.goto("/admin/workers/reprocessjob/add/")
    page.locator("select[name=kind]").select_option("summaries")
    page.locator("select[name=selection]").select_option("all")
    page.locator("select[name=backend_alias]").select_option("candidate")
    page.get_by_role("button", name="Save", exact=True).click()
    # The first save shows what would run; ticking "Start it" starts it.
    expect(page.locator(".field-confirm")).to_contain_text("4 document(s)")
    page.locator("input[name=confirm]").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".job-progress")).to_be_visible()
    page.goto("/admin/workers/reprocessjob/")
    bar = page.locator(".job-progress").first
    # The list refreshes its bars by itself until the job is done.
    expect(bar).to_have_attribute("data-state", "done", timeout=60_000)
    expect(bar.locator(".job-progress__text")).to_contain_text("(100")
    shoot(page, "admin-jobs")

    page.goto("/admin/workers/reprocessjob/dashboard/")
    expect(
        page.get_by_role("heading", name=re.compile("Summaries by status"))
    ).to_be_visible()
    expect(page.locator("svg.throughput-chart")).to_be_visible()
    shoot(page, "admin-dashboard")
