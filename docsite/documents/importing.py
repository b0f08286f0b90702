"""Bulk import of documents from a folder, a zip archive or a JSONL file.

Every item goes through the same ingestion service as an upload, so the same
limits and checks apply. Items are keyed by their path (or JSONL ``id``), so
running an import again changes nothing, and a file whose text changed updates
its document instead of adding a copy.
"""

from __future__ import annotations

import json
import logging
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils.text import slugify

from .conf import documents_setting
from .exceptions import DocumentRejectedError, FileTooLargeError, SpaceNotFoundError
from .models import Space
from .services import IngestResult, document_create_from_text, document_ingest

logger = logging.getLogger(__name__)

# Files that are never documents: skipped (and counted) rather than failed.
IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
IMPORTABLE_SUFFIXES = {
    ".txt",
    ".text",
    ".md",
    ".markdown",
    ".html",
    ".htm",
    ".pdf",
    ".docx",
}


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


@dataclass(frozen=True)
class ImportItem:
    """One thing to import: a file's bytes, or a JSONL row's text."""

    name: str  # shown in reports
    space_slug: str
    source_key: str
    read: Callable[[], bytes] | None = None
    size: int = 0
    title: str = ""
    text: str | None = None
    metadata: dict[str, Any] | None = None
    skip_reason: str = ""  # deliberately not imported
    failure_reason: str = ""  # could not even be read as an item


def _skip_reason(relative: PurePosixPath) -> str:
    if (
        any(part.startswith(".") for part in relative.parts)
        or relative.name in IGNORED_NAMES
    ):
        return "hidden or system file"
    if relative.suffix.lower() not in IMPORTABLE_SUFFIXES:
        return f"unsupported file type '{relative.suffix or relative.name}'"
    return ""


def _space_for(
    relative: PurePosixPath, *, space_slug: str, by_folder: bool
) -> tuple[str, str]:
    """Return (space slug, source key) for a file at ``relative``."""
    if by_folder:
        if len(relative.parts) < 2:
            return "", str(relative)
        return relative.parts[0], str(PurePosixPath(*relative.parts[1:]))
    return space_slug, str(relative)


def _folder_items(
    root: Path, *, space_slug: str, by_folder: bool
) -> Iterator[ImportItem]:
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = PurePosixPath(path.relative_to(root).as_posix())
        slug, key = _space_for(relative, space_slug=space_slug, by_folder=by_folder)
        yield ImportItem(
            name=str(relative),
            space_slug=slug,
            source_key=key,
            read=path.read_bytes,
            size=path.stat().st_size,
            skip_reason=_skip_reason(relative),
        )


def _zip_items(
    archive: zipfile.ZipFile, *, space_slug: str, by_folder: bool
) -> Iterator[ImportItem]:
    for info in sorted(archive.infolist(), key=lambda i: i.filename):
        if info.is_dir():
            continue
        relative = PurePosixPath(info.filename)
        if relative.is_absolute() or ".." in relative.parts:
            yield ImportItem(
                name=info.filename,
                space_slug="",
                source_key="",
                failure_reason="unsafe path in archive",
            )
            continue
        slug, key = _space_for(relative, space_slug=space_slug, by_folder=by_folder)
        yield ImportItem(
            name=info.filename,
            space_slug=slug,
            source_key=key,
            read=lambda info=info: archive.read(info),
            size=info.file_size,
            skip_reason=_skip_reason(relative),
        )


def _jsonl_items(path: Path, *, space_slug: str) -> Iterator[ImportItem]:
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            name = f"{path.name}:{number}"
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield ImportItem(
                    name=name,
                    space_slug="",
                    source_key="",
                    failure_reason=f"invalid JSON ({exc.msg})",
                )
                continue
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                yield ImportItem(
                    name=name,
                    space_slug="",
                    source_key="",
                    failure_reason="a row needs a 'text' string",
                )
                continue
            title = str(row.get("title") or "").strip()
            metadata = (
                row.get("metadata") if isinstance(row.get("metadata"), dict) else {}
            )
            yield ImportItem(
                name=name,
                space_slug=str(row.get("space") or space_slug),
                source_key=f"jsonl:{row.get('id') or title or number}",
                title=title,
                text=row["text"],
                metadata=metadata,
            )


def _resolve_space(slug: str, *, cache: dict[str, Space], create: bool) -> Space:
    if slug in cache:
        return cache[slug]
    if not slug:
        raise SpaceNotFoundError(
            "no space given: use --space, or --by-folder with files in space-named folders"
        )
    space = Space.objects.filter(slug=slug).first()
    if space is None:
        if not create:
            raise SpaceNotFoundError(
                f"space '{slug}' does not exist (use --create-spaces)"
            )
        space, _ = Space.objects.get_or_create(
            slug=slugify(slug) or slug,
            defaults={"name": slug.replace("-", " ").title()},
        )
    cache[slug] = space
    return space


def _import_one(
    item: ImportItem, *, space: Space, user: AbstractBaseUser | None
) -> IngestResult:
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
    archive = None
    if path.is_dir():
        items = list(_folder_items(path, space_slug=space_slug, by_folder=by_folder))
    elif path.suffix.lower() == ".jsonl":
        items = list(_jsonl_items(path, space_slug=space_slug))
    elif zipfile.is_zipfile(path):
        archive = zipfile.ZipFile(path)
        items = list(_zip_items(archive, space_slug=space_slug, by_folder=by_folder))
    else:
        items = [
            ImportItem(
                name=path.name,
                space_slug=space_slug,
                source_key=path.name,
                read=path.read_bytes,
                size=path.stat().st_size,
            )
        ]

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
            else:
                report.record(
                    {"created": "imported"}.get(result.outcome, result.outcome),
                    item.name,
                )
    finally:
        if archive is not None:
            archive.close()
    return report
