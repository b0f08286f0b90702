"""Spaces stored before slugs were transliterated become reachable again."""

from __future__ import annotations

import importlib

import pytest

from django.apps import apps
from django.test import Client
from django.urls import reverse

from docsite.documents.models import Space
from tests.factories import SpaceFactory, UserFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module(
    "docsite.documents.migrations.0006_routable_space_slugs"
)


def test_unroutable_slugs_are_transliterated_unique_and_the_spaces_open():
    SpaceFactory(slug="yanjiu", name="Research (old)")
    kept = SpaceFactory(slug="handbook-2024", name="Handbook")
    # Slugs the old importer stored: the URL converter rejects all of them.
    stored = {
        "研究": SpaceFactory(slug="研究", name="研究", is_public=True),
        "Отдел кадров": SpaceFactory(slug="Отдел кадров", name="Отдел кадров"),
        "!!!": SpaceFactory(slug="!!!", name="!!!"),
    }

    migration.make_slugs_routable(apps, None)

    slugs = {key: Space.objects.get(pk=space.pk).slug for key, space in stored.items()}
    assert slugs["研究"] == "yanjiu-2"  # "yanjiu" was taken
    assert slugs["Отдел кадров"] == "otdel-kadrov"
    assert slugs["!!!"].startswith("space-")
    assert Space.objects.get(pk=kept.pk).slug == "handbook-2024"

    client = Client()
    client.force_login(UserFactory(username="root", is_superuser=True))
    for slug in slugs.values():
        url = reverse("documents:space", kwargs={"space_slug": slug})
        assert client.get(url).status_code == 200, url
