"""Shared set-up of the benches: a database of their own.

The benches default to ``DOCSITE_DATA_DIR=<checkout>/var/bench`` (an embedded
PostgreSQL of their own, one per checkout), and ``scratch_database_prepare`` refuses any
database that already holds data without the benches' mark (development,
production, whatever ``DATABASE_URL`` names).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_setup() -> None:
    os.environ.setdefault("DOCSITE_DATA_DIR", str(ROOT / "var" / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docsite.settings.base")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from docsite.db.scratch import scratch_database_prepare

    scratch_database_prepare(purpose="bench")


def percentile(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(np.asarray(values), q))
