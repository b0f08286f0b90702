"""Reprocessing jobs through the API: operators only, with the admin's rules."""

from __future__ import annotations

import pytest

from workers.models import ReprocessJob

from .conftest import grant

pytestmark = pytest.mark.django_db

JOBS = "/api/v1/jobs/"


@pytest.fixture
def operator(world):
    from tests.factories import UserFactory

    user = UserFactory(username="olga", is_staff=True)
    grant(
        user,
        "workers.view_reprocessjob",
        "workers.add_reprocessjob",
        "workers.change_reprocessjob",
        "documents.view_all_spaces",
    )
    return user


def test_readers_and_staff_without_permissions_get_403(world, as_user):
    from tests.factories import UserFactory

    staff = UserFactory(username="sam", is_staff=True)
    viewer = UserFactory(username="vera", is_staff=True)
    grant(viewer, "workers.view_reprocessjob")
    for user in (world.alice, staff):
        client = as_user(user)
        assert client.get(JOBS).status_code == 403
        assert client.post(JOBS, {"kind": "summaries"}).status_code == 403
    assert as_user(viewer).get(JOBS).status_code == 200
    assert as_user(viewer).post(JOBS, {"kind": "summaries"}).status_code == 403
    assert not ReprocessJob.objects.exists()


def test_start_watch_pause_resume_cancel(world, docs, operator, as_user, no_broker):
    client = as_user(operator)
    started = client.post(
        JOBS, {"kind": "summaries", "backend_alias": "candidate"}, format="json"
    )
    assert started.status_code == 201, started.content
    job = started.json()
    assert job["state"] == "running" and job["started_by"] == "olga"
    assert job["progress"]["total"] == 3 and job["progress"]["processed"] == 0
    url = f"{JOBS}{job['id']}/"
    assert client.get(url).json()["progress"]["percent"] == 0.0
    assert client.get(JOBS).json()["count"] == 1

    assert client.post(f"{url}pause/").json()["state"] == "paused"
    again = client.post(f"{url}pause/")
    assert again.status_code == 409 and "running" in again.json()["detail"]
    assert client.post(f"{url}resume/").json()["state"] == "running"
    assert client.post(f"{url}cancel/").json()["state"] == "cancelled"
    assert client.post(f"{url}resume/").status_code == 409
    assert client.get(f"{JOBS}999999/").status_code == 404


def test_start_validates_the_selection(world, docs, operator, as_user, no_broker):
    client = as_user(operator)
    post = lambda **data: client.post(JOBS, data, format="json")  # noqa: E731
    assert post(kind="summaries", backend_alias="nope").status_code == 400
    assert post(kind="summaries", selection="space").status_code == 400
    assert post(kind="summaries", selection="documents").status_code == 400
    assert post(kind="weather").status_code == 400
    by_space = post(kind="embeddings", selection="space", space="engineering")
    assert by_space.status_code == 201 and by_space.json()["progress"]["total"] == 1
    listed = post(
        kind="summaries",
        selection="documents",
        document_ids=[docs.hr.pk, docs.handbook.pk],
    )
    assert listed.status_code == 201 and listed.json()["progress"]["total"] == 2
    assert (
        post(kind="summaries", selection="documents", document_ids=[999999]).status_code
        == 400
    )


def test_operators_cannot_target_spaces_they_may_not_read(
    world, docs, as_user, no_broker
):
    """A job on a space tells its document count: it keeps to readable spaces."""
    grant(world.alice, "workers.add_reprocessjob", "workers.view_reprocessjob")
    world.alice.is_staff = True
    world.alice.save()
    client = as_user(world.alice)
    hidden = client.post(
        JOBS, {"kind": "summaries", "selection": "space", "space": "hr"}, format="json"
    )
    missing = client.post(
        JOBS,
        {"kind": "summaries", "selection": "space", "space": "nope"},
        format="json",
    )
    assert hidden.status_code == missing.status_code == 400
    listed = client.post(
        JOBS,
        {"kind": "summaries", "selection": "documents", "document_ids": [docs.hr.pk]},
        format="json",
    )
    assert listed.status_code == 400
    assert not ReprocessJob.objects.exists()
