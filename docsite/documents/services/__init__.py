"""Writes of documents: ingestion from uploads, paths and text (``ingest``),
edits, moves, re-parsing and deletion (``changes``), and text analysis
(``analysis``)."""

from .analysis import document_analyze
from .changes import document_delete, document_move, document_reparse, document_update
from .common import IngestResult, Outcome, size_refusal, text_sha256
from .ingest import (
    document_create_from_path,
    document_create_from_text,
    document_ingest,
)

__all__ = [
    "IngestResult",
    "Outcome",
    "document_analyze",
    "document_create_from_path",
    "document_create_from_text",
    "document_delete",
    "document_ingest",
    "document_move",
    "document_reparse",
    "document_update",
    "size_refusal",
    "text_sha256",
]
