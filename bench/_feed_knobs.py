"""The feed's latency and page agreement under several candidate settings,
interleaved in one process on the bench data (run bench/interests_feed.py
--sizes N first): the trade-off curve of HNSW work against the page.

Each round times one request of every variant and one raw top-20 query in
turn, so load spikes hit them alike; ratios are p95 over the raw query's
p95. Agreement: the share of the page also on the page from exact (no-index)
candidates with the same settings (HNSW error) and with the exact 5 x 60
search (how far the narrower search moved the page), mean of the bench's
10 readers.

    .venv/bin/python bench/_feed_knobs.py [--runs 60] \\
        ANN_VECTORS=5,ANN_CANDIDATES=300 ANN_VECTORS=1,ANN_CANDIDATES=100 ...
"""

from __future__ import annotations

import argparse
import os
import time

for _blas_threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_blas_threads, "1")

import numpy as np  # noqa: E402
from interests_common import django_setup, percentile  # noqa: E402
from interests_feed import exact_search  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("variants", nargs="+", metavar="KEY=INT[,KEY=INT]")
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--no-agreement", action="store_true")
    args = parser.parse_args()
    django_setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test.utils import override_settings

    from docsite.documents.selectors import space_ids_visible
    from interests.conf import interests_setting
    from interests.selectors import embedding_producer_active, feed_for
    from interests.services import user_interest_refresh

    User = get_user_model()
    reader = User.objects.get(username="bench-reader")
    readers = [reader, *User.objects.filter(username__startswith="bench-a")]
    producer = embedding_producer_active()
    visible = list(space_ids_visible(user=reader).values_list("pk", flat=True))
    interest = user_interest_refresh(user_id=reader.pk)
    query = str(np.asarray(interest.long_term, dtype=np.float32).tolist())
    for user in readers:
        user_interest_refresh(user_id=user.pk)

    def raw_topk() -> None:
        # As bench/interests_feed.py's raw query.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            cursor.execute("SET LOCAL hnsw.ef_search = 100")
            cursor.execute(
                "SELECT v.document_id, v.embedding::vector(384) <=> %s::vector(384) AS d "
                "FROM interests_documentvector v "
                "JOIN documents_document doc ON doc.id = v.document_id "
                "WHERE v.producer = %s AND vector_dims(v.embedding) = 384 "
                "AND doc.space_id = ANY(%s) ORDER BY d LIMIT 20",
                [query, producer, visible],
            )
            cursor.fetchall()

    def settings_of(variant: str):
        options = {
            key.strip().upper(): int(value)
            for key, value in (item.split("=", 1) for item in variant.split(","))
        }
        return override_settings(
            INTERESTS_FEED={**interests_setting("FEED"), **options}
        )

    def page(user, variant: str | None) -> set[int]:
        if variant is None:
            return {item.document.pk for item in feed_for(user=user).items}
        with settings_of(variant):
            return {item.document.pk for item in feed_for(user=user).items}

    wide = "ANN_VECTORS=5,ANN_CANDIDATES=300"
    agreement: dict[str, tuple[float, float]] = {}
    if not args.no_agreement:
        with exact_search():
            exact_wide = {user.pk: page(user, wide) for user in readers}
        for variant in args.variants:
            same, moved = [], []
            for user in readers:
                with exact_search():
                    exact = page(user, variant)
                got = page(user, variant)
                same.append(len(exact & got) / max(len(exact), 1))
                moved.append(len(exact_wide[user.pk] & got) / 20)
            agreement[variant] = (float(np.mean(same)), float(np.mean(moved)))

    times: dict[str, list[float]] = {variant: [] for variant in args.variants}
    raw: list[float] = []
    contexts = {variant: settings_of(variant) for variant in args.variants}
    for _ in range(3):  # warm caches
        for variant in args.variants:
            with contexts[variant]:
                feed_for(user=reader)
        raw_topk()
    load = [os.getloadavg()[0]]
    for _ in range(args.runs):
        for variant in args.variants:
            with contexts[variant]:
                started = time.perf_counter()
                feed_for(user=reader)
                times[variant].append(1000 * (time.perf_counter() - started))
        started = time.perf_counter()
        raw_topk()
        raw.append(1000 * (time.perf_counter() - started))
    load.append(os.getloadavg()[0])
    raw95 = percentile(raw, 95)
    print(
        f"raw top-20 p50 {percentile(raw, 50):.1f} ms p95 {raw95:.1f} ms;"
        f" load average {load[0]:.1f} -> {load[1]:.1f}; {args.runs} rounds"
    )
    for variant in args.variants:
        values = times[variant]
        line = (
            f"{variant:48} p50 {percentile(values, 50):6.1f} ms"
            f"  p95 {percentile(values, 95):6.1f} ms"
            f"  p95 ratio {percentile(values, 95) / raw95:5.2f}x"
            f"  p50 ratio {percentile(values, 50) / percentile(raw, 50):5.2f}x"
        )
        if variant in agreement:
            same, moved = agreement[variant]
            line += f"  agreement exact same {100 * same:3.0f}%, exact 5x60 {100 * moved:3.0f}%"
        print(line)


if __name__ == "__main__":
    main()
