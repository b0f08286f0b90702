"""Titles and file names as docsite stores and shows them.

Whatever a title or a file name comes from (a form, the API, the admin, a
parser, an import), it passes through here before it is stored:

- bidirectional controls are removed: ``Report \\u202egnp.exe`` would
  display as "Report exe.png" and lie about what the file is;
- other control and format characters are removed, whitespace is collapsed;
- lengths are bounded by the columns that hold them.

A stored file's name is a separate, storage-safe name derived from the
original one; the original (cleaned) stays on the row for display and
download.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import PurePosixPath, PureWindowsPath

from anyascii import anyascii

from django.utils.text import get_valid_filename, slugify

MAX_TITLE_CHARS = 300
MAX_FILENAME_CHARS = 255
# Filesystems refuse names over 255 bytes, and the storage may append a suffix
# to make a name unique; longer names are shortened, keeping the extension.
MAX_STORED_NAME_BYTES = 150

# Unicode's bidirectional formatting characters (UAX #9): embeddings,
# overrides, isolates and the implicit marks.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_BIDI = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")


def strip_bidi_controls(text: str) -> str:
    """Return ``text`` without bidirectional formatting characters."""
    return _BIDI.sub("", text)


def _visible(text: str) -> str:
    """Remove bidi controls and every control character, collapse whitespace."""
    text = strip_bidi_controls(text)
    text = "".join(
        " " if unicodedata.category(char) == "Cc" else char
        for char in text
        if unicodedata.category(char) not in ("Cs", "Co")
    )
    return " ".join(text.split())


def title_clean(title: str) -> str:
    """Return ``title`` as it may be stored and shown: one line, no controls."""
    return _visible(title)[:MAX_TITLE_CHARS]


def filename_clean(name: str) -> str:
    """Return the last component of ``name``, without controls; may be empty."""
    return _last_component(name)[:MAX_FILENAME_CHARS]


def _last_component(name: str) -> str:
    # Browsers on Windows have sent full paths; either separator ends a folder.
    return _visible(PureWindowsPath(PurePosixPath(name).name).name)


def stored_name(filename: str) -> str:
    """Return a storage-safe name for a file called ``filename``.

    Django's storage refuses names from which ``get_valid_filename`` keeps
    nothing (``☃``, ``研究.md`` keeps only ``.md``); those become
    ``document`` plus their extension.
    """
    path = PurePosixPath(_last_component(filename) or "document")
    suffix = _valid_or_empty(path.suffix)
    if len(suffix.encode()) > 16 or not suffix.startswith("."):
        suffix = ""
    stem = _valid_or_empty(path.stem) or "document"
    budget = MAX_STORED_NAME_BYTES - len(suffix.encode())
    stem = stem.encode()[:budget].decode("utf-8", "ignore") or "document"
    return stem + suffix


def _valid_or_empty(name: str) -> str:
    """``get_valid_filename``, but an empty result instead of an exception."""
    try:
        name = get_valid_filename(name)
    except Exception:  # SuspiciousFileOperation: nothing usable was left
        return ""
    return name if name.strip(".") else ""


MAX_SLUG_CHARS = 50


def space_slug_for(name: str) -> str:
    """Return a routable slug (ASCII letters, digits, ``-``) for a space ``name``.

    Any script is transliterated (anyascii: ``研究`` → ``yanjiu``, ``Отдел
    кадров`` → ``otdel-kadrov``); a name that leaves nothing gets a slug made
    from its hash, so the same name always gets the same slug. Never empty,
    never longer than the column.
    """
    slug = slugify(anyascii(name))[:MAX_SLUG_CHARS].strip("-")
    if slug:
        return slug
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]
    return f"space-{digest}"
