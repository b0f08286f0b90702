"""Interest-model defects found in review, each pinned by a test."""

from __future__ import annotations

from datetime import timedelta

import pytest

from django.utils import timezone

from docsite.ml.embedders import reset_embedders
from interests.models import Interaction, UserInterest
from interests.selectors import (
    EXCLUDED_LIMIT,
    document_popularity,
    embedding_producer_active,
    feed_for,
    user_excluded_ids,
    user_interest_vectors,
)
from interests.services import (
    document_vectors_compute,
    interaction_record,
    interactions_import,
    user_interest_refresh,
    user_interests_rederive,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_exclusions_are_distinct_by_document_so_old_reads_stay_out(
    world, make_document
):
    old, hub = make_document("old read"), make_document("hub page")
    long_ago = timezone.now() - timedelta(days=30)
    interactions_import(
        rows=[
            Interaction(
                user=world.carol, document=old, kind="view", created_at=long_ago
            )
        ]
        + [
            Interaction(
                user=world.carol,
                document=hub,
                kind="view",
                created_at=timezone.now() - timedelta(seconds=i),
            )
            for i in range(EXCLUDED_LIMIT + 50)
        ]
    )
    assert set(user_excluded_ids(user=world.carol)) == {old.pk, hub.pk}


def test_popularity_counts_distinct_readers(world, make_document):
    refreshed, shared = make_document("refreshed a lot"), make_document("read by many")
    readers = [UserFactory() for _ in range(3)]
    interactions_import(
        rows=[
            Interaction(user=world.carol, document=refreshed, kind="view")
            for _ in range(10)
        ]
        + [Interaction(user=u, document=shared, kind="view") for u in readers]
    )
    counts = document_popularity(document_ids=[refreshed.pk, shared.pk], days=30)
    assert counts == {refreshed.pk: 1, shared.pk: 3}


def test_tab_switches_fold_into_one_view_with_the_dwell_added_up(world, make_document):
    document = make_document("a long read")
    first = interaction_record(
        user=world.carol, document_id=document.pk, kind="view", dwell_seconds=20
    )
    again = interaction_record(
        user=world.carol, document_id=document.pk, kind="view", dwell_seconds=40
    )
    assert again.pk == first.pk
    assert Interaction.objects.get(pk=first.pk).dwell_seconds == 60
    # A like is its own event, and a view long after is a new reading.
    interaction_record(user=world.carol, document_id=document.pk, kind="like")
    Interaction.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - timedelta(hours=2)
    )
    interaction_record(user=world.carol, document_id=document.pk, kind="view")
    assert Interaction.objects.filter(user=world.carol, kind="view").count() == 2


def test_a_new_document_becomes_a_nearest_candidate_without_the_reader_acting(
    world, make_document, settings
):
    # Only nearest neighbours: fresh and popular documents cannot smuggle it in.
    settings.INTERESTS_FEED = {"FRESH_CANDIDATES": 0, "POPULAR_CANDIDATES": 0}
    liked = make_document("kubernetes cluster upgrade")
    make_document("holiday policy vacation days")
    interaction_record(user=world.carol, document_id=liked.pk, kind="like")
    user_interest_refresh(user_id=world.carol.pk)
    before = [i.document.pk for i in feed_for(user=world.carol).items]
    new = make_document("kubernetes cluster upgrade checklist")
    after = [i.document.pk for i in feed_for(user=world.carol).items]
    assert new.pk not in before and after[0] == new.pk


def test_reasons_name_the_action_and_no_hub_explains_most_of_a_page(
    world, make_document
):
    hub = make_document("kubernetes cluster glossary terms nodes pods upgrade")
    other = make_document("vacation holiday policy")
    for i in range(24):
        make_document(f"kubernetes cluster nodes pods topic {i}")
    interaction_record(user=world.carol, document_id=hub.pk, kind="like")
    interaction_record(user=world.carol, document_id=other.pk, kind="bookmark")
    user_interest_refresh(user_id=world.carol.pk)
    reasons = [item.reason for item in feed_for(user=world.carol, page_size=20).items]
    named_hub = [r for r in reasons if hub.title in r]
    assert named_hub and all(r.startswith("Because you liked “") for r in named_hub)
    assert len(named_hub) <= 20 // 4
    assert not any("you read “" + hub.title in r for r in reasons)


def test_an_embeddings_switch_re_derives_every_readers_interests(
    world, make_document, settings
):
    documents = [make_document(f"kubernetes cluster runbook {i}") for i in range(6)]
    readers = [world.carol, UserFactory(), UserFactory()]
    for reader in readers:
        interaction_record(user=reader, document_id=documents[0].pk, kind="like")
        user_interest_refresh(user_id=reader.pk)
    # A retrained model: a new producer, vectors computed for it (as a job does).
    settings.DOCSITE_EMBEDDERS = {
        "default": {
            "BACKEND": "tests.interests.fakes.HashingEmbedder",
            "OPTIONS": {"revision": "2"},
        }
    }
    reset_embedders()
    document_vectors_compute(document_ids=[d.pk for d in documents])
    new = embedding_producer_active()
    assert not UserInterest.objects.filter(producer=new).exists()
    # Before the re-derivation reaches a reader, the feed builds their
    # interests from history for the request: never a cold feed.
    assert feed_for(user=world.carol).personalized
    progress = []
    assert (
        user_interests_rederive(
            producer=new,
            on_progress=lambda done, total: progress.append((done, total)),
            batch_size=2,
        )
        == 3
    )
    assert progress == [(2, 3), (3, 3)]
    for reader in readers:
        assert user_interest_vectors(user=reader, producer=new) is not None
        assert feed_for(user=reader).personalized
