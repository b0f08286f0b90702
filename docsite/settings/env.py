"""Typed readers of environment variables: the only place docsite reads os.environ."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(f"The environment variable {name} must be set.")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean (use 1/0, true/false)."
    )


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_overrides(parsers: dict[str, object]) -> dict[str, object]:
    """Return ``{name: parsed value}`` for the names the environment sets.

    ``parsers`` maps setting names to ``int``, ``bool`` or ``str``. Names the
    environment leaves unset are left out, so the app's ``conf.py`` default
    applies: defaults are never repeated here.
    """
    values: dict[str, object] = {}
    for name, kind in parsers.items():
        raw = os.environ.get(name)
        if raw is None or raw.strip() == "":
            continue
        if kind is bool:
            values[name] = env_bool(name, False)
        elif kind is int:
            values[name] = env_int(name, 0)
        else:
            values[name] = raw
    return values
