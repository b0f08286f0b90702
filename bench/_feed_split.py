"""Split feed_for's time into its SQL round trips and its steps, for the
bench reader on the bench data (run bench/interests_feed.py --sizes N first).

    .venv/bin/python bench/_feed_split.py [RUNS]
"""

from __future__ import annotations

import functools
import os
import sys
import time

for _blas_threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_blas_threads, "1")

import numpy as np  # noqa: E402
from interests_common import django_setup  # noqa: E402

django_setup()
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402

from interests.selectors import feed as feed_module  # noqa: E402
from interests.selectors import gather as gather_module  # noqa: E402

reader = get_user_model().objects.get(username="bench-reader")
statements: list[list[tuple[float, str]]] = []
steps: dict[str, list[float]] = {}


def timed_sql(execute, sql, params, many, context):
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        statements[-1].append((1000 * (time.perf_counter() - started), sql[:60]))


def timed_step(module, name: str) -> None:
    function = getattr(module, name)

    @functools.wraps(function)
    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            steps.setdefault(name, []).append(1000 * (time.perf_counter() - started))

    setattr(module, name, timed)


for module, names in (
    (
        feed_module,
        [
            "embedding_producer_active",
            "feed_context_load",
            "documents_popular_ids",
            "candidates_gather",
            "feed_features",
            "mmr_order",
            "feed_reasons",
        ],
    ),
    (gather_module, ["ann_scans_sql", "statements_run", "_candidates_order"]),
):
    for name in names:
        timed_step(module, name)

for _ in range(5):
    feed_module.feed_for(user=reader)
steps.clear()
totals = []
with connection.execute_wrapper(timed_sql):
    for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 40):
        statements.append([])
        started = time.perf_counter()
        feed_module.feed_for(user=reader)
        totals.append(1000 * (time.perf_counter() - started))
print(
    f"feed p50 {np.median(totals):.1f} ms (load average {os.getloadavg()[0]:.1f})."
    " Statements (execute, p50; those sent in one pipeline are only queued"
    " here: their round trip is statements_run below):"
)
per_statement = np.median([[t for t, _ in run] for run in statements], axis=0)
for milliseconds, (_, sql) in zip(per_statement, statements[-1], strict=True):
    print(f"  {milliseconds:6.2f} ms  {sql}")
print("Steps (p50; gather's include its round trip):")
for name, values in steps.items():
    print(f"  {np.median(values):6.2f} ms  {name}")
