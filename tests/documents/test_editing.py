"""Editing in the portal: title, file, space, delete; permissions; the audit trail
and the history page; several files uploaded at once; one 404 page."""

from __future__ import annotations

import re

import pytest

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from docsite.documents import services
from docsite.documents.models import Document, DocumentEvent, DocumentUpload
from docsite.documents.uploads import upload_process

pytestmark = pytest.mark.django_db


def _page(response) -> str:
    """The page without its per-response CSRF token."""
    return re.sub(
        r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode()
    )


@pytest.fixture
def doc(world) -> Document:
    return services.document_create_from_text(
        space=world.engineering,
        title="Deploy guide",
        text="Run the migrations, then restart the web workers.",
        user=world.alice,
    ).document


@pytest.fixture
def handbook_editor(world):
    world.handbook.editor_groups.add(world.engineering.editor_groups.first())
    return world.alice


def test_edit_and_delete_answer_404_when_hidden_and_403_when_read_only(
    client, world, doc
):
    hidden = services.document_create_from_text(
        space=world.hr, title="Salaries", text="Bands."
    ).document
    public = services.document_create_from_text(
        space=world.handbook, title="Values", text="Be kind."
    ).document
    client.force_login(world.alice)
    for name in ("documents:edit", "documents:delete"):
        missing = client.get(reverse(name, kwargs={"document_id": 999999}))
        secret = client.get(reverse(name, kwargs={"document_id": hidden.pk}))
        assert missing.status_code == secret.status_code == 404
        assert _page(missing) == _page(secret)
        read_only = client.post(reverse(name, kwargs={"document_id": public.pk}))
        assert read_only.status_code == 403
        assert b"editor" in read_only.content
    assert Document.objects.filter(pk=public.pk, title="Values").exists()


def test_editor_renames_replaces_and_moves_and_each_is_audited(
    client, world, doc, handbook_editor
):
    client.force_login(world.alice)
    url = reverse("documents:edit", kwargs={"document_id": doc.pk})
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {
            "title": "Deployment guide",
            "space": world.engineering.pk,
            "file": SimpleUploadedFile(
                "deploy-v2.md", b"# Deploy v2\n\nRun the migrations twice."
            ),
        },
    )
    assert response.status_code == 302
    received = DocumentUpload.objects.get()
    assert response.url == reverse(
        "documents:upload-status", kwargs={"upload_id": received.pk}
    )
    upload_process(upload_id=received.pk)  # the worker parses the new file
    doc.refresh_from_db()
    assert doc.title == "Deployment guide"
    assert doc.text.startswith("Deploy v2")
    client.post(url, {"title": "Deploy", "space": world.handbook.pk})
    doc.refresh_from_db()
    assert (doc.title, doc.space) == ("Deploy", world.handbook)

    events = list(DocumentEvent.objects.filter(document_key=doc.pk).order_by("id"))
    # The title is saved with the request; the file once the worker read it.
    assert [e.action for e in events] == [
        "created",
        "renamed",
        "replaced",
        "renamed",
        "moved",
    ]
    assert all(e.actor == world.alice for e in events)
    assert events[1].changes == {"title": ["Deploy guide", "Deployment guide"]}
    replaced = events[2].changes
    assert replaced["text_changed"] is True
    assert replaced["file"][1] == "deploy-v2.md"
    assert events[4].changes == {"space": ["engineering", "handbook"]}

    history = client.get(reverse("documents:history", kwargs={"document_id": doc.pk}))
    html = history.content.decode()
    for words in ("File replaced", "text changed", "Title changed", "Moved"):
        assert words in html
    assert 'id="panel-summary-versions"' in html


def test_moving_is_limited_to_spaces_the_editor_may_edit(client, world, doc):
    client.force_login(world.alice)
    url = reverse("documents:edit", kwargs={"document_id": doc.pk})
    response = client.post(url, {"title": doc.title, "space": world.hr.pk})
    assert response.status_code == 200
    assert "space" in response.context["form"].errors
    doc.refresh_from_db()
    assert doc.space == world.engineering


def test_delete_asks_first_then_deletes_and_keeps_the_audit(client, world, doc):
    client.force_login(world.alice)
    url = reverse("documents:delete", kwargs={"document_id": doc.pk})
    page = client.get(url).content.decode()
    assert "cannot be undone" in page and "Delete the document" in page
    assert Document.objects.filter(pk=doc.pk).exists()

    response = client.post(url)
    assert response.url == reverse(
        "documents:space", kwargs={"space_slug": "engineering"}
    )
    assert not Document.objects.filter(pk=doc.pk).exists()
    deleted = DocumentEvent.objects.get(document_key=doc.pk, action="deleted")
    assert (deleted.actor, deleted.title, deleted.document) == (
        world.alice,
        "Deploy guide",
        None,
    )


def test_several_files_in_one_request_each_get_a_status(client, world):
    client.force_login(world.alice)
    files = [
        SimpleUploadedFile("notes.md", b"# Release Notes\n\nShipped search."),
        SimpleUploadedFile("tool.exe", b"MZ\x90\x00binary"),
        SimpleUploadedFile("empty.txt", b""),
    ]
    response = client.post(
        reverse("documents:upload"),
        {"space": world.engineering.pk, "file": files},
        HTTP_ACCEPT="application/json",
    )
    results = response.json()["files"]
    assert [r["status"] for r in results] == ["processing", "refused", "refused"]
    assert "empty" in results[2]["reason"]
    assert results[1]["reason"]
    upload_process(upload_id=results[0]["id"])  # the worker's part
    status = client.get(results[0]["status_url"], HTTP_ACCEPT="application/json")
    assert status.json()["status"] == "ready"
    assert status.json()["title"] == "Release Notes"

    page = client.post(
        reverse("documents:upload"),
        {
            "space": world.engineering.pk,
            "file": [
                SimpleUploadedFile("a.txt", b"Alpha Notes\n\nOne."),
                SimpleUploadedFile("b.txt", b"Beta Notes\n\nTwo."),
            ],
        },
    )
    assert page.status_code == 200
    results = page.context["results"]
    assert [r["status"] for r in results] == ["processing", "processing"]
    for result in results:
        assert result["status_url"] in page.content.decode()
        upload_process(upload_id=result["id"])
    assert set(Document.objects.values_list("title", flat=True)) >= {
        "Alpha Notes",
        "Beta Notes",
    }


def test_hidden_and_missing_pages_answer_the_same_404_even_with_debug(
    client, world, settings
):
    settings.DEBUG = True
    client.force_login(world.alice)
    hidden = client.get(reverse("documents:space", kwargs={"space_slug": "hr"}))
    missing = client.get(reverse("documents:space", kwargs={"space_slug": "nope"}))
    unknown = client.get("/no/such/page/")
    assert hidden.status_code == missing.status_code == unknown.status_code == 404
    assert _page(hidden) == _page(missing) == _page(unknown)
    assert b"URLconf" not in hidden.content and b"No such space" not in hidden.content
    assert b"Not found" in hidden.content
