"""Search snippets, My activity, the Interests page and its reset, and the home sections."""

from __future__ import annotations

import pytest

from django.urls import reverse

from interests import selectors
from interests.highlighting import highlight_terms, passage_around, query_terms
from interests.models import Interaction, UserInterest
from interests.services import (
    interaction_record,
    user_interest_refresh,
    user_interest_reset,
)

pytestmark = pytest.mark.django_db


# --- highlighting -------------------------------------------------------------


def test_highlight_terms_escapes_text_before_marking():
    html = highlight_terms("<script>alert(1)</script> Deployment & rollback", "deploy")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<mark>Deployment</mark>" in html


def test_highlight_terms_never_breaks_entities_or_marks_stop_words():
    html = highlight_terms("a <b> tag & amp", "lt amp the")
    assert "&lt;b&gt;" in html and "&amp;" in html
    assert "<mark>amp</mark>" in html
    assert query_terms("the and of") == []


def test_passage_around_centres_on_the_first_query_word():
    text = "filler " * 200 + "kubernetes autoscaling" + " tail" * 200
    passage = passage_around(text, "autoscaling")
    assert "autoscaling" in passage and passage.startswith("… ")
    assert len(passage) < 320


# --- search page --------------------------------------------------------------


def test_keyword_search_marks_matches_and_escapes_document_text(
    client, world, make_document
):
    make_document(
        "Deploy guide", "Run <img src=x onerror=alert(1)> the deployment checklist."
    )
    client.force_login(world.carol)
    html = client.get(
        reverse("interests:search"), {"q": "deployment", "mode": "keyword"}
    ).content.decode()
    assert "<mark>deployment</mark>" in html
    assert "<img src=x" not in html


def test_semantic_search_shows_a_marked_passage(client, world, make_document):
    make_document("Kubernetes autoscaling", "How the cluster autoscaling works.")
    client.force_login(world.carol)
    html = client.get(
        reverse("interests:search"), {"q": "autoscaling", "mode": "semantic"}
    ).content.decode()
    assert "<mark>autoscaling</mark>" in html


def test_search_snippets_leave_out_hidden_documents(world, make_document):
    secret = make_document("Salaries", "salary bands", space=world.hr)
    hits = selectors.documents_search_keyword(user=world.bob, query="salary")
    assert hits
    assert selectors.search_snippets(user=world.carol, hits=hits, query="salary") == {}
    assert secret.pk in selectors.search_snippets(
        user=world.bob, hits=hits, query="salary"
    )


# --- my activity --------------------------------------------------------------


def test_activity_lists_visible_interactions_by_kind(client, world, make_document):
    liked = make_document("Kubernetes")
    read = make_document("Holidays")
    secret = make_document("Salaries", space=world.hr)
    interaction_record(user=world.carol, document_id=liked.pk, kind="like")
    interaction_record(user=world.carol, document_id=read.pk, kind="view")
    # An interaction on a document carol can no longer see (e.g. access removed).
    Interaction.objects.create(user=world.carol, document=secret, kind="bookmark")
    client.force_login(world.carol)

    html = client.get(reverse("interests:activity")).content.decode()
    assert "Kubernetes" in html and "Holidays" in html
    assert "Salaries" not in html
    liked_page = client.get(reverse("interests:activity"), {"show": "liked"})
    assert [e.document.title for e, _ in liked_page.context["entries"]] == [
        "Kubernetes"
    ]
    assert selectors.user_activity_counts(user=world.carol) == {
        "read": 1,
        "like": 1,
        "bookmark": 0,
        "dismiss": 0,
    }


def test_activity_counts_documents_once_and_lists_each_once(
    client, world, make_document
):
    kube = make_document("Kubernetes")
    for kind in ("view", "view", "search_click", "like", "like", "bookmark"):
        interaction_record(user=world.carol, document_id=kube.pk, kind=kind)
    client.force_login(world.carol)

    response = client.get(reverse("interests:activity"))
    assert [entry.document.title for entry, _ in response.context["entries"]] == [
        "Kubernetes"
    ]
    assert response.context["counts"] == {
        "read": 1,
        "like": 1,
        "bookmark": 1,
        "dismiss": 0,
    }
    html = response.content.decode()
    assert "1 read · 1 liked · 1 bookmarked · 0 not for me" in html


