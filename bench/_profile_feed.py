"""Profile feed_for for the bench reader on the cached bench data (run
bench/interests_feed.py --sizes N first)."""

from __future__ import annotations

import cProfile
import pstats
import sys
import time

from interests_common import django_setup

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
