"""Test settings: the same real services as development, kept apart from them."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import DATA_DIR, DATABASES, MIDDLEWARE
from .env import env_str

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# A Redis database of its own, so a demo worker on the same Redis never takes
# the tests' tasks.
CELERY_BROKER_URL = env_str("TEST_REDIS_URL") or "redis://localhost:6379/15"
MEDIA_ROOT = DATA_DIR / "test-media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATABASES["default"]["TEST"] = {"NAME": "test_docsite"}
DATABASES["default"]["CONN_MAX_AGE"] = 0

# Static files are served by runserver/whitenoise only outside tests; without
# collectstatic whitenoise would warn on every request.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise.")]

# Deterministic and model-free; tests of the real backends configure them.
# "candidate" is a second producer for blue/green tests; "slow" lets a test
# kill a worker in the middle of a batch.
SUMMARIES_BACKENDS = {
    "default": {"BACKEND": "dummy", "OPTIONS": {}},
    "candidate": {"BACKEND": "dummy", "OPTIONS": {"model_revision": "2"}},
    "slow": {"BACKEND": "dummy", "OPTIONS": {"seconds_per_text": 0.3}},
}

# axes warns that a locmem cache is per process; the test run is one process.
SILENCED_SYSTEM_CHECKS = ["axes.W001"]

# Every rolled-back test leaves its vectors in the HNSW indexes as dead
# entries until autovacuum reaches the table: late in a full run tens of
# thousands of them. An iterative scan counts them against max_scan_tuples,
# so with the production budget (20,000) a scan could walk only dead entries
# and return nothing. The test budget walks past all of them.
INTERESTS_FEED = {"MAX_SCAN_TUPLES": 10_000_000}
