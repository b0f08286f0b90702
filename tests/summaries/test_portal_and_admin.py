"""What readers and editors see of summaries, and that access rules hold."""

from __future__ import annotations

import pytest

from django.contrib.auth.models import Permission
from django.urls import reverse

from summaries import services
from summaries.models import Summary, SummaryEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _reviewer(username, groups):
    user = UserFactory(username=username, is_staff=True, groups=groups)
    user.user_permissions.add(Permission.objects.get(codename="review_summary"))
    return user


@pytest.fixture
def eng_group(world):
    return world.engineering.viewer_groups.get()


def test_detail_page_shows_current_summary(client, world, make_document):
    document = make_document(
        "Nightly backups keep thirty days. Restores are rehearsed monthly."
    )
    services.summaries_generate(document_ids=[document.pk])
    client.force_login(world.alice)

    html = client.get(
        reverse("documents:detail", kwargs={"document_id": document.pk})
    ).content.decode()

    assert 'data-summary-status="ready"' in html
    assert "Nightly backups keep thirty days." in html
    assert "data-poll-url" not in html


def test_pending_summary_shows_processing_and_polls(client, world, make_document):
    document = make_document()
    client.force_login(world.alice)

    html = client.get(
        reverse("documents:detail", kwargs={"document_id": document.pk})
    ).content.decode()

    assert 'data-summary-status="pending"' in html
    assert "Processing" in html
    poll_url = reverse("summaries:panel", kwargs={"document_id": document.pk})
    assert f'data-poll-url="{poll_url}"' in html

    services.summaries_generate(document_ids=[document.pk])
    fragment = client.get(poll_url).content.decode()
    assert 'data-summary-status="ready"' in fragment
    assert "Backups run nightly." in fragment


def test_summary_fragment_is_404_for_a_reader_without_access(
    client, world, make_document
):
    document = make_document()
    services.summaries_generate(document_ids=[document.pk])
    client.force_login(world.bob)

    response = client.get(
        reverse("summaries:panel", kwargs={"document_id": document.pk})
    )

    assert response.status_code == 404
    assert b"Backups" not in response.content


def test_summary_text_is_escaped(client, world, make_document):
    document = make_document("<script>alert('x')</script> Payload in the first words.")
    services.summaries_generate(document_ids=[document.pk])
    client.force_login(world.alice)

    html = client.get(
        reverse("documents:detail", kwargs={"document_id": document.pk})
    ).content.decode()

    assert "<script>alert" not in html


def test_document_list_shows_summary_snippets(client, world, make_document):
    document = make_document("Snippet words come from the summary of this document.")
    services.summaries_generate(document_ids=[document.pk])
    client.force_login(world.alice)

    html = client.get(reverse("documents:list")).content.decode()

    assert "Snippet words come from the summary" in html


def test_admin_queue_lists_only_summaries_the_editor_may_read(
    client, world, make_document, eng_group
):
    visible = make_document("Engineering text here.", title="Eng doc")
    hidden = make_document(
        "Personnel file text.", space=world.hr, title="HR secret doc"
    )
    services.summaries_generate(document_ids=[visible.pk, hidden.pk])
    editor = _reviewer("edna", [eng_group])
    client.force_login(editor)

    html = client.get(reverse("admin:summaries_summary_changelist")).content.decode()

    assert "Eng doc" in html
    assert "HR secret doc" not in html
    hidden_summary = Summary.objects.get(document=hidden)
    response = client.get(
        reverse("admin:summaries_summary_change", args=[hidden_summary.pk])
    )
    assert response.status_code in (302, 404)


def test_admin_change_page_shows_document_text_beside_summary(
    client, world, make_document, eng_group
):
    document = make_document("The document body that the editor compares against.")
    services.summaries_generate(document_ids=[document.pk])
    summary = Summary.objects.get()
    client.force_login(_reviewer("edna", [eng_group]))

    html = client.get(
        reverse("admin:summaries_summary_change", args=[summary.pk])
    ).content.decode()

    assert "The document body that the editor compares against." in html
    assert reverse("admin:summaries_summary_approve", args=[summary.pk]) in html


def test_admin_approve_button_and_bulk_reject(client, world, make_document, eng_group):
    first = make_document("First document text.", title="First")
    second = make_document("Second document text.", title="Second")
    services.summaries_generate(document_ids=[first.pk, second.pk])
    editor = _reviewer("edna", [eng_group])
    client.force_login(editor)
    summary = Summary.objects.get(document=first)

    client.post(reverse("admin:summaries_summary_approve", args=[summary.pk]))
    summary.refresh_from_db()
    assert summary.status == "approved" and summary.reviewed_by == editor

    selected = [s.pk for s in Summary.objects.all()]
    asked = client.post(
        reverse("admin:summaries_summary_changelist"),
        {"action": "reject_selected", "_selected_action": selected},
    )
    assert "Why are these summaries rejected?" in asked.content.decode()
    assert "rejected" not in set(Summary.objects.values_list("status", flat=True))
    client.post(
        reverse("admin:summaries_summary_changelist"),
        {
            "action": "reject_selected",
            "_selected_action": selected,
            "confirm_reject": "yes",
            "reject_reason": "Both invent dates.",
        },
    )
    assert set(Summary.objects.values_list("status", flat=True)) == {"rejected"}
    events = SummaryEvent.objects.filter(action="rejected", actor=editor)
    assert events.count() == 2
    assert {e.changes["reason"] for e in events} == {"Both invent dates."}


