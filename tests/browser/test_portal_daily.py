"""Daily work in the portal, in a real browser with a real worker: toggles that
undo, editing documents, the review page and the operator's pages.

Screenshots go to ``var/test-artifacts/screenshots/``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from docsite.documents.services import document_create_from_text
from interests.models import Interaction

from .conftest import editor_with_generated_summary, login, reader_actions_ready

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_like_bookmark_and_not_for_me_undo_and_my_activity_follows(
    portal, page, shoot, world
):
    document = document_create_from_text(
        space=world.handbook,
        title="Expense policy",
        text="Submit receipts within thirty days. Travel is booked through the portal.",
    ).document
    login(page, "carol")
    page.goto(f"/documents/{document.pk}/")
    reader_actions_ready(page)

    like = page.get_by_role("button", name="Like", exact=True)
    like.click()
    liked = page.get_by_role("button", name="Liked", exact=True)
    expect(liked).to_have_attribute("aria-pressed", "true")
    liked.click()  # the second press undoes
    expect(page.get_by_role("button", name="Like", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(page.locator(".reader-actions__status")).to_contain_text("Like removed")
    assert not Interaction.objects.filter(user=world.carol, kind="like").exists()

    page.get_by_role("button", name="Like", exact=True).click()
    page.get_by_role("button", name="Bookmark", exact=True).click()
    expect(page.get_by_role("button", name="Bookmarked")).to_be_visible()
    page.get_by_role("button", name="Not for me", exact=True).click()
    expect(page.get_by_role("button", name="Not for me (undo)")).to_be_visible()
    # The state survives a reload: the buttons say what the reader holds.
    page.reload()
    expect(page.get_by_role("button", name="Liked", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )

    page.get_by_role("link", name="My activity").click()
    # One line for the document, whatever the reader did to it.
    expect(page.locator(".activity-item")).to_have_count(1)
    expect(page.locator(".activity-counts")).to_contain_text(
        "1 read · 1 liked · 1 bookmarked · 1 not for me"
    )
    shoot(page, "my-activity")

    page.get_by_role("link", name="Not for me").click()
    expect(page.locator(".activity-item")).to_contain_text("Expense policy")
    reader_actions_ready(page)
    page.get_by_role("button", name="Undo “Not for me”: Expense policy").click()
    expect(page.locator(".activity-item .reader-actions__status")).to_contain_text(
        "Back in your feed"
    )
    assert not Interaction.objects.filter(user=world.carol, kind="dismiss").exists()

    page.get_by_role("link", name="Bookmarks").click()
    expect(page.get_by_role("heading", name="Bookmarks")).to_be_visible()
    expect(page.locator(".activity-item")).to_contain_text("Expense policy")
    shoot(page, "bookmarks")
    reader_actions_ready(page)
    page.get_by_role("button", name="Remove bookmark: Expense policy").click()
    expect(
        page.get_by_role("button", name="Bookmark again: Expense policy")
    ).to_be_visible()
    page.reload()
    expect(page.get_by_text("No bookmarks yet.")).to_be_visible()


DROP_FILES = """(files) => {
  const transfer = new DataTransfer();
  for (const f of files) {
    const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
    transfer.items.add(new File([bytes], f.name, { type: f.type }));
  }
  const zone = document.querySelector("[data-upload-drop]");
  zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
}"""


def test_editor_drops_files_then_edits_moves_and_deletes_a_document(
    portal, page, shoot, world, tmp_path
):
    import base64

    from docsite.documents.models import Document, DocumentEvent
    from tests.documents.files import make_pdf

    world.handbook.editor_groups.add(world.engineering.editor_groups.first())
    pdf = make_pdf(
        ["Quarterly Sales Forecast Review\n\nRevenue rose four percent."],
        title="Microsoft Word - forecast-review.docx",
    )
    files = [
        ("forecast-review.pdf", "application/pdf", pdf),
        ("runbook.md", "text/markdown", b"# Incident Runbook\n\nPage the on-call."),
        ("tool.exe", "application/octet-stream", b"MZ\x90\x00"),
    ]
    login(page, "alice")
    page.goto("/documents/upload/")
    page.get_by_label("Space").select_option(label="Engineering")
    # A picked folder: every file in it, hidden ones left out.
    folder = tmp_path / "handover"
    folder.mkdir()
    (folder / "guide.md").write_bytes(b"# Handover Guide\n\nWho to call at night.")
    (folder / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    page.locator("#upload-folder").set_input_files(folder)
    page.get_by_role("button", name="Upload").click()
    rows = page.locator("[data-upload-list] .upload-result")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("handover/guide.md")
    expect(rows.nth(0)).to_contain_text("Handover Guide", timeout=30_000)

    page.evaluate(
        DROP_FILES,
        [
            {"name": n, "type": t, "b64": base64.b64encode(b).decode()}
            for n, t, b in files
        ],
    )
    expect(rows).to_have_count(3)
    # Each file is read by the worker in turn; the list follows without a reload.
    expect(page.locator("[data-upload-summary]")).to_contain_text(
        "Done: 2 ready, 1 refused.", timeout=60_000
    )
    # Titles come from the content, not from the file names.
    expect(rows.nth(0)).to_have_attribute("data-status", "ready")
    expect(rows.nth(0)).to_contain_text("Quarterly Sales Forecast Review")
    expect(rows.nth(1)).to_contain_text("Incident Runbook")
    expect(rows.nth(2)).to_have_attribute("data-status", "refused")
    expect(rows.nth(2)).to_contain_text("tool.exe")
    shoot(page, "upload-several-files")

    rows.nth(0).get_by_role("link").click()
    expect(page.locator("#document-title")).to_have_text(
        "Quarterly Sales Forecast Review"
    )
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Title").fill("Sales forecast review, Q3")
    page.get_by_label("Replace the file").set_input_files(
        files=[
            {
                "name": "forecast-q3.md",
                "mimeType": "text/markdown",
                "buffer": b"# Forecast Q3\n\nRevenue rose five percent in the third quarter.",
            }
        ]
    )
    page.get_by_label("Space").select_option(label="Handbook")
    page.get_by_role("button", name="Save changes").click()
    # The new file is read by the worker; the page follows it to the document.
    expect(page.locator("#document-title")).to_have_text(
        "Sales forecast review, Q3", timeout=30_000
    )
    expect(page.locator(".message--success")).to_contain_text("updated")
    expect(page.locator(".breadcrumb")).to_contain_text("Handbook")
    expect(page.locator(".document__text")).to_contain_text("five percent")
    expect(page.locator('.summary-panel[data-summary-status="ready"]')).to_be_visible(
        timeout=30_000
    )
    shoot(page, "document-after-edit")

    page.get_by_role("link", name="History").click()
    versions = page.locator("#versions-heading + .history-list")
    expect(versions).to_contain_text("File replaced")
    expect(versions).to_contain_text("text changed")
    expect(versions).to_contain_text("Moved")
    expect(page.locator("#panel-summary-versions")).to_be_visible()
    shoot(page, "document-history")

    document = Document.objects.get(title="Sales forecast review, Q3")
    page.goto(f"/documents/{document.pk}/delete/")
    expect(page.get_by_text("cannot be undone")).to_be_visible()
    page.get_by_role("button", name="Delete the document").click()
    expect(page.locator(".message--success")).to_contain_text("was deleted")
    assert not Document.objects.filter(pk=document.pk).exists()
    assert DocumentEvent.objects.filter(
        document_key=document.pk, action="deleted", actor=world.alice
    ).exists()
    # Gone now: the same page as for anything missing or hidden.
    page.goto(f"/documents/{document.pk}/")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()


def test_review_page_keys_reject_with_a_reason_and_confirm_to_approve_again(
    portal, page, shoot, world
):
    from summaries.models import Summary, SummaryEvent

    editor, summary = editor_with_generated_summary(
        world,
        title="Backup policy",
        text="Backups run nightly. Restores are rehearsed monthly. Keep thirty days.",
    )
    document = summary.document
    login(page, "erin")

    page.goto("/admin/summaries/summary/")
    # The queue shows each summary's text.
    expect(page.locator("#result_list td.field-summary_text").first).not_to_be_empty()
    page.goto(f"/admin/summaries/summary/{summary.pk}/change/")
    expect(page.locator("#content")).not_to_contain_text("{#")
    expect(page.locator("#content")).not_to_contain_text("This block sits inside")
    shoot(page, "review-page")

    # "r" (a handled key, no accesskey) asks for a reason before rejecting.
    page.locator("h1").click()
    page.keyboard.press("r")
    reason = page.get_by_label("Why is it rejected?")
    expect(reason).to_be_focused()
    assert Summary.objects.get(pk=summary.pk).status == "generated"
    reason.fill("Says weekly where the text says monthly.")
    page.keyboard.press("Alt+R")
    expect(page.locator(".messagelist")).to_contain_text("Summary rejected.")
    expect(page.locator(".review-rejected")).to_contain_text("Says weekly")
    event = SummaryEvent.objects.get(summary=summary, action="rejected")
    assert event.changes["reason"] == "Says weekly where the text says monthly."
    assert event.actor == editor
    shoot(page, "review-page-rejected")

    # Approving a rejected summary asks first; dismissing the question keeps it.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("h1").click()
    page.keyboard.press("a")
    page.wait_for_timeout(300)
    assert Summary.objects.get(pk=summary.pk).status == "rejected"
    page.once("dialog", lambda dialog: dialog.accept())
    page.keyboard.press("a")
    expect(page.locator(".messagelist")).to_contain_text("Summary approved.")
    assert Summary.objects.get(pk=summary.pk).status == "approved"

    page.goto(f"/documents/{document.pk}/")
    expect(page.locator(".summary-panel__meta")).to_contain_text("Generated by")
    expect(page.locator(".summary-panel__meta")).to_contain_text("approved by erin on")


def test_document_page_fills_in_without_a_reload_and_hidden_is_missing(
    portal, page, shoot, world
):
    from interests.services import document_vectors_compute

    neighbour = document_create_from_text(
        space=world.engineering,
        title="Backup restore drill",
        text="Restore the nightly postgres backup into staging every month.",
    ).document
    document_vectors_compute(document_ids=[neighbour.pk])
    login(page, "alice")
    page.goto("/documents/upload/")
    page.get_by_label("Space").select_option(label="Engineering")
    page.get_by_label("File", exact=True).set_input_files(
        files=[
            {
                "name": "backups.md",
                "mimeType": "text/markdown",
                "buffer": b"# Postgres Backups\n\nThe nightly postgres backup is "
                b"restored into staging every month to prove it works.",
            }
        ]
    )
    page.get_by_role("button", name="Upload").click()
    # The status page follows the worker, then opens the document.
    expect(page.locator("#document-title")).to_have_text(
        "Postgres Backups", timeout=30_000
    )
    expect(page.locator(".message--success")).to_contain_text("was added")
    url = page.url
    # Everything the worker fills in arrives on this same page.
    expect(page.locator(".document__status")).to_contain_text(
        "Analyzed", timeout=30_000
    )
    expect(page.locator("#document-meta")).to_contain_text("en")
    expect(page.locator('.summary-panel[data-summary-status="ready"]')).to_be_visible(
        timeout=30_000
    )
    expect(page.locator("#panel-related")).to_contain_text(
        "Backup restore drill", timeout=30_000
    )
    assert page.url == url
    shoot(page, "document-live")

    page.goto("/spaces/hr/")
    hidden = page.locator("main").inner_text()
    page.goto("/spaces/no-such-space/")
    assert page.locator("main").inner_text() == hidden
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()


def test_operator_pages_count_by_producer_follow_filters_and_read_well(
    portal, page, shoot, world
):
    from summaries.models import Summary
    from tests.factories import UserFactory
    from tests.integration.conftest import wait_for

    UserFactory(username="olga", is_staff=True, is_superuser=True)
    for title, space in (
        ("Deploy notes", world.engineering),
        ("Values", world.handbook),
    ):
        document_create_from_text(
            space=space,
            title=title,
            text=f"The {title} page explains how our teams run kubernetes with kindness.",
        )
    document_create_from_text(
        space=world.handbook, title="Holidays", text="The office closes in August."
    )
    assert wait_for(
        lambda: Summary.objects.filter(status="generated").count() == 3, timeout=30
    )
    login(page, "olga")

    page.goto("/documents/?q=kubernetes")
    expect(page.get_by_label("Space")).to_contain_text("Handbook (1)")
    page.get_by_label("Space").select_option(label="Handbook (1)")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".result-count")).to_contain_text("1 result for")
    page.goto("/documents/?space=handbook&type=Text")
    expect(page.locator(".result-count")).to_have_text("2 documents match the filters")
    page.goto("/documents/?space=engineering")
    expect(page.locator(".result-count")).to_have_text("1 document matches the filters")
    icon = page.evaluate(
        "fetch('/favicon.ico').then(r => [r.status, r.headers.get('content-type')])"
    )
    assert icon[0] == 200 and "svg" in icon[1]

    page.goto("/admin/")
    expect(page.locator("#site-name")).to_have_text("docsite administration")
    page.goto("/admin/interests/interaction/")
    expect(page.locator(".object-tools a.addlink")).to_have_count(0)
    page.goto("/admin/workers/reprocessjob/dashboard/")
    producers = page.locator("table.producer-counts")
    expect(producers).to_contain_text("(live)")
    expect(producers.locator("tbody tr").first.locator("td").last).to_have_text("3")
    shoot(page, "admin-dashboard-producers")
