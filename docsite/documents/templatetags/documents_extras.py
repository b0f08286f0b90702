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


@register.filter
def block_tree(blocks: list[dict] | None, title: str = "") -> list[dict]:
    """Return stored blocks (``Block.as_dict()`` values) shaped for display.

    Consecutive list items become one list node whose items carry their
    nested lists (``{"kind": "list", "ordered", "items": [{"text",
    "children": [list nodes]}]}``); headings get a ``tag`` two levels below
    their own, under the page's title and "Text" headings; a table's first
    row is its ``header`` when more rows follow. A first heading repeating
    ``title`` is left out. Text stays text: the template escapes it.
    """
    nodes: list[dict] = []
    # Open lists, innermost last: (level, list node).
    open_lists: list[tuple[int, dict]] = []
    for position, block in enumerate(blocks or []):
        kind = block.get("kind")
        text = block.get("text", "")
        if kind != "list_item":
            open_lists = []
        if kind == "heading":
            if position == 0 and " ".join(text.split()) == " ".join(title.split()):
                continue
            level = int(block.get("level", 1) or 1)
            nodes.append(
                {"kind": "heading", "tag": f"h{min(level + 2, 6)}", "text": text}
            )
        elif kind == "list_item":
            level = int(block.get("level", 0) or 0)
            while open_lists and open_lists[-1][0] > level:
                open_lists.pop()
            if not open_lists or open_lists[-1][0] < level:
                node = {
                    "kind": "list",
                    "ordered": bool(block.get("ordered")),
                    "items": [],
                }
                if open_lists and open_lists[-1][1]["items"]:
                    open_lists[-1][1]["items"][-1]["children"].append(node)
                else:
                    nodes.append(node)
                open_lists.append((level, node))
            open_lists[-1][1]["items"].append({"text": text, "children": []})
        elif kind == "table":
            rows = [list(row) for row in block.get("rows", [])]
            header = rows[0] if len(rows) > 1 else None
            nodes.append(
                {
                    "kind": "table",
                    "header": header,
                    "rows": rows[1:] if header else rows,
                }
            )
        elif kind in ("paragraph", "quote", "code", "page_break"):
            nodes.append({"kind": kind, "text": text})
    return nodes
