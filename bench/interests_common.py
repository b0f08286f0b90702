"""Shared set-up of the interests benches: a database of their own.

The benches default to ``DOCSITE_DATA_DIR=/tmp/docsite-bench`` (an embedded
PostgreSQL of their own) so they never touch development data.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_setup() -> None:
    os.environ.setdefault("DOCSITE_DATA_DIR", "/tmp/docsite-bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docsite.settings.base")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, skip_checks=True)


def percentile(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(np.asarray(values), q))
