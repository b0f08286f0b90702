"""Feed latency at 10k and 100k documents beside a raw filtered pgvector query.

Synthetic data, bulk-inserted: random unit vectors in DocumentVector rows,
10 spaces of which the reader may see 3, 20k interactions for popularity.
Both timings run on the same data in the same process, interleaved.

``feed_for`` runs its HNSW search at request time (one filtered scan per
interest vector searched), nothing is cached but the popularity counts and
the crowd's picks (20k feed impressions, a tenth of them clicked); the raw
query is one filtered HNSW top-20 for the reader's long-term vector (and,
beside it, the same query as deep as the feed's own scan). The
feed is also timed right after a click, which makes the crowd's cached picks
stale, so the request counts them again, and for a reader who liked only
Chinese pages (a tenth of the documents, with language vectors too), whose
feed runs a second scan over the language vectors.
Each page is compared with the page from exact (no-index) candidates, with
the feed's settings and with the widest search it ever ran (5 vectors x 60).
The refresh (rebuilding the reader's interests from history) is timed beside
them.

    .venv/bin/python bench/interests_feed.py [--sizes 10000 100000] [--runs 60]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time

# As in a web worker (docsite/wsgi.py): one BLAS thread. Set
# OPENBLAS_NUM_THREADS to measure another setting.
for _blas_threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_blas_threads, "1")

import numpy as np  # noqa: E402
from interests_common import django_setup, percentile  # noqa: E402

DIM = 384
AGREEMENT_READERS = 9
# One document in ten is Chinese, with a second vector in the language
# vectors' producer (random too, around a shared direction as
# multilingual-e5's are); a second timed reader likes only those.
CHINESE_EVERY = 10


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument(
        "--feed",
        action="append",
        default=[],
        metavar="KEY=INT",
        help="override an INTERESTS_FEED option, e.g. ANN_VECTORS=2 (repeatable)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the documents of an earlier run when the count matches",
    )
    args = parser.parse_args()
    django_setup()
    if args.feed:
        from django.conf import settings

        from interests.conf import interests_setting

        settings.INTERESTS_FEED = {
            **interests_setting("FEED"),
            **{k: int(v) for k, v in (item.split("=", 1) for item in args.feed)},
        }

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection

    from docsite.documents.models import Document, Space
    from docsite.ml.outputs import LANGUAGE_EMBEDDINGS, producer_live
    from interests.models import DocumentVector, Interaction
    from interests.selectors import embedding_producer_active
    from interests.services import (
        vector_index_sql,
    )

    rng = np.random.default_rng(0)
    producer = embedding_producer_active()
    User = get_user_model()
    reader = User.objects.filter(username="bench-reader").first()
    language_producer = producer_live(kind=LANGUAGE_EMBEDDINGS).producer
    if (
        args.reuse
        and reader is not None
        and len(args.sizes) == 1
        and Document.objects.count() == args.sizes[0]
        and DocumentVector.objects.filter(producer=language_producer).exists()
    ):
        others = list(User.objects.filter(username__startswith="bench-u"))
        spaces = list(Space.objects.filter(slug__startswith="bench-").order_by("pk"))
        prepare_reader(reader, others, spaces, rng)
        return measure(args, reader, args.sizes[0])
    # A fresh slate: these benches own this database.
    Interaction.objects.all().delete()
    DocumentVector.objects.all().delete()
    Document.objects.all().delete()
    Space.objects.all().delete()
    User.objects.filter(username__startswith="bench-").delete()
    group, _ = Group.objects.get_or_create(name="bench-readers")
    spaces = [
        Space.objects.create(slug=f"bench-{i}", name=f"Bench {i}") for i in range(10)
    ]
    for space in spaces[:3]:
        space.viewer_groups.add(group)
    reader = User.objects.create(username="bench-reader")
    reader.groups.add(group)
    others = User.objects.bulk_create(
        [User(username=f"bench-u{i}") for i in range(200)]
    )

    # Topic centres make the data clustered like real embeddings, not uniform noise.
    centres = rng.normal(size=(50, DIM)).astype(np.float32)
    shared = rng.normal(size=DIM).astype(np.float32) * 3

    def unit_rows(vectors: np.ndarray) -> np.ndarray:
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def add_documents(count: int, offset: int) -> None:
        for start in range(0, count, 5000):
            n = min(5000, count - start)
            documents = Document.objects.bulk_create(
                [
                    Document(
                        space=spaces[int(rng.integers(10))],
                        title=f"Doc {offset + start + i}",
                        text="synthetic",
                        language="zh"
                        if (offset + start + i) % CHINESE_EVERY == 0
                        else "en",
                        mime_type="text/plain",
                        content_sha256=hashlib.sha256(
                            str(offset + start + i).encode()
                        ).hexdigest(),
                    )
                    for i in range(n)
                ]
            )
            topics = rng.integers(50, size=n)
            vectors = unit_rows(
                centres[topics] + rng.normal(size=(n, DIM)).astype(np.float32)
            )
            chinese = [d.language == "zh" for d in documents]
            language_vectors = unit_rows(
                shared + centres[topics] + rng.normal(size=(n, DIM)).astype(np.float32)
            )
            DocumentVector.objects.bulk_create(
                [
                    DocumentVector(
                        document=d,
                        content_sha256=d.content_sha256,
                        producer=producer,
                        embedding=v,
                    )
                    for d, v in zip(documents, vectors, strict=True)
                ]
                + [
                    DocumentVector(
                        document=d,
                        content_sha256=d.content_sha256,
                        producer=language_producer,
                        embedding=v,
                    )
                    for d, v, zh in zip(
                        documents, language_vectors, chinese, strict=True
                    )
                    if zh
                ],
                batch_size=2000,
            )

    total = 0
    for size in sorted(args.sizes):
        started = time.perf_counter()
        create_index, drop_index = vector_index_sql(384)
        with connection.cursor() as cursor:
            cursor.execute(drop_index)
        add_documents(size - total, total)
        total = size
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            cursor.execute(create_index)
            cursor.execute("ANALYZE")
        print(
            f"{size} documents loaded and indexed in {time.perf_counter() - started:.0f}s"
        )

        prepare_reader(reader, others, spaces, rng)
        measure(args, reader, size)


def prepare_reader(reader, others, spaces, rng) -> None:
    """20k interactions of 200 readers for popularity, 20k feed impressions of
    theirs (1 in 10 opened) for the crowd features; 30 likes of the reader."""
    import uuid
    from datetime import timedelta

    from django.utils import timezone

    from docsite.documents.models import Document
    from interests.models import FeedImpression, Interaction
    from interests.services import interactions_import

    document_ids = list(Document.objects.values_list("pk", flat=True))
    Interaction.objects.all().delete()
    interactions_import(
        rows=[
            Interaction(
                user=others[int(rng.integers(200))],
                document_id=int(document_ids[int(rng.integers(len(document_ids)))]),
                kind="view",
            )
            for _ in range(20_000)
        ]
    )
    visible_ids = list(
        Document.objects.filter(space__in=spaces[:3], language="en").values_list(
            "pk", flat=True
        )[:2000]
    )
    FeedImpression.objects.all().delete()
    now = timezone.now()
    shown = [
        (now - timedelta(minutes=int(rng.integers(60 * 24 * 20))), rng.random() < 0.1)
        for _ in range(20_000)
    ]
    FeedImpression.objects.bulk_create(
        [
            FeedImpression(
                user=others[int(rng.integers(200))],
                document_id=int(document_ids[int(rng.integers(len(document_ids)))]),
                page_id=uuid.uuid4(),
                position=1,
                ranker_version="bench",
                features=[],
                shown_at=at,
                clicked_at=at if clicked else None,
            )
            for at, clicked in shown
        ],
        batch_size=5000,
    )
    # The timed reader and AGREEMENT_READERS more, whose pages are compared
    # with exact search.
    group = reader.groups.first()
    User = type(reader)
    for i in range(AGREEMENT_READERS):
        User.objects.get_or_create(username=f"bench-a{i}")[0].groups.add(group)
    for user in [reader, *User.objects.filter(username__startswith="bench-a")]:
        interactions_import(
            rows=[
                Interaction(user=user, document_id=int(pk), kind="like")
                for pk in rng.choice(visible_ids, size=30, replace=False)
            ]
        )
    chinese_reader = User.objects.get_or_create(username="bench-reader-zh")[0]
    chinese_reader.groups.add(group)
    chinese_ids = list(
        Document.objects.filter(space__in=spaces[:3], language="zh").values_list(
            "pk", flat=True
        )[:2000]
    )
    interactions_import(
        rows=[
            Interaction(user=chinese_reader, document_id=int(pk), kind="like")
            for pk in rng.choice(chinese_ids, size=30, replace=False)
        ]
    )


def exact_search():
    """Make the feed's vector search exact (no HNSW) for the reference page.

    Index scans are off (HNSW has no bitmap scan, so it cannot be used);
    bitmap scans stay on for the per-candidate primary-key lookups."""
    from contextlib import contextmanager

    from django.db import connection

    @contextmanager
    def off():
        with connection.cursor() as cursor:
            cursor.execute("SET enable_indexscan = off")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET enable_indexscan")

    return off()


def measure(args, reader, size: int) -> None:
    """Time the feed (its HNSW search included) beside the raw query, interleaved."""
    from django.db import connection, transaction
    from django.test.utils import override_settings

    from docsite.documents.selectors import space_ids_visible
    from interests.conf import interests_setting
    from interests.learning import crowd_picks_changed
    from interests.selectors import (
        embedding_producer_active,
        feed_for,
        user_interest_vectors,
    )
    from interests.selectors.ann import round_trips_counted
    from interests.services import user_interest_refresh

    producer = embedding_producer_active()
    visible_space_ids = list(
        space_ids_visible(user=reader).values_list("pk", flat=True)
    )

    def raw_topk(vector: np.ndarray, k: int = 20) -> list:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            cursor.execute(f"SET LOCAL hnsw.ef_search = {max(100, k)}")
            # The per-size index's expression and predicate (interests.models).
            n = len(vector)
            cursor.execute(
                f"SELECT v.document_id, v.embedding::vector({n}) <=> %s::vector({n}) AS d "
                "FROM interests_documentvector v "
                "JOIN documents_document doc ON doc.id = v.document_id "
                f"WHERE v.producer = %s AND vector_dims(v.embedding) = {n} "
                "AND doc.space_id = ANY(%s) ORDER BY d LIMIT %s",
                [str(vector.tolist()), producer, visible_space_ids, k],
            )
            return cursor.fetchall()

    interest = user_interest_refresh(user_id=reader.pk)
    query = np.asarray(interest.long_term, dtype=np.float32)
    query_vectors = min(
        len(user_interest_vectors(user=reader, producer=producer).query_vectors()),
        interests_setting("FEED")["ANN_VECTORS"],
    )
    refresh_times = []
    for _ in range(max(10, args.runs // 3)):
        started = time.perf_counter()
        user_interest_refresh(user_id=reader.pk)
        refresh_times.append(1000 * (time.perf_counter() - started))

    # The pages the feed would give from exact candidates: with its own
    # settings (how far the HNSW search is from exact), and with 60 per
    # vector from five vectors (the widest search it ever ran: how far a
    # narrower candidate search moved the page).
    readers = [reader, *type(reader).objects.filter(username__startswith="bench-a")]
    agreements, agreements_wide = [], []
    for user in readers:
        user_interest_refresh(user_id=user.pk)
        with exact_search():
            exact = {item.document.pk for item in feed_for(user=user).items}
            with override_settings(
                INTERESTS_FEED={
                    **interests_setting("FEED"),
                    "ANN_CANDIDATES": 60 * 5,
                    "ANN_VECTORS": 5,
                }
            ):
                wide = {item.document.pk for item in feed_for(user=user).items}
        got = {item.document.pk for item in feed_for(user=user).items}
        agreements.append(len(exact & got) / max(len(exact), 1))
        agreements_wide.append(len(wide & got) / max(len(wide), 1))
    agreement = float(np.mean(agreements))
    agreement_wide = float(np.mean(agreements_wide))
    # Round trips, not statements: statements sent in one pipeline share one.
    with round_trips_counted() as round_trips:
        feed_for(user=reader)

    # A reader of Chinese pages: a second scan, over the language vectors,
    # and every candidate's language vector (selectors/feed_language.py).
    chinese_reader = type(reader).objects.get(username="bench-reader-zh")
    user_interest_refresh(user_id=chinese_reader.pk)
    with round_trips_counted() as chinese_round_trips:
        chinese_page = feed_for(user=chinese_reader)
    chinese_share = sum(
        item.document.language == "zh" for item in chinese_page.items
    ) / max(1, len(chinese_page.items))
    for _ in range(5):  # warm caches
        feed_for(user=reader)
        feed_for(user=chinese_reader)
        raw_topk(query)
    # The raw query again at the depth of the feed's own scan: how much of
    # the gap is the scan's depth, and how much everything else a page needs.
    depth = interests_setting("FEED")["ANN_CANDIDATES"]
    feed_times, raw_times, raw_deep_times, chinese_times = [], [], [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        page = feed_for(user=reader)
        feed_times.append(1000 * (time.perf_counter() - started))
        started = time.perf_counter()
        feed_for(user=chinese_reader)
        chinese_times.append(1000 * (time.perf_counter() - started))
        started = time.perf_counter()
        rows = raw_topk(query)
        raw_times.append(1000 * (time.perf_counter() - started))
        started = time.perf_counter()
        raw_topk(query, k=depth)
        raw_deep_times.append(1000 * (time.perf_counter() - started))
    assert len(page.items) == 20 and len(rows) == 20
    # A click from any feed makes the crowd's cached picks stale: the next
    # request counts them again.
    after_click_times = []
    for _ in range(max(10, args.runs // 3)):
        crowd_picks_changed()
        started = time.perf_counter()
        feed_for(user=reader)
        after_click_times.append(1000 * (time.perf_counter() - started))
    feed95, raw95 = percentile(feed_times, 95), percentile(raw_times, 95)
    print(
        f"{size:>7} docs  feed p50 {percentile(feed_times, 50):6.1f} ms  p95 {feed95:6.1f} ms"
        f"  | raw top-20 p50 {percentile(raw_times, 50):6.1f} ms  p95 {raw95:6.1f} ms"
        f"  | p95 ratio {feed95 / raw95:.2f}x"
        f"  | raw top-{depth} (the feed's scan depth) p50"
        f" {percentile(raw_deep_times, 50):6.1f} ms"
        f"  p95 {percentile(raw_deep_times, 95):6.1f} ms,"
        f" feed p95 ratio {feed95 / percentile(raw_deep_times, 95):.2f}x"
        f"  | reader of Chinese pages: feed p50 {percentile(chinese_times, 50):6.1f} ms"
        f"  p95 {percentile(chinese_times, 95):6.1f} ms,"
        f" {len(chinese_round_trips)} round trips, {100 * chinese_share:.0f}% of its page Chinese"
        f"  | right after a click p50 {percentile(after_click_times, 50):6.1f} ms"
        f"  p95 {percentile(after_click_times, 95):6.1f} ms"
        f"  | refresh p50 {percentile(refresh_times, 50):6.1f} ms"
        f"  p95 {percentile(refresh_times, 95):6.1f} ms"
        f"  | {query_vectors} interest vectors searched, {len(round_trips)} SQL round trips"
        f"  | page agreement with exact search {100 * agreement:.0f}%,"
        f" with exact 5 x 60 {100 * agreement_wide:.0f}%"
        f" (mean of {len(readers)} readers)"
    )


if __name__ == "__main__":
    main()
