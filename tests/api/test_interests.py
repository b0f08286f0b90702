"""Feed, related documents, search and interactions through the API."""

from __future__ import annotations

import pytest

from interests.models import Interaction

pytestmark = pytest.mark.django_db


def test_feed_holds_only_visible_documents(world, docs, as_user):
    response = as_user(world.carol).get("/api/v1/feed/")
    assert response.status_code == 200
    body = response.json()
    assert [item["document"]["title"] for item in body["results"]] == ["Holiday policy"]
    assert body["results"][0]["reason"]
    assert body["page"] == 1 and body["personalized"] is False
    text = response.content.decode()
    assert "Salary" not in text and "Kubernetes runbook" not in text
    assert as_user(world.carol).get("/api/v1/feed/", {"page": 0}).status_code == 400


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_search_modes_keep_to_visible_spaces(world, docs, as_user, mode):
    response = as_user(world.carol).get(
        "/api/v1/search/", {"q": "kubernetes salary", "mode": mode}
    )
    assert response.status_code == 200
    titles = [hit["document"]["title"] for hit in response.json()]
    assert set(titles) <= {"Holiday policy"}
    assert "Salary" not in response.content.decode()


def test_search_finds_and_validates(world, docs, as_user):
    client = as_user(world.alice)
    hits = client.get("/api/v1/search/", {"q": "kubernetes", "mode": "keyword"}).json()
    assert {hit["document"]["title"] for hit in hits} == {
        "Kubernetes runbook",
        "Holiday policy",
    }
    assert hits[0]["keyword_rank"] == 1 and hits[0]["semantic_rank"] is None
    assert client.get("/api/v1/search/", {"q": ""}).json() == []
    assert (
        client.get("/api/v1/search/", {"q": "x", "mode": "psychic"}).status_code == 400
    )


def test_related_documents(world, docs, as_user):
    url = f"/api/v1/documents/{docs.handbook.pk}/related/"
    related = as_user(world.carol).get(url)
    assert related.status_code == 200 and related.json() == []
    titles = [d["title"] for d in as_user(world.alice).get(url).json()]
    assert titles == ["Kubernetes runbook"]
    hidden = as_user(world.carol).get(f"/api/v1/documents/{docs.hr.pk}/related/")
    assert hidden.status_code == 404


def test_interactions_are_recorded(world, docs, as_user):
    client = as_user(world.carol)
    response = client.post(
        "/api/v1/interactions/",
        {"document": docs.handbook.pk, "kind": "view", "dwell_seconds": 7200},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["kind"] == "view" and body["document"] == docs.handbook.pk
    assert body["dwell_seconds"] == 3600  # capped at an hour
    assert Interaction.objects.get(user=world.carol).kind == "view"


def test_interactions_refuse_hidden_documents_and_bad_input(world, docs, as_user):
    client = as_user(world.carol)
    post = lambda **data: client.post("/api/v1/interactions/", data, format="json")  # noqa: E731
    hidden = post(document=docs.hr.pk, kind="like")
    missing = post(document=999999, kind="like")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert post(document=docs.handbook.pk, kind="love").status_code == 400
    assert (
        post(document=docs.handbook.pk, kind="view", dwell_seconds=-1).status_code
        == 400
    )
    assert post(document="x", kind="like").status_code == 400
    assert not Interaction.objects.exists()


def test_interactions_are_rate_limited_per_user(world, docs, as_user, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"interactions": "2/min"},
    }
    client = as_user(world.carol)
    body = {"document": docs.handbook.pk, "kind": "like"}
    codes = [client.post("/api/v1/interactions/", body).status_code for _ in range(3)]
    assert codes == [201, 200, 429]  # the second like is the same like
    refused = client.post("/api/v1/interactions/", body)
    assert int(refused["Retry-After"]) >= 1
    # The portal's beacon route shares the same budget.
    portal = as_user(world.carol)
    portal.force_login(world.carol)
    portal.credentials()
    assert portal.post("/api/interactions/", body).status_code == 429
    assert as_user(world.alice).post("/api/v1/interactions/", body).status_code == 201


