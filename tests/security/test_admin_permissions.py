"""The admin shows staff only what the portal lets them read, and writes through
the services.

Findings reproduced here: a staff user without access to a space saw its
name in the Document filter, the document forms and the job form; the titles
of hidden documents (and who read them) in Interactions and Document
vectors; hidden failed summaries on the Dashboard. The job form accepted
hidden spaces and ids. A staff non-editor moved a document into a space he
could not read, and an edited text left hash, HTML, summary and vector stale.
"""

from __future__ import annotations

import hashlib

import pytest

from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from docsite.documents.models import Document, DocumentEvent
from docsite.documents.services import document_create_from_text
from interests.models import DocumentVector, Interaction
from summaries.models import Summary
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STAFF_PERMISSIONS = [
    ("documents", "view_document"),
    ("documents", "change_document"),
    ("documents", "add_document"),
    ("documents", "delete_document"),
    ("documents", "view_space"),
    ("documents", "change_space"),
    ("interests", "view_interaction"),
    ("interests", "view_documentvector"),
    ("summaries", "view_summary"),
    ("workers", "view_reprocessjob"),
    ("workers", "add_reprocessjob"),
]


def _staff(username: str, groups) -> Client:
    user = UserFactory(username=username, is_staff=True, groups=groups)
    for app_label, codename in STAFF_PERMISSIONS:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    client = Client()
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def site(world):
    """Alice's engineering (she edits), the public handbook (read only), hidden hr."""
    engineering = world.engineering.editor_groups.first()
    mine = document_create_from_text(
        space=world.engineering, title="Deploy guide", text="# Deploy\n\nRun it."
    ).document
    public = document_create_from_text(
        space=world.handbook, title="Company values", text="Be kind."
    ).document
    hidden = document_create_from_text(
        space=world.hr, title="Salary bands zqhidden", text="Confidential pay."
    ).document
    Summary.objects.create(
        document=hidden,
        content_sha256=hidden.content_sha256,
        producer="p",
        backend="dummy",
        status=Summary.Status.FAILED,
        error="boom",
    )
    DocumentVector.objects.create(
        document=hidden,
        content_sha256=hidden.content_sha256,
        producer="p",
        embedding=[0.0] * 384,
    )
    Interaction.objects.create(user=world.bob, document=hidden, kind="like")
    return type(
        "Site",
        (),
        {
            "mine": mine,
            "public": public,
            "hidden": hidden,
            "editor": _staff("stella", [engineering]),
            "viewer": _staff("vince", []),
        },
    )


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_lists_filters_and_dashboard_never_name_a_hidden_space_or_document(world, site):
    pages = [
        reverse("admin:documents_document_changelist"),
        reverse("admin:interests_interaction_changelist"),
        reverse("admin:interests_documentvector_changelist"),
        reverse("admin:workers_dashboard"),
        reverse("admin:documents_space_changelist"),
    ]
    for url in pages:
        page = _text(site.editor.get(url))
        assert "People &amp; HR" not in page and "People & HR" not in page, url
        assert "zqhidden" not in page, url


def test_forms_offer_only_spaces_one_may_edit_or_read(world, site):
    change = _text(
        site.editor.get(reverse("admin:documents_document_change", args=[site.mine.pk]))
    )
    assert "Engineering" in change
    assert "People &amp; HR" not in change and "Handbook" not in change
    job = _text(site.editor.get(reverse("admin:workers_reprocessjob_add")))
    assert "People &amp; HR" not in job and "Handbook" in job


def test_job_form_refuses_hidden_ids_exactly_like_missing_ones(world, site):
    url = reverse("admin:workers_reprocessjob_add")
    base = {
        "kind": "summaries",
        "selection": "documents",
        "backend_alias": "default",
        "activate_on_success": "on",
    }
    hidden = site.editor.post(url, {**base, "document_ids": str(site.hidden.pk)})
    missing = site.editor.post(url, {**base, "document_ids": "999999"})
    assert hidden.status_code == missing.status_code == 200
    assert "Some of these documents do not exist." in hidden.content.decode()
    assert "Some of these documents do not exist." in missing.content.decode()
    by_space = site.editor.post(
        url, {**base, "selection": "space", "space": world.hr.pk}
    )
    assert "Select a valid choice" in by_space.content.decode()


def test_a_non_editor_cannot_change_or_move_a_document(world, site):
    url = reverse("admin:documents_document_change", args=[site.mine.pk])
    # vince may read engineering through the public handbook? No: nothing.
    assert site.viewer.get(url).status_code in (302, 403, 404)
    response = site.editor.post(
        url, {"title": "Deploy guide", "space": world.hr.pk, "text": site.mine.text}
    )
    assert response.status_code == 200  # the form refuses the choice
    site.mine.refresh_from_db()
    assert site.mine.space == world.engineering
    # A document she may read but not edit is read-only for her.
    public = reverse("admin:documents_document_change", args=[site.public.pk])
    page = site.editor.get(public)
    assert page.status_code == 200 and 'name="title"' not in page.content.decode()
    refused = site.editor.post(
        public, {"title": "Changed", "space": world.handbook.pk, "text": "x"}
    )
    assert refused.status_code == 403
    site.public.refresh_from_db()
    assert site.public.title == "Company values"


def test_an_admin_text_edit_rederives_everything_like_a_new_file(world, site):
    url = reverse("admin:documents_document_change", args=[site.mine.pk])
    old_sha = site.mine.content_sha256

    response = site.editor.post(
        url,
        {
            "title": "Deploy guide",
            "space": world.engineering.pk,
            "text": "Blue green deployments, step by step.",
        },
    )

    assert response.status_code == 302
    document = Document.objects.get(pk=site.mine.pk)
    assert document.text == "Blue green deployments, step by step."
    assert document.content_sha256 == hashlib.sha256(document.text.encode()).hexdigest()
    assert document.content_sha256 != old_sha
    assert "Run it" not in document.html
    assert document.analysis_due  # language and word count follow
    assert document.source_file.read() == b"Blue green deployments, step by step."
    assert DocumentEvent.objects.filter(document=document, action="replaced").exists()
    # Search finds the new text and the page shows it.
    client = Client()
    client.force_login(world.alice)
    page = client.get(reverse("documents:detail", kwargs={"document_id": document.pk}))
    assert "Blue green deployments" in page.content.decode()


def test_adding_in_the_admin_is_the_portal_upload(site):
    response = site.editor.get(reverse("admin:documents_document_add"))
    assert response.status_code == 302
    assert response["Location"] == reverse("documents:upload")


def test_deleting_in_the_admin_goes_through_the_service_and_is_audited(site):
    url = reverse("admin:documents_document_delete", args=[site.mine.pk])
    assert site.editor.post(url, {"post": "yes"}).status_code == 302
    assert not Document.objects.filter(pk=site.mine.pk).exists()
    assert DocumentEvent.objects.filter(
        document_key=site.mine.pk, action="deleted", actor=site.editor.user
    ).exists()
