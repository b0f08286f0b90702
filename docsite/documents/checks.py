"""System checks for the documents app's settings."""

from __future__ import annotations

from django.core.checks import Error, register

from docsite.plugins import plugin_setting_errors

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
    errors = plugin_setting_errors(
        group="docsite.parsers",
        configured=configured,
        setting="DOCSITE_PARSERS",
        check_id="documents.E002",
    )
    for name, config in configured.items():
        if not isinstance(config, dict) or not isinstance(
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
