"""The document list's facets (space, type, date range) and the home page sections."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from django.urls import reverse
from django.utils import timezone

from docsite.documents import selectors, services
from docsite.documents.models import Document
from docsite.documents.panels import Panel
from docsite.documents.signals import portal_home_sections

pytestmark = pytest.mark.django_db


def _create(space, title: str, **kwargs) -> Document:
    return services.document_create_from_text(
        space=space, title=title, text=f"{title} text", **kwargs
    ).document


def _age(document: Document, days: int) -> None:
    Document.objects.filter(pk=document.pk).update(
        updated_at=timezone.now() - timedelta(days=days)
    )


def test_document_list_visible_filters_by_type_and_date(world):
    """Facets narrow the visible documents; hidden spaces stay hidden."""
    old = _create(world.engineering, "Old notes")
    new = _create(world.engineering, "New notes")
    secret = _create(world.hr, "Salaries")
    _age(old, 30)
    Document.objects.filter(pk=new.pk).update(mime_type="text/markdown; charset=utf-8")

    def titles(**kwargs):
        return {
            d.title for d in selectors.document_list_visible(user=world.alice, **kwargs)
        }

    assert titles(mime_types=["text/markdown"]) == {"New notes"}
    assert titles(updated_after=date.today() - timedelta(days=7)) == {"New notes"}
    assert titles(updated_before=date.today() - timedelta(days=7)) == {"Old notes"}
    assert titles(updated_after=timezone.now() - timedelta(days=40)) == {
        "Old notes",
        "New notes",
    }
    assert secret.title not in titles()
    facets = selectors.document_type_facets(user=world.alice)
    assert sum(facet["count"] for facet in facets) == 2


def test_list_page_applies_facets_and_keeps_them_in_pagination(client, world):
    deploy = _create(world.engineering, "Deploy guide")
    _create(world.handbook, "Holiday calendar")
    Document.objects.filter(pk=deploy.pk).update(mime_type="text/markdown")
    client.force_login(world.alice)
    response = client.get(reverse("documents:list"), {"space": "handbook"})
    assert [d.title for d in response.context["page"].object_list] == [
        "Holiday calendar"
    ]
    assert "Clear search and filters" in response.content.decode()
    response = client.get(reverse("documents:list"), {"type": "Markdown", "page": 1})
    assert [d.title for d in response.context["page"].object_list] == ["Deploy guide"]
    assert response.context["querystring"] == "type=Markdown"
    response = client.get(reverse("documents:list"), {"updated_after": "2999-01-01"})
    assert "No documents match these filters" in response.content.decode()


def test_list_page_rejects_a_reversed_date_range_with_a_message(client, world):
    client.force_login(world.alice)
    response = client.get(
        reverse("documents:list"),
        {"updated_after": "2030-01-02", "updated_before": "2030-01-01"},
    )
    assert response.status_code == 200
    assert "Pick a date on or after the start date." in response.content.decode()


def test_list_page_ignores_a_hidden_space_facet(client, world):
    _create(world.hr, "Salaries")
    client.force_login(world.carol)
    response = client.get(reverse("documents:list"), {"space": "hr"})
    assert response.status_code == 200
    assert "Salaries" not in response.content.decode()


def test_home_shows_sections_from_apps_escaped_by_them(client, world):
    def section(*, request, **kwargs):
        return Panel(slug="test", title="From a plugin", html="<p>hello</p>", order=1)

    portal_home_sections.connect(section, dispatch_uid="tests.section")
    try:
        _create(world.handbook, "Holiday calendar")
        client.force_login(world.carol)
        html = client.get(reverse("documents:home")).content.decode()
    finally:
        portal_home_sections.disconnect(dispatch_uid="tests.section")
    assert 'id="home-test"' in html and "<p>hello</p>" in html
    assert "New in your spaces" in html and "Holiday calendar" in html


def test_facet_counts_follow_the_other_filters_and_the_count_reads_well(client, world):
    from docsite.documents.services import document_create_from_text

    document_create_from_text(
        space=world.engineering, title="Deploy", text="Deploy the kubernetes cluster."
    )
    document_create_from_text(
        space=world.engineering, title="Holidays", text="Office holidays."
    )
    document_create_from_text(
        space=world.handbook, title="Values", text="Kubernetes and kindness."
    )
    client.force_login(world.alice)

    response = client.get("/documents/", {"q": "kubernetes"})
    form = response.context["form"]
    assert dict(form.fields["space"].choices)["engineering"] == "Engineering (1)"
    assert dict(form.fields["space"].choices)["handbook"] == "Handbook (1)"
    assert dict(form.fields["type"].choices)["Text"] == "Text (2)"

    response = client.get("/documents/", {"space": "engineering", "type": "Text"})
    form = response.context["form"]
    assert dict(form.fields["type"].choices)["Text"] == "Text (2)"
    assert dict(form.fields["space"].choices)["handbook"] == "Handbook (1)"
    html = " ".join(response.content.decode().split())
    assert "2 documents match the filters" in html

    response = client.get("/documents/", {"space": "handbook"})
    assert "1 document matches the filters" in " ".join(
        response.content.decode().split()
    )


def test_the_list_search_finds_documents_indexed_word_for_word(client, world):
    from docsite.documents.models import Document
    from docsite.documents.services import document_create_from_text

    document = document_create_from_text(
        space=world.handbook, title="Werte", text="Kubernetes und Freundlichkeit."
    ).document
    Document.objects.filter(pk=document.pk).update(language="de")
    client.force_login(world.alice)
    response = client.get("/documents/", {"q": "kubernetes"})
    assert [d.title for d in response.context["page"].object_list] == ["Werte"]


SEARCH_CALLS: list[str] = []


def counting_search(*, user, query, documents, limit):
    """The project's list search, counting its runs."""
    from interests.selectors.search import documents_search_ids

    SEARCH_CALLS.append(query)
    return documents_search_ids(
        user=user, query=query, documents=documents, limit=limit
    )


def test_a_searched_list_page_runs_its_search_once_for_list_and_facets(
    client, world, settings
):
    from docsite.documents.services import document_create_from_text

    settings.DOCSITE_DOCUMENT_SEARCH = f"{__name__}.counting_search"
    for space, title in [
        (world.engineering, "Deploy"),
        (world.engineering, "Cluster"),
        (world.handbook, "Values"),
    ]:
        document_create_from_text(
            space=space, title=title, text=f"{title}: the kubernetes notes."
        )
    client.force_login(world.alice)
    SEARCH_CALLS.clear()
    response = client.get("/documents/", {"q": "kubernetes", "space": "engineering"})
    assert SEARCH_CALLS == ["kubernetes"]
    form = response.context["form"]
    # The facets still count what picking them would list.
    assert dict(form.fields["space"].choices)["handbook"] == "Handbook (1)"
    assert dict(form.fields["type"].choices)["Text"] == "Text (2)"
    assert {d.title for d in response.context["page"].object_list} == {
        "Deploy",
        "Cluster",
    }
