"""Ingestion: a new document, or a new version of one, from an upload, a path
or text. Parsing happens before any transaction opens, so a slow or failing
parser never holds a lock, and a refused file leaves nothing behind: no row
and no stored file."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, IntegrityError, transaction

from .. import signals
from ..exceptions import DocumentGoneError, DocumentRejectedError
from ..models import Document, DocumentEvent, Space
from ..names import filename_clean
from ..parsers.base import ParsedDocument
from .common import (
    IngestResult,
    blocks_json,
    content_parse,
    document_audit,
    file_store,
    size_check,
    stored_files_discard,
    text_change_announce,
    title_choose,
    word_count,
)

logger = logging.getLogger(__name__)


def document_ingest(
    *,
    space: Space,
    content: bytes,
    filename: str,
    user: AbstractBaseUser | None = None,
    title: str = "",
    source_key: str = "",
    metadata: dict[str, Any] | None = None,
) -> IngestResult:
    """Parse ``content`` and add it to ``space``, or recognise it as known.

    A document with the same ``source_key`` in the space is updated when its
    text changed and left alone otherwise. A document with the same text in
    the space is returned unchanged instead of being stored twice.

    Raises ``DocumentRejectedError`` with a readable reason when the file is
    empty, too large, corrupt or of an unsupported format; nothing is saved.
    """
    mime_type, parsed, sha = content_parse(content=content, filename=filename)
    title = title_choose(given=title, parsed=parsed, filename=filename)

    if source_key:
        existing = Document.objects.filter(space=space, source_key=source_key).first()
        if existing is not None:
            if existing.content_sha256 == sha and existing.title == title:
                return IngestResult(existing, "unchanged")
            document = document_replace(
                document=existing,
                content=content,
                filename=filename,
                mime_type=mime_type,
                parsed=parsed,
                sha=sha,
                title=title,
                user=user,
                metadata=metadata,
            )
            return IngestResult(document, "updated")

    duplicate = Document.objects.filter(space=space, content_sha256=sha).first()
    if duplicate is not None:
        return IngestResult(duplicate, "unchanged")

    document = Document(
        space=space,
        title=title,
        original_filename=filename_clean(filename),
        source_key=source_key,
        mime_type=mime_type,
        text=parsed.text,
        html=parsed.html,
        blocks=blocks_json(parsed),
        content_sha256=sha,
        word_count=word_count(parsed.text),
        metadata={**parsed.metadata, **(metadata or {})},
        created_by=user,
        updated_by=user,
    )
    try:
        with transaction.atomic():
            file_store(document, content=content, filename=filename)
            document.save()
            document_audit(
                document=document,
                actor=user,
                action=DocumentEvent.Action.CREATED,
                changes={"file": [None, document.original_filename]},
            )
            document_id, space_id = document.pk, space.pk
            transaction.on_commit(
                lambda: signals.document_created.send(
                    sender=Document, document_id=document_id, space_id=space_id
                ),
                robust=True,
            )
            text_change_announce(document)
    except IntegrityError:
        stored_files_discard(document)
        # Another process stored the same text (or source) a moment earlier.
        winner = Document.objects.filter(space=space, content_sha256=sha).first()
        if winner is None and source_key:
            winner = Document.objects.filter(space=space, source_key=source_key).first()
        if winner is None:
            raise
        return IngestResult(winner, "unchanged")
    except BaseException:
        stored_files_discard(document)
        raise
    logger.info(
        "document %s created in space %s (%s)", document.pk, space.slug, mime_type
    )
    return IngestResult(document, "created")


def document_replace(
    *,
    document: Document,
    content: bytes,
    filename: str,
    mime_type: str,
    parsed: ParsedDocument,
    sha: str,
    title: str,
    user: AbstractBaseUser | None,
    metadata: dict[str, Any] | None = None,
) -> Document:
    clash = (
        Document.objects.filter(space=document.space_id, content_sha256=sha)
        .exclude(pk=document.pk)
        .first()
    )
    if clash is not None:
        raise DocumentRejectedError(
            f"{filename} has the same content as “{clash.title}” in this space."
        )
    text_changed = sha != document.content_sha256
    old_file = document.source_file.name if document.source_file else ""
    changes: dict[str, Any] = {
        "file": [document.original_filename, filename_clean(filename)],
        "text_changed": text_changed,
        "words": [document.word_count, word_count(parsed.text)],
    }
    if title != document.title:
        changes["title"] = [document.title, title]
    document.title = title
    document.original_filename = filename_clean(filename)
    document.mime_type = mime_type
    document.text = parsed.text
    document.html = parsed.html
    document.blocks = blocks_json(parsed)
    document.content_sha256 = sha
    document.word_count = word_count(parsed.text)
    document.metadata = {**document.metadata, **parsed.metadata, **(metadata or {})}
    document.updated_by = user
    try:
        with transaction.atomic():
            file_store(document, content=content, filename=filename)
            # force_update: a document deleted meanwhile must stay deleted;
            # a plain save() would insert it again under the same id.
            document.save(force_update=True)
            document_audit(
                document=document,
                actor=user,
                action=DocumentEvent.Action.REPLACED,
                changes=changes,
            )
            if text_changed:
                text_change_announce(document)
    except DatabaseError as error:
        stored_files_discard(document)
        if Document.objects.filter(pk=document.pk).exists():
            raise
        raise DocumentGoneError(
            f"“{document.title}” was deleted while {filename} was being read; "
            "nothing was saved."
        ) from error
    except BaseException:
        stored_files_discard(document)
        raise
    if old_file and old_file != document.source_file.name:
        storage = document.source_file.storage
        transaction.on_commit(lambda: storage.delete(old_file))
    return document


def document_create_from_path(
    *,
    space: Space,
    path: Path,
    user: AbstractBaseUser | None = None,
    title: str = "",
    source_key: str = "",
) -> IngestResult:
    """Ingest a file on disk (import command)."""
    size_check(size=path.stat().st_size, filename=path.name)
    return document_ingest(
        space=space,
        content=path.read_bytes(),
        filename=path.name,
        user=user,
        title=title,
        source_key=source_key,
    )


def document_create_from_text(
    *,
    space: Space,
    title: str,
    text: str,
    user: AbstractBaseUser | None = None,
    source_key: str = "",
    metadata: dict[str, Any] | None = None,
    filename: str = "",
) -> IngestResult:
    """Ingest text given directly (JSONL import, API); stored as a .txt file."""
    slug = re.sub(r"[^\w.-]+", "-", title.lower()).strip("-")[:80] or "document"
    return document_ingest(
        space=space,
        content=text.encode("utf-8"),
        filename=filename or f"{slug}.txt",
        user=user,
        title=title,
        source_key=source_key,
        metadata=metadata,
    )
