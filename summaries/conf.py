"""Settings of the summaries app, with defaults; read at call time."""

from __future__ import annotations

from typing import Any

from docsite.conf import AppSettings

DEFAULTS: dict[str, Any] = {
    "BACKENDS": {
        "default": {
            "BACKEND": "extractive",
            "OPTIONS": {"embedder": "default"},
        },
    },
    # Length of generated summaries.
    "BUDGET": {"size": 60, "unit": "words"},
    # Faithfulness flags of generated (not verbatim) summaries: the embedder
    # alias that scores support, and the support below which a sentence is
    # flagged (None: summaries.faithfulness.SUPPORT_THRESHOLD).
    "FAITHFULNESS": {"EMBEDDER": "default", "THRESHOLD": None},
    # Documents per generation batch (one task claims up to this many).
    "BATCH_SIZE": 16,
    # Show a summary to readers only once an editor approved it.
    "REQUIRE_APPROVAL": False,
    # A row still "running" after this long was left by a worker that died (the
    # generation task's hard time limit is shorter), so it may be claimed again.
    "RUNNING_TIMEOUT_SECONDS": 2000,
}


summaries_setting = AppSettings("SUMMARIES_", DEFAULTS, replaced=("BACKENDS",))
