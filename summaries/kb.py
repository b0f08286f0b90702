"""The knowledge-base evaluation set: a manifest of files, parsed as users' files are.

``bench/data/kb/manifest.jsonl`` lists ``{"id", "file", "summary",
"language", "genre"}`` per line, ``file`` relative to the manifest. Each
file goes through ``docsite.documents.parsers.parse_document``, the path an
upload takes, so an evaluation sees the text and blocks a user's document
would have.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docsite.documents.exceptions import DocumentRejectedError

KB_MANIFEST = Path(__file__).resolve().parents[1] / "bench/data/kb/manifest.jsonl"


class KnowledgeBaseFileError(ValueError):
    """A manifest row names a file that is missing or cannot be parsed."""


def kb_record_resolve(record: dict[str, Any], *, base: Path) -> dict[str, Any]:
    """Return ``record`` with ``document`` (text) and ``blocks`` from its ``file``.

    Raise ``KnowledgeBaseFileError`` naming the file when it is missing or
    refused by the parsers.
    """
    from docsite.documents.parsers import parse_document

    path = base / record["file"]
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KnowledgeBaseFileError(f"{path}: {exc}") from exc
    try:
        _mime_type, parsed = parse_document(data, filename=path.name)
    except DocumentRejectedError as exc:
        raise KnowledgeBaseFileError(f"{path}: {exc}") from exc
    return {
        **record,
        "document": parsed.text,
        "blocks": [block.as_dict() for block in parsed.blocks],
        "title": parsed.title,
    }
