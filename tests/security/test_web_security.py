"""CSRF on every state-changing endpoint, no secrets in the repository, and an
audit trail that names who did what to which summary and job."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from unittest import mock

import pytest

from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from docsite.documents.services import document_create_from_text
from interests.models import Interaction
from summaries.models import Summary, SummaryEvent
from summaries.services import summaries_generate
from tests.factories import UserFactory
from workers.models import ReprocessJob

REPO = Path(__file__).resolve().parents[2]


# --- CSRF ----------------------------------------------------------------------------


def _all_views(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _all_views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def _csrf_enforced(view) -> bool:
    """Whether a POST with the session cookie but without a CSRF token is refused.

    Django views are, unless ``csrf_exempt``. DRF views are all exempt from the
    middleware and check CSRF themselves in ``SessionAuthentication``; any
    other authentication they accept must not ride on cookies (a token in a
    header cannot be sent by another site's form).
    """
    if not getattr(view, "csrf_exempt", False):
        return True
    api_class = getattr(view, "cls", None)
    if api_class is None:
        return False
    from rest_framework.authentication import (
        SessionAuthentication,
        TokenAuthentication,
    )

    classes = getattr(view, "initkwargs", {}).get(
        "authentication_classes", api_class.authentication_classes
    )
    return all(
        issubclass(cls, SessionAuthentication | TokenAuthentication) for cls in classes
    )


def test_no_view_is_exempt_from_csrf():
    """Every URL the project serves checks CSRF on POST with a session."""
    views = list(_all_views(get_resolver().url_patterns))
    assert len(views) > 50  # the admin's too
    exempt = [route for route, view in views if not _csrf_enforced(view)]
    assert exempt == []


@pytest.fixture
def site(world):
    document = document_create_from_text(
        space=world.engineering, title="Runbook", text="Restart the kubernetes nodes."
    ).document
    summaries_generate(document_ids=[document.pk])
    summary = Summary.objects.get(document=document)
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    with mock.patch("docsite.tasking.task_enqueue", return_value=True):
        from workers.services import reprocess_job_start

        job = reprocess_job_start(kind="summaries", backend_alias="candidate")
    return type(
        "Site",
        (),
        {"document": document, "summary": summary, "admin": admin, "job": job},
    )


def _state(site) -> tuple:
    site.summary.refresh_from_db()
    site.job.refresh_from_db()
    return (
        site.summary.status,
        site.summary.text,
        site.job.state,
        Summary.objects.count(),
        Interaction.objects.count(),
        ReprocessJob.objects.count(),
        SummaryEvent.objects.count(),
    )


def _state_changing_posts(site) -> list[tuple[str, dict, str | None]]:
    """(url, data, content type) of every endpoint that changes something."""
    summary, job, document = site.summary.pk, site.job.pk, site.document.pk
    return [
        (reverse("logout"), {}, None),
        (reverse("admin:logout"), {}, None),
        (reverse("login"), {"username": "root", "password": "x"}, None),
        (reverse("documents:upload"), {"space": site.document.space_id}, None),
        (
            reverse("interests:interaction-api"),
            {"document": document, "kind": "like"},
            None,  # the page beacon: form-encoded
        ),
        (
            reverse("interests:interaction-api"),
            {"document": document, "kind": "like"},
            "application/json",
        ),
        (reverse("admin:summaries_summary_approve", args=[summary]), {}, None),
        (reverse("admin:summaries_summary_reject", args=[summary]), {}, None),
        (reverse("admin:summaries_summary_regenerate", args=[summary]), {}, None),
        (
            reverse("admin:summaries_summary_change", args=[summary]),
            {"text": "Forged summary."},
            None,
        ),
        (
            reverse("admin:summaries_summary_changelist"),
            {"action": "approve_selected", "_selected_action": [summary]},
            None,
        ),
        (
            reverse("admin:summaries_summary_delete", args=[summary]),
            {"post": "yes"},
            None,
        ),
        (
            reverse("admin:workers_reprocessjob_changelist"),
            {"action": "cancel_jobs", "_selected_action": [job]},
            None,
        ),
        (
            reverse("admin:workers_reprocessjob_add"),
            {"kind": "summaries", "selection": "all", "backend_alias": "candidate"},
            None,
        ),
        (reverse("admin:password_change"), {}, None),
        # The REST API with the session cookie (the portal's own scripts).
        (
            reverse("api:interaction-list"),
            {"document": document, "kind": "like"},
            "application/json",
        ),
        (reverse("api:summary-approve", args=[summary]), {}, "application/json"),
        (
            reverse("api:summary-edit", args=[summary]),
            {"text": "Forged summary."},
            "application/json",
        ),
        (reverse("api:job-cancel", args=[job]), {}, "application/json"),
    ]


@pytest.mark.django_db
def test_every_state_changing_endpoint_refuses_a_post_without_csrf_token(site):
    client = Client(enforce_csrf_checks=True)
    client.force_login(site.admin)
    before = _state(site)
    for url, data, content_type in _state_changing_posts(site):
        if content_type == "application/json":
            import json

            response = client.post(url, json.dumps(data), content_type=content_type)
        else:
            response = client.post(url, data)
        assert response.status_code == 403, (url, response.status_code)
        assert b"CSRF" in response.content, url
    assert _state(site) == before
    assert "_auth_user_id" in client.session, "logout ran without a token"


@pytest.mark.django_db
def test_the_beacon_and_api_work_with_the_token_from_the_page(site, world):
    """Positive control: the 403s above come from CSRF, not from the endpoints."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.alice)
    page = client.get(reverse("documents:detail", args=[site.document.pk]))
    token = re.search(r'data-csrf-token="([^"]+)"', page.content.decode())
    assert token, "the document page gives the beacon its CSRF token"
    response = client.post(
        reverse("interests:interaction-api"),
        {"document": site.document.pk, "kind": "view", "csrfmiddlewaretoken": token[1]},
    )
    assert response.status_code == 201
    response = client.post(
        reverse("interests:interaction-api"),
        f'{{"document": {site.document.pk}, "kind": "like"}}',
        content_type="application/json",
        headers={"X-CSRFToken": token[1]},
    )
    assert response.status_code == 201


# --- secrets -------------------------------------------------------------------------

# Built from pieces so that this file does not match its own patterns.
_PRIVATE_KEY = re.compile("-----BEGIN ([A-Z]+ )?" + "PRIVATE KEY-----")
_SECRET_PATTERNS = {
    "private key": _PRIVATE_KEY,
    "AWS access key": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "Hugging Face token": re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"),
    "SECRET_KEY literal": re.compile(
        r"""SECRET_KEY\s*[:=]\s*(?:env_str\([^)]*\)\s*or\s*)?["']([^"'$\n]{8,})["']"""
    ),
    "password literal": re.compile(
        r"""(?i)(?<![{\w])(?:POSTGRES_PASSWORD|DB_PASSWORD|REDIS_PASSWORD)\s*[:=]\s*["']?(?!\$\{)[^\s"'${}]{4,}"""
    ),
    "URL with password": re.compile(
        r"\b(?:postgres(?:ql)?|redis|amqp)://[^:/\s@]+:(?!\$\{)([^@\s/]{1,})@"
    ),
}
# The one allowed literal: the clearly named development fallback in base.py.
_ALLOWED = {
    ("docsite/settings/base.py", "docsite-insecure-development-key-do-not-deploy"),
    # A documented placeholder, and the deployment tests' planted sample.
    ("README.md", "pass"),
    ("tests/test_deployment.py", "hunter2"),
    ("tests/test_deployment.py", "p"),
}
_TEXT_SUFFIXES = {
    *(".py", ".toml", ".yml", ".yaml", ".cfg", ".ini", ".env", ".txt", ".md"),
    *(".json", ".sh", ".html", ".js", ".css", ""),
}


def secrets_in(path: str, text: str) -> list[str]:
    found = []
    for name, pattern in _SECRET_PATTERNS.items():
        for match in pattern.finditer(text):
            literal = match.group(1) if pattern.groups else match.group(0)
            if (path, literal) in _ALLOWED:
                continue
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{path}:{line}: {name}")
    return found


def _repository_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    return [
        path
        for path in listed
        if path and Path(path).suffix in _TEXT_SUFFIXES and (REPO / path).is_file()
    ]


def test_no_secret_is_committed():
    files = _repository_files()
    assert "docker-compose.yml" in files and "docsite/settings/base.py" in files
    found = []
    for path in files:
        # This file plants samples for the scanner's own tests.
        if path == "tests/security/test_web_security.py":
            continue
        if (REPO / path).stat().st_size > 2_000_000:
            continue
        text = (REPO / path).read_text(errors="replace")
        found += secrets_in(path, text)
    assert found == []


@pytest.mark.parametrize(
    "text",
    [
        "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIE...",
        "-----BEGIN " + "PRIVATE KEY-----",
        'aws_key = "AKIA' + 'ABCDEFGHIJKLMNOP"',
        'SECRET_KEY = "' + 'prod-secret-0123456789"',
        'SECRET_KEY = env_str("SECRET_KEY") or \'' + "fallback-literal-123'",
        "SECRET_KEY: " + "'abcdefgh12345'",
        "      POSTGRES_PASSWORD: " + "hunter22",
        "DATABASE_URL: postgres://docsite:" + "s3cret@db:5432/docsite",
        "token = 'ghp_" + "a" * 36 + "'",
    ],
)
def test_the_scanner_catches_planted_secrets(text):
    assert secrets_in("planted.py", text)


@pytest.mark.parametrize(
    "text",
    [
        'SECRET_KEY = env_str("SECRET_KEY") or "docsite-insecure-development-key-do-not-deploy"',
        "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}",
        "DATABASE_URL: postgres://docsite:${POSTGRES_PASSWORD:?set it}@db:5432/docsite",
        "SECRET_KEY: ${SECRET_KEY:?set SECRET_KEY}",
    ],
)
def test_the_scanner_accepts_placeholders_and_the_development_fallback(text):
    assert secrets_in("docsite/settings/base.py", text) == []


# --- audit trail ----------------------------------------------------------------------


@pytest.mark.django_db
def test_audit_trail_names_who_approved_edited_rejected_and_who_ran_jobs(site, client):
    """GIVEN an editor and an operator working through the admin
    WHEN they review a summary and start, pause, resume and cancel a job
    THEN every action is recorded with its actor and its object."""
    editor = UserFactory(username="edna", is_staff=True, is_superuser=True)
    operator = UserFactory(username="olga", is_staff=True, is_superuser=True)
    summary = site.summary

    client.force_login(editor)
    client.post(reverse("admin:summaries_summary_approve", args=[summary.pk]))
    client.post(
        reverse("admin:summaries_summary_change", args=[summary.pk]),
        {
            "text": "An editor's summary.",
            **{
                f"events-{k}": "0"
                for k in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS")
            },
            "events-MAX_NUM_FORMS": "0",
        },
    )
    edited = Summary.objects.get(backend="human")
    client.post(
        reverse("admin:summaries_summary_reject", args=[edited.pk]),
        {"reject_reason": "Invents a date."},
    )
    trail = list(
        SummaryEvent.objects.order_by("id").values_list(
            "action", "actor__username", "summary_id"
        )
    )
    assert trail == [
        ("approved", "edna", summary.pk),
        ("edited", "edna", edited.pk),
        ("rejected", "edna", edited.pk),
    ]

    client.force_login(operator)
    with mock.patch("docsite.tasking.task_enqueue", return_value=True):
        response = client.post(
            reverse("admin:workers_reprocessjob_add"),
            {
                "kind": "summaries",
                "selection": "all",
                "backend_alias": "candidate",
                "confirm": "on",
            },
        )
        assert response.status_code == 302
        job = ReprocessJob.objects.latest("pk")
        for action in ("pause_jobs", "resume_jobs", "cancel_jobs"):
            client.post(
                reverse("admin:workers_reprocessjob_changelist"),
                {"action": action, "_selected_action": [job.pk]},
            )
    job.refresh_from_db()
    assert job.state == "cancelled"
    log = list(
        LogEntry.objects.filter(object_id=str(job.pk), change_message__startswith="Job")
        .order_by("id")
        .values_list("user__username", "change_message")
    )
    assert log == [
        ("olga", "Job started."),
        ("olga", "Job paused."),
        ("olga", "Job resumed."),
        ("olga", "Job cancelled."),
    ]
