"""evaluate_search: refuses live databases, scores known-item search per mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from django.core.management import CommandError, call_command

from docsite.documents.models import Document
from interests.search_evaluation import search_evaluate
from interests.search_variants import query_variant
from summaries.evaluation import evaluation_records_load

pytestmark = pytest.mark.django_db

CHINESE_SET = Path(__file__).resolve().parents[2] / "bench/data/search_zh_kb.jsonl"


# Typed pages: two English and one Chinese, each with what a reader types.
TYPED_PAGES = [
    {
        "id": "vpn",
        "title": "VPN setup",
        "document": "Install the WireGuard client and import the tunnel "
        "profile from the IT portal before working remotely.",
        "summary": "How to set up the WireGuard tunnel for remote work.",
        "queries": [
            {"text": "wireguard tunnel profile", "style": "keywords"},
            {"text": "wiregaurd tunnel", "style": "typo"},
        ],
    },
    {
        "id": "leave",
        "title": "Parental leave",
        "document": "Birth parents get twenty weeks of parental leave at "
        "full pay; partners get eight weeks.",
        "summary": "Parental leave: twenty weeks for birth parents, eight for partners.",
        "queries": [{"text": "parental leave weeks", "style": "keywords"}],
    },
    {
        "id": "office",
        "title": "上海办公室指南",
        "document": "新员工第一天在前台领取门禁卡，工位由行政统一分配。",
        "summary": "新员工领取门禁卡，行政分配工位。",
        "queries": [{"text": "门禁卡 工位", "style": "keywords"}],
    },
]


def test_evaluate_search_refuses_a_database_not_made_for_evaluations(
    tmp_path, monkeypatch
):
    """The shared scratch guard: a database holding data without the mark."""
    from docsite.db import scratch

    monkeypatch.setattr(scratch, "_marked", lambda using: False)
    data = tmp_path / "set.jsonl"
    data.write_text('{"document": "a b", "summary": "a"}\n' * 2)
    with pytest.raises(CommandError, match="database of its own"):
        call_command("evaluate_search", "--data", str(data))
    assert not Document.objects.exists()
    records = [{"document": "a b", "summary": "a"}] * 2
    with pytest.raises(scratch.NotAScratchDatabase):
        search_evaluate(records=records)
    assert not Document.objects.exists()


def test_query_variants_are_deterministic_typos_and_paraphrases():
    query = "Police said the company plans to build a new hospital downtown"
    variant = query_variant(query, key="x1")
    assert variant == query_variant(query, key="x1")
    assert variant != query
    assert "officers" in variant and "stated" in variant and "firm" in variant


def test_chinese_known_items_are_found_by_their_summaries():
    """The committed Chinese set through the real path (hashing embedder here:
    the meaning half is noise, so this measures keyword search and fusion).
    The test database is a marked scratch database (tests/conftest.py)."""
    records = evaluation_records_load(path=CHINESE_SET)
    assert len(records) >= 40
    report = search_evaluate(
        records=records,
        modes=("keyword", "hybrid"),
        baseline={"INTERESTS_SEARCH": {"SIMILARITY_POWER": 0.0}},
    )
    assert report["queries"] == len(records)
    assert report["modes"]["keyword"]["mrr@10"] >= 80
    assert report["modes"]["hybrid"]["mrr@10"] >= 80
    # The fusion it replaces ran on the same corpus, for a paired comparison.
    assert "mrr@10" in report["modes"]["hybrid_baseline"]
    assert set(report["hybrid_minus"]) == {
        "keyword",
        "keyword_baseline",
        "hybrid_baseline",
    }
    # Keyword search does not read the fusion's settings: no difference at all.
    assert report["baseline_minus"]["keyword"]["mean"] == 0.0
    # Junk queries ran in every mode and baseline on this corpus; keyword
    # search lists a page for none of them.
    listing = report["junk"]["listing_pages"]
    assert set(listing) == {"keyword", "hybrid", "keyword_baseline", "hybrid_baseline"}
    assert listing["keyword"] == [] and report["junk"]["queries"] >= 10
    # Everything it ingested is gone again.
    assert not Document.objects.exists()


def test_typed_queries_are_scored_by_style_against_a_corpus_with_distractors():
    """What readers type, per style, among documents that are never queried."""
    records = TYPED_PAGES
    distractors = [
        {
            # The same id as a record: another file's, not a new version of it.
            "id": "vpn",
            "document": "The canteen serves lunch from noon; the menu changes weekly.",
            "summary": "Canteen hours.",
        },
        {
            "document": "Printers on the third floor need a badge to release jobs.",
            "summary": "Printing with a badge.",
        },
    ]

    report = search_evaluate(
        records=records, distractors=distractors, modes=("keyword", "hybrid")
    )

    assert report["documents"] == 5 and report["queries"] == 4
    styles = report["styles"]
    assert styles["keywords"]["queries"] == 3 and styles["typo"]["queries"] == 1
    # Chinese queries are scored apart too (they read the language vectors).
    scripts = report["scripts"]
    assert scripts["cjk"]["queries"] == 1 and scripts["other"]["queries"] == 3
    assert scripts["cjk"]["mrr@10"]["keyword"] == 100.0
    assert styles["keywords"]["mrr@10"]["keyword"] == 100.0
    assert set(styles["keywords"]["hybrid_minus"]) == {"keyword"}
    assert not Document.objects.exists()


def test_each_data_file_is_scored_apart_with_its_baseline(tmp_path):
    """Two files queried together: the report scores each file's queries
    apart, each mode against its baseline too, so a change that helps one
    set and hurts another shows."""
    from interests.search_evaluation import corpus_records_load

    pages = tmp_path / "pages.jsonl"
    pages.write_text("\n".join(json.dumps(page) for page in TYPED_PAGES[:2]))
    news = tmp_path / "news.jsonl"
    news.write_text(
        json.dumps(
            {
                "id": "canteen",
                "document": "The canteen serves lunch from noon; the menu changes.",
                "summary": "The canteen serves lunch from noon.",
            }
        )
    )
    records, _ = corpus_records_load(data=[pages, news])

    report = search_evaluate(
        records=records,
        modes=("keyword", "hybrid"),
        baseline={"INTERESTS_SEARCH": {"SHORT_KEYWORD_WEIGHT": 1.0}},
    )

    sets = report["sets"]
    assert sets["pages"]["queries"] == 3 and sets["news"]["queries"] == 1
    assert sets["pages"]["mrr@10"]["keyword"] == 100.0
    # Keyword search does not read the fusion's weights: no difference.
    assert sets["pages"]["baseline_minus"]["keyword"]["mean"] == 0.0
    assert set(sets["news"]["baseline_minus"]) == {"keyword", "hybrid"}
