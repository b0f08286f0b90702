"""System checks for INTERESTS_* settings (interests.E00x)."""

from __future__ import annotations

from django.core.checks import Error, register

from .conf import interests_setting

REPRESENTATIONS = ("title_lead", "chunks", "title_summary")


@register()
def check_interests_settings(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    if interests_setting("DOCUMENT_REPRESENTATION") not in REPRESENTATIONS:
        errors.append(
            Error(
                "INTERESTS_DOCUMENT_REPRESENTATION must be one of "
                + ", ".join(REPRESENTATIONS)
                + ".",
                id="interests.E001",
            )
        )
    weights = interests_setting("KIND_WEIGHTS")
    from .models import Interaction

    missing = set(Interaction.Kind.values) - set(weights)
    if missing:
        errors.append(
            Error(
                f"INTERESTS_KIND_WEIGHTS lacks {', '.join(sorted(missing))}.",
                id="interests.E002",
            )
        )
    for name in ("CHUNK_TOKENS", "MAX_CHUNKS", "BATCH_SIZE", "HISTORY_LIMIT"):
        value = interests_setting(name)
        if not isinstance(value, int) or value < 1:
            errors.append(
                Error(
                    f"INTERESTS_{name} must be a positive integer.", id="interests.E003"
                )
            )
    return errors
