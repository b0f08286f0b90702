"""System checks for SUMMARIES_* settings (summaries.E00x)."""

from __future__ import annotations

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from .conf import summaries_setting

VALID_DEVICES = ("auto", "cpu", "mps", "cuda")


@register()
def check_summaries_settings(app_configs=None, **kwargs) -> list[Error]:
    from .backends import SETTING, summarizer_options

    backends = summaries_setting("BACKENDS")
    if not isinstance(backends, dict) or "default" not in backends:
        return [
            Error(
                f"{SETTING} must be a dict with a 'default' alias.", id="summaries.E001"
            )
        ]
    errors = []
    for alias, config in backends.items():
        if not isinstance(config, dict) or "BACKEND" not in config:
            errors.append(
                Error(f"{SETTING}['{alias}'] needs a 'BACKEND'.", id="summaries.E001")
            )
            continue
        if not isinstance(config.get("OPTIONS", {}), dict):
            errors.append(
                Error(
                    f"{SETTING}['{alias}']['OPTIONS'] must be a dict.",
                    id="summaries.E002",
                )
            )
            continue
        try:
            summarizer_options(alias)
        except ImproperlyConfigured as exc:
            errors.append(Error(str(exc), id="summaries.E003"))
        device = str(config.get("OPTIONS", {}).get("device", "auto"))
        if not device.startswith(VALID_DEVICES):
            errors.append(
                Error(
                    f"{SETTING}['{alias}'] has device '{device}'; use auto, cpu, cuda, cuda:N or mps.",
                    id="summaries.E004",
                )
            )
    budget = summaries_setting("BUDGET")
    if not (
        isinstance(budget, dict)
        and int(budget.get("size", 0)) > 0
        and budget.get("unit", "words") in ("words", "chars")
    ):
        errors.append(
            Error(
                "SUMMARIES_BUDGET must be {'size': N > 0, 'unit': 'words'|'chars'}.",
                id="summaries.E005",
            )
        )
    return errors
