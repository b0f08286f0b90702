"""Decisions on the informational findings, and hostile input in the web layer.

- Review is not global: ``summaries.review_summary`` lets an editor review
  the summaries of spaces they may edit; a viewer holding it reviews nothing.
- Reprocessing jobs are seen by those who may read what they cover.
- The API schema and its docs answer signed-in users only.
- The CSRF cookie is HttpOnly (the portal's scripts take the token from the
  page).
- ``%00`` in a query string answers 400, never a 500.
"""

from __future__ import annotations

from unittest import mock

import pytest
from rest_framework.test import APIClient

from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from docsite.documents.services import document_create_from_text
from summaries.models import Summary
from summaries.services import summaries_generate
from tests.factories import UserFactory
from workers.models import ReprocessJob

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def engineering_summary(world, settings):
    settings.SUMMARIES_REQUIRE_APPROVAL = True
    document = document_create_from_text(
        space=world.engineering, title="Runbook", text="Restart the service."
    ).document
    summaries_generate(document_ids=[document.pk])
    return Summary.objects.get(document=document)


def test_a_viewer_holding_the_review_permission_cannot_replace_a_summary(
    world, engineering_summary
):
    """Finding: a viewer-only user with review_summary replaced a summary."""
    review = Permission.objects.get(codename="review_summary")
    viewer = UserFactory(
        username="vera", groups=list(world.engineering.viewer_groups.all())
    )
    world.engineering.editor_groups.clear()  # vera's group may only read now
    viewer.user_permissions.add(review)
    url = f"/api/v1/summaries/{engineering_summary.pk}/edit/"

    refused = _api(viewer).post(url, {"text": "Mine now."}, format="json")

    assert refused.status_code == 403
    assert not Summary.objects.filter(backend="human").exists()
    editors = world.engineering.viewer_groups.first()
    world.engineering.editor_groups.add(editors)
    accepted = _api(viewer).post(url, {"text": "Reviewed."}, format="json")
    assert accepted.status_code in (200, 201), accepted.content


def test_operators_see_only_jobs_over_what_they_may_read(world):
    operator = UserFactory(username="olga", is_staff=True, groups=[])
    operator.user_permissions.add(Permission.objects.get(codename="view_reprocessjob"))
    hr_job = ReprocessJob.objects.create(
        kind="summaries", selection="space", space=world.hr, backend_alias="default"
    )
    public_job = ReprocessJob.objects.create(
        kind="summaries",
        selection="space",
        space=world.handbook,
        backend_alias="default",
    )
    everything = ReprocessJob.objects.create(
        kind="summaries", selection="all", backend_alias="default"
    )

    listed = _api(operator).get("/api/v1/jobs/").json()["results"]

    assert [job["id"] for job in listed] == [public_job.pk]
    assert _api(operator).get(f"/api/v1/jobs/{hr_job.pk}/").status_code == 404
    assert _api(operator).get(f"/api/v1/jobs/{everything.pk}/").status_code == 404
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert _api(root).get("/api/v1/jobs/").json()["count"] == 3


def test_schema_and_docs_answer_only_signed_in_users(world):
    anonymous = APIClient()
    assert anonymous.get("/api/v1/schema/").status_code in (401, 403)
    assert anonymous.get("/api/v1/docs/").status_code in (401, 403)
    assert _api(world.alice).get("/api/v1/docs/").status_code == 200


def test_the_csrf_cookie_is_httponly(world):
    client = Client(enforce_csrf_checks=True)
    response = client.get(reverse("login"))
    assert response.cookies["csrftoken"]["httponly"] is True


@pytest.mark.parametrize(
    "url",
    [
        "/search/?q=%00",
        "/search/?q=a%00b&mode=keyword",
        "/documents/?q=%00",
        "/admin/documents/document/?q=%00",
        "/admin/documents/document/?mime_type=%00",
        "/admin/summaries/summary/?q=x%00",
        "/api/v1/search/?q=%00",
    ],
)
def test_nul_in_a_query_string_answers_400_not_500(world, url):
    """Finding: /search/?q=%00 and admin filters with %00 answered 500."""
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client = Client(raise_request_exception=False)
    client.force_login(root)
    with mock.patch("docsite.tasking.task_enqueue", return_value=True):
        response = client.get(url)
    assert response.status_code == 400, (url, response.status_code)
    assert "NUL" in response.content.decode()
