"""The ranker learns from the portal's traffic: impressions, clicks, versions, roll-back."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from django.test import Client
from django.utils import timezone

from interests.learning import (
    feed_click_record,
    feed_impressions_log,
    feed_impressions_prune,
    ranker_roll_back,
    ranker_train,
)
from interests.models import FeedImpression, RankerVersion
from interests.ranker import FEATURES, LinearRanker
from interests.selectors import documents_feed_response, feed_for, ranker_for_feed
from interests.services import interaction_record, user_interest_refresh
from tests.factories import UserFactory, feed_item_shown

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf(world, make_document):
    return [make_document(f"kubernetes cluster note {i}") for i in range(5)] + [
        make_document(f"holiday vacation policy {i}") for i in range(5)
    ]


def test_served_pages_are_logged_and_a_click_from_the_feed_marks_them(world, shelf):
    client = Client()
    client.force_login(world.carol)
    assert client.get("/for-you/").status_code == 200
    shown = FeedImpression.objects.filter(user=world.carol).order_by("position")
    assert shown.count() == len(shelf)
    first = shown[0]
    assert first.position == 1 and first.reason and first.ranker_version
    assert len(first.features) == len(FEATURES)
    # The reader opens it from the feed: the reading beacon says so.
    response = client.post(
        "/api/interactions/",
        {"document": first.document_id, "kind": "view", "source": "feed"},
    )
    assert response.status_code == 201
    first.refresh_from_db()
    assert first.clicked_at is not None
    # Opened from elsewhere: no click.
    other = shown[1]
    interaction_record(user=world.carol, document_id=other.document_id, kind="view")
    other.refresh_from_db()
    assert other.clicked_at is None


def _traffic(world, shelf, *, pages: int, clicks_on: str):
    """Readers who like kubernetes and click only kubernetes items in their feed."""
    readers = [UserFactory() for _ in range(4)]
    for reader in readers:
        interaction_record(user=reader, document_id=shelf[0].pk, kind="like")
        user_interest_refresh(user_id=reader.pk)
    start = timezone.now() - timedelta(hours=5)
    for index in range(pages):
        reader = readers[index % len(readers)]
        page = feed_for(user=reader, page_size=10)
        shown_at = start + timedelta(seconds=index)
        feed_impressions_log(user=reader, page=page, shown_at=shown_at)
        for item in page.items:
            if clicks_on in item.document.title:
                feed_click_record(
                    user=reader, document_id=item.document.pk, at=shown_at
                )


def test_training_records_versions_promotes_winners_and_rolls_back(
    world, shelf, settings, monkeypatch
):
    # The live ranker before any traffic ranks by popularity only: easy to beat.
    monkeypatch.setattr("interests.selectors.feed.ranker_default", lambda: None)
    settings.INTERESTS_FEED = {"WEIGHTS": {k: 0 for k in FEATURES} | {"popularity": 1}}
    settings.INTERESTS_RANKER = {"MIN_VALIDATION_SLATES": 10}
    live_before = ranker_for_feed().version
    _traffic(world, shelf, pages=60, clicks_on="kubernetes")
    version = ranker_train()
    assert version.train_slates == 48 and version.validation_slates == 12
    assert version.metrics["candidate"]["auc"] > 90
    assert version.metrics["current_version"] == live_before
    assert version.promoted
    assert ranker_for_feed().version == version.name
    # A later fit that does not beat the live one is recorded, not used.
    loser = RankerVersion.objects.create(
        name="worse",
        algorithm="logistic",
        parameters=version.parameters,
        promoted=False,
    )
    assert ranker_for_feed().version == version.name
    # Roll-back: the feed returns to what it used before.
    ranker_roll_back(version=version)
    assert ranker_for_feed().version == live_before
    assert loser.rolled_back_at is None


def test_training_without_clicks_learns_nothing(world, shelf):
    _traffic(world, shelf, pages=10, clicks_on="nothing matches")
    with pytest.raises(ValueError):
        ranker_train()
    assert not RankerVersion.objects.exists()


def test_admin_lists_versions_with_metrics_and_rolls_back(world, shelf, admin_client):
    version = RankerVersion.objects.create(
        name="logistic-abc",
        algorithm="logistic",
        parameters={
            "version": "logistic-abc",
            "features": ["exemplar"],
            "coef": [1.0],
            "intercept": 0.0,
        },
        metrics={
            "candidate": {"auc": 71.5},
            "current": {"auc": 64.0},
            "current_version": "hand",
        },
        promoted=True,
    )
    page = admin_client.get("/admin/interests/rankerversion/")
    assert page.status_code == 200
    assert b"logistic-abc" in page.content and b"71.5" in page.content
    response = admin_client.post(
        "/admin/interests/rankerversion/",
        {"action": "roll_back", "_selected_action": [version.pk]},
        follow=True,
    )
    assert response.status_code == 200
    version.refresh_from_db()
    assert version.rolled_back_at is not None
    assert ranker_for_feed().version != "logistic-abc"
    assert np.isfinite(ranker_for_feed().coef).all()


def test_old_impressions_are_pruned_but_never_inside_the_training_window(
    world, shelf, settings
):
    client = Client()
    client.force_login(world.carol)
    client.get("/for-you/")
    now = timezone.now()
    pages = list(FeedImpression.objects.filter(user=world.carol))
    assert len(pages) == len(shelf)
    ages = [10, 100, 200, 400, 1000]
    for impression, age in zip(pages, ages * 2, strict=False):
        impression.shown_at = now - timedelta(days=age)
        impression.save(update_fields=["shown_at"])

    settings.INTERESTS_RANKER = {"WINDOW_DAYS": 90, "IMPRESSION_RETENTION_DAYS": 180}
    assert feed_impressions_prune(now=now) == 6
    kept = FeedImpression.objects.filter(user=world.carol)
    assert sorted({(now - i.shown_at).days for i in kept}) == [10, 100]

    # An operator who sets a retention shorter than the training window keeps
    # the window anyway.
    settings.INTERESTS_RANKER = {"WINDOW_DAYS": 90, "IMPRESSION_RETENTION_DAYS": 30}
    assert feed_impressions_prune(now=now) == 2
    assert sorted({(now - i.shown_at).days for i in kept.all()}) == [10]


def test_feed_response_counts_other_readers_before_now_once_each(world, shelf):
    now = timezone.now()
    readers = [UserFactory() for _ in range(3)]
    hit, miss = shelf[0], shelf[5]
    for reader in readers:
        feed_item_shown(reader, hit, at=now - timedelta(hours=2), clicked=True)
        feed_item_shown(reader, miss, at=now - timedelta(hours=2))
    # One reader's refreshes count once; the asking reader's own do not count.
    feed_item_shown(readers[0], miss, at=now - timedelta(hours=1))
    feed_item_shown(world.carol, hit, at=now - timedelta(hours=1))
    # Nothing after "now" counts: the evaluation replays time through this.
    feed_item_shown(UserFactory(), miss, at=now + timedelta(minutes=5), clicked=True)
    # Nor anything older than the window.
    feed_item_shown(UserFactory(), miss, at=now - timedelta(days=40), clicked=True)
    response = documents_feed_response(
        document_ids=[hit.pk, miss.pk, shelf[1].pk],
        days=30,
        exclude_user=world.carol,
        now=now,
    )
    assert response == {hit.pk: (3, 3), miss.pk: (3, 0)}


def test_the_feed_ranks_what_other_readers_opened_above_what_they_skipped(
    world, shelf, monkeypatch
):
    # A ranker that knows only how others responded, to isolate the feature.
    ranker = LinearRanker(
        version="crowd",
        features=("feed_clicks", "feed_shown"),
        coef=np.array([1.0, -0.5]),
    )
    opened, skipped = shelf[3], shelf[4]
    for _ in range(4):
        reader = UserFactory()
        at = timezone.now() - timedelta(hours=1)
        feed_item_shown(reader, opened, at=at, clicked=True)
        feed_item_shown(reader, skipped, at=at)
    page = feed_for(
        user=world.carol,
        page_size=2,
        within_ids=[skipped.pk, opened.pk],
        ranker=ranker,
    )
    assert [item.document.pk for item in page.items] == [opened.pk, skipped.pk]
    first = dict(zip(FEATURES, page.items[0].features, strict=True))
    assert first["feed_clicks"] == pytest.approx(np.log1p(4), abs=1e-4)
    assert first["feed_shown"] == pytest.approx(np.log1p(4), abs=1e-4)
    assert page.items[0].reason == "4 colleagues opened it from their feed"


def test_the_feed_ranks_with_a_new_version_from_the_next_request(world, shelf):
    """The live ranker is parsed once per process, but a promotion, an edit of
    its parameters or a roll-back reaches the very next feed request."""
    reader = world.alice
    interaction_record(user=reader, document_id=shelf[0].pk, kind="like")
    user_interest_refresh(user_id=reader.pk)
    kubernetes = {document.pk for document in shelf[1:5]}

    def version_and_first():
        page = feed_for(user=reader, page_size=10)
        return page.ranker_version, page.items[0].document.pk

    before, _ = version_and_first()
    like_it = {"features": ["exemplar"], "coef": [1.0], "intercept": 0.0}
    version = RankerVersion.objects.create(
        name="similar-first",
        algorithm="logistic",
        parameters={**like_it, "version": "similar-first"},
        promoted=True,
    )
    live, first = version_and_first()
    assert live == "similar-first" and first in kubernetes
    # Edited in place: the feed ranks by the new parameters at once.
    RankerVersion.objects.filter(pk=version.pk).update(
        parameters={**like_it, "coef": [-1.0], "version": "similar-first"}
    )
    assert version_and_first()[1] not in kubernetes
    ranker_roll_back(version=version)
    assert version_and_first()[0] == before
