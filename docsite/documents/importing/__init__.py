"""Bulk import of documents from a folder, a zip archive or a JSONL file.

Every item goes through the same ingestion service as an upload, so the same
limits and checks apply. Items are keyed by their path (or JSONL ``id``), so
running an import again changes nothing, and a file whose text changed updates
its document instead of adding a copy.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.contrib.auth.models import AbstractBaseUser

from ..conf import documents_setting
from ..exceptions import (
    DocumentRejectedError,
    FileTooLargeError,
    SpaceNotFoundError,
)
from ..models import Document, Space
from ..names import MAX_SLUG_CHARS, space_slug_for, title_clean
from ..services import IngestResult, document_create_from_text, document_ingest
from .sources import ImportItem, items_at

logger = logging.getLogger(__name__)

MAX_SOURCE_KEY_CHARS = Document._meta.get_field("source_key").max_length


@dataclass
class ImportReport:
    counts: Counter = field(default_factory=Counter)
    problems: list[tuple[str, str, str]] = field(
        default_factory=list
    )  # outcome, item, reason

    def record(self, outcome: str, item: str, reason: str = "") -> None:
        self.counts[outcome] += 1
        if reason:
            self.problems.append((outcome, item, reason))

    @property
    def failed(self) -> int:
        return self.counts["failed"]


def _resolve_space(slug: str, *, cache: dict[str, Space], create: bool) -> Space:
    if slug in cache:
        return cache[slug]
    if not slug:
        raise SpaceNotFoundError(
            "no space given: use --space, or --by-folder with files in space-named folders"
        )
    if len(slug) > MAX_SLUG_CHARS:
        raise SpaceNotFoundError(
            f"the space name '{slug[:60]}…' is longer than {MAX_SLUG_CHARS} characters"
        )
    routable = space_slug_for(slug)
    space = (
        Space.objects.filter(slug=slug).first()
        or Space.objects.filter(slug=routable).first()
    )
    if space is None:
        if not create:
            raise SpaceNotFoundError(
                f"space '{slug}' does not exist (use --create-spaces)"
            )
        # The slug is always routable (any script transliterated); the name
        # keeps what was given.
        space, _ = Space.objects.get_or_create(
            slug=routable,
            defaults={"name": title_clean(slug.replace("-", " ").title())[:200]},
        )
    cache[slug] = space
    return space


def _import_one(
    item: ImportItem, *, space: Space, user: AbstractBaseUser | None
) -> IngestResult:
    if len(item.source_key) > MAX_SOURCE_KEY_CHARS:
        raise DocumentRejectedError(
            f"its id or path is longer than {MAX_SOURCE_KEY_CHARS} characters"
        )
    if item.text is not None:
        return document_create_from_text(
            space=space,
            # No title in the row: the text names it (see titles.py).
            title=item.title,
            text=item.text,
            user=user,
            source_key=item.source_key,
            metadata=item.metadata,
        )
    limit = documents_setting("MAX_UPLOAD_BYTES")
    if item.size > limit:
        raise FileTooLargeError(
            f"{item.size / 1_048_576:.1f} MB is over the limit of {limit / 1_048_576:.1f} MB"
        )
    return document_ingest(
        space=space,
        content=item.read(),
        filename=PurePosixPath(item.name).name,
        user=user,
        source_key=item.source_key,
    )


def documents_import(
    *,
    path: Path,
    space_slug: str = "",
    by_folder: bool = False,
    create_spaces: bool = False,
    user: AbstractBaseUser | None = None,
    progress: Callable[[list[ImportItem]], Iterator[ImportItem]] = iter,
) -> ImportReport:
    """Import everything at ``path`` (folder, .zip or .jsonl) and report outcomes.

    ``progress`` wraps the item list, e.g. with a tqdm bar. An item that fails
    is recorded with its reason and the import goes on.
    """
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    items, archive = items_at(path, space_slug=space_slug, by_folder=by_folder)

    report = ImportReport()
    spaces: dict[str, Space] = {}
    try:
        for item in progress(items):
            if item.failure_reason:
                report.record("failed", item.name, item.failure_reason)
                continue
            if item.skip_reason:
                report.record("skipped", item.name, item.skip_reason)
                continue
            try:
                space = _resolve_space(
                    item.space_slug, cache=spaces, create=create_spaces
                )
                result = _import_one(item, space=space, user=user)
            except DocumentRejectedError as exc:
                report.record("failed", item.name, str(exc))
            except OSError as exc:
                report.record(
                    "failed", item.name, f"could not be read: {exc.strerror or exc}"
                )
            except Exception as exc:  # one bad item never stops the import
                logger.exception("importing %s failed unexpectedly", item.name)
                report.record(
                    "failed",
                    item.name,
                    f"could not be imported ({type(exc).__name__}); see the log",
                )
            else:
                report.record(
                    {"created": "imported"}.get(result.outcome, result.outcome),
                    item.name,
                )
    finally:
        if archive is not None:
            archive.close()
    return report
