"""The vector size belongs to the producer: vectors of several sizes live in
one untyped column, each size with its own HNSW index that queries use."""

from __future__ import annotations

import numpy as np
import pytest
from pgvector.django import CosineDistance

from django.db import connection, transaction

from docsite.documents.services import document_create_from_text
from interests.models import DocumentVector
from interests.selectors.vectors import vectors_of_size
from interests.services import vector_index_ensure
from tests.interests.fakes import HashingEmbedder

pytestmark = pytest.mark.django_db


def _run_and_explain(queryset) -> tuple[list, str]:
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        # A small table: make the planner show whether it *can* use the index.
        # Iterative scans, as documents_nearest sets them: rows of earlier,
        # rolled-back tests still sit in the index as dead entries, tens of
        # thousands of them late in a full run before autovacuum reaches the
        # table. The scan budget is set here, not inherited from whatever an
        # earlier autocommit query left on the connection, and is large
        # enough to walk past every dead entry to the six live rows.
        # Sorting off as well: with statistics that make the producer rare,
        # the planner would rather read its b-tree and sort a handful of rows.
        for switch in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {switch} = off")
        cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        cursor.execute("SET LOCAL hnsw.ef_search = 1000")
        cursor.execute("SET LOCAL hnsw.max_scan_tuples = 10000000")
        rows = list(queryset)
        cursor.execute("EXPLAIN " + sql, params)
        return rows, "\n".join(row[0] for row in cursor.fetchall())


def test_vectors_of_two_sizes_coexist_and_each_size_uses_its_index(world):
    rng = np.random.default_rng(0)
    documents = [
        document_create_from_text(
            space=world.handbook, title=f"Doc {i}", text=f"Text {i}"
        ).document
        for i in range(6)
    ]
    for size, producer in ((384, "big"), (8, "tiny")):
        vector_index_ensure(dimension=size)
        DocumentVector.objects.bulk_create(
            DocumentVector(
                document=document,
                content_sha256=document.content_sha256,
                producer=producer,
                embedding=rng.standard_normal(size).astype(np.float32),
            )
            for document in documents
        )

    with connection.cursor() as cursor:
        # Fresh statistics, as autovacuum may have gathered them at any point
        # of a full run: the plan must not depend on when it did.
        cursor.execute("ANALYZE interests_documentvector")
    for size, producer in ((384, "big"), (8, "tiny")):
        query = rng.standard_normal(size).astype(np.float32)
        scan = (
            vectors_of_size(
                DocumentVector.objects.filter(producer=producer), dimension=size
            )
            .annotate(distance=CosineDistance("sized", query))
            .order_by("distance")
            .values_list("document_id", flat=True)[:3]
        )
        rows, plan = _run_and_explain(scan)
        assert len(rows) == 3
        assert f"docvector_hnsw_{size}d" in plan, plan


def test_system_check_names_a_live_size_the_embedder_no_longer_makes(world, settings):
    """GIVEN live vectors of the fake's size WHEN the live alias is reconfigured to an 8-d
    embedder THEN ``check --database`` reports interests.E004."""
    from django.core.checks import run_checks

    from docsite.ml.embedders import reset_embedders
    from interests.services import document_vectors_compute

    document = document_create_from_text(
        space=world.handbook, title="Sizes", text="one two three"
    ).document
    document_vectors_compute(document_ids=[document.pk])
    ids = {e.id for e in run_checks(databases=["default"])}
    assert "interests.E004" not in ids

    from docsite.ml.models import ActiveProducer
    from interests.selectors import embedding_producer_live

    live = embedding_producer_live()
    ActiveProducer.objects.create(
        kind="embeddings", backend_alias="default", producer=live.producer
    )
    settings.DOCSITE_EMBEDDERS = {
        "default": {
            "BACKEND": "tests.interests.fakes.HashingEmbedder",
            "OPTIONS": {"dimension": 8},
        }
    }
    reset_embedders()
    errors = [e for e in run_checks(databases=["default"]) if e.id == "interests.E004"]
    live_size = f"{HashingEmbedder.DIMENSION}-d"
    assert errors and live_size in errors[0].msg and "8-d" in errors[0].msg
