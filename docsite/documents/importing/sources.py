"""What an import reads: the items of a folder, a zip archive, a JSONL file
or a single file, each with its space, its source key and a way to read it.
Nothing here writes to the database."""

from __future__ import annotations

import functools
import json
import os
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ..conf import documents_setting
from ..exceptions import (
    CorruptFileError,
    FileTooLargeError,
)
from ..names import title_clean

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
    """Every file under ``root``, without ever reading outside it.

    Links are not followed out of the folder: a link to a file inside it is
    read as that file; a link leading outside, a broken link, a link to a
    folder and anything that is not a regular file (a pipe, a socket, a
    device) become failed or skipped items with their reason.
    """
    real_root = root.resolve()
    entries: list[Path] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in dirs:
            if (Path(folder) / name).is_symlink():
                entries.append(Path(folder) / name)  # reported, not walked
        entries.extend(Path(folder) / name for name in files)
    for path in sorted(entries):
        relative = PurePosixPath(path.relative_to(root).as_posix())
        slug, key = _space_for(relative, space_slug=space_slug, by_folder=by_folder)
        item = {"name": str(relative), "space_slug": slug, "source_key": key}
        target, problem = _regular_file_within(path, root=real_root)
        if problem:
            yield ImportItem(**item, **problem)
            continue
        yield ImportItem(
            **item,
            read=functools.partial(_read_regular_file, target),
            size=target.stat().st_size,
            skip_reason=_skip_reason(relative),
        )


def _regular_file_within(path: Path, *, root: Path) -> tuple[Path, dict[str, str]]:
    """Return (the file to read, {}) or (path, {reason field: reason})."""
    try:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            target = path.resolve(strict=True)
            if not target.is_relative_to(root):
                return path, {
                    "failure_reason": "a link that leads outside the import folder; "
                    "not read"
                }
            mode = target.stat().st_mode
            if stat.S_ISDIR(mode):
                return path, {"skip_reason": "a link to a folder; not followed"}
        else:
            target = path
    except FileNotFoundError:
        return path, {"failure_reason": "a broken link: its target does not exist"}
    except (OSError, RuntimeError) as exc:  # RuntimeError: a link loop
        return path, {"failure_reason": f"could not be read: {exc}"}
    if not stat.S_ISREG(mode):
        return path, {
            "failure_reason": "not a regular file (a pipe, socket or device); not read"
        }
    return target, {}


def _read_regular_file(path: Path) -> bytes:
    # O_NOFOLLOW: the file checked above cannot be swapped for a link to
    # somewhere else in between; O_NONBLOCK: nor for a pipe that never ends.
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise CorruptFileError("not a regular file; not read")
        return file.read()


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
            read=functools.partial(_read_member, archive, info),
            size=info.file_size,
            skip_reason=_skip_reason(relative),
        )


# What zipfile raises for a damaged, encrypted or unsupported member.
_DAMAGED_MEMBER = (
    zipfile.BadZipFile,
    zlib.error,
    NotImplementedError,
    RuntimeError,
    EOFError,
    OSError,
    ValueError,
)


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The member's bytes, at most the upload limit; damage is a refusal."""
    limit = documents_setting("MAX_UPLOAD_BYTES")
    try:
        with archive.open(info) as member:
            data = member.read(limit + 1)
    except _DAMAGED_MEMBER as exc:
        reason = str(exc) or type(exc).__name__
        if "encrypted" in reason or "password" in reason:
            reason = "it is encrypted"
        raise CorruptFileError(f"damaged archive member: {reason}") from None
    if len(data) > limit:
        raise FileTooLargeError(
            f"unpacks to more than the limit of {limit / 1_048_576:.1f} MB"
        )
    return data


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
            title = title_clean(str(row.get("title") or ""))
            metadata = (
                row.get("metadata") if isinstance(row.get("metadata"), dict) else {}
            )
            problem = _row_problem(row, metadata=metadata)
            yield ImportItem(
                name=name,
                space_slug=str(row.get("space") or space_slug),
                source_key=f"jsonl:{row.get('id') or title or number}",
                title=title,
                text=row["text"],
                metadata=metadata,
                failure_reason=problem,
            )


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _row_problem(row: dict, *, metadata: dict) -> str:
    """Why a JSONL row cannot be stored as it is, or ''."""
    # PostgreSQL stores no NUL in text or JSON; the text itself is tidied.
    if _holds_nul(metadata):
        return "its metadata holds a NUL character"
    if "\x00" in str(row.get("id") or "") or "\x00" in str(row.get("space") or ""):
        return "its id or space holds a NUL character"
    return ""


def items_at(
    path: Path, *, space_slug: str, by_folder: bool
) -> tuple[list[ImportItem], zipfile.ZipFile | None]:
    """Return the items at ``path`` (folder, .zip, .jsonl or one file), and the
    open archive their readers need, which the caller closes."""
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
    return items, archive
