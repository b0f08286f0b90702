"""The Celery app.

Start workers with (see README):

    celery -A workers worker -Q default,bulk -c 2           # web-side work, fan-out
    celery -A workers worker -Q ml -c 1 --prefetch-multiplier 1   # models
    celery -A workers beat                                   # sweeper schedule
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docsite.settings.base")

app = Celery("docsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

from . import control  # noqa: E402, F401  (registers docsite_loaded_models)
