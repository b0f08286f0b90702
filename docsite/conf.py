"""The one settings pattern of docsite's apps.

Each app keeps its defaults in one place, ``<app>/conf.py``'s ``DEFAULTS``,
and reads its settings through an ``AppSettings`` accessor at call time (never
at import), so ``override_settings`` and per-process changes take effect.
``docsite/settings/base.py`` sets a name only when the environment gives a
value; it never repeats a default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings


class AppSettings:
    """``accessor(name)`` returns ``settings.<prefix><name>``, else ``defaults[name]``.

    A dict default holds options: a setting gives only the keys it changes,
    merged over the defaults (one level of nested dicts too). Names in
    ``replaced`` are alias maps (``*_BACKENDS``, ``DOCSITE_PARSERS``): a site's
    value replaces the default whole.
    """

    def __init__(
        self,
        prefix: str,
        defaults: Mapping[str, Any],
        *,
        replaced: Iterable[str] = (),
    ) -> None:
        self.prefix = prefix
        self.defaults = defaults
        self.replaced = frozenset(replaced)

    def __call__(self, name: str) -> Any:
        default = self.defaults[name]
        value = getattr(settings, f"{self.prefix}{name}", default)
        if (
            name not in self.replaced
            and isinstance(default, dict)
            and isinstance(value, dict)
        ):
            combined = {**default, **value}
            for key, nested in default.items():
                if isinstance(nested, dict) and isinstance(value.get(key), dict):
                    combined[key] = {**nested, **value[key]}
            return combined
        return value
