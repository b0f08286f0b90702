"""The base AppConfig of docsite plugin apps (summaries, interests, third parties)."""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

from django.apps import AppConfig


class DocsitePluginConfig(AppConfig):
    """A docsite plugin is a Django app.

    ``ready()`` imports the app's ``receivers``, ``checks`` and ``outputs``
    modules when they exist, and nothing else: no models, no settings reads,
    no model loading. ``outputs`` registers the app's output kinds with
    ``docsite.ml.outputs`` (summaries, document vectors).
    """

    plugin_version: str = "0"

    def ready(self) -> None:
        for module in ("receivers", "checks", "outputs"):
            qualified = f"{self.name}.{module}"
            if find_spec(qualified) is not None:
                import_module(qualified)
