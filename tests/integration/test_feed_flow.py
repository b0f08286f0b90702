"""The feed with real workers: an embeddings switch keeps every reader's feed
personalized, and a like during a reprocessing job reaches the feed in seconds."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker

from docsite.documents.services import document_create_from_text
from docsite.ml.embedders import reset_embedders
from interests.models import UserInterest
from interests.selectors import (
    embedding_producer_active,
    feed_for,
    user_interest_vectors,
)
from interests.services import (
    document_vectors_compute,
    interaction_record,
    user_interest_refresh,
)
from summaries.services import summaries_generate
from tests.factories import SpaceFactory, UserFactory
from tests.integration.conftest import wait_for
from workers.celery import app as celery_app
from workers.models import ReprocessJob
from workers.services import reprocess_job_start

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

FAKE = "tests.interests.fakes.HashingEmbedder"


@pytest.fixture
def two_embedders(settings):
    settings.DOCSITE_EMBEDDERS = {
        "default": {"BACKEND": FAKE, "OPTIONS": {}},
        "retrained": {"BACKEND": FAKE, "OPTIONS": {"revision": "2"}},
    }
    reset_embedders()
    yield
    reset_embedders()


def _library(space, topics: dict[str, int]) -> dict[str, list[int]]:
    ids = {}
    for topic, count in topics.items():
        ids[topic] = [
            document_create_from_text(
                space=space, title=f"{topic} {i}", text=f"{topic} notes number {i}"
            ).document.pk
            for i in range(count)
        ]
    document_vectors_compute(document_ids=[pk for v in ids.values() for pk in v])
    return ids


def test_an_embeddings_switch_keeps_every_readers_feed_personalized(
    celery_worker_real, two_embedders
):
    space = SpaceFactory(slug="kb", is_public=True)
    library = _library(space, {"kubernetes cluster": 6, "holiday vacation": 6})
    readers = {}
    for topic in library:
        for _ in range(2):
            reader = UserFactory()
            interaction_record(user=reader, document_id=library[topic][0], kind="like")
            user_interest_refresh(user_id=reader.pk)
            readers[reader] = topic
    old = embedding_producer_active()

    job = reprocess_job_start(
        kind="embeddings", backend_alias="retrained", chunk_size=6
    )
    assert wait_for(
        lambda: ReprocessJob.objects.get(pk=job.pk).state in ("done", "failed"),
        timeout=90,
    )
    job = ReprocessJob.objects.get(pk=job.pk)
    assert (job.state, job.error) == ("done", "")
    new = embedding_producer_active()
    assert new == job.producer != old
    # The interests were re-derived inside the job, with progress counted.
    assert (job.activation_done, job.activation_total) == (4, 4)
    assert UserInterest.objects.filter(producer=new).count() == 4
    for reader, topic in readers.items():
        assert user_interest_vectors(user=reader, producer=new) is not None
        page = feed_for(user=reader, page_size=3)
        assert page.personalized
        assert all(item.document.pk in library[topic] for item in page.items)


def test_a_like_during_a_job_reaches_the_feed_in_seconds(worker_processes):
    """A worker process re-makes summaries on ``bulk`` (the test settings'
    "slow" backend) while another serves ``default``, where interest
    refreshes go, as the README's worker layout has it."""
    space = SpaceFactory(slug="kb", is_public=True)
    library = _library(space, {"kubernetes cluster": 5, "holiday vacation": 25})
    summaries_generate(document_ids=[pk for v in library.values() for pk in v])
    reader = UserFactory()
    # A glance at a holiday page: the feed leans to holidays, weakly.
    interaction_record(
        user=reader,
        document_id=library["holiday vacation"][0],
        kind="view",
        dwell_seconds=3,
    )
    user_interest_refresh(user_id=reader.pk)

    def top() -> int:
        return feed_for(user=reader, page_size=1).items[0].document.pk

    assert top() in library["holiday vacation"]
    # Work sent while the library was built is not this test's subject.
    celery_app.control.purge()
    worker_processes(queues=["ml", "bulk"])
    with start_worker(
        celery_app,
        pool="solo",
        queues=["default"],
        perform_ping_check=False,
        shutdown_timeout=30,
        loglevel="WARNING",
    ):
        # 30 documents at 0.3 s each in one chunk: the bulk worker is busy.
        job = reprocess_job_start(kind="summaries", backend_alias="slow", chunk_size=30)
        assert wait_for(
            lambda: ReprocessJob.objects.get(pk=job.pk).state == "running", timeout=20
        )
        time.sleep(1)  # the chunk reaches the bulk worker
        delays = []
        for pk in library["kubernetes cluster"][:3]:
            started = time.monotonic()
            like = interaction_record(user=reader, document_id=pk, kind="like")
            # The feed reads the stored interests: once the refresh has seen
            # the like, the next page is ranked with it.
            assert wait_for(
                lambda like=like: UserInterest.objects.filter(
                    user=reader, last_interaction_id__gte=like.pk
                ).exists(),
                timeout=15,
            )
            delays.append(time.monotonic() - started)
            assert top() in library["kubernetes cluster"]
        # The job was still running: the likes did not wait behind it.
        assert ReprocessJob.objects.get(pk=job.pk).state == "running"
        print("like-to-refreshed-interests seconds:", [round(d, 2) for d in delays])
        assert max(delays) < 5, delays
