"""``manage.py evaluate_summarizer`` and the scoring behind it, on tiny synthetic files."""

from __future__ import annotations

import json
from io import StringIO

import pytest

from django.core.management import CommandError, call_command

from summaries.evaluation import rouge_scores

pytest.importorskip("rouge_score")

RECORDS = [
    {
        "id": "a",
        "document": "Ships sail from the harbour at dawn. Crews rest in the port at night.",
        "summary": "Ships sail from the harbour at dawn.",
    },
    {
        "id": "b",
        "document": "#Person1#: Can I book a table for two?\n#Person2#: Yes, for eight o'clock.",
        "summary": "Nothing in common here.",
        # The best of several references counts.
        "summaries": [
            "Nothing in common here.",
            "#Person1#: Can I book a table for two?",
        ],
    },
]


@pytest.fixture
def data_file(tmp_path):
    path = tmp_path / "tiny.jsonl"
    path.write_text("\n".join(json.dumps(record) for record in RECORDS) + "\n")
    return path


@pytest.fixture(autouse=True)
def _lead_backend(settings):
    settings.SUMMARIES_BACKENDS = {
        "lead1": {"BACKEND": "lead", "OPTIONS": {"sentences": 1}},
    }


def evaluate(*args: str) -> str:
    out = StringIO()
    call_command("evaluate_summarizer", *args, stdout=out)
    return out.getvalue()


def test_json_report_scores_a_perfect_lead_at_100(data_file):
    report = json.loads(
        evaluate("--data", str(data_file), "--backend", "lead1", "--json")
    )

    assert set(report) == {
        "rouge1",
        "rouge2",
        "rougeLsum",
        "n",
        "docs_per_s",
        "avg_words",
        "baseline",
    }
    assert set(report["baseline"]) == {"name", "rouge1", "rouge2", "rougeLsum"}
    assert report["n"] == 2
    assert report["rouge1"] == report["rouge2"] == report["rougeLsum"] == 100.0
    assert report["baseline"] == {
        "name": "LEAD-1",
        "rouge1": 100.0,
        "rouge2": 100.0,
        "rougeLsum": 100.0,
    }
    assert report["docs_per_s"] > 0
    assert report["avg_words"] == pytest.approx((7 + 8) / 2)


def test_lead_k_and_budget_options(data_file):
    report = json.loads(
        evaluate(
            "--data", str(data_file), "--backend", "lead1", "--json",
            "--lead", "2", "--budget-words", "3", "--limit", "1",
        )
    )  # fmt: skip

    assert report["n"] == 1
    assert report["avg_words"] <= 3
    assert report["baseline"]["name"] == "LEAD-2"
    assert 0 < report["baseline"]["rouge1"] < 100


def test_table_report_names_the_baseline(data_file):
    output = evaluate("--data", str(data_file), "--backend", "lead1")

    assert "LEAD-1" in output
    assert "ROUGE-Lsum" in output
    assert "100.00" in output


def test_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        evaluate("--data", str(tmp_path / "nope.jsonl"), "--backend", "lead1")


def test_malformed_record_names_its_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(RECORDS[0]) + "\n{not json\n")

    with pytest.raises(CommandError, match="line 2"):
        evaluate("--data", str(path), "--backend", "lead1")


def test_rouge_lsum_reads_predictions_one_sentence_per_line():
    reference = "The cat sat on the mat. The dog barked at the moon."
    swapped = "The dog barked at the moon. The cat sat on the mat."

    scores = rouge_scores(predictions=[swapped], references=[[reference]])

    # ROUGE-L over one line would lose one sentence; Lsum matches each.
    assert scores["rougeLsum"] == 100.0
    assert scores["rouge1"] == 100.0
    assert scores["rouge2"] < 100.0
