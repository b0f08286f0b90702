"""evaluate_search: refuses live databases, scores known-item search per mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from django.core.management import CommandError, call_command
from django.db import connection

from docsite.documents.models import Document
from interests.search_evaluation import query_variant, search_evaluate
from summaries.evaluation import evaluation_records_load

pytestmark = pytest.mark.django_db

CHINESE_SET = Path(__file__).resolve().parents[2] / "bench/data/search_zh_kb.jsonl"


def test_evaluate_search_refuses_a_database_not_made_for_evaluations(tmp_path):
    data = tmp_path / "set.jsonl"
    data.write_text('{"document": "a b", "summary": "a"}\n' * 2)
    assert "eval" not in connection.settings_dict["NAME"]
    with pytest.raises(CommandError, match="refusing to evaluate"):
        call_command("evaluate_search", "--data", str(data))
    assert not Document.objects.exists()


def test_query_variants_are_deterministic_typos_and_paraphrases():
    query = "Police said the company plans to build a new hospital downtown"
    variant = query_variant(query, key="x1")
    assert variant == query_variant(query, key="x1")
    assert variant != query
    assert "officers" in variant and "stated" in variant and "firm" in variant


def test_chinese_known_items_are_found_by_their_summaries(monkeypatch):
    """The committed Chinese set through the real path (hashing embedder here:
    the meaning half is noise, so this measures keyword search and fusion)."""
    monkeypatch.setitem(connection.settings_dict, "NAME", "test_docsite_eval")
    records = evaluation_records_load(path=CHINESE_SET)
    assert len(records) >= 40
    report = search_evaluate(records=records, modes=("keyword", "hybrid"))
    assert report["queries"] == len(records)
    assert report["modes"]["keyword"]["mrr@10"] >= 80
    assert report["modes"]["hybrid"]["mrr@10"] >= 80
    assert set(report["hybrid_minus"]) == {"keyword"}
    # Everything it ingested is gone again.
    assert not Document.objects.exists()
