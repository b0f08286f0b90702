"""The importer never crashes and never reads outside its input.

Findings reproduced here: links out of the import folder were followed
(``leak.txt -> ../outside/secret.txt``, ``host.txt -> /etc/hostname``);
damaged zip members, NUL in JSONL rows, ids over 500 characters and space
names over 50 aborted the whole import with a traceback; ``--create-spaces``
with ``研究`` or ``☃`` stored a slug no URL could reverse, and every page that
listed the space answered 500.
"""

from __future__ import annotations

import json
import os
import struct
import zipfile
from pathlib import Path

import pytest

from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from docsite.documents.importing import documents_import
from docsite.documents.models import Document, Space
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _reasons(report) -> dict[str, str]:
    return {item: f"{outcome}: {reason}" for outcome, item, reason in report.problems}


def test_links_never_lead_outside_the_import_folder(tmp_path, world):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("The vault code is 1234.")
    root = tmp_path / "import"
    root.mkdir()
    (root / "notes.txt").write_text("Team notes.")
    (root / "leak.txt").symlink_to("../outside/secret.txt")
    (root / "host.txt").symlink_to("/etc/hostname")
    (root / "alias.txt").symlink_to("notes.txt")  # inside: read as that file
    (root / "broken.txt").symlink_to("missing.txt")
    (root / "outside-link").symlink_to(outside, target_is_directory=True)
    (root / "sub").mkdir()
    (root / "folder-link").symlink_to("sub", target_is_directory=True)
    os.mkfifo(root / "pipe.txt")

    report = documents_import(path=root, space_slug="engineering")

    reasons = _reasons(report)
    assert "outside the import folder" in reasons["leak.txt"]
    assert "outside the import folder" in reasons["host.txt"]
    assert "broken link" in reasons["broken.txt"]
    assert "not a regular file" in reasons["pipe.txt"]
    assert "outside the import folder" in reasons["outside-link"]
    assert "not followed" in reasons["folder-link"]
    texts = list(Document.objects.values_list("text", flat=True))
    assert texts == ["Team notes."], "only what is inside the folder was read"
    assert not any("vault" in text for text in texts)
    assert report.counts["failed"] == 5


def _zip_with_bad_crc(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("good.txt", "A good file.")
        archive.writestr("crc.txt", "Checksum will not match.")
        archive.writestr("method.txt", "Unsupported method.")
        archive.writestr("encrypted.txt", "Secret.")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        infos = {info.filename: info for info in archive.infolist()}
    # Flip a byte of crc.txt's stored data; give method.txt method 99; set
    # the encryption flag of encrypted.txt (local header and central dir).
    crc = infos["crc.txt"]
    data[crc.header_offset + 30 + len("crc.txt")] ^= 0xFF
    for name, offset_in_local, value in (
        ("method.txt", 8, struct.pack("<H", 99)),
        ("encrypted.txt", 6, struct.pack("<H", 1)),
    ):
        start = infos[name].header_offset + offset_in_local
        data[start : start + 2] = value
    central = data.rfind(b"PK\x01\x02", 0)
    position = data.find(b"PK\x01\x02")
    while position != -1 and position <= central:
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        name = data[position + 46 : position + 46 + name_length].decode()
        if name == "method.txt":
            data[position + 10 : position + 12] = struct.pack("<H", 99)
        if name == "encrypted.txt":
            data[position + 8 : position + 10] = struct.pack("<H", 1)
        position = data.find(b"PK\x01\x02", position + 4)
    path.write_bytes(bytes(data))


def test_damaged_zip_members_are_failed_items_and_the_import_goes_on(tmp_path, world):
    archive = tmp_path / "bundle.zip"
    _zip_with_bad_crc(archive)

    report = documents_import(path=archive, space_slug="engineering")

    reasons = _reasons(report)
    assert "damaged archive member" in reasons["crc.txt"]
    assert "damaged archive member" in reasons["method.txt"]
    assert "encrypted" in reasons["encrypted.txt"]
    assert report.counts["imported"] == 1
    assert Document.objects.get().text == "A good file."


def test_hostile_jsonl_rows_are_failed_items_and_the_import_goes_on(tmp_path, world):
    rows = [
        {
            "id": "a",
            "title": "Nul\u0000title",
            "text": "Fine text one.",
            "space": "engineering",
        },
        {
            "id": "b",
            "title": "Meta",
            "text": "Fine text two.",
            "metadata": {"k": "v\u0000"},
        },
        {"id": "x" * 501, "title": "Long id", "text": "Fine text three."},
        {
            "id": "c",
            "title": "Long space",
            "text": "Fine text four.",
            "space": "s" * 51,
        },
        {"id": "d", "title": "Nul text", "text": "bad\u0000text"},
        {"id": "e", "title": "Good", "text": "Fine text five."},
    ]
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows))

    report = documents_import(path=path, space_slug="engineering", create_spaces=True)

    reasons = _reasons(report)
    assert "NUL" in reasons["rows.jsonl:2"]
    assert "longer than 500" in reasons["rows.jsonl:3"]
    assert "longer than 50" in reasons["rows.jsonl:4"]
    assert reasons["rows.jsonl:5"].startswith("failed")
    assert report.counts["imported"] == 2
    assert set(Document.objects.values_list("title", flat=True)) == {
        "Nul title",
        "Good",
    }


@pytest.mark.parametrize(
    ("name", "slug"),
    [("研究", "yanjiu"), ("☃", "snowman2"), ("Отдел кадров", "otdel-kadrov")],
)
def test_created_spaces_get_routable_slugs_in_every_language(
    tmp_path, world, name, slug
):
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({"text": "Words here.", "space": name}))

    report = documents_import(path=path, create_spaces=True)
    again = documents_import(path=path, create_spaces=True)

    assert report.counts["imported"] == 1 and again.counts["unchanged"] == 1
    space = Space.objects.get(slug=slug)
    assert space.name == name.title()
    root = UserFactory(username="root", is_superuser=True)
    client = Client()
    client.force_login(root)
    for url in (
        reverse("documents:home"),
        reverse("documents:spaces"),
        reverse("documents:list"),
        reverse("documents:space", kwargs={"space_slug": space.slug}),
    ):
        assert client.get(url).status_code == 200, url


def test_the_command_reports_and_exits_nonzero_instead_of_a_traceback(
    tmp_path, world, capsys
):
    root = tmp_path / "import"
    root.mkdir()
    (root / "leak.txt").symlink_to("/etc/hostname")
    (root / "ok.txt").write_text("Fine.")
    with pytest.raises(Exception, match="1 item"):
        call_command(
            "import_documents", str(root), "--space", "engineering", "--no-progress"
        )
    out = capsys.readouterr().out
    assert "failed: leak.txt: a link that leads outside the import folder" in out
    assert "imported 1" in out