def test_a_like_is_a_state_listed_and_undone_through_the_api(world, docs, as_user):
    from interests.selectors import document_popularity

    client = as_user(world.carol)
    body = {"document": docs.handbook.pk, "kind": "like"}
    first = client.post("/api/v1/interactions/", body, format="json")
    again = client.post("/api/v1/interactions/", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    client.post(
        "/api/v1/interactions/",
        {"document": docs.handbook.pk, "kind": "bookmark"},
        format="json",
    )
    client.post(
        "/api/v1/interactions/",
        {"document": docs.handbook.pk, "kind": "view"},
        format="json",
    )
    as_user(world.alice).post("/api/v1/interactions/", body, format="json")

    likes = client.get("/api/v1/interactions/", {"kind": "like"}).json()
    assert likes["count"] == 1
    assert likes["results"][0]["document_title"] == "Holiday policy"
    every = client.get("/api/v1/interactions/").json()
    assert sorted(row["kind"] for row in every["results"]) == ["bookmark", "like"]
    # Popularity counts readers: carol (like, bookmark, view) and alice.
    assert document_popularity(document_ids=[docs.handbook.pk], days=30) == {
        docs.handbook.pk: 2
    }

    gone = client.delete(f"/api/v1/interactions/?document={docs.handbook.pk}&kind=like")
    assert gone.status_code == 204
    assert client.get("/api/v1/interactions/", {"kind": "like"}).json()["count"] == 0
    # The undone like no longer counts; carol still read and bookmarked it.
    assert document_popularity(document_ids=[docs.handbook.pk], days=30) == {
        docs.handbook.pk: 2
    }
    again = client.delete(
        f"/api/v1/interactions/?document={docs.handbook.pk}&kind=like"
    )
    assert again.status_code == 204  # undoing twice is not an error

    bookmark = every["results"][0]["id"]
    assert (
        as_user(world.alice).delete(f"/api/v1/interactions/{bookmark}/").status_code
        == 404
    )
    assert client.delete(f"/api/v1/interactions/{bookmark}/").status_code == 204
    assert client.get("/api/v1/interactions/").json()["count"] == 0


def test_undo_refuses_hidden_documents_and_events(world, docs, as_user):
    client = as_user(world.carol)
    hidden = client.delete(f"/api/v1/interactions/?document={docs.hr.pk}&kind=like")
    assert hidden.status_code == 404
    view = client.delete(f"/api/v1/interactions/?document={docs.handbook.pk}&kind=view")
    assert view.status_code == 400
    assert client.get("/api/v1/interactions/", {"kind": "view"}).status_code == 400


def test_a_pasted_paragraph_finds_its_document_and_an_overlong_query_is_refused(
    world, docs, as_user
):
    """A reader pastes a whole paragraph (well past the old 500-character cap)
    to find the document it came from: every mode answers, and the click it
    leads to is recorded. A query past the limit is refused, naming it."""
    from docsite.documents.selectors import MAX_QUERY_CHARS

    paragraph = (
        "How to restart the kubernetes cluster nodes safely. Drain each node first, "
        "then reboot it. "
    ) * 8
    assert 500 < len(paragraph) <= MAX_QUERY_CHARS
    client = as_user(world.alice)

    for mode in ("keyword", "semantic", "hybrid"):
        response = client.get("/api/v1/search/", {"q": paragraph, "mode": mode})
        assert response.status_code == 200, (mode, response.content[:200])
        assert response.json()[0]["document"]["title"] == "Kubernetes runbook", mode

    clicked = client.post(
        "/api/v1/interactions/",
        {"document": docs.engineering.pk, "kind": "search_click", "query": paragraph},
        format="json",
    )
    assert clicked.status_code == 201
    recorded = Interaction.objects.get(user=world.alice, kind="search_click")
    assert paragraph.startswith(recorded.query) and len(recorded.query) >= 500

    overlong = client.get("/api/v1/search/", {"q": "a" * (MAX_QUERY_CHARS + 1)})
    assert overlong.status_code == 400
    assert str(MAX_QUERY_CHARS) in overlong.content.decode()
