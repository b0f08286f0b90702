"""Settings of the model layer, read at call time."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "EMBEDDERS": {"default": {"BACKEND": "transformer", "OPTIONS": {}}},
    # torch intra-op threads per process; 0 keeps torch's default.
    "TORCH_THREADS": 0,
}


def ml_setting(name: str) -> Any:
    return getattr(settings, f"DOCSITE_{name}", DEFAULTS[name])
