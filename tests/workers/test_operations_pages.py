"""Operator pages: summaries by producer on the dashboard, the admin's name,
no "Add" on rows nobody adds by hand, and the favicon."""

from __future__ import annotations

import pytest

from django.urls import reverse

from docsite.documents.services import document_create_from_text
from summaries.services import summaries_generate
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_dashboard_counts_summaries_by_producer(client, world):
    document = document_create_from_text(
        space=world.handbook, title="Values", text="Be kind. Write things down."
    ).document
    summaries_generate(document_ids=[document.pk])
    client.force_login(UserFactory(username="olga", is_staff=True, is_superuser=True))

    html = client.get(reverse("admin:workers_dashboard")).content.decode()
    assert "Summaries by producer" in html
    assert "(live)" in html
    assert "<code>dummy</code>" in html


def test_admin_is_branded_and_derived_rows_cannot_be_added(client, world):
    client.force_login(UserFactory(username="olga", is_staff=True, is_superuser=True))
    index = client.get(reverse("admin:index")).content.decode()
    assert "docsite administration" in index
    assert "Django administration" not in index
    for name in ("interaction", "documentvector", "userinterest"):
        changelist = client.get(reverse(f"admin:interests_{name}_changelist"))
        assert changelist.status_code == 200
        assert reverse(f"admin:interests_{name}_add") not in changelist.content.decode()
        assert client.get(reverse(f"admin:interests_{name}_add")).status_code == 403


def test_favicon_is_served(client, world):
    response = client.get("/favicon.ico", follow=False)
    assert response.status_code == 301
    assert response["Location"].endswith("docsite/favicon.svg")
    client.force_login(world.alice)
    assert 'rel="icon"' in client.get("/").content.decode()
