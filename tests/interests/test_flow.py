"""End to end through a real Celery worker, and the real MiniLM embedder."""

from __future__ import annotations

import time

import numpy as np
import pytest

from docsite.documents.services import document_create_from_text
from docsite.ml.embedders import reset_embedders
from interests.models import DocumentVector, UserInterest
from interests.selectors import documents_search_semantic, feed_for
from interests.services import document_vectors_compute, interaction_record
from tests.integration.conftest import wait_for


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_liking_a_document_changes_the_feed_within_seconds(world, celery_worker_real):
    """GIVEN documents embedded by the worker after their save,
    WHEN alice likes one, THEN her feed explains itself by it within seconds."""
    titles = [
        "kubernetes cluster upgrade",
        "kubernetes cluster nodes drain",
        "holiday policy vacation",
        "expense report travel",
    ]
    documents = [
        document_create_from_text(space=world.engineering, title=t, text=t).document
        for t in titles
    ]
    assert wait_for(
        lambda: DocumentVector.objects.count() == len(documents), timeout=30
    )
    assert not feed_for(user=world.alice).personalized

    started = time.monotonic()
    interaction_record(user=world.alice, document_id=documents[0].pk, kind="like")

    def personalized() -> bool:
        page = feed_for(user=world.alice)
        return page.personalized and page.items[0].document.pk == documents[1].pk

    assert wait_for(personalized, timeout=15)
    assert time.monotonic() - started < 10
    assert (
        feed_for(user=world.alice).items[0].reason == f"Because you liked “{titles[0]}”"
    )
    # A first-time reader's feed follows at once (built from the history for
    # the request); the worker's refresh stores the interests moments later.
    assert wait_for(
        lambda: UserInterest.objects.filter(
            user=world.alice, refresh_queued_at__isnull=True, computed_at__isnull=False
        ).exists(),
        timeout=15,
    )


@pytest.mark.slow
@pytest.mark.django_db
def test_minilm_vectors_rank_meaning_not_just_words(world, settings):
    settings.DOCSITE_EMBEDDERS = {
        "default": {"BACKEND": "transformer", "OPTIONS": {"device": "cpu"}}
    }
    reset_embedders()
    texts = {
        "Restoring the database from last night's backup": "Point-in-time recovery steps.",
        "Annual leave and holiday allowance": "How many vacation days employees get.",
        "Long engineering handbook": " ".join(
            ["Deploys go through CI and canary."] * 200
        ),
    }
    documents = [
        document_create_from_text(space=world.handbook, title=t, text=x).document
        for t, x in texts.items()
    ]
    report = document_vectors_compute(document_ids=[d.pk for d in documents])
    assert report.computed == 3 and report.chunks > 3  # the long one was chunked
    vector = np.asarray(DocumentVector.objects.get(document=documents[0]).embedding)
    assert vector.shape == (384,) and abs(np.linalg.norm(vector) - 1) < 1e-4
    hits = documents_search_semantic(
        user=world.carol, query="time off from work", limit=3
    )
    assert hits[0].document.pk == documents[1].pk
    interaction_record(user=world.carol, document_id=documents[0].pk, kind="like")
