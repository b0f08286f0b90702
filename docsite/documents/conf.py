"""Settings of the documents app, with their defaults.

Read them through ``documents_setting(name)`` at call time, never at import,
so that ``override_settings`` in tests and per-process changes take effect.
"""

from __future__ import annotations

from typing import Any

from docsite.conf import AppSettings

DEFAULTS: dict[str, Any] = {
    # Parser plugins by entry-point name (group ``docsite.parsers``). A name
    # missing here is off. OPTIONS go to the parser's constructor.
    "PARSERS": {
        "text": {"OPTIONS": {}},
        "markdown": {"OPTIONS": {}},
        "html": {"OPTIONS": {}},
        "pdf": {"OPTIONS": {"max_pages": 1000}},
        "docx": {"OPTIONS": {"max_uncompressed_bytes": 200 * 1024 * 1024}},
    },
    "MAX_UPLOAD_BYTES": 25 * 1024 * 1024,
    "MAX_TEXT_CHARS": 2_000_000,
    # One parse runs in a child process that is killed past these limits:
    # wall-clock and CPU seconds, and bytes of memory on top of its parent's.
    "PARSE_TIMEOUT_SECONDS": 60,
    "PARSE_MEMORY_BYTES": 1024 * 1024 * 1024,
    # The search behind the document list's ``?q=`` (and the documents API's):
    # a dotted path to ``f(*, user, query, documents, limit) -> [document id]``,
    # best first, within the already filtered ``documents``. The project
    # settings name the interests app's keyword search, so the list, the
    # search page and the search API are one search; empty: the core's own
    # strict full-text match.
    "DOCUMENT_SEARCH": "",
    # How many ranked matches the list pages through at most (one search per
    # page; its ids are narrowed by the facets, so the cap applies before them).
    "DOCUMENT_SEARCH_LIMIT": 1000,
}


documents_setting = AppSettings("DOCSITE_", DEFAULTS, replaced=("PARSERS",))
