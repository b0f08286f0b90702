"""The Celery app.

Start workers with (see README):

    celery -A workers worker -Q default -c 2                        # model-free work
    celery -A workers worker -Q ml,bulk -c 1 --prefetch-multiplier 1  # models: ml first
    celery -A workers beat                                          # sweeper schedule

Queue order is urgency: CELERY_BROKER_TRANSPORT_OPTIONS["queue_order_strategy"]
is "priority", so a worker always takes the first non-empty queue in its -Q
list; one worker serving everything uses -Q ml,default,bulk.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docsite.settings.base")

app = Celery("docsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

from . import reports  # noqa: E402  (workers report what they hold)

app.steps["consumer"].add(reports.Heartbeat)
