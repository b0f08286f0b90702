"""Authentication (token and session), CSRF, pagination and the OpenAPI schema."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from docsite.documents.models import Document
from docsite.documents.services import document_create_from_text
from docsite.documents.uploads import upload_process

pytestmark = pytest.mark.django_db

DOCUMENTS = "/api/v1/documents/"


def test_requests_without_credentials_get_401_with_a_challenge(world):
    response = APIClient().get(DOCUMENTS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_token_authentication(world, docs, as_user):
    response = as_user(world.alice).get(DOCUMENTS)
    assert response.status_code == 200
    assert response.json()["count"] == 2


def test_a_wrong_token_is_refused(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get(DOCUMENTS).status_code == 401


def test_session_authentication_enforces_csrf_on_unsafe_requests(world, docs):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.alice)
    assert client.get(DOCUMENTS).status_code == 200  # safe: no token needed
    url = f"{DOCUMENTS}{docs.engineering.pk}/"
    refused = client.patch(url, {"title": "Renamed"}, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    # With the token from the cookie, as the portal's scripts send it.
    client.get("/")  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    accepted = client.patch(
        url, {"title": "Renamed"}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 200
    assert accepted.json()["title"] == "Renamed"


def test_token_requests_need_no_csrf_token(world, docs, as_user):
    client = as_user(world.alice)
    client.handler.enforce_csrf_checks = True
    response = client.patch(
        f"{DOCUMENTS}{docs.engineering.pk}/", {"title": "Renamed"}, format="json"
    )
    assert response.status_code == 200


def test_lists_are_paginated_by_20(world, as_user):
    for number in range(25):
        document_create_from_text(
            space=world.handbook, title=f"Note {number}", text=f"Note number {number}."
        )
    client = as_user(world.carol)
    first = client.get(DOCUMENTS).json()
    assert first["count"] == 25 and len(first["results"]) == 20
    assert first["next"] and first["previous"] is None
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 5 and second["next"] is None
    seen = {d["id"] for d in first["results"]} | {d["id"] for d in second["results"]}
    assert len(seen) == 25
    assert client.get(DOCUMENTS, {"page": 9}).status_code == 404


def test_schema_is_valid_openapi_and_covers_every_endpoint(world):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    paths = set(schema["paths"])
    assert {
        "/api/v1/documents/",
        "/api/v1/documents/{document_id}/",
        "/api/v1/documents/{document_id}/summary/",
        "/api/v1/documents/{document_id}/summaries/",
        "/api/v1/documents/{document_id}/related/",
        "/api/v1/summaries/{summary_id}/approve/",
        "/api/v1/summaries/{summary_id}/reject/",
        "/api/v1/summaries/{summary_id}/edit/",
        "/api/v1/summaries/{summary_id}/regenerate/",
        "/api/v1/feed/",
        "/api/v1/search/",
        "/api/v1/interactions/",
        "/api/v1/jobs/",
        "/api/v1/jobs/{job_id}/",
        "/api/v1/jobs/{job_id}/pause/",
        "/api/v1/jobs/{job_id}/resume/",
        "/api/v1/jobs/{job_id}/cancel/",
        "/api/v1/spaces/",
    } <= paths
    assert all(path.startswith("/api/v1/") for path in paths)
    assert schema["info"]["title"] == "docsite API"


def test_schema_command_passes_with_fail_on_warn(tmp_path):
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "schema.yaml"),
    )


def test_schema_and_swagger_ui_are_served_without_a_cdn(world):
    client = APIClient()
    client.force_authenticate(world.alice)
    schema = client.get(
        "/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    )
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn." not in html and "unpkg" not in html


def test_upload_by_multipart_with_a_token(world, as_user):
    upload = SimpleUploadedFile("notes.md", b"# Notes\n\nSome notes.", "text/markdown")
    response = as_user(world.alice).post(
        DOCUMENTS, {"space": "engineering", "file": upload}, format="multipart"
    )
    assert response.status_code == 202, response.content
    upload_process(upload_id=response.json()["id"])
    status = as_user(world.alice).get(response["Location"]).json()
    assert status["state"] == "ready"
    assert Document.objects.get(pk=status["document"]).title == "Notes"
