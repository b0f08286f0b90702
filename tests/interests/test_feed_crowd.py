"""The crowd's picks: documents other readers opened from their feeds become
candidates of every reader who may read them, as soon as they are opened."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from django.utils import timezone

from interests.learning import feed_click_record
from interests.ranker import LinearRanker
from interests.selectors import feed_for
from interests.selectors.candidates import documents_crowd_ids
from interests.services import interaction_record
from tests.factories import UserFactory, feed_item_shown

pytestmark = pytest.mark.django_db

# Knows only how other readers responded, so a test sees the candidate source
# and not the rest of the ranking.
CROWD_RANKER = LinearRanker(
    version="crowd", features=("feed_clicks",), coef=np.array([1.0])
)


@pytest.fixture
def shelf(world, make_document):
    return [make_document(f"kubernetes cluster note {i}") for i in range(6)] + [
        make_document(f"holiday vacation policy {i}") for i in range(6)
    ]


def _shown(reader, document, *, at=None, clicked=False):
    return feed_item_shown(
        reader, document, at=at or timezone.now() - timedelta(hours=1), clicked=clicked
    )


def test_crowd_picks_count_readers_who_opened_them_in_the_readers_spaces(
    world, shelf, make_document
):
    most, fewer, skipped, old = shelf[6], shelf[7], shelf[8], shelf[9]
    private = make_document("payroll calendar", space=world.hr)
    for _ in range(3):
        _shown(UserFactory(), most, clicked=True)
    # One reader opening it from two pages is one reader.
    someone = UserFactory()
    _shown(someone, fewer, clicked=True)
    _shown(someone, fewer, clicked=True)
    _shown(UserFactory(), skipped)
    _shown(UserFactory(), old, at=timezone.now() - timedelta(days=40), clicked=True)
    for _ in range(5):
        _shown(UserFactory(), private, clicked=True)

    handbook_only = documents_crowd_ids(
        space_ids=[world.handbook.pk], days=30, limit=10
    )
    assert handbook_only == [most.pk, fewer.pk]
    both = documents_crowd_ids(
        space_ids=[world.handbook.pk, world.hr.pk], days=30, limit=10
    )
    assert both == [private.pk, most.pk, fewer.pk]


def test_a_click_from_any_feed_reaches_the_next_request(
    world, shelf, django_capture_on_commit_callbacks
):
    first, second = shelf[6], shelf[7]
    _shown(UserFactory(), first, clicked=True)
    spaces = [world.handbook.pk]
    assert documents_crowd_ids(space_ids=spaces, days=30, limit=10) == [first.pk]
    # Rows written behind the feed's back wait for the cache...
    _shown(UserFactory(), second, clicked=True)
    _shown(UserFactory(), second, clicked=True)
    assert documents_crowd_ids(space_ids=spaces, days=30, limit=10) == [first.pk]
    # ...a reader opening a document from the feed does not.
    reader = UserFactory()
    _shown(reader, second)
    with django_capture_on_commit_callbacks(execute=True):
        assert feed_click_record(user=reader, document_id=second.pk)
    assert documents_crowd_ids(space_ids=spaces, days=30, limit=10) == [
        second.pk,
        first.pk,
    ]


def test_the_feed_offers_what_colleagues_opened_beyond_its_nearest(
    world, shelf, settings, make_document
):
    from interests.services import user_interest_refresh

    # The one scan finds only a page of nearest documents, no fresh or popular.
    settings.INTERESTS_FEED = {
        "ANN_CANDIDATES": 1,
        "FRESH_CANDIDATES": 0,
        "POPULAR_CANDIDATES": 0,
    }
    kubernetes, holiday = shelf[:6], shelf[6:]
    interaction_record(user=world.carol, document_id=kubernetes[0].pk, kind="like")
    user_interest_refresh(user_id=world.carol.pk)
    private = make_document("holiday payroll calendar", space=world.hr)
    picked = holiday[3]
    for document in (picked, private, kubernetes[0]):
        for _ in range(3):
            _shown(UserFactory(), document, clicked=True)

    def page_ids() -> list[int]:
        page = feed_for(user=world.carol, page_size=3, ranker=CROWD_RANKER)
        return [item.document.pk for item in page.items]

    settings.INTERESTS_FEED = {**settings.INTERESTS_FEED, "CROWD_CANDIDATES": 0}
    without = page_ids()
    assert picked.pk not in without
    assert set(without) <= {d.pk for d in kubernetes[1:]}

    settings.INTERESTS_FEED = {**settings.INTERESTS_FEED, "CROWD_CANDIDATES": 40}
    with_crowd = page_ids()
    assert with_crowd[0] == picked.pk
    page = feed_for(user=world.carol, page_size=3, ranker=CROWD_RANKER)
    assert page.items[0].reason == "3 colleagues opened it from their feed"
    # Never what carol may not read, nor what she has read already.
    assert private.pk not in with_crowd
    assert kubernetes[0].pk not in with_crowd


def test_without_the_cache_clicks_still_count_and_the_feed_still_has_the_crowd(
    world, shelf, patch, django_capture_on_commit_callbacks, caplog
):
    picked = shelf[6]
    reader = UserFactory()
    _shown(reader, picked)
    down = ConnectionError("cache down")
    for method in ("get_many", "set", "add", "incr", "get"):
        patch(f"django.core.cache.cache.{method}", side_effect=down)

    with django_capture_on_commit_callbacks(execute=True):
        assert feed_click_record(user=reader, document_id=picked.pk)
    assert documents_crowd_ids(space_ids=[world.handbook.pk], days=30, limit=10) == [
        picked.pk
    ]
    page = feed_for(user=world.carol, page_size=12, ranker=CROWD_RANKER)
    assert page.items[0].document.pk == picked.pk
    logged = caplog.text
    assert "crowd lists not refreshed" in logged
    assert "computing crowd picks without it" in logged