def test_bookmarks_page_and_not_for_me_tab_offer_undo(client, world, make_document):
    kept = make_document("Expense policy")
    dropped = make_document("Holiday calendar")
    interaction_record(user=world.carol, document_id=kept.pk, kind="bookmark")
    interaction_record(user=world.carol, document_id=dropped.pk, kind="dismiss")
    client.force_login(world.carol)

    bookmarks = client.get(reverse("interests:bookmarks")).content.decode()
    assert "Expense policy" in bookmarks and "Holiday calendar" not in bookmarks
    assert "Remove bookmark" in bookmarks
    dismissed = client.get(reverse("interests:activity"), {"show": "dismissed"})
    html = dismissed.content.decode()
    assert "Holiday calendar" in html and "Expense policy" not in html
    assert "Undo “Not for me”" in html
    assert client.get(reverse("interests:activity"), {"show": "bookmarks"}).url == (
        reverse("interests:bookmarks")
    )


def test_activity_empty_state_says_what_to_do(client, world):
    client.force_login(world.carol)
    html = client.get(reverse("interests:activity")).content.decode()
    assert "Nothing here yet" in html and "Like" in html


# --- interests page and reset -------------------------------------------------


def test_interest_profile_has_clusters_with_visible_examples(world, make_document):
    kube = make_document("Kubernetes autoscaling", "kubernetes pods autoscaling")
    make_document("Kubernetes pods", "kubernetes pods scheduling")
    make_document("Salaries", "kubernetes pods salaries", space=world.hr)
    interaction_record(user=world.carol, document_id=kube.pk, kind="like")
    user_interest_refresh(user_id=world.carol.pk)

    profile = selectors.user_interest_profile(user=world.carol)
    assert not profile.is_empty
    assert sum(cluster.history_count for cluster in profile.clusters) >= 1
    examples = {d.title for c in profile.clusters for d in c.examples}
    assert "Salaries" not in examples
    assert examples & {"Kubernetes autoscaling", "Kubernetes pods"}


def test_interests_page_shows_a_chart_and_empty_state(client, world, make_document):
    client.force_login(world.carol)
    html = client.get(reverse("interests:interests")).content.decode()
    assert "No interests learned yet" in html

    kube = make_document("Kubernetes autoscaling")
    interaction_record(user=world.carol, document_id=kube.pk, kind="like")
    user_interest_refresh(user_id=world.carol.pk)
    html = client.get(reverse("interests:interests")).content.decode()
    assert '<svg class="chart"' in html and "Kubernetes autoscaling" in html


def test_user_interest_reset_deletes_only_that_users_history(world, make_document):
    document = make_document("Kubernetes")
    interaction_record(user=world.carol, document_id=document.pk, kind="like")
    interaction_record(user=world.alice, document_id=document.pk, kind="like")
    user_interest_refresh(user_id=world.carol.pk)

    deleted = user_interest_reset(user=world.carol)

    assert deleted == {"interactions": 1, "interests": 1}
    assert not Interaction.objects.filter(user=world.carol).exists()
    assert not UserInterest.objects.filter(user=world.carol).exists()
    assert Interaction.objects.filter(user=world.alice).exists()


def test_reset_needs_post_and_csrf(world, make_document):
    from django.test import Client

    document = make_document("Kubernetes")
    interaction_record(user=world.carol, document_id=document.pk, kind="like")
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.carol)
    url = reverse("interests:interests-reset")
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    assert Interaction.objects.filter(user=world.carol).exists()
    client.get(reverse("interests:interests"))
    token = client.cookies["csrftoken"].value
    response = client.post(url, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert not Interaction.objects.filter(user=world.carol).exists()


# --- home sections ------------------------------------------------------------


def test_home_shows_for_you_and_popular(client, world, make_document):
    popular = make_document("Holiday calendar")
    interaction_record(user=world.alice, document_id=popular.pk, kind="like")
    make_document("Salaries", space=world.hr)
    client.force_login(world.carol)
    html = client.get(reverse("documents:home")).content.decode()
    assert 'id="home-for-you"' in html and 'id="home-popular"' in html
    assert "Holiday calendar" in html
    assert "Salaries" not in html


def test_the_search_page_takes_a_pasted_paragraph_as_the_header_box_allows(
    client, world, make_document
):
    from docsite.documents.selectors import MAX_QUERY_CHARS

    make_document("Deploy guide", "Run the deployment checklist before every release.")
    client.force_login(world.carol)
    paragraph = "Run the deployment checklist before every release. " * 12
    assert len(paragraph) > 500

    response = client.get(reverse("interests:search"), {"q": paragraph})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Deploy guide" in html
    # The header's box and the page's box accept what the search accepts.
    assert html.count(f'maxlength="{MAX_QUERY_CHARS}"') == 2
