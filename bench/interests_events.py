"""Event-to-feed delay with a running Celery worker (p50/p95).

Starts a worker on the ``ml`` queue (a subprocess, like production), then for
each event: records a like through the service, and polls ``feed_for`` until
the feed is built from an interest that includes the event. Run it after
``interests_feed.py`` (it reuses that bench's documents and database).

    .venv/bin/python bench/interests_events.py [--events 20]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import numpy as np
from interests_common import ROOT, django_setup, percentile


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20)
    args = parser.parse_args()
    django_setup()

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import transaction

    from docsite.documents.models import Document, Space
    from interests.models import Interaction, UserInterest
    from interests.selectors import feed_for
    from interests.services import interaction_record

    group, _ = Group.objects.get_or_create(name="bench-readers")
    space, _ = Space.objects.get_or_create(
        slug="bench-events", defaults={"name": "Bench events"}
    )
    space.viewer_groups.add(group)
    if not Document.objects.exists():
        sys.exit("run bench/interests_feed.py --sizes 10000 first (it loads the data)")
    user, _ = get_user_model().objects.get_or_create(username="bench-events-reader")
    user.groups.add(group)
    Interaction.objects.filter(user=user).delete()
    UserInterest.objects.filter(user=user).delete()
    visible = list(
        Document.objects.filter(space__viewer_groups=group)
        .filter(vectors__isnull=False)
        .values_list("pk", flat=True)[:5000]
    )
    rng = np.random.default_rng(1)

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "docsite.settings.base"}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "workers",
            "worker",
            "-Q",
            "ml,default",
            "-c",
            "1",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        time.sleep(6)  # worker start-up
        delays = []
        for i in range(args.events + 2):
            document = Document.objects.get(pk=int(rng.choice(visible)))
            started = time.perf_counter()
            with transaction.atomic():
                interaction = interaction_record(
                    user=user, document_id=document.pk, kind="like"
                )
            while True:
                # The feed reflects the event once it is built from an interest
                # that includes it; each poll is a full feed request.
                page = feed_for(user=user, page_size=20)
                refreshed = UserInterest.objects.filter(
                    user=user, last_interaction_id__gte=interaction.pk
                ).exists()
                if refreshed:
                    page = feed_for(user=user, page_size=20)
                    assert page.personalized and page.items
                    break
                if time.perf_counter() - started > 20:
                    raise SystemExit(
                        "the feed did not change within 20 s: is the worker up?"
                    )
                time.sleep(0.02)
            if i >= 2:  # the first events pay for the worker's first connections
                delays.append(time.perf_counter() - started)
            time.sleep(1.5)  # let the coalescing window close
        print(
            f"event-to-feed over {len(delays)} likes: p50 {percentile(delays, 50):.2f} s, "
            f"p95 {percentile(delays, 95):.2f} s, max {max(delays):.2f} s"
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)


if __name__ == "__main__":
    main()
