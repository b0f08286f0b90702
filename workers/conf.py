"""Settings of the workers app, read at call time."""

from __future__ import annotations

from typing import Any

from docsite.conf import AppSettings

DEFAULTS: dict[str, Any] = {
    # Most documents in one chunk; fewer when the producer is slow, so that a
    # chunk is about CHUNK_SECONDS of work (an LLM gets chunks of 1).
    "CHUNK_SIZE": 32,
    "CHUNK_SECONDS": 30,
    # A chunk runs in steps of about this many seconds and gives way to
    # interactive work (queue ml) between them.
    "STEP_SECONDS": 1,
    # Rounds that pick up documents of the selection saved while the job ran.
    "CATCHUP_ROUNDS": 3,
    "MAX_CHUNKS_IN_FLIGHT": 2,
    # A chunk dispatched longer ago than this and still unfinished was lost
    # (worker killed, broker restarted): its documents go back to pending.
    "CHUNK_STALE_SECONDS": 2000,
}


reprocess_setting = AppSettings("REPROCESS_", DEFAULTS)
