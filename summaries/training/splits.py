"""The deterministic split of records into halves ``a`` and ``b`` by a hash of their key."""

from __future__ import annotations

import hashlib


def split_of(key: str | int) -> str:
    """Return ``"a"`` or ``"b"`` for ``key``: the same on every machine and run.

    Keys are ids (a dataset record's ``id``, a document's primary key), so one
    document always falls on one side.
    """
    digest = hashlib.sha256(str(key).encode("utf-8")).digest()
    return "a" if digest[0] % 2 == 0 else "b"
