"""The one plugin loader: parsers, summarizers and embedders alike.

A plugin is a class found by name in an entry-point group (``docsite.parsers``,
``docsite.summarizers``, ``docsite.embedders``) or, for backends, by dotted
path. Settings in the ``CACHES`` shape name, per alias, a ``BACKEND`` and its
``OPTIONS``. The rules are the same for every kind:

- ``plugin_class_load`` resolves one configured name and raises
  ``ImproperlyConfigured`` naming the setting when it cannot;
- ``plugins_load`` builds every configured plugin of a kind; a broken one
  (missing, failing to import, not of the kind, refusing its options) is
  logged and skipped, so one bad package cannot stop the others;
- ``plugin_setting_errors`` is the system check: an error names each
  configured plugin that is missing or cannot be imported;
- ``BackendCache`` builds one instance per alias per process, on first use.
"""

from __future__ import annotations

import importlib.metadata
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from django.core.checks import Error
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

T = TypeVar("T")


def plugin_entry_points(group: str) -> dict[str, importlib.metadata.EntryPoint]:
    """Return the installed plugins of ``group`` by name; the first of a duplicate wins."""
    found: dict[str, importlib.metadata.EntryPoint] = {}
    for entry_point in importlib.metadata.entry_points(group=group):
        if entry_point.name in found:
            logger.warning(
                "Two plugins in %r are named %r (%s and %s); using the first.",
                group,
                entry_point.name,
                found[entry_point.name].value,
                entry_point.value,
            )
            continue
        found[entry_point.name] = entry_point
    return found


def plugin_names(group: str) -> set[str]:
    return set(plugin_entry_points(group))


def plugin_class_load(
    *, group: str, backend: str, setting: str, base: type | None = None
) -> type:
    """Return the class that ``backend`` names: an entry point of ``group`` or a dotted path.

    Raise ``ImproperlyConfigured`` naming ``setting`` when it is missing,
    cannot be imported, or is not a subclass of ``base``.
    """
    entry_point = plugin_entry_points(group).get(backend)
    if entry_point is None and "." not in backend:
        available = ", ".join(sorted(plugin_names(group))) or "none installed"
        raise ImproperlyConfigured(
            f"{setting}: no plugin named '{backend}' (entry-point group '{group}'; "
            f"available: {available})."
        )
    try:
        cls = entry_point.load() if entry_point else import_string(backend)
    except Exception as exc:  # a plugin's import can fail in any way
        raise ImproperlyConfigured(
            f"{setting}: the plugin '{backend}' failed to import "
            f"({type(exc).__name__}: {exc})."
        ) from exc
    if base is not None and not (isinstance(cls, type) and issubclass(cls, base)):
        raise ImproperlyConfigured(
            f"{setting}: the plugin '{backend}' is not a {base.__name__}."
        )
    return cls


def plugins_load(
    *,
    group: str,
    configured: Mapping[str, Mapping[str, Any] | None],
    setting: str,
    base: type[T],
    backend_key: str | None = None,
) -> dict[str, T]:
    """Build every configured plugin; log and skip the broken ones.

    ``configured`` maps names to ``{"OPTIONS": {...}}`` (and, with
    ``backend_key``, the plugin's name under that key; otherwise the alias is
    the plugin's name, as in ``DOCSITE_PARSERS``).
    """
    plugins: dict[str, T] = {}
    for alias, config in configured.items():
        config = config or {}
        backend = config.get(backend_key, alias) if backend_key else alias
        options = config.get("OPTIONS", {})
        try:
            cls = plugin_class_load(
                group=group, backend=backend, setting=setting, base=base
            )
        except ImproperlyConfigured as exc:
            logger.error("%s; skipping '%s'.", exc, alias, exc_info=exc.__cause__)
            continue
        try:
            plugins[alias] = cls(**options)
        except Exception:
            logger.exception(
                "%s['%s'] could not be set up with OPTIONS %r; skipping it.",
                setting,
                alias,
                options,
            )
    return plugins


def plugin_setting_errors(
    *,
    group: str,
    configured: Mapping[str, Mapping[str, Any] | None],
    setting: str,
    check_id: str,
    backend_key: str | None = None,
) -> list[Error]:
    """Return a system-check error for each configured plugin that cannot be loaded."""
    errors = []
    for alias, config in configured.items():
        config = config or {}
        backend = config.get(backend_key, alias) if backend_key else alias
        try:
            plugin_class_load(group=group, backend=backend, setting=setting)
        except ImproperlyConfigured as exc:
            errors.append(
                Error(
                    str(exc),
                    hint=f"Installed: {', '.join(sorted(plugin_names(group))) or 'none'}.",
                    id=check_id,
                )
            )
    return errors


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
