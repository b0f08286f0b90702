"""Writes of documents: ingestion from uploads, paths and text, updates, deletion
and text analysis.

Parsing happens before any transaction opens, so a slow or failing parser never
holds a lock, and a refused file leaves nothing behind: no row and no stored
file.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import DatabaseError, IntegrityError, transaction

from docsite.tasking import task_enqueue_on_commit

from . import signals
from .conf import documents_setting
from .exceptions import DocumentGoneError, DocumentRejectedError, FileTooLargeError
from .models import Document, DocumentEvent, Space
from .names import filename_clean, stored_name, title_clean
from .parsers import parse_document
from .parsers.base import ParsedDocument
from .titles import document_title_choose

logger = logging.getLogger(__name__)

Outcome = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class IngestResult:
    document: Document
    outcome: Outcome


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _audit(
    *,
    document: Document,
    actor: AbstractBaseUser | None,
    action: str,
    changes: dict[str, Any] | None = None,
) -> DocumentEvent:
    return DocumentEvent.objects.create(
        document=document,
        document_key=document.pk,
        title=document.title,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        changes=changes or {},
    )


def size_refusal(*, size: int, filename: str) -> FileTooLargeError | None:
    """Return the refusal of a ``size``-byte file, or None when it fits the limit.

    Sizes are shown in MB (2^20 bytes) unless both round to the same figure,
    at the boundary; then in bytes, so the message never reads "25.0 MB is
    over the limit of 25.0 MB".
    """
    limit = documents_setting("MAX_UPLOAD_BYTES")
    if size <= limit:
        return None
    shown, shown_limit = f"{size / 1_048_576:.1f} MB", f"{limit / 1_048_576:.1f} MB"
    if shown == shown_limit:
        shown, shown_limit = f"{size:,} bytes", f"{limit:,} bytes"
    return FileTooLargeError(
        f"{filename or 'The file'} is {shown}, over the limit of {shown_limit}."
    )


def _title_choose(*, given: str, parsed: ParsedDocument, filename: str) -> str:
    """The titles rule, then what every stored title passes (no bidi controls)."""
    title = document_title_choose(given=given, parsed=parsed, filename=filename)
    return title_clean(title) or "Untitled"


def _check_size(*, size: int, filename: str) -> None:
    refusal = size_refusal(size=size, filename=filename)
    if refusal is not None:
        raise refusal


def _parse(*, content: bytes, filename: str) -> tuple[str, ParsedDocument, str]:
    _check_size(size=len(content), filename=filename)
    mime_type, parsed = parse_document(content, filename=filename)
    return mime_type, parsed, text_sha256(parsed.text)


def _blocks_json(parsed: ParsedDocument) -> list[dict[str, Any]]:
    return [block.as_dict() for block in parsed.blocks]


def _store_file(document: Document, *, content: bytes, filename: str) -> None:
    """Save the source file and remember it, so a failed save can remove it.

    Django has no on-rollback hook, so the callers catch the failure and call
    ``_discard_stored_files``.
    """
    document.source_file.save(stored_name(filename), ContentFile(content), save=False)
    document._stored_names = [
        *getattr(document, "_stored_names", []),
        (document.source_file.storage, document.source_file.name),
    ]


def _discard_stored_files(document: Document) -> None:
    for storage, name in getattr(document, "_stored_names", []):
        storage.delete(name)


def _announce_text_change(document: Document) -> None:
    document_id, sha = document.pk, document.content_sha256
    transaction.on_commit(
        lambda: signals.document_text_changed.send(
            sender=Document, document_id=document_id, content_sha256=sha
        ),
        robust=True,
    )
    from .tasks import document_analyze

    task_enqueue_on_commit(document_analyze, document_id=document_id)


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
    mime_type, parsed, sha = _parse(content=content, filename=filename)
    title = _title_choose(given=title, parsed=parsed, filename=filename)

    if source_key:
        existing = Document.objects.filter(space=space, source_key=source_key).first()
        if existing is not None:
            if existing.content_sha256 == sha and existing.title == title:
                return IngestResult(existing, "unchanged")
            document = _document_replace(
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
        blocks=_blocks_json(parsed),
        content_sha256=sha,
        word_count=_word_count(parsed.text),
        metadata={**parsed.metadata, **(metadata or {})},
        created_by=user,
        updated_by=user,
    )
    try:
        with transaction.atomic():
            _store_file(document, content=content, filename=filename)
            document.save()
            _audit(
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
            _announce_text_change(document)
    except IntegrityError:
        _discard_stored_files(document)
        # Another process stored the same text (or source) a moment earlier.
        winner = Document.objects.filter(space=space, content_sha256=sha).first()
        if winner is None and source_key:
            winner = Document.objects.filter(space=space, source_key=source_key).first()
        if winner is None:
            raise
        return IngestResult(winner, "unchanged")
    except BaseException:
        _discard_stored_files(document)
        raise
    logger.info(
        "document %s created in space %s (%s)", document.pk, space.slug, mime_type
    )
    return IngestResult(document, "created")


def _document_replace(
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
        "words": [document.word_count, _word_count(parsed.text)],
    }
    if title != document.title:
        changes["title"] = [document.title, title]
    document.title = title
    document.original_filename = filename_clean(filename)
    document.mime_type = mime_type
    document.text = parsed.text
    document.html = parsed.html
    document.blocks = _blocks_json(parsed)
    document.content_sha256 = sha
    document.word_count = _word_count(parsed.text)
    document.metadata = {**document.metadata, **parsed.metadata, **(metadata or {})}
    document.updated_by = user
    try:
        with transaction.atomic():
            _store_file(document, content=content, filename=filename)
            # force_update: a document deleted meanwhile must stay deleted;
            # a plain save() would insert it again under the same id.
            document.save(force_update=True)
            _audit(
                document=document,
                actor=user,
                action=DocumentEvent.Action.REPLACED,
                changes=changes,
            )
            if text_changed:
                _announce_text_change(document)
    except DatabaseError as error:
        _discard_stored_files(document)
        if Document.objects.filter(pk=document.pk).exists():
            raise
        raise DocumentGoneError(
            f"“{document.title}” was deleted while {filename} was being read; "
            "nothing was saved."
        ) from error
    except BaseException:
        _discard_stored_files(document)
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
    _check_size(size=path.stat().st_size, filename=path.name)
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
                    _audit(
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
    mime_type, parsed, sha = _parse(content=content, filename=filename)
    return _document_replace(
        document=document,
        content=content,
        filename=filename,
        mime_type=mime_type,
        parsed=parsed,
        sha=sha,
        title=_title_choose(
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
        _audit(
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
        _mime_type, parsed, sha = _parse(content=content, filename=filename)
    else:
        from .parsers.text import blocks_from_text

        parsed = ParsedDocument(
            text=document.text,
            html=document.html,
            blocks=blocks_from_text(document.text),
        )
        sha = document.content_sha256
    blocks = _blocks_json(parsed)

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
    document.word_count = _word_count(parsed.text)
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
        _announce_text_change(document)
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
        _audit(
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


_WORD = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W_]+(?:['’][^\W_]+)*")


def _word_count(text: str) -> int:
    """Count words; each CJK ideograph counts as one, as word processors do."""
    return len(_WORD.findall(text))


def _detect_language(text: str) -> str:
    import py3langid

    sample = unicodedata.normalize("NFC", text[:5000])
    language, _score = py3langid.classify(sample)
    return language


def document_analyze(*, document_id: int) -> Document | None:
    """Record the language and word count of a document's current text.

    Idempotent: keyed by the content hash, and a text that changed meanwhile is
    left for the run its own change enqueued.
    """
    document = (
        Document.objects.filter(pk=document_id).only("text", "content_sha256").first()
    )
    if document is None:
        logger.info("document %s is gone; nothing to analyze", document_id)
        return None
    language = _detect_language(document.text)
    Document.objects.filter(
        pk=document_id, content_sha256=document.content_sha256
    ).update(
        language=language,
        word_count=_word_count(document.text),
        analyzed_sha256=document.content_sha256,
    )
    return Document.objects.get(pk=document_id)
