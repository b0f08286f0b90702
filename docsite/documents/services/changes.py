"""Changes to stored documents: edits, moves, re-parsing and deletion."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, transaction

from .. import signals
from ..exceptions import DocumentGoneError, DocumentRejectedError
from ..models import Document, DocumentEvent, Space
from ..names import title_clean
from ..parsers.base import ParsedDocument
from .common import (
    blocks_json,
    content_parse,
    document_audit,
    text_change_announce,
    title_choose,
    word_count,
)
from .ingest import document_replace

logger = logging.getLogger(__name__)


def document_update(
    *,
    document: Document,
    user: AbstractBaseUser | None,
    content: bytes | None = None,
    filename: str = "",
    title: str = "",
) -> Document:
    """Replace a document's file and/or title.

    A new file is parsed like any upload; the text-changed signal fires only
    when the extracted text differs.
    """
    if content is None:
        title = title_clean(title)
        if title and title != document.title:
            before = document.title
            document.title = title
            document.updated_by = user
            try:
                with transaction.atomic():
                    document.save(update_fields=["title", "updated_by", "updated_at"])
                    document_audit(
                        document=document,
                        actor=user,
                        action=DocumentEvent.Action.RENAMED,
                        changes={"title": [before, title]},
                    )
            except DatabaseError as error:  # no row left to update
                if Document.objects.filter(pk=document.pk).exists():
                    raise
                raise DocumentGoneError(
                    f"“{before}” was deleted; nothing was saved."
                ) from error
        return document
    filename = filename or document.original_filename or "document"
    mime_type, parsed, sha = content_parse(content=content, filename=filename)
    return document_replace(
        document=document,
        content=content,
        filename=filename,
        mime_type=mime_type,
        parsed=parsed,
        sha=sha,
        title=title_choose(
            given=title or document.title, parsed=parsed, filename=filename
        ),
        user=user,
    )


def document_move(
    *, document: Document, space: Space, user: AbstractBaseUser | None
) -> Document:
    """Move a document to another space; callers check that ``user`` may edit both.

    Raise ``DocumentRejectedError`` when the target space already holds the
    same text (a space stores each text once).
    """
    if space.pk == document.space_id:
        return document
    clash = Document.objects.filter(
        space=space, content_sha256=document.content_sha256
    ).first()
    if clash is not None:
        raise DocumentRejectedError(
            f"{space.name} already holds the same text as “{clash.title}”."
        )
    before = document.space
    document.space = space
    document.updated_by = user
    with transaction.atomic():
        document.save(update_fields=["space", "updated_by", "updated_at"])
        document_audit(
            document=document,
            actor=user,
            action=DocumentEvent.Action.MOVED,
            changes={"space": [before.slug, space.slug]},
        )
    logger.info("document %s moved from %s to %s", document.pk, before.slug, space.slug)
    return document


ReparseOutcome = Literal["unchanged", "blocks", "text"]


def document_reparse(*, document_id: int) -> ReparseOutcome:
    """Parse a document's stored file again with today's parsers.

    When the extracted text is unchanged only the structure is refreshed
    (blocks and the reading HTML): nothing downstream is redone. When the
    text changed (PDF reflow, say), the document is updated like a new
    version of its file, and summaries and vectors follow. A document
    without a stored file gets the blocks of its plain text. Returns
    ``"unchanged"``, ``"blocks"`` or ``"text"``; raises
    ``DocumentRejectedError`` (nothing changed) when the file cannot be read
    or its new text equals another document's in the space.
    """
    document = Document.objects.get(pk=document_id)
    if document.source_file:
        with document.source_file.open("rb") as stored:
            content = stored.read()
        filename = document.original_filename or Path(document.source_file.name).name
        _mime_type, parsed, sha = content_parse(content=content, filename=filename)
    else:
        from ..parsers.text import blocks_from_text

        parsed = ParsedDocument(
            text=document.text,
            html=document.html,
            blocks=blocks_from_text(document.text),
        )
        sha = document.content_sha256
    blocks = blocks_json(parsed)

    if sha == document.content_sha256:
        if blocks == document.blocks and parsed.html == document.html:
            return "unchanged"
        # Keyed by the hash: a new version saved meanwhile keeps its own blocks.
        Document.objects.filter(pk=document.pk, content_sha256=sha).update(
            blocks=blocks, html=parsed.html
        )
        return "blocks"

    clash = (
        Document.objects.filter(space=document.space_id, content_sha256=sha)
        .exclude(pk=document.pk)
        .first()
    )
    if clash is not None:
        raise DocumentRejectedError(
            f"its new text is the same as “{clash.title}” in this space."
        )
    document.text = parsed.text
    document.html = parsed.html
    document.blocks = blocks
    document.content_sha256 = sha
    document.word_count = word_count(parsed.text)
    document.metadata = {**document.metadata, **parsed.metadata}
    # updated_at stays: nobody edited the document, the reader improved.
    with transaction.atomic():
        document.save(
            update_fields=[
                "text",
                "html",
                "blocks",
                "content_sha256",
                "word_count",
                "metadata",
            ]
        )
        text_change_announce(document)
    return "text"


def document_delete(
    *, document: Document, user: AbstractBaseUser | None = None
) -> None:
    """Delete a document, its file and (by cascade) what apps derived from it.

    The audit entry stays, with the document's id and title.
    """
    document_id, space_id = document.pk, document.space_id
    stored = document.source_file.name if document.source_file else ""
    storage = document.source_file.storage
    with transaction.atomic():
        document_audit(
            document=document,
            actor=user,
            action=DocumentEvent.Action.DELETED,
            changes={"space": [document.space.slug, None]},
        )
        document.delete()
        if stored:
            transaction.on_commit(lambda: storage.delete(stored))
        transaction.on_commit(
            lambda: signals.document_deleted.send(
                sender=Document, document_id=document_id, space_id=space_id
            ),
            robust=True,
        )
