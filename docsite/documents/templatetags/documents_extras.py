"""Template helpers for the document pages."""

from __future__ import annotations

from django import template

register = template.Library()

DOCTYPE_LABELS: dict[str, str] = {
    "text/plain": "Text",
    "text/markdown": "Markdown",
    "text/x-markdown": "Markdown",
    "text/html": "HTML",
    "application/xhtml+xml": "HTML",
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
}


@register.filter
def doctype_label(mime_type: str | None) -> str:
    """Return a short, readable label for ``mime_type`` ("PDF", "Word", ...).

    Parameters such as ``; charset=utf-8`` are ignored. An unknown type with a
    short subtype shows it in capitals ("text/csv" is "CSV"); anything else,
    and a missing type, shows "File".
    """
    essence = (mime_type or "").split(";", 1)[0].strip().lower()
    if not essence:
        return "File"
    if essence in DOCTYPE_LABELS:
        return DOCTYPE_LABELS[essence]
    subtype = essence.rpartition("/")[2].removeprefix("x-")
    if subtype.isalnum() and len(subtype) <= 6:
        return subtype.upper()
    return "File"
