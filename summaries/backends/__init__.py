"""Summarizer registry: ``get_summarizer(alias)`` builds the backend configured
in ``SUMMARIES_BACKENDS[alias]`` once per process, on first use.

The option ``embedder`` (an alias of ``DOCSITE_EMBEDDERS``) is resolved here to
the shared embedder instance, so the extractive summarizer and the interests
app use one loaded encoder.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from docsite.ml.conf import ml_setting
from docsite.ml.runtime import precision_options_resolve, torch_threads_apply
from docsite.plugins import BackendCache, plugin_class_load
from summaries.conf import summaries_setting

from .base import BaseSummarizer, SummaryBudget, SummaryResult

__all__ = [
    "BaseSummarizer",
    "SummaryBudget",
    "SummaryResult",
    "get_summarizer",
    "loaded_summarizers",
    "reset_summarizers",
    "summarizer_build",
    "summary_budget",
]

ENTRY_POINT_GROUP = "docsite.summarizers"
SETTING = "SUMMARIES_BACKENDS"


def summarizer_options(alias: str) -> tuple[type[BaseSummarizer], dict[str, Any]]:
    """Return the backend class and constructor options for ``alias``.

    An alias not in the settings may be one registered by promoting a
    training run: the backend and options of its settings alias, plus the
    trained weights (``summaries.training.aliases``).
    """
    configured = summaries_setting("BACKENDS")
    if alias in configured:
        config = configured[alias]
    else:
        from summaries.training.aliases import promoted_alias_config

        config = promoted_alias_config(alias, configured=configured)
        if config is None:
            raise ImproperlyConfigured(f"{SETTING} has no alias '{alias}'.")
    cls = plugin_class_load(
        group=ENTRY_POINT_GROUP, backend=config["BACKEND"], setting=SETTING
    )
    return cls, dict(config.get("OPTIONS", {}))


def summary_budget() -> SummaryBudget:
    """Return the configured length of generated summaries (``SUMMARIES_BUDGET``)."""
    return SummaryBudget(**summaries_setting("BUDGET"))


def summarizer_build(alias: str, **extra_options: Any) -> BaseSummarizer:
    """Build a new instance of ``alias``, its options plus ``extra_options``
    (a training run's weights), as the registry builds it; uncached."""
    cls, options = summarizer_options(alias)
    options.update(extra_options)
    if cls.uses_device:
        options = precision_options_resolve(
            options, accelerator=ml_setting("ACCELERATOR")
        )
    if "embedder" in options:
        from docsite.ml.embedders import get_embedder

        options["embedder"] = get_embedder(options["embedder"])
    torch_threads_apply(ml_setting("TORCH_THREADS"))
    return cls(**options)


_summarizers: BackendCache[BaseSummarizer] = BackendCache(summarizer_build)


def get_summarizer(alias: str = "default") -> BaseSummarizer:
    return _summarizers.get(alias)


def loaded_summarizers() -> dict[str, BaseSummarizer]:
    return _summarizers.loaded()


def reset_summarizers() -> None:
    _summarizers.reset()


def _reset_on_setting_change(*, setting: str, **kwargs) -> None:
    if setting in {
        SETTING,
        "DOCSITE_EMBEDDERS",
        "DOCSITE_TORCH_THREADS",
        "DOCSITE_ACCELERATOR",
    }:
        reset_summarizers()


setting_changed.connect(
    _reset_on_setting_change, dispatch_uid="summaries.backends.reset"
)
