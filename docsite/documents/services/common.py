"""What every write of a document shares: parsing before any transaction,
stored-file bookkeeping, the audit trail and the announcement of a new text."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from typing import Any, Literal

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction

from docsite.tasking import task_enqueue_on_commit

from .. import signals
from ..conf import documents_setting
from ..exceptions import FileTooLargeError
from ..models import Document, DocumentEvent
from ..names import stored_name, title_clean
from ..parsers import parse_document
from ..parsers.base import ParsedDocument
from ..titles import document_title_choose

logger = logging.getLogger(__name__)


Outcome = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class IngestResult:
    document: Document
    outcome: Outcome


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def document_audit(
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


def title_choose(*, given: str, parsed: ParsedDocument, filename: str) -> str:
    """The titles rule, then what every stored title passes (no bidi controls)."""
    title = document_title_choose(given=given, parsed=parsed, filename=filename)
    return title_clean(title) or "Untitled"


def size_check(*, size: int, filename: str) -> None:
    refusal = size_refusal(size=size, filename=filename)
    if refusal is not None:
        raise refusal


def content_parse(*, content: bytes, filename: str) -> tuple[str, ParsedDocument, str]:
    size_check(size=len(content), filename=filename)
    mime_type, parsed = parse_document(content, filename=filename)
    return mime_type, parsed, text_sha256(parsed.text)


def blocks_json(parsed: ParsedDocument) -> list[dict[str, Any]]:
    return [block.as_dict() for block in parsed.blocks]


def file_store(document: Document, *, content: bytes, filename: str) -> None:
    """Save the source file and remember it, so a failed save can remove it.

    Django has no on-rollback hook, so the callers catch the failure and call
    ``stored_files_discard``.
    """
    document.source_file.save(stored_name(filename), ContentFile(content), save=False)
    document._stored_names = [
        *getattr(document, "_stored_names", []),
        (document.source_file.storage, document.source_file.name),
    ]


def stored_files_discard(document: Document) -> None:
    for storage, name in getattr(document, "_stored_names", []):
        storage.delete(name)


def text_change_announce(document: Document) -> None:
    document_id, sha = document.pk, document.content_sha256
    transaction.on_commit(
        lambda: signals.document_text_changed.send(
            sender=Document, document_id=document_id, content_sha256=sha
        ),
        robust=True,
    )
    from ..tasks import document_analyze

    task_enqueue_on_commit(document_analyze, document_id=document_id)


# Each CJK ideograph is a word of its own, also right after digits or Latin
# letters: a run of "word characters" would otherwise swallow the ideographs
# after "2025" or "iPhone" ("10月20日前提交" is 8 words, not 1).
_WORD = re.compile(
    r"[\u3400-\u9fff\uf900-\ufaff]"
    r"|[^\W_\u3400-\u9fff\uf900-\ufaff]+(?:['’][^\W_\u3400-\u9fff\uf900-\ufaff]+)*"
)


def word_count(text: str) -> int:
    """Count words; each CJK ideograph counts as one, as word processors do."""
    return len(_WORD.findall(text))
