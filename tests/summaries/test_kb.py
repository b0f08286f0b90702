"""The knowledge-base evaluation set: complete, parseable, and scored as users' files.

The set under ``bench/data/kb/`` is written for this project, so tests may
read it (unlike the research data in ``/work/shared/data``).
"""

from __future__ import annotations

import json
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest

from django.core.management import call_command

from docsite.documents.parsers import reset_parsers
from summaries.evaluation import EvaluationDataError, evaluation_records_load
from summaries.kb import KB_MANIFEST
from summaries.structure import sentences_segment, units_from_blocks
from summaries.wellformed import summary_check

ROWS = [json.loads(line) for line in KB_MANIFEST.read_text().splitlines()]


@pytest.fixture(scope="module")
def records():
    reset_parsers()
    return evaluation_records_load(path=KB_MANIFEST)


def test_manifest_covers_formats_genres_and_chinese():
    assert len(ROWS) >= 40
    assert len({row["id"] for row in ROWS}) == len(ROWS)
    formats = Counter(Path(row["file"]).suffix for row in ROWS)
    assert set(formats) == {".md", ".html", ".docx", ".pdf"}
    assert min(formats.values()) >= 8
    genres = {row["genre"] for row in ROWS}
    assert genres >= {
        "handbook", "runbook", "policy", "meeting_notes", "faq",
        "release_notes", "api_guide",
    }  # fmt: skip
    assert sum(row["language"] == "zh" for row in ROWS) >= 5
    for row in ROWS:
        assert (KB_MANIFEST.parent / row["file"]).is_file(), row["file"]


def test_every_file_parses_into_structure(records):
    kinds = Counter()
    for record in records:
        record_kinds = Counter(block["kind"] for block in record["blocks"])
        assert record_kinds["heading"] >= 2, record["id"]
        assert record["blocks"][0] == {
            "kind": "heading",
            "text": record["title"].split(" - ")[0],
            "level": 1,
        }, record["id"]
        assert units_from_blocks(record["blocks"]), record["id"]
        kinds.update(record_kinds)
    assert kinds["list_item"] >= 40 and kinds["table"] >= 12 and kinds["code"] >= 15


def test_reference_summaries_are_two_or_three_well_formed_sentences(records):
    for record in records:
        sentences = sentences_segment(record["summary"], language=record["language"])
        assert 2 <= len(sentences) <= 3, (record["id"], sentences)
        check = summary_check(record["summary"], blocks=record["blocks"])
        assert check.well_formed, (record["id"], check)


def test_a_missing_file_names_its_line(tmp_path):
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text('{"id": "x", "file": "docs/none.pdf", "summary": "S."}\n')

    with pytest.raises(EvaluationDataError, match=r"line 1: .*none\.pdf"):
        evaluation_records_load(path=manifest)


def test_evaluate_summarizer_reports_well_formedness_on_the_set(settings):
    """LEAD-2 of the parsed files: ROUGE and a well-formedness rate with reasons."""
    settings.SUMMARIES_BACKENDS = {
        "lead2": {"BACKEND": "lead", "OPTIONS": {"sentences": 2}}
    }
    out = StringIO()

    call_command(
        "evaluate_summarizer", "--data", str(KB_MANIFEST), "--backend", "lead2",
        "--resamples", "50", "--json", stdout=out,
    )  # fmt: skip

    report = json.loads(out.getvalue())
    assert report["n"] == len(ROWS)
    assert report["rouge1"] > 10
    well_formed = report["well_formed"]
    assert well_formed["n"] == len(ROWS)
    assert 0 <= well_formed["rate"] <= 100
    for failure in well_formed["failures"]:
        assert failure["problems"] and failure["summary"] is not None
