"""manage.py import_documents: folders, zips and JSONL, idempotent re-runs."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from django.core.management import CommandError, call_command

from docsite.documents.models import Document

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = io.StringIO()
    call_command("import_documents", *map(str, args), "--no-progress", stdout=out)
    return out.getvalue()


@pytest.fixture
def kb_folder(tmp_path, world):
    root = tmp_path / "kb"
    (root / "engineering" / "runbooks").mkdir(parents=True)
    (root / "handbook").mkdir()
    (root / "engineering" / "runbooks" / "deploy.md").write_text(
        "# Deploy\n\nShip it on Tuesdays."
    )
    (root / "engineering" / "oncall.txt").write_text(
        "Page the secondary after 15 minutes."
    )
    (root / "handbook" / "values.html").write_text(
        "<html><head><title>Values</title></head><body><p>Be kind.</p></body></html>"
    )
    (root / "handbook" / ".hidden.md").write_text("secret draft")
    (root / "handbook" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return root


def test_folder_import_by_folder_assigns_spaces_and_reports_counts(kb_folder, world):
    output = _run(kb_folder, "--by-folder")

    assert "imported 3, updated 0, unchanged 0, skipped 2, failed 0" in output
    assert set(Document.objects.values_list("space__slug", "title")) == {
        ("engineering", "Deploy"),
        ("engineering", "Oncall"),  # the file name, capitalised
        ("handbook", "Values"),
    }
    assert "logo.png: unsupported file type '.png'" in output


def test_rerunning_an_import_changes_nothing(kb_folder, world):
    _run(kb_folder, "--by-folder")
    before = list(
        Document.objects.order_by("pk").values_list(
            "pk", "content_sha256", "updated_at"
        )
    )

    output = _run(kb_folder, "--by-folder")

    assert "imported 0, updated 0, unchanged 3" in output
    after = list(
        Document.objects.order_by("pk").values_list(
            "pk", "content_sha256", "updated_at"
        )
    )
    assert after == before


def test_changed_file_updates_its_document(kb_folder, world):
    _run(kb_folder, "--by-folder")
    (kb_folder / "engineering" / "oncall.txt").write_text(
        "Page the secondary after 5 minutes."
    )

    output = _run(kb_folder, "--by-folder")

    assert "imported 0, updated 1, unchanged 2" in output
    assert (
        Document.objects.get(title="Oncall").text
        == "Page the secondary after 5 minutes."
    )


def test_zip_import(tmp_path, world):
    archive = tmp_path / "kb.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("guide.md", "# Guide\n\nRead me first.")
        zf.writestr("notes/faq.txt", "Questions and answers.")
        zf.writestr("../escape.txt", "should never be written anywhere")

    with pytest.raises(CommandError, match="1 item"):
        _run(archive, "--space", "handbook")

    assert set(Document.objects.values_list("title", flat=True)) == {"Guide", "Faq"}


def test_jsonl_import_with_metadata_and_bad_rows(tmp_path, world):
    rows = [
        {
            "id": "n1",
            "title": "Expenses",
            "text": "Submit receipts within 30 days.",
            "space": "hr",
            "metadata": {"topic": "finance"},
        },
        {"title": "Values", "text": "Be kind.", "space": "handbook"},
        {"title": "No text", "space": "hr"},
        {"title": "Lost", "text": "Nowhere to go.", "space": "missing"},
    ]
    path = tmp_path / "kb.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n{not json\n")

    with pytest.raises(CommandError):
        _run(path)

    expenses = Document.objects.get(title="Expenses")
    assert expenses.space.slug == "hr"
    assert expenses.metadata["topic"] == "finance"
    assert Document.objects.filter(title="Values", space__slug="handbook").exists()
    assert Document.objects.count() == 2


def test_jsonl_rerun_is_unchanged(tmp_path, world):
    path = tmp_path / "kb.jsonl"
    path.write_text(
        json.dumps({"id": "x", "title": "T", "text": "Body.", "space": "hr"}) + "\n"
    )
    _run(path)

    assert "imported 0, updated 0, unchanged 1" in _run(path)


def test_missing_path_is_a_clear_error(tmp_path, world):
    with pytest.raises(CommandError, match="does not exist"):
        _run(tmp_path / "nope")
