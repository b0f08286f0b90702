"""Split feed_for's time into each SQL round trip and the rest (Python, row
decoding, the popularity cache) for the bench reader on the bench data (run
bench/interests_feed.py --sizes N first).

    .venv/bin/python bench/_feed_split.py [RUNS]
"""

from __future__ import annotations

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

from interests.selectors import feed_for  # noqa: E402

reader = get_user_model().objects.get(username="bench-reader")
statements: list[list[tuple[float, str]]] = []


def timed(execute, sql, params, many, context):
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        statements[-1].append((1000 * (time.perf_counter() - started), sql[:60]))


for _ in range(5):
    feed_for(user=reader)
totals = []
with connection.execute_wrapper(timed):
    for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 40):
        statements.append([])
        started = time.perf_counter()
        feed_for(user=reader)
        totals.append(1000 * (time.perf_counter() - started))
per_statement = np.median([[t for t, _ in run] for run in statements], axis=0)
print(
    f"feed p50 {np.median(totals):.1f} ms; SQL execute, per-statement medians summed: "
    f"{per_statement.sum():.1f} ms (load average {os.getloadavg()[0]:.1f}):"
)
for milliseconds, (_, sql) in zip(per_statement, statements[-1], strict=True):
    print(f"  {milliseconds:6.2f} ms  {sql}")