def test_admin_edit_creates_new_version(client, world, make_document, eng_group):
    document = make_document("Original document text for editing.")
    services.summaries_generate(document_ids=[document.pk])
    summary = Summary.objects.get()
    client.force_login(_reviewer("edna", [eng_group]))

    response = client.post(
        reverse("admin:summaries_summary_change", args=[summary.pk]),
        {
            "text": "An editor's better summary.",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
            "events-MIN_NUM_FORMS": "0",
            "events-MAX_NUM_FORMS": "0",
        },
    )

    assert response.status_code == 302
    summary.refresh_from_db()
    assert summary.text == "Original document text for editing."
    edited = Summary.objects.get(backend="human")
    assert (
        edited.text == "An editor's better summary." and edited.edited_from == summary
    )


def test_staff_without_review_permission_cannot_act(
    client, world, make_document, eng_group
):
    document = make_document()
    services.summaries_generate(document_ids=[document.pk])
    summary = Summary.objects.get()
    staff = UserFactory(username="sam", is_staff=True, groups=[eng_group])
    client.force_login(staff)

    response = client.post(
        reverse("admin:summaries_summary_approve", args=[summary.pk])
    )

    assert response.status_code == 403
    summary.refresh_from_db()
    assert summary.status == "generated"


def test_reject_needs_a_reason_which_is_stored_shown_and_audited(
    client, world, make_document, eng_group
):
    document = make_document("Restores are rehearsed monthly. Backups run nightly.")
    services.summaries_generate(document_ids=[document.pk])
    summary = Summary.objects.get()
    editor = _reviewer("edna", [eng_group])
    client.force_login(editor)
    url = reverse("admin:summaries_summary_reject", args=[summary.pk])

    client.post(url, {"reject_reason": "  "})
    summary.refresh_from_db()
    assert summary.status == "generated"

    client.post(url, {"reject_reason": "Invents a weekly restore."})
    summary.refresh_from_db()
    assert summary.status == "rejected"
    event = SummaryEvent.objects.get(summary=summary, action="rejected")
    assert (event.actor, event.changes["reason"]) == (
        editor,
        "Invents a weekly restore.",
    )
    page = client.get(
        reverse("admin:summaries_summary_change", args=[summary.pk])
    ).content.decode()
    assert "Invents a weekly restore." in page
    assert "Approve it anyway?" in page  # approving a rejected summary asks first
    assert "{#" not in page and "This block sits inside" not in page
    queue = client.get(reverse("admin:summaries_summary_changelist")).content.decode()
    assert "Restores are rehearsed monthly." in queue  # the queue shows the text

    # Readers get a clear state with the reason, never a dead end.
    client.force_login(world.alice)
    panel = client.get(
        reverse("summaries:panel", kwargs={"document_id": document.pk})
    ).content.decode()
    assert 'data-summary-status="rejected"' in panel
    assert "Invents a weekly restore." in panel
    assert "No summary is shown until a new one is approved." in panel


def test_after_a_reject_readers_see_the_previous_approved_summary(
    client, world, make_document, eng_group
):
    from docsite.documents.services import document_update

    document = make_document("Backups run nightly. Restores are rehearsed monthly.")
    services.summaries_generate(document_ids=[document.pk])
    editor = _reviewer("edna", [eng_group])
    services.summary_approve(summary=Summary.objects.get(), actor=editor)
    document_update(
        document=document,
        user=editor,
        content=b"Backups run hourly. Restores are rehearsed weekly.",
        filename="backups.txt",
    )
    services.summaries_generate(document_ids=[document.pk])
    fresh = Summary.objects.get(status="generated")
    services.summary_reject(summary=fresh, actor=editor, reason="Wrong schedule.")

    client.force_login(world.alice)
    html = client.get(
        reverse("documents:detail", kwargs={"document_id": document.pk})
    ).content.decode()
    assert "Wrong schedule." in html
    assert "last approved summary, written for an earlier version" in html
    assert "Backups run nightly." in html


def test_the_label_says_who_generated_and_who_approved(
    client, world, make_document, eng_group
):
    document = make_document("Backups run nightly. Restores are rehearsed monthly.")
    services.summaries_generate(document_ids=[document.pk])
    editor = _reviewer("edna", [eng_group])
    services.summary_approve(summary=Summary.objects.get(), actor=editor)
    client.force_login(world.alice)
    panel = client.get(
        reverse("summaries:panel", kwargs={"document_id": document.pk})
    ).content.decode()
    text = " ".join(panel.split())
    assert "Generated by <code>" in text
    assert "approved by edna on" in text


def test_regenerate_shows_the_alternative_beside_the_current_summary(
    client, world, make_document, eng_group
):
    document = make_document(
        "Backups run nightly at two. Restores are tested every month.", title="Ops"
    )
    services.summaries_generate(document_ids=[document.pk])
    summary = Summary.objects.get()
    client.force_login(_reviewer("edna", [eng_group]))

    response = client.post(
        reverse("admin:summaries_summary_regenerate", args=[summary.pk])
    )

    assert response.url == reverse("admin:summaries_summary_change", args=[summary.pk])
    alternative = Summary.objects.exclude(pk=summary.pk).get()
    services.summaries_generate(document_ids=[document.pk], variant=1)
    alternative.refresh_from_db()
    html = client.get(response.url).content.decode()
    assert "Alternatives for this text" in html
    assert alternative.text in html
    assert reverse("admin:summaries_summary_approve", args=[alternative.pk]) in html
