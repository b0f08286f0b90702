"""Loading plugins: entry points chosen by settings, instantiated lazily once per process.

Parsers, summarizers and embedders share this. A setting in the ``CACHES``
shape names, for each alias, a ``BACKEND`` (an entry-point name in the
plugin's group, or a dotted path) and ``OPTIONS`` for its constructor.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

T = TypeVar("T")


def plugin_names(group: str) -> set[str]:
    return {ep.name for ep in entry_points(group=group)}


def plugin_class_load(*, group: str, backend: str, setting: str) -> type:
    """Return the class that ``backend`` names: an entry point of ``group`` or a dotted path.

    Raise ``ImproperlyConfigured`` naming ``setting`` when it cannot be loaded.
    """
    matches = [ep for ep in entry_points(group=group) if ep.name == backend]
    try:
        if matches:
            return matches[0].load()
        if "." in backend:
            return import_string(backend)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"{setting}: the backend '{backend}' could not be imported: {exc}"
        ) from exc
    available = ", ".join(sorted(plugin_names(group))) or "none installed"
    raise ImproperlyConfigured(
        f"{setting}: no backend named '{backend}' (entry-point group '{group}'; "
        f"available: {available})."
    )


class BackendCache(Generic[T]):
    """One instance per alias per process, built on first use.

    Double-checked locking keeps concurrent threads from loading a model twice.
    """

    def __init__(self, factory: Callable[[str], T]) -> None:
        self._factory = factory
        self._instances: dict[str, T] = {}
        self._lock = threading.Lock()

    def get(self, alias: str) -> T:
        instance = self._instances.get(alias)
        if instance is None:
            with self._lock:
                instance = self._instances.get(alias)
                if instance is None:
                    instance = self._factory(alias)
                    self._instances[alias] = instance
        return instance

    def loaded(self) -> dict[str, T]:
        return dict(self._instances)

    def reset(self, *args: Any, **kwargs: Any) -> None:
        with self._lock:
            self._instances.clear()
