"""Summary quality against reference summaries: ROUGE, length, throughput.

Scores follow the usual protocol: ROUGE-1, ROUGE-2 and ROUGE-Lsum F1 from the
``rouge-score`` package with stemming, times 100, averaged over documents.
ROUGE-Lsum needs one sentence per line, so predictions and references are
both split with ``summaries.text.sentences_split`` first (a backend may return
a paragraph). Where a record has several references (``summaries``), each
metric takes the best of them. The LEAD-k baseline runs beside the evaluated
summarizer with the same budget.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from summaries.backends.base import BaseSummarizer, SummaryBudget
from summaries.text import sentences_split, text_word_count

ROUGE_TYPES = ("rouge1", "rouge2", "rougeLsum")


class EvaluationDataError(ValueError):
    """The evaluation file is missing, unreadable or lacks required fields."""


def evaluation_records_load(
    *, path: Path, limit: int | None = None
) -> list[dict[str, Any]]:
    """Return the records of a JSONL file: ``{id, document, summary, summaries?}`` each.

    Raise ``EvaluationDataError`` naming the line of a malformed record.
    """
    records: list[dict[str, Any]] = []
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise EvaluationDataError(f"cannot read {path}: {exc}") from exc
    with handle:
        for number, line in enumerate(handle, start=1):
            if limit is not None and len(records) >= limit:
                break
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvaluationDataError(
                    f"{path}, line {number}: not JSON ({exc})"
                ) from exc
            if not isinstance(record, dict) or not isinstance(
                record.get("document"), str
            ):
                raise EvaluationDataError(f"{path}, line {number}: no 'document' text")
            if not _references(record):
                raise EvaluationDataError(f"{path}, line {number}: no 'summary' text")
            records.append(record)
    return records


def summarizer_evaluate(
    *,
    records: Sequence[Mapping[str, Any]],
    summarizer: BaseSummarizer,
    baseline: BaseSummarizer,
    budget: SummaryBudget,
    batch_size: int = 16,
    language: str | None = None,
) -> dict[str, Any]:
    """Score ``summarizer`` and ``baseline`` on ``records``; return the report.

    The report is ``{"rouge1", "rouge2", "rougeLsum", "n", "docs_per_s",
    "avg_words", "baseline": {"name", "rouge1", "rouge2", "rougeLsum"}}``,
    ROUGE as F1 x 100. ``docs_per_s`` leaves out loading the model: one short
    text is summarized before the clock starts.
    """
    documents = [record["document"] for record in records]
    references = [_references(record) for record in records]
    summarizer.summarize_batch(["Loading the model is not timed."], budget=budget)
    started = time.perf_counter()
    predictions = _summaries(
        summarizer, documents, budget=budget, batch_size=batch_size, language=language
    )
    elapsed = time.perf_counter() - started
    baseline_predictions = _summaries(
        baseline, documents, budget=budget, batch_size=batch_size, language=language
    )
    scores = rouge_scores(predictions=predictions, references=references)
    baseline_scores = rouge_scores(
        predictions=baseline_predictions, references=references
    )
    count = len(records)
    return {
        **scores,
        "n": count,
        "docs_per_s": round(count / elapsed, 2) if elapsed > 0 else 0.0,
        "avg_words": round(sum(map(text_word_count, predictions)) / count, 1)
        if count
        else 0.0,
        "baseline": {"name": baseline_name(baseline), **baseline_scores},
    }


def baseline_name(baseline: BaseSummarizer) -> str:
    """Return "LEAD-k" for a LEAD baseline, else the backend name."""
    sentences = baseline.options.get("sentences") if baseline.name == "lead" else None
    return f"LEAD-{sentences}" if sentences else baseline.name


def rouge_scores(
    *, predictions: Sequence[str], references: Sequence[Sequence[str]]
) -> dict[str, float]:
    """Return mean ROUGE-1/2/Lsum F1 x 100, rounded to 2 places.

    ``references[i]`` holds the reference(s) of ``predictions[i]``; each
    metric takes the best reference.
    """
    try:
        from rouge_score import rouge_scorer
    except ImportError as exc:
        raise ImportError(
            "Evaluating summaries needs the rouge-score package: pip install rouge-score"
        ) from exc
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    totals = dict.fromkeys(ROUGE_TYPES, 0.0)
    for prediction, targets in zip(predictions, references, strict=True):
        scores = scorer.score_multi(
            [_one_sentence_per_line(target) for target in targets],
            _one_sentence_per_line(prediction),
        )
        for rouge_type in ROUGE_TYPES:
            totals[rouge_type] += scores[rouge_type].fmeasure
    count = max(1, len(predictions))
    return {name: round(100 * total / count, 2) for name, total in totals.items()}


def _summaries(
    summarizer: BaseSummarizer,
    documents: Sequence[str],
    *,
    budget: SummaryBudget,
    batch_size: int,
    language: str | None,
) -> list[str]:
    summaries: list[str] = []
    for start in range(0, len(documents), max(1, batch_size)):
        batch = documents[start : start + max(1, batch_size)]
        results = summarizer.summarize_batch(batch, budget=budget, language=language)
        summaries.extend(result.text for result in results)
    return summaries


def _references(record: Mapping[str, Any]) -> list[str]:
    references = record.get("summaries") or [record.get("summary")]
    return [text for text in references if isinstance(text, str) and text.strip()]


def _one_sentence_per_line(text: str) -> str:
    return "\n".join(sentence.text for sentence in sentences_split(text))
