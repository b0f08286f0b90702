"""Template context every page needs."""

from __future__ import annotations

from django.http import HttpRequest

from .selectors import MAX_QUERY_CHARS


def search_box(request: HttpRequest) -> dict[str, int]:
    """The longest query the header's and the search page's boxes accept."""
    return {"max_query_chars": MAX_QUERY_CHARS}
