"""Feed, related documents, search and the API never reveal another group's documents.

GIVEN alice (engineering) and bob (hr) with overlapping interests: both
read about "kubernetes cluster" topics, and both spaces hold such documents.
"""

from __future__ import annotations

import numpy as np
import pytest

from django.db import connection

from interests.models import DocumentVector
from interests.selectors import (
    documents_nearest,
    documents_related,
    documents_search_hybrid,
    documents_search_keyword,
    documents_search_semantic,
    embedding_producer_active,
    feed_for,
)
from interests.selectors.ann import round_trips_counted
from interests.services import interaction_record, user_interest_refresh

pytestmark = pytest.mark.django_db

TOPIC = "kubernetes cluster upgrade nodes"


@pytest.fixture
def library(world, make_document):
    eng = [
        make_document(f"{TOPIC} runbook {i}", space=world.engineering) for i in range(4)
    ]
    hr = [make_document(f"{TOPIC} hr laptops {i}", space=world.hr) for i in range(4)]
    public = [
        make_document(f"{TOPIC} handbook page {i}", space=world.handbook)
        for i in range(2)
    ]
    public += [
        make_document(f"holiday policy vacation {i}", space=world.handbook)
        for i in range(3)
    ]
    return type("Library", (), {"eng": eng, "hr": hr, "public": public})


def _visible_ids(user):
    from docsite.documents.selectors import document_list_visible

    return set(document_list_visible(user=user).values_list("pk", flat=True))


def _interested(user, document):
    interaction_record(user=user, document_id=document.pk, kind="like")
    user_interest_refresh(user_id=user.pk)


def test_feed_is_personalized_and_permission_filtered(world, library):
    _interested(world.alice, library.eng[0])
    _interested(world.bob, library.hr[0])
    for user in (world.alice, world.bob, world.carol):
        page = feed_for(user=user, page_size=50)
        shown = {item.document.pk for item in page.items}
        assert shown, user
        assert shown <= _visible_ids(user)
    alice_page = feed_for(user=world.alice, page_size=5)
    assert alice_page.personalized
    assert TOPIC in alice_page.items[0].document.title
    assert not {d.pk for d in library.hr} & {
        i.document.pk for i in feed_for(user=world.alice, page_size=50).items
    }


def test_feed_reasons_only_name_documents_the_reader_may_see(world, library):
    _interested(world.alice, library.eng[0])
    reasons = [item.reason for item in feed_for(user=world.alice, page_size=50).items]
    assert any(r.startswith("Because you liked “") for r in reasons)
    # Access revoked after the like: the reason must not name the engineering document.
    world.alice.groups.clear()
    reasons = [item.reason for item in feed_for(user=world.alice, page_size=50).items]
    assert reasons
    assert not any(library.eng[0].title in reason for reason in reasons)


def test_feed_drops_dismissed_and_read_documents(world, library):
    target = library.public[0]
    interaction_record(user=world.carol, document_id=target.pk, kind="dismiss")
    assert target.pk not in {
        i.document.pk for i in feed_for(user=world.carol, page_size=50).items
    }


def test_feed_cold_start_is_fresh_and_popular_and_paginated(world, library):
    interaction_record(user=world.bob, document_id=library.public[3].pk, kind="like")
    page_one = feed_for(user=world.carol, page=1, page_size=2)
    page_two = feed_for(user=world.carol, page=2, page_size=2)
    assert not page_one.personalized
    assert page_one.has_next
    assert page_one.items[0].reason.startswith(("Popular in", "New in"))
    assert not {i.document.pk for i in page_one.items} & {
        i.document.pk for i in page_two.items
    }


def _force_hnsw_index():
    """Make the planner use the HNSW index on a table this small (test transaction only)."""
    with connection.cursor() as cursor:
        for switch in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {switch} = off")


