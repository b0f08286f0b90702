"""Summaries API: current summary and history for readers, review for editors."""

from __future__ import annotations

import pytest

from summaries.models import Summary, SummaryEvent

from .conftest import grant

pytestmark = pytest.mark.django_db


def current(document) -> str:
    return f"/api/v1/documents/{document.pk}/summary/"


def action(summary, name: str) -> str:
    return f"/api/v1/summaries/{summary.pk}/{name}/"


@pytest.fixture
def reviewer(world):
    """alice, allowed to review summaries (in the spaces she may read)."""
    grant(world.alice, "summaries.review_summary")
    return world.alice


def test_current_summary_with_status(world, docs, as_user):
    body = as_user(world.alice).get(current(docs.engineering)).json()
    assert body["status"] == "ready"
    assert body["summary"]["status"] == "generated"
    assert body["summary"]["text"]
    assert body["error"] == ""


def test_a_document_without_summary_is_pending(world, as_user):
    from docsite.documents.services import document_create_from_text

    document = document_create_from_text(
        space=world.handbook, title="New", text="Brand new text."
    ).document
    body = as_user(world.carol).get(current(document)).json()
    assert body == {"status": "pending", "error": "", "summary": None}


def test_history_lists_every_version(world, docs, reviewer, as_user):
    summary = Summary.objects.get(document=docs.engineering)
    as_user(reviewer).post(action(summary, "edit"), {"text": "Drain, then reboot."})
    history = as_user(world.carol).get(
        f"/api/v1/documents/{docs.handbook.pk}/summaries/"
    )
    assert history.status_code == 200 and history.json()["count"] == 1
    mine = (
        as_user(world.alice)
        .get(f"/api/v1/documents/{docs.engineering.pk}/summaries/")
        .json()
    )
    assert [row["is_human"] for row in mine["results"]] == [True, False]
    assert mine["results"][0]["author"] == "alice"


def test_summaries_of_hidden_documents_answer_404(world, docs, reviewer, as_user):
    client = as_user(world.carol)
    for url in (current(docs.hr), f"/api/v1/documents/{docs.hr.pk}/summaries/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Salary" not in response.content.decode()
    hidden = Summary.objects.get(document=docs.hr)
    # A reviewer cannot review what they may not read.
    for name in ("approve", "reject", "edit", "regenerate"):
        assert (
            as_user(reviewer).post(action(hidden, name), {"text": "x"}).status_code
            == 404
        )
    assert not SummaryEvent.objects.exists()


def test_non_reviewers_get_403_on_visible_summaries(world, docs, as_user):
    summary = Summary.objects.get(document=docs.handbook)
    client = as_user(world.carol)
    for name in ("approve", "reject", "edit", "regenerate"):
        response = client.post(action(summary, name), {"text": "x"})
        assert response.status_code == 403, name
    assert not SummaryEvent.objects.exists()
    assert Summary.objects.get(pk=summary.pk).status == Summary.Status.GENERATED


def test_approve_and_reject_are_audited(world, docs, reviewer, as_user):
    summary = Summary.objects.get(document=docs.engineering)
    client = as_user(reviewer)
    approved = client.post(action(summary, "approve"))
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["reviewed_by"] == "alice"
    rejected = client.post(action(summary, "reject"), {"reason": "Too vague."})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    events = list(
        SummaryEvent.objects.order_by("id").values("action", "actor__username")
    )
    assert events == [
        {"action": "approved", "actor__username": "alice"},
        {"action": "rejected", "actor__username": "alice"},
    ]
    assert SummaryEvent.objects.order_by("id").last().changes["reason"] == "Too vague."


def test_edit_creates_a_new_approved_version(world, docs, reviewer, as_user):
    summary = Summary.objects.get(document=docs.engineering)
    client = as_user(reviewer)
    edited = client.post(action(summary, "edit"), {"text": "  Drain, then reboot.  "})
    assert edited.status_code == 201
    body = edited.json()
    assert body["text"] == "Drain, then reboot."
    assert body["is_human"] and body["status"] == "approved"
    assert body["edited_from"] == summary.pk
    assert client.get(current(docs.engineering)).json()["summary"]["id"] == body["id"]
    assert SummaryEvent.objects.get().action == "edited"
    assert client.post(action(summary, "edit"), {"text": "   "}).status_code == 400


def test_regenerate_queues_a_fresh_summary(world, docs, reviewer, as_user, no_broker):
    summary = Summary.objects.get(document=docs.engineering)
    response = as_user(reviewer).post(action(summary, "regenerate"))
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert SummaryEvent.objects.get().action == "regenerated"


def test_approving_a_failed_summary_is_a_conflict(world, docs, reviewer, as_user):
    summary = Summary.objects.get(document=docs.engineering)
    Summary.objects.filter(pk=summary.pk).update(status=Summary.Status.FAILED)
    response = as_user(reviewer).post(action(summary, "approve"))
    assert response.status_code == 409
    assert "cannot be approved" in response.json()["detail"]
