"""Settings of the workers app, read at call time."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "CHUNK_SIZE": 32,
    "MAX_CHUNKS_IN_FLIGHT": 2,
    # A chunk dispatched longer ago than this and still unfinished was lost
    # (worker killed, broker restarted): its documents go back to pending.
    "CHUNK_STALE_SECONDS": 2000,
}


def reprocess_setting(name: str) -> Any:
    return getattr(settings, f"REPROCESS_{name}", DEFAULTS[name])
