"""Fixtures of the REST API tests: the ``world`` of tests/conftest.py with
documents in each space, clients signed in by token, and the model-free
embedder."""

from __future__ import annotations

from unittest import mock

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from django.contrib.auth.models import Permission

from docsite.documents.services import document_create_from_text
from docsite.ml.embedders import reset_embedders
from interests.services import document_vectors_compute
from summaries.services import summaries_generate

HASHING = {
    "default": {"BACKEND": "tests.interests.fakes.HashingEmbedder", "OPTIONS": {}}
}


@pytest.fixture(autouse=True)
def hashing_embedder(settings):
    """Use the model-free embedder, and forget cached popularity."""
    from django.core.cache import cache

    settings.DOCSITE_EMBEDDERS = HASHING
    reset_embedders()
    cache.clear()
    yield
    reset_embedders()


@pytest.fixture
def no_broker():
    """Pretend every task was sent: these tests need no worker."""
    with mock.patch("docsite.tasking.task_enqueue", return_value=True) as sent:
        yield sent


def grant(user, *codenames: str) -> None:
    """Give ``user`` permissions named ``app_label.codename``."""
    for name in codenames:
        app_label, codename = name.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def token_client(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def as_user():
    """Return an APIClient authenticated by ``user``'s token."""
    return token_client


@pytest.fixture
def docs(world):
    """One summarized, embedded document per space, titled after it."""

    def make(space, title, text):
        document = document_create_from_text(
            space=space, title=title, text=text
        ).document
        return document

    made = type(
        "Docs",
        (),
        {
            "engineering": make(
                world.engineering,
                "Kubernetes runbook",
                "How to restart the kubernetes cluster nodes safely. "
                "Drain each node first, then reboot it.",
            ),
            "hr": make(
                world.hr,
                "Salary bands",
                "Salary bands for every level are confidential. "
                "The kubernetes team is paid like everyone else.",
            ),
            "handbook": make(
                world.handbook,
                "Holiday policy",
                "Everyone has twenty-five days of holiday. "
                "Ask your manager before booking a kubernetes conference.",
            ),
        },
    )
    ids = [made.engineering.pk, made.hr.pk, made.handbook.pk]
    summaries_generate(document_ids=ids)
    document_vectors_compute(document_ids=ids)
    return made
