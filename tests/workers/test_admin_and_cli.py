"""Operators' interfaces: the admin job list and actions, the CLI, the health page."""

from __future__ import annotations

import io
from unittest import mock

import pytest

from django.contrib.admin.models import LogEntry
from django.core.management import CommandError, call_command
from django.urls import reverse

from docsite.documents.services import document_create_from_text
from tests.factories import UserFactory
from workers.models import ReprocessJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(db):
    return UserFactory(username="olga", is_staff=True, is_superuser=True)


@pytest.fixture
def three_documents(world):
    return [
        document_create_from_text(
            space=world.engineering, title=f"D{i}", text=f"Text {i}."
        ).document
        for i in range(3)
    ]


def test_admin_shows_the_estimate_then_starts_the_job_and_records_who(
    client, operator, three_documents
):
    """GIVEN an operator's job form WHEN first submitted THEN it shows what
    would run and starts nothing; WHEN confirmed THEN the job starts."""
    client.force_login(operator)
    form = {
        "kind": "summaries",
        "selection": "all",
        "backend_alias": "candidate",
        "activate_on_success": "on",
    }
    with mock.patch("docsite.tasking.task_enqueue", return_value=True):
        preview = client.post(reverse("admin:workers_reprocessjob_add"), form)
        assert preview.status_code == 200
        assert "3 document(s) of summaries with &#x27;candidate&#x27;" in (
            preview.content.decode()
        )
        assert not ReprocessJob.objects.exists()
        response = client.post(
            reverse("admin:workers_reprocessjob_add"), {**form, "confirm": "on"}
        )

    assert response.status_code == 302, response.content.decode()[:2000]
    job = ReprocessJob.objects.get()
    assert (job.kind, job.total, job.started_by) == ("summaries", 3, operator)
    assert LogEntry.objects.filter(
        object_id=str(job.pk), change_message="Job started."
    ).exists()


def test_admin_refuses_an_unknown_backend_alias(client, operator, three_documents):
    client.force_login(operator)
    response = client.post(
        reverse("admin:workers_reprocessjob_add"),
        {"kind": "summaries", "selection": "all", "backend_alias": "nope"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    # A choice field: the alias list comes from the settings, "nope" is not on it.
    assert "Select a valid choice" in page and '<option value="candidate"' in page
    assert not ReprocessJob.objects.exists()


def test_admin_list_shows_progress_and_actions_work(client, operator, three_documents):
    from workers.services import reprocess_job_start

    with mock.patch("docsite.tasking.task_enqueue", return_value=True):
        job = reprocess_job_start(kind="summaries", backend_alias="candidate")
    client.force_login(operator)

    html = client.get(reverse("admin:workers_reprocessjob_changelist")).content.decode()
    assert f'data-job-id="{job.pk}"' in html and "0 / 3" in html

    client.post(
        reverse("admin:workers_reprocessjob_changelist"),
        {"action": "pause_jobs", "_selected_action": [job.pk]},
    )
    job.refresh_from_db()
    assert job.state == "paused"
    assert LogEntry.objects.filter(
        object_id=str(job.pk), change_message="Job paused.", user=operator
    ).exists()

    progress = client.get(
        reverse("admin:workers_reprocessjob_progress"), {"id": job.pk}
    ).json()
    assert (
        progress[str(job.pk)]["total"] == 3
        and progress[str(job.pk)]["state"] == "paused"
    )


def test_health_page_lists_queues(client, operator):
    client.force_login(operator)
    html = client.get(reverse("admin:workers_reprocessjob_health")).content.decode()
    assert "default" in html and "ml" in html and "bulk" in html


def test_non_staff_cannot_reach_job_admin(client, world):
    client.force_login(world.alice)
    response = client.get(reverse("admin:workers_reprocessjob_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_cli_reports_failure_with_nonzero_exit(three_documents):
    from workers.services import reprocess_job_cancel, reprocess_job_start

    with mock.patch("docsite.tasking.task_enqueue", return_value=True):
        job = reprocess_job_start(kind="summaries", backend_alias="candidate")
    reprocess_job_cancel(job=job)

    with pytest.raises(CommandError, match="cancelled"):
        call_command(
            "reprocess",
            "--job",
            str(job.pk),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )


def test_cli_requires_a_known_space(three_documents):
    with pytest.raises(CommandError, match="No space"):
        call_command(
            "reprocess", "--kind", "summaries", "--space", "nope", stdout=io.StringIO()
        )


def test_job_page_has_pause_resume_and_cancel_buttons_that_work(
    client, operator, three_documents
):
    from workers.services import reprocess_job_start

    with mock.patch("docsite.tasking.task_enqueue", return_value=True):
        job = reprocess_job_start(kind="summaries", backend_alias="candidate")
        client.force_login(operator)
        page = reverse("admin:workers_reprocessjob_change", args=[job.pk])

        def buttons() -> set[str]:
            html = client.get(page).content.decode()
            return {
                action
                for action in ("pause", "resume", "cancel", "retry")
                if f"job-control__{action}" in html
            }

        def press(action: str):
            return client.post(
                reverse("admin:workers_reprocessjob_control", args=[job.pk, action])
            )

        assert buttons() == {"pause", "cancel"}
        assert press("pause").status_code == 302
        job.refresh_from_db()
        assert job.state == "paused" and buttons() == {"resume", "cancel"}
        press("resume")
        job.refresh_from_db()
        assert job.state == "running"
        press("cancel")
        job.refresh_from_db()
        assert job.state == "cancelled" and buttons() == set()
        # A control that the state forbids is refused with a message, not a 500.
        follow = client.post(
            reverse("admin:workers_reprocessjob_control", args=[job.pk, "pause"]),
            follow=True,
        )
        assert "Only a running job can be paused" in follow.content.decode()
    assert (
        client.get(
            reverse("admin:workers_reprocessjob_control", args=[job.pk, "pause"])
        ).status_code
        == 405
    )
