"""``manage.py evaluate_summarizer`` and the scoring behind it, on tiny synthetic files."""

from __future__ import annotations

import json
from io import StringIO

import numpy as np
import pytest

from django.core.management import CommandError, call_command

from summaries.evaluation import lead_matched, rouge_scores
from summaries.scoring import (
    ScriptAwareTokenizer,
    UnscorableTextError,
    paired_bootstrap,
    record_split,
    records_split,
)

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
        "split",
        "rouge1",
        "rouge2",
        "rougeLsum",
        "n",
        "docs_per_s",
        "avg_words",
        "baseline",
        "lead_matched",
        "bootstrap",
        "tokenizer",
        "well_formed",
    }
    assert report["split"] == "all"
    assert report["n"] == 2
    assert report["rouge1"] == report["rouge2"] == report["rougeLsum"] == 100.0
    for key, name in (("baseline", "LEAD-1"), ("lead_matched", "LEAD-matched")):
        baseline = report[key]
        assert baseline["name"] == name
        assert baseline["rouge1"] == baseline["rouge2"] == 100.0
        # Same text as the summarizer: no difference, and no uncertainty.
        assert baseline["avg_words"] == report["avg_words"]
        assert baseline["difference"]["rouge1"] == {
            "mean": 0.0,
            "low": 0.0,
            "high": 0.0,
        }
    assert report["bootstrap"]["resamples"] == 1000
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
    assert report["baseline"]["avg_words"] <= 3
    assert report["lead_matched"]["avg_words"] == report["avg_words"]


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


def test_lead_matched_is_the_opening_cut_to_the_summary_length():
    text = "# Title\nShips sail at dawn. Crews rest at night in the port."

    assert lead_matched(text, size=6) == "Ships sail at dawn. Crews rest"
    assert (
        lead_matched(text, size=50)
        == "Ships sail at dawn. Crews rest at night in the port."
    )
    assert lead_matched(text, size=0) == ""


def test_lead_matched_keeps_a_transcripts_turns_on_their_own_lines():
    text = "#Person1#: Can I book a table for two?\n#Person2#: Yes, for eight o'clock."

    assert lead_matched(text, size=11) == (
        "#Person1#: Can I book a table for two?\n#Person2#: Yes, for"
    )


def test_lead_matched_beats_a_shorter_summary_on_length_alone(tmp_path, settings):
    """A summarizer that says less than the opening is compared at its own length."""
    settings.SUMMARIES_BACKENDS = {
        "lead1": {"BACKEND": "lead", "OPTIONS": {"sentences": 1}}
    }
    records = [
        {
            "id": str(i),
            "document": f"Alpha beta gamma delta {i}. Epsilon zeta eta theta {i}.",
            "summary": f"Alpha beta gamma delta {i}. Epsilon zeta eta theta {i}.",
        }
        for i in range(6)
    ]
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(json.dumps(record) for record in records))

    report = json.loads(
        evaluate("--data", str(path), "--backend", "lead1", "--lead", "2", "--json")
    )

    assert report["lead_matched"]["avg_words"] == report["avg_words"] == 5
    assert report["baseline"]["avg_words"] == 10
    difference = report["baseline"]["difference"]["rouge1"]
    # LEAD-2 is the whole reference: ours is worse on every document.
    assert difference["high"] < 0
    assert difference["low"] <= difference["mean"] <= difference["high"]


def test_split_halves_are_stable_disjoint_and_cover_the_file():
    records = [{"id": f"doc-{i}"} for i in range(200)]

    half_a = records_split(records, split="a")
    half_b = records_split(records, split="b")

    assert {r["id"] for r in half_a} | {r["id"] for r in half_b} == {
        r["id"] for r in records
    }
    assert not {r["id"] for r in half_a} & {r["id"] for r in half_b}
    # Neither half is degenerate, and the file order does not matter.
    assert 70 < len(half_a) < 130
    assert records_split(list(reversed(records)), split="a") == list(reversed(half_a))
    # Pinned: the halves must not move between versions, or "chosen on a"
    # stops meaning anything.
    assert "".join(record_split(f"doc-{i}") for i in range(8)) == "bbaaaaaa"
    assert record_split("xsum-10138849") == "a"


