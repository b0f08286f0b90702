"""The interactions API, the For you and search pages, and the document-page panels."""

from __future__ import annotations

import json

import pytest

from django.test import Client
from django.urls import reverse

from interests.models import Interaction

pytestmark = pytest.mark.django_db

API = "/api/interactions/"


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def _token(client, user):
    client.force_login(user)
    client.get(reverse("interests:feed"))
    return client.cookies["csrftoken"].value


def test_api_records_an_interaction_with_csrf(world, make_document, csrf_client):
    document = make_document("Kubernetes")
    token = _token(csrf_client, world.carol)
    response = csrf_client.post(
        API,
        json.dumps({"document": document.pk, "kind": "like"}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 201
    # The beacon posts a form with the token in the body and dwell seconds.
    response = csrf_client.post(
        API,
        {
            "document": document.pk,
            "kind": "view",
            "dwell_seconds": "42",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 201
    assert Interaction.objects.filter(user=world.carol).count() == 2
    assert Interaction.objects.get(kind="view").dwell_seconds == 42


def test_api_refuses_missing_csrf_anonymous_bad_kind_and_hidden_documents(
    world, make_document, csrf_client
):
    public = make_document("Kubernetes")
    secret = make_document("Salaries", space=world.hr)
    anonymous = Client(enforce_csrf_checks=False)
    assert (
        anonymous.post(API, {"document": public.pk, "kind": "like"}).status_code == 401
    )
    csrf_client.force_login(world.alice)
    assert (
        csrf_client.post(API, {"document": public.pk, "kind": "like"}).status_code
        == 403
    )
    token = _token(csrf_client, world.alice)
    post = lambda **data: csrf_client.post(API, {**data, "csrfmiddlewaretoken": token})  # noqa: E731
    assert post(document=public.pk, kind="love").status_code == 400
    assert post(document="x", kind="like").status_code == 400
    hidden = post(document=secret.pk, kind="like")
    missing = post(document=999999, kind="like")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert not Interaction.objects.exists()


def test_pages_and_panels_render_without_leaks(world, make_document, client):
    eng = make_document("kubernetes cluster runbook", space=world.engineering)
    make_document("kubernetes cluster laptops hr", space=world.hr)
    client.force_login(world.alice)
    feed = client.get(reverse("interests:feed"))
    assert feed.status_code == 200 and b"kubernetes cluster runbook" in feed.content
    assert b"laptops" not in feed.content
    search = client.get(
        reverse("interests:search"), {"q": "kubernetes cluster", "mode": "hybrid"}
    )
    assert search.status_code == 200 and b"laptops" not in search.content
    detail = client.get(reverse("documents:detail", kwargs={"document_id": eng.pk}))
    assert (
        b"panel-reader-actions" in detail.content and b"panel-related" in detail.content
    )
    assert b"laptops" not in detail.content


def test_for_you_empty_state(world, client):
    client.force_login(world.carol)
    response = client.get(reverse("interests:feed"))
    assert response.status_code == 200
    assert b"Nothing to suggest yet" in response.content
