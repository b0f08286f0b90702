"""The learned sentence scorer: the demo's documents keep their key facts, and
documents without headings are summarized as before."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from docsite.documents.parsers import parse_document
from docsite.ml.embedders import get_embedder
from summaries.backends.base import SummaryBudget
from summaries.backends.extractive import ExtractiveSummarizer, fact_aware
from summaries.sentence_scorer import DEFAULT_SCORER_PATH, FEATURES, SentenceScorer
from summaries.structure import units_from_text
from summaries.wellformed import summary_check

SAMPLES = Path(__file__).resolve().parents[2] / "docsite/documents/sample_documents"
NEWS = (
    "The city council approved a new budget for public transport on Monday. "
    "The plan adds forty electric buses and extends night services on six routes. "
    "Council members said the buses will replace the oldest diesel vehicles by 2027. "
    "Opposition members argued that fares should have been frozen as well. "
    "The mayor said cheaper fares would be considered in next year's budget."
)


@pytest.fixture(scope="module")
def summarizer():
    return ExtractiveSummarizer(embedder=get_embedder())


def _demo_summary(summarizer, relative: str) -> tuple[str, list]:
    path = SAMPLES / relative
    _mime, parsed = parse_document(path.read_bytes(), filename=path.name)
    blocks = [block.as_dict() for block in parsed.blocks]
    text = summarizer.summarize_batch(
        [parsed.text], budget=SummaryBudget(60), blocks=[blocks]
    )[0].text
    return text, blocks


@pytest.mark.slow
def test_parental_leave_summary_carries_both_leave_lengths(summarizer):
    """GIVEN the demo's Parental Leave Policy PDF WHEN summarized by the default
    THEN a reader learns the 20 weeks and the 8 weeks at full pay, in clean sentences."""
    summary, blocks = _demo_summary(summarizer, "people/parental-leave-policy.pdf")

    assert "20 weeks of leave at full pay" in summary
    assert "8 weeks of leave at full pay" in summary
    assert summary_check(summary, blocks=blocks).well_formed


@pytest.mark.slow
def test_postgresql_backup_summary_carries_how_backups_are_kept(summarizer):
    """GIVEN the demo's PostgreSQL Backup and Restore PDF WHEN summarized THEN
    the summary says how often backups run and how long they are kept, and no
    table row or heading is in it."""
    summary, blocks = _demo_summary(
        summarizer, "engineering/postgresql-backup-and-restore.pdf"
    )

    assert "within 60 seconds" in summary  # continuous WAL archiving
    assert "35 days of point-in-time recovery" in summary
    for forbidden in ("pg-main\t", "1 minute 1 hour", "Recovery objectives"):
        assert forbidden not in summary
    assert summary_check(summary, blocks=blocks).well_formed


def test_new_scorer_weights_give_a_new_producer(summarizer, tmp_path):
    """Summaries made with other weights are other summaries: stored ones are
    not taken for them."""
    scorer = SentenceScorer.load()
    assert set(scorer.features) <= set(FEATURES)
    assert len(scorer.weights) == len(scorer.features) == len(scorer.mean)
    other = json.loads(DEFAULT_SCORER_PATH.read_text())
    other["version"] = "logistic-retrained"
    (tmp_path / "scorer.json").write_text(json.dumps(other))

    retrained = ExtractiveSummarizer(
        embedder=summarizer.embedder, scorer=str(tmp_path / "scorer.json")
    )

    assert retrained.producer_for(SummaryBudget(60)) != summarizer.producer_for(
        SummaryBudget(60)
    )


def test_a_text_without_headings_is_summarized_as_directed_centrality(summarizer):
    """News copy and transcripts have no sections: the position prior and
    directed centrality pick from them, as before the scorer was learned."""
    directed = ExtractiveSummarizer(embedder=summarizer.embedder, method="directed")

    assert (
        summarizer.summarize_batch([NEWS], budget=SummaryBudget(30))[0].text
        == directed.summarize_batch([NEWS], budget=SummaryBudget(30))[0].text
    )


def test_a_sentence_with_a_number_of_its_own_does_not_repeat_a_similar_one():
    units = units_from_text(
        "Primary caregivers get 20 weeks of leave. "
        "Secondary caregivers get 8 weeks of leave. "
        "Primary caregivers get 20 weeks of paid leave."
    )
    similarity = np.full((3, 3), 0.9)

    redundancy = fact_aware(similarity, units)

    # Row: the unit picked; column: the candidate.
    assert redundancy[0, 1] == 0.0  # "8 weeks" is new beside "20 weeks"
    assert redundancy[0, 2] == pytest.approx(0.9)  # "20 weeks" again repeats it
