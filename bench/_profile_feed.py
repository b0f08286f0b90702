"""Profile feed_for for the bench reader on the cached bench data (run
bench/interests_feed.py --sizes N first)."""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import time

# One BLAS thread, as in a web worker and the bench (with two on busy cores a
# 300x384 product took milliseconds and topped the profile).
for _blas_threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_blas_threads, "1")

from interests_common import django_setup  # noqa: E402

django_setup()
from django.contrib.auth import get_user_model  # noqa: E402

from docsite.documents.models import Document  # noqa: E402
from interests.selectors import feed_for  # noqa: E402

reader = get_user_model().objects.get(username="bench-reader")
print(Document.objects.count(), "documents")
for _ in range(5):
    feed_for(user=reader)
runs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
profile = cProfile.Profile()
started = time.perf_counter()
profile.enable()
for _ in range(runs):
    feed_for(user=reader)
profile.disable()
print(f"{1000 * (time.perf_counter() - started) / runs:.1f} ms per feed under cProfile")
stats = pstats.Stats(profile).sort_stats("cumulative")
stats.print_stats(45)
stats.sort_stats("tottime").print_stats(25)
stats.sort_stats("cumulative").print_callees("feed_for")
