"""Embedding, interactions and the interest model, against the real database."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from django.utils import timezone

from interests.models import DocumentVector, Interaction, UserInterest
from interests.ranking import HistoryEvent, interest_vectors_build, mmr_order, unit
from interests.selectors import document_ids_missing_vector, embedding_producer_active
from interests.services import (
    InvalidInteraction,
    document_vectors_compute,
    interaction_record,
    user_interest_refresh,
)

pytestmark = pytest.mark.django_db


def test_document_vectors_compute_is_idempotent_and_keyed_by_text(make_document):
    document = make_document("Kubernetes upgrades", "Drain nodes first.", embed=False)
    producer = embedding_producer_active()
    assert document.pk in document_ids_missing_vector(producer=producer, limit=10)

    first = document_vectors_compute(document_ids=[document.pk])
    second = document_vectors_compute(document_ids=[document.pk])

    assert (first.computed, second.computed, second.skipped) == (1, 0, 1)
    row = DocumentVector.objects.get(document=document)
    assert row.producer == producer
    assert row.content_sha256 == document.content_sha256
    assert np.isclose(np.linalg.norm(row.embedding), 1.0, atol=1e-5)
    assert document.pk not in document_ids_missing_vector(producer=producer, limit=10)


def test_new_text_replaces_the_old_vector(make_document):
    from docsite.documents.services import document_update

    document = make_document("Backups", "Nightly backups.")
    document_update(
        document=document, user=None, content=b"Hourly snapshots now.", filename="b.txt"
    )
    document_vectors_compute(document_ids=[document.pk])
    rows = DocumentVector.objects.filter(document=document)
    assert [r.content_sha256 for r in rows] == [
        type(document).objects.get(pk=document.pk).content_sha256
    ]


def test_long_documents_are_chunked_and_pooled(make_document, settings):
    settings.INTERESTS_CHUNK_TOKENS = 20
    text = " ".join(f"word{i}" for i in range(200))
    document = make_document("Long", text)
    row = DocumentVector.objects.get(document=document)
    assert row.chunks > 1


def test_text_changed_signal_enqueues_the_embedding_task(
    world, django_capture_on_commit_callbacks, patch
):
    from docsite.documents.services import document_create_from_text

    sent = patch("interests.tasks.document_vectors_compute.apply_async")
    with django_capture_on_commit_callbacks(execute=True):
        document = document_create_from_text(
            space=world.handbook, title="T", text="x"
        ).document
    assert any(
        call.kwargs["kwargs"]
        == {
            "document_ids": [document.pk],
            "embedder_alias": "default",
            "kind": "embeddings",
        }
        for call in sent.call_args_list
    )


def test_interaction_record_refuses_hidden_documents_and_bad_kinds(
    world, make_document
):
    from django.http import Http404

    secret = make_document("Salaries", space=world.hr)
    with pytest.raises(Http404):
        interaction_record(user=world.alice, document_id=secret.pk, kind="like")
    with pytest.raises(InvalidInteraction):
        interaction_record(user=world.bob, document_id=secret.pk, kind="love")
    assert not Interaction.objects.exists()


def test_user_interest_refresh_is_idempotent_and_leaves_out_revoked_documents(
    world, make_document
):
    k8s = make_document("Kubernetes cluster upgrades", space=world.engineering)
    pay = make_document("Payroll calendar", space=world.handbook)
    interaction_record(user=world.alice, document_id=k8s.pk, kind="like")
    first = user_interest_refresh(user_id=world.alice.pk)
    again = user_interest_refresh(user_id=world.alice.pk)
    assert np.allclose(first.long_term, again.long_term)
    assert first.interactions_used == 1

    # alice leaves engineering: her like there no longer shapes her interests.
    interaction_record(user=world.alice, document_id=pay.pk, kind="like")
    world.alice.groups.clear()
    refreshed = user_interest_refresh(user_id=world.alice.pk)
    assert refreshed.interactions_used == 1
    pay_vector = DocumentVector.objects.get(document=pay).embedding
    assert np.isclose(float(np.dot(refreshed.long_term, pay_vector)), 1.0, atol=1e-5)


def _event(pk, kind, vector, minutes_ago=0, dwell=None):
    return HistoryEvent(
        pk, kind, timezone.now() - timedelta(minutes=minutes_ago), vector, dwell
    )


def test_interest_model_builds_centroids_negatives_and_short_term():
    rng = np.random.default_rng(0)
    topic_a, topic_b, topic_c = (unit(rng.normal(size=16)) for _ in range(3))
    events = [
        _event(i, "like", unit(topic_a + 0.05 * rng.normal(size=16)), 60 + i)
        for i in range(6)
    ]
    events += [
        _event(10 + i, "view", unit(topic_b + 0.05 * rng.normal(size=16)), i, 90)
        for i in range(6)
    ]
    events += [_event(99, "dismiss", topic_c)]
    interest = interest_vectors_build(
        events,
        now=timezone.now(),
        kind_weights={"like": 3, "view": 1, "dismiss": -3},
        half_life_days=14,
        dwell_full_seconds=60,
        short_term_events=3,
        max_centroids=3,
    )
    assert len(interest.centroids) >= 2
    best = sorted(
        max(float(c @ t) for c in interest.centroids) for t in (topic_a, topic_b)
    )
    assert best[0] > 0.9
    assert (
        float(interest.short_term @ topic_b) > 0.9
    )  # the newest events are views of b
    assert float(interest.negative @ topic_c) > 0.99


def test_mmr_pushes_near_duplicates_down():
    a = np.array([1.0, 0.0])
    b = np.array([0.0, 1.0])
    vectors = np.stack([a, a, b]).astype(np.float32)
    order = mmr_order(
        scores=np.array([1.0, 0.99, 0.8]), vectors=vectors, lambda_=0.5, limit=3
    )
    assert order[:2] == [0, 2]


def test_refresh_request_coalesces_a_burst_into_one_task(
    world, make_document, django_capture_on_commit_callbacks, patch
):
    sent = patch("interests.tasks.user_interest_refresh.apply_async")
    document = make_document("Kubernetes")
    with django_capture_on_commit_callbacks(execute=True):
        for kind in ["view", "like", "bookmark", "view", "view"]:
            interaction_record(user=world.carol, document_id=document.pk, kind=kind)
    assert sent.call_count == 1
    assert sent.call_args.kwargs["kwargs"] == {"user_id": world.carol.pk}
    assert sent.call_args.kwargs["countdown"] > 0

    # The refresh clears the mark first, so the next event queues another.
    user_interest_refresh(user_id=world.carol.pk)
    with django_capture_on_commit_callbacks(execute=True):
        # (A second like would be the same like, and change nothing.)
        interaction_record(user=world.carol, document_id=document.pk, kind="view")
    assert sent.call_count == 2
    assert UserInterest.objects.get(user=world.carol).refresh_queued_at is not None


def test_undoing_a_like_rebuilds_interests_without_it(world, make_document):
    from interests.services import interaction_mark, interaction_undo

    document = make_document("Kubernetes autoscaling")
    interaction, created = interaction_mark(
        user=world.carol, document_id=document.pk, kind="like"
    )
    again, created_again = interaction_mark(
        user=world.carol, document_id=document.pk, kind="like"
    )
    assert created and not created_again and again.pk == interaction.pk
    assert user_interest_refresh(user_id=world.carol.pk).interactions_used == 1

    assert interaction_undo(user=world.carol, document_id=document.pk, kind="like") == 1
    assert interaction_undo(user=world.carol, document_id=document.pk, kind="like") == 0
    refreshed = user_interest_refresh(user_id=world.carol.pk)
    assert refreshed.interactions_used == 0 and refreshed.long_term is None
