"""Daily work in the portal, in a real browser with a real worker: toggles that
undo, editing documents, the review page and the operator's pages.

Screenshots go to ``var/test-artifacts/screenshots/``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from docsite.documents.services import document_create_from_text
from interests.models import Interaction

from .conftest import login

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
    page.get_by_role("button", name="Undo “Not for me”: Expense policy").click()
    expect(page.locator(".activity-item .reader-actions__status")).to_contain_text(
        "Back in your feed"
    )
    assert not Interaction.objects.filter(user=world.carol, kind="dismiss").exists()

    page.get_by_role("link", name="Bookmarks").click()
    expect(page.get_by_role("heading", name="Bookmarks")).to_be_visible()
    expect(page.locator(".activity-item")).to_contain_text("Expense policy")
    shoot(page, "bookmarks")
    page.get_by_role("button", name="Remove bookmark: Expense policy").click()
    expect(
        page.get_by_role("button", name="Bookmark again: Expense policy")
    ).to_be_visible()
    page.reload()
    expect(page.get_by_text("No bookmarks yet.")).to_be_visible()