def test_iterative_scan_fills_a_page_when_nearest_neighbours_are_forbidden(
    world, make_document, settings
):
    """GIVEN 80 hr documents closest to alice's interest and 25 engineering ones further away,
    WHEN the HNSW index (ef_search 10) answers the filtered query,
    THEN alice still gets 20 engineering rows, because the scan keeps going."""
    settings.INTERESTS_FEED = {
        "EF_SEARCH": 10,
        "FRESH_CANDIDATES": 0,
        "POPULAR_CANDIDATES": 0,
        "ANN_CANDIDATES": 20,
        "ANN_EF_SEARCH": 10,
    }
    for i in range(80):
        make_document(f"{TOPIC} secret {i}", space=world.hr)
    for i in range(25):
        make_document(
            f"{TOPIC} other words entirely {i} alpha beta gamma",
            space=world.engineering,
        )
    query = DocumentVector.objects.filter(document__space=world.hr).first().embedding
    _force_hnsw_index()
    rows = documents_nearest(
        user=world.alice,
        query_vectors=[np.asarray(query)],
        producer=embedding_producer_active(),
        limit=20,
    )
    assert len(rows) == 20
    assert {pk for pk, _, _ in rows} <= _visible_ids(world.alice)

    interaction_record(user=world.alice, document_id=rows[0][0], kind="like")
    user_interest_refresh(user_id=world.alice.pk)
    _force_hnsw_index()
    assert len(feed_for(user=world.alice, page_size=20).items) == 20


def test_related_documents_are_permission_filtered(world, library):
    for document, user in (
        (library.eng[0], world.alice),
        (library.hr[0], world.bob),
        (library.public[0], world.carol),
    ):
        related = documents_related(user=user, document=document, limit=20)
        assert related
        assert document.pk not in {d.pk for d in related}
        assert {d.pk for d in related} <= _visible_ids(user)


@pytest.mark.parametrize(
    "search",
    [documents_search_semantic, documents_search_hybrid, documents_search_keyword],
)
def test_search_is_permission_filtered(world, library, search):
    for user in (world.alice, world.bob, world.carol):
        hits = search(user=user, query="kubernetes cluster", limit=50)
        assert hits
        assert {hit.document.pk for hit in hits} <= _visible_ids(user)


def test_hybrid_search_fuses_both_rankings(world, library):
    hits = documents_search_hybrid(
        user=world.alice, query="kubernetes runbook", limit=5
    )
    assert hits[0].keyword_rank is not None and hits[0].semantic_rank is not None
    assert "runbook" in hits[0].document.title


def test_a_feed_request_makes_the_same_few_queries_however_many_candidates(
    world, library, make_document
):
    """No query per candidate, and 40 more candidates add none: the live
    producer, the reader's context (interests, spaces, exclusions, ranker
    version), the candidates with all they are ranked by (HNSW scans, newest,
    popular, vectors, other readers' responses; the scan settings and the
    reasons' titles in the same round trip) and the page's documents."""
    from django.test.utils import CaptureQueriesContext

    from interests.learning import feed_impressions_log

    _interested(world.alice, library.eng[0])
    # Other readers saw (and logged) a page: crowd features must be loaded too.
    feed_impressions_log(user=world.bob, page=feed_for(user=world.bob, page_size=5))

    def statements():
        with (
            CaptureQueriesContext(connection) as queries,
            round_trips_counted() as round_trips,
        ):
            page = feed_for(user=world.alice, page_size=20)
        return len(queries), len(round_trips), len(page.items)

    statements()  # popularity is cached for a minute after the first request
    few, trips, shown_few = statements()
    for i in range(40):
        make_document(f"{TOPIC} more notes {i}", space=world.engineering)
    many, _, shown_many = statements()
    assert shown_many > shown_few
    assert many == few
    assert trips <= 4


def test_each_interest_vector_finds_what_it_would_find_alone(world, library):
    """The feed's scans share their filters: a scan with others beside it finds
    the same documents, in the same order, as that vector searched alone."""
    producer = embedding_producer_active()
    vectors = [
        np.asarray(v, dtype=np.float32)
        for v in DocumentVector.objects.filter(
            producer=producer, document__in=[library.eng[0], library.public[3]]
        ).values_list("embedding", flat=True)
    ]
    rng = np.random.default_rng(0)
    vectors.append(rng.normal(size=len(vectors[0])).astype(np.float32))
    excluded = [library.eng[1].pk, library.public[0].pk]

    def search(query_vectors):
        return documents_nearest(
            user=world.alice,
            query_vectors=query_vectors,
            producer=producer,
            limit=4,
            exclude_ids=excluded,
        )

    together = search(vectors)
    assert {source for _, source, _ in together} == {0, 1, 2}
    for index, vector in enumerate(vectors):
        alone = [(pk, index, round(sim, 5)) for pk, _, sim in search([vector])]
        assert alone == [
            (pk, source, round(sim, 5))
            for pk, source, sim in together
            if source == index
        ]
        assert not {pk for pk, _, _ in alone} & set(excluded)
        assert {pk for pk, _, _ in alone} <= _visible_ids(world.alice)
