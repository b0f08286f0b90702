"""System checks for the documents app's settings."""

from __future__ import annotations

from importlib.metadata import entry_points

from django.core.checks import Error, register

from .conf import documents_setting


@register()
def check_parsers_setting(app_configs=None, **kwargs) -> list[Error]:
    configured = documents_setting("PARSERS")
    if not isinstance(configured, dict):
        return [
            Error(
                "DOCSITE_PARSERS must be a dict of parser name to {'OPTIONS': {...}}.",
                id="documents.E001",
            )
        ]
    available = {ep.name for ep in entry_points(group="docsite.parsers")}
    errors = []
    for name, config in configured.items():
        if name not in available:
            errors.append(
                Error(
                    f"DOCSITE_PARSERS names '{name}', but no parser of that name is "
                    "installed (entry-point group 'docsite.parsers').",
                    hint=f"Installed parsers: {', '.join(sorted(available)) or 'none'}.",
                    id="documents.E002",
                )
            )
        elif not isinstance(config, dict) or not isinstance(
            config.get("OPTIONS", {}), dict
        ):
            errors.append(
                Error(
                    f"DOCSITE_PARSERS['{name}'] must be a dict with an optional "
                    "'OPTIONS' dict.",
                    id="documents.E003",
                )
            )
    return errors
