"""Derived outputs and queues by urgency, through a real worker: an upload
during a running job, an embedder other than "default", an embedder of
another vector size after its blue/green job."""

from __future__ import annotations

import time

import pytest

from docsite.documents.services import document_create_from_text
from docsite.ml.embedders import reset_embedders
from docsite.ml.models import ActiveProducer
from docsite.ml.outputs import EMBEDDINGS, output_kind, producer_live
from interests.models import DocumentVector, UserInterest
from interests.selectors import documents_search_semantic, feed_for
from interests.services import interaction_record
from summaries.models import Summary
from summaries.selectors import summary_producer_for
from tests.factories import SpaceFactory, UserFactory
from tests.integration.conftest import wait_for
from workers.models import ReprocessJob
from workers.services import reprocess_job_start
from workers.sweeper import output_due_enqueue

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

HASHING = "tests.interests.fakes.HashingEmbedder"
TOPICS = ["kernel scheduler threads", "garden roses tulips", "invoice tax payment"]


@pytest.fixture
def embedders(settings):
    settings.DOCSITE_EMBEDDERS = {
        "default": {"BACKEND": HASHING, "OPTIONS": {}},
        "other": {"BACKEND": HASHING, "OPTIONS": {"revision": "other"}},
        "tiny": {"BACKEND": HASHING, "OPTIONS": {"dimension": 8}},
    }
    reset_embedders()
    yield settings
    reset_embedders()


def _documents(space, n: int, prefix: str) -> list:
    return [
        document_create_from_text(
            space=space,
            title=f"{prefix} {i}",
            text=f"{prefix} {i} about {TOPICS[i % len(TOPICS)]}.",
        ).document
        for i in range(n)
    ]


def _embedded(documents, producer: str) -> bool:
    return DocumentVector.objects.filter(
        producer=producer, document__in=documents
    ).count() == len(documents)


def test_an_upload_during_a_running_job_gets_its_summary_and_vector_promptly(
    celery_worker_real, embedders
):
    """GIVEN a summaries job with a slow producer over 24 documents (7 s of
    work) WHEN a document is saved in the middle THEN its live summary and
    vector appear within a few seconds, while the job is still running: the
    worker takes ml before bulk and chunks give way between steps."""
    space = SpaceFactory(slug="busy", is_public=True)
    _documents(space, 24, "Busy note")
    live = summary_producer_for(backend_alias="default")
    assert wait_for(
        lambda: Summary.objects.filter(producer=live, status="generated").count() == 24,
        timeout=60,
    )
    job = reprocess_job_start(kind="summaries", backend_alias="slow")
    assert job.chunk_size > 1  # 0.3 s a document: several per chunk
    assert wait_for(lambda: ReprocessJob.objects.get(pk=job.pk).done_count >= 2)

    started = time.monotonic()
    upload = document_create_from_text(
        space=space, title="Fresh upload", text="Fresh upload about roses."
    ).document
    vector_producer = producer_live(kind=EMBEDDINGS).producer
    assert wait_for(
        lambda: (
            Summary.objects.filter(
                document=upload, producer=live, status="generated"
            ).exists()
            and _embedded([upload], vector_producer)
        ),
        timeout=30,
    )
    waited = time.monotonic() - started
    job = ReprocessJob.objects.get(pk=job.pk)
    assert job.state == "running", "the job ended before the upload was served"
    assert waited < 4, f"the upload waited {waited:.1f}s behind the job"

    # The job catches the upload up before it switches: its selection is "all".
    assert wait_for(
        lambda: ReprocessJob.objects.get(pk=job.pk).state == "done", timeout=90
    )
    assert Summary.objects.filter(
        document=upload, producer=job.producer, status="generated"
    ).exists()


def test_a_configured_embedder_other_than_default_serves_feed_and_search(
    celery_worker_real, embedders
):
    """GIVEN INTERESTS_EMBEDDER = "other" and no switch ever made THEN vectors
    are written and read under one key: search and the feed use them, and the
    sweeper finds nothing to re-enqueue once they exist."""
    embedders.INTERESTS_EMBEDDER = "other"
    space = SpaceFactory(slug="other", is_public=True)
    documents = _documents(space, 6, "Other note")
    live = producer_live(kind=EMBEDDINGS)
    assert live.backend_alias == "other"
    assert wait_for(lambda: _embedded(documents, live.producer), timeout=60)
    assert not DocumentVector.objects.exclude(producer=live.producer).exists()

    reader = UserFactory(username="reader")
    hits = documents_search_semantic(user=reader, query="garden roses tulips")
    assert hits and "garden roses" in hits[0].document.text

    interaction_record(user=reader, document_id=documents[1].pk, kind="like")
    assert wait_for(
        lambda: UserInterest.objects.filter(
            user=reader, producer=live.producer, interactions_used=1
        ).exists(),
        timeout=30,
    )
    page = feed_for(user=reader)
    assert page.personalized and page.items

    assert output_due_enqueue(output_kind(EMBEDDINGS)) == (0, 0)


def test_an_embedder_of_another_size_works_end_to_end_after_its_job(
    celery_worker_real, embedders
):
    """GIVEN live vectors of one size WHEN a job builds 8-d vectors of another
    embedder and switches THEN search, related documents and the feed work on
    the 8-d vectors, and nothing is due afterwards."""
    space = SpaceFactory(slug="sizes", is_public=True)
    documents = _documents(space, 6, "Size note")
    old = producer_live(kind=EMBEDDINGS)
    assert wait_for(lambda: _embedded(documents, old.producer), timeout=60)

    job = reprocess_job_start(kind="embeddings", backend_alias="tiny")
    assert wait_for(
        lambda: ReprocessJob.objects.get(pk=job.pk).state == "done", timeout=60
    ), ReprocessJob.objects.get(pk=job.pk).error
    job = ReprocessJob.objects.get(pk=job.pk)
    assert (job.done_count, job.failed_count) == (6, 0)
    assert ActiveProducer.objects.get(kind=EMBEDDINGS).producer == job.producer
    vector = DocumentVector.objects.filter(producer=job.producer).first().embedding
    assert len(vector) == 8

    reader = UserFactory(username="sizer")
    hits = documents_search_semantic(user=reader, query="invoice tax payment")
    assert hits and "invoice" in hits[0].document.text
    interaction_record(user=reader, document_id=documents[0].pk, kind="like")
    assert wait_for(
        lambda: UserInterest.objects.filter(
            user=reader, producer=job.producer, interactions_used=1
        ).exists(),
        timeout=30,
    )
    assert feed_for(user=reader).personalized

    assert output_due_enqueue(output_kind(EMBEDDINGS)) == (0, 0)
