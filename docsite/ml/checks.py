"""System checks for the model layer's settings (ml.E00x)."""

from __future__ import annotations

from django.core.checks import Error, register

from docsite.plugins import plugin_setting_errors

from .conf import ml_setting
from .embedders import ENTRY_POINT_GROUP, SETTING


@register()
def check_embedders_setting(app_configs=None, **kwargs) -> list[Error]:
    configured = ml_setting("EMBEDDERS")
    if not isinstance(configured, dict) or not all(
        isinstance(config, dict) and "BACKEND" in config
        for config in configured.values()
    ):
        return [
            Error(
                f"{SETTING} must map aliases to {{'BACKEND': ..., 'OPTIONS': {{...}}}}.",
                id="ml.E001",
            )
        ]
    errors = plugin_setting_errors(
        group=ENTRY_POINT_GROUP,
        configured=configured,
        setting=SETTING,
        check_id="ml.E002",
        backend_key="BACKEND",
    )
    accelerator = str(ml_setting("ACCELERATOR")).lower()
    if accelerator not in ("cpu", "cuda", "mps"):
        errors.append(
            Error(
                f"DOCSITE_ACCELERATOR is '{accelerator}'; use cpu, cuda or mps.",
                id="ml.E003",
            )
        )
    return errors
