"""Documents API: the portal's permission rules, and the write round trip."""

from __future__ import annotations

import pytest

from django.core.files.uploadedfile import SimpleUploadedFile

from docsite.documents.models import Document
from docsite.documents.uploads import upload_process

pytestmark = pytest.mark.django_db

DOCUMENTS = "/api/v1/documents/"


def detail(document) -> str:
    return f"{DOCUMENTS}{document.pk}/"


def upload(name: str = "notes.txt", content: bytes = b"Some notes on deployment."):
    return SimpleUploadedFile(name, content, "text/plain")


def processed(client, response) -> dict:
    """Check a 202 answer, run the worker's parse, return the status it reports."""
    assert response.status_code == 202, response.content
    received = response.json()
    assert received["state"] == "processing"
    assert response["Location"] == received["status_url"]
    upload_process(upload_id=received["id"])
    status = client.get(received["status_url"])
    assert status.status_code == 200
    return status.json()


def test_lists_only_documents_of_visible_spaces(world, docs, as_user):
    titles = {
        who: {d["title"] for d in as_user(user).get(DOCUMENTS).json()["results"]}
        for who, user in [
            ("alice", world.alice),
            ("bob", world.bob),
            ("carol", world.carol),
        ]
    }
    assert titles == {
        "alice": {"Kubernetes runbook", "Holiday policy"},
        "bob": {"Salary bands", "Holiday policy"},
        "carol": {"Holiday policy"},
    }


def test_search_and_space_filter_never_leak_hidden_documents(world, docs, as_user):
    client = as_user(world.carol)
    found = client.get(DOCUMENTS, {"q": "kubernetes"}).json()
    assert found["count"] == 1
    assert [d["title"] for d in found["results"]] == ["Holiday policy"]
    assert "Salary" not in client.get(DOCUMENTS, {"q": "salary"}).content.decode()
    mine = as_user(world.alice).get(DOCUMENTS, {"space": "engineering"}).json()
    assert [d["title"] for d in mine["results"]] == ["Kubernetes runbook"]
    hidden = client.get(DOCUMENTS, {"space": "hr"})
    missing = client.get(DOCUMENTS, {"space": "no-such-space"})
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["space"][0].replace("hr", "X") == missing.json()["space"][
        0
    ].replace("no-such-space", "X")


def test_spaces_lists_only_visible_spaces(world, as_user):
    slugs = [
        s["slug"] for s in as_user(world.bob).get("/api/v1/spaces/").json()["results"]
    ]
    assert sorted(slugs) == ["handbook", "hr"]


def test_detail_has_text_snippet_status_and_edit_right(world, docs, as_user):
    body = as_user(world.alice).get(detail(docs.engineering)).json()
    assert body["text"].startswith("How to restart")
    assert body["snippet"]  # the current summary, from the summaries app
    assert body["analysis"] == "pending"
    assert body["can_edit"] is True
    assert body["space"] == {"slug": "engineering", "name": "Engineering"}
    assert as_user(world.carol).get(detail(docs.handbook)).json()["can_edit"] is False


def test_hidden_documents_answer_exactly_like_missing_ones(world, docs, as_user):
    client = as_user(world.carol)
    missing = f"{DOCUMENTS}999999/"
    for method in ("get", "patch", "delete"):
        hidden_response = getattr(client, method)(detail(docs.hr))
        missing_response = getattr(client, method)(missing)
        assert hidden_response.status_code == missing_response.status_code == 404
        assert hidden_response.json() == missing_response.json()
    assert Document.objects.filter(pk=docs.hr.pk).exists()


def test_readers_without_edit_rights_get_403_on_visible_documents(world, docs, as_user):
    client = as_user(world.carol)
    assert client.patch(detail(docs.handbook), {"title": "X"}).status_code == 403
    assert client.delete(detail(docs.handbook)).status_code == 403
    assert Document.objects.get(pk=docs.handbook.pk).title == "Holiday policy"


def test_create_update_delete_round_trip(world, as_user):
    client = as_user(world.alice)
    created = client.post(
        DOCUMENTS,
        {"space": "engineering", "title": "Deploy notes", "file": upload()},
        format="multipart",
    )
    status = processed(client, created)
    assert status["state"] == "ready" and status["outcome"] == "created"
    url = f"{DOCUMENTS}{status['document']}/"
    document = client.get(url).json()
    assert document["title"] == "Deploy notes" and document["can_edit"]

    renamed = client.patch(url, {"title": "Deployment notes"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["title"] == "Deployment notes"

    replaced = client.patch(
        url,
        {"file": upload("v2.txt", b"Rolling deployments, version two.")},
        format="multipart",
    )
    assert processed(client, replaced)["outcome"] == "updated"
    replaced = client.get(url)
    assert replaced.json()["text"] == "Rolling deployments, version two."
    assert replaced.json()["title"] == "Deployment notes"
    assert replaced.json()["original_filename"] == "v2.txt"

    assert client.patch(url, {}, format="json").status_code == 400

    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


def test_the_same_text_again_is_reported_unchanged_with_the_existing_document(
    world, as_user
):
    client = as_user(world.alice)
    first = client.post(
        DOCUMENTS, {"space": "engineering", "file": upload()}, format="multipart"
    )
    again = client.post(
        DOCUMENTS,
        {"space": "engineering", "file": upload("copy.txt")},
        format="multipart",
    )
    first, again = processed(client, first), processed(client, again)
    assert (first["outcome"], again["outcome"]) == ("created", "unchanged")
    assert first["document"] == again["document"]


def test_uploads_need_an_editable_space(world, as_user):
    client = as_user(world.alice)
    read_only = client.post(
        DOCUMENTS, {"space": "handbook", "file": upload()}, format="multipart"
    )
    assert read_only.status_code == 403
    hidden = client.post(
        DOCUMENTS, {"space": "hr", "file": upload()}, format="multipart"
    )
    missing = client.post(
        DOCUMENTS, {"space": "nowhere", "file": upload()}, format="multipart"
    )
    assert hidden.status_code == missing.status_code == 400
    assert set(hidden.json()) == set(missing.json()) == {"space"}
    assert not Document.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "empty"),
        ("program.exe", b"MZ\x90\x00binary", "support"),
    ],
)
def test_refused_uploads_answer_400_with_the_reason(
    world, as_user, name, content, message
):
    response = as_user(world.alice).post(
        DOCUMENTS,
        {"space": "engineering", "file": SimpleUploadedFile(name, content)},
        format="multipart",
    )
    assert response.status_code == 400
    assert message in " ".join(response.json()["file"]).lower()
    assert not Document.objects.exists()


def test_oversized_uploads_are_refused(world, as_user, settings):
    settings.DOCSITE_MAX_UPLOAD_BYTES = 10
    response = as_user(world.alice).post(
        DOCUMENTS, {"space": "engineering", "file": upload()}, format="multipart"
    )
    assert response.status_code == 400
    assert "limit" in response.json()["file"][0]