def test_split_option_scores_only_that_half(data_file):
    # Both tiny records hash into half a.
    report = json.loads(
        evaluate(
            "--data", str(data_file), "--backend", "lead1", "--split", "a", "--json"
        )
    )
    assert (report["split"], report["n"]) == ("a", 2)

    with pytest.raises(CommandError, match=r"no records \(split b\)"):
        evaluate("--data", str(data_file), "--backend", "lead1", "--split", "b")


def test_bootstrap_of_a_constant_difference_has_no_width():
    intervals = paired_bootstrap({"rouge1": np.full(30, 2.5)})

    assert intervals["rouge1"].mean == intervals["rouge1"].low == 2.5
    assert intervals["rouge1"].high == 2.5


def test_bootstrap_matches_the_hand_computed_two_document_case():
    """Resampling two documents with differences 0 and 1 gives means 0, 0.5, 1
    with chances 1/4, 1/2, 1/4: the 95% interval is [0, 1] around a mean of 0.5."""
    intervals = paired_bootstrap({"rouge1": np.array([0.0, 1.0])}, resamples=4000)

    assert intervals["rouge1"].mean == 0.5
    assert (intervals["rouge1"].low, intervals["rouge1"].high) == (0.0, 1.0)


def test_bootstrap_is_paired_seeded_and_separates_real_gains_from_noise():
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 5, size=400)

    gain = paired_bootstrap({"rouge1": noise + 1.5})["rouge1"]
    none = paired_bootstrap({"rouge1": noise - noise.mean()})["rouge1"]

    assert gain.low > 0
    assert none.low < 0 < none.high
    # Same seed, same interval; the CI narrows as documents are added.
    assert paired_bootstrap({"rouge1": noise + 1.5})["rouge1"] == gain
    wider = paired_bootstrap({"rouge1": noise[:50] + 1.5})["rouge1"]
    assert wider.high - wider.low > gain.high - gain.low


def test_bootstrap_rejects_metrics_of_different_lengths():
    with pytest.raises(ValueError, match="one difference per document"):
        paired_bootstrap({"rouge1": np.zeros(3), "rouge2": np.zeros(4)})


def test_tokenizer_keeps_rouge_score_tokens_for_english():
    from rouge_score.tokenizers import DefaultTokenizer

    text = "The U.S. Army's 3rd division didn't move; running COVID-19 tests."

    assert ScriptAwareTokenizer().tokenize(text) == DefaultTokenizer(
        use_stemmer=True
    ).tokenize(text)


def test_tokenizer_splits_chinese_japanese_and_korean_into_characters():
    tokenizer = ScriptAwareTokenizer()

    assert tokenizer.tokenize("城市议会批准了预算。") == list("城市议会批准了预算")
    assert tokenizer.tokenize("東京タワーへ行く") == list("東京タワーへ行く")
    assert tokenizer.tokenize("서울 버스") == ["서", "울", "버", "스"]
    # Mixed text: Latin words whole (and stemmed), CJK by character.
    assert tokenizer.tokenize("GPU服务器 running") == ["gpu", "服", "务", "器", "run"]


def test_chinese_rouge_is_measured_not_zero():
    reference = "城市议会周一批准了公共交通的新预算。"
    close = "议会批准了公共交通预算。"
    unrelated = "今天天气很好。"

    good = rouge_scores(predictions=[close], references=[[reference]])
    bad = rouge_scores(predictions=[unrelated], references=[[reference]])

    assert good["rouge1"] > 50
    assert good["rouge2"] > 30
    assert bad["rouge1"] < good["rouge1"]


def test_a_reference_the_tokenizer_cannot_read_is_an_error_not_a_zero():
    class AsciiOnly:
        def tokenize(self, text):
            return [word for word in text.lower().split() if word.isascii()]

    with pytest.raises(UnscorableTextError, match="reference 0"):
        rouge_scores(
            predictions=["预算"], references=[["预算批准。"]], tokenizer=AsciiOnly()
        )


def test_the_command_touches_no_database(data_file):
    """Summarizers are pure computation: evaluation cannot write to live data.

    Outside ``django_db`` pytest-django refuses any connection, so this
    fails on the first query the command would make.
    """
    report = json.loads(
        evaluate("--data", str(data_file), "--backend", "lead1", "--json")
    )
    assert report["n"] == 2
