"""Summary quality against reference summaries: ROUGE, length, throughput.

Scores follow the usual protocol: ROUGE-1, ROUGE-2 and ROUGE-Lsum F1 from the
``rouge-score`` package with stemming, times 100, averaged over documents.
Tokens come from ``summaries.scoring.ScriptAwareTokenizer`` (English scores
as ``rouge-score``'s own tokenizer gives them; Chinese, Japanese and Korean
by character instead of a silent 0). ROUGE-Lsum needs one sentence per line,
so predictions and references are both split with
``summaries.text.sentences_split`` first (a backend may return a paragraph).
Where a record has several references (``summaries``), each metric takes the
best of them.

Two baselines run beside the evaluated summarizer:

- ``baseline``: LEAD-k (the set's convention: LEAD-1 for XSum, LEAD-2 for
  DialogSum) within the same budget;
- ``lead_matched``: the document's opening cut to exactly the length of the
  summarizer's own output for that document, so a length advantage cannot
  pass for a content one.

Each comes with its average length and the paired bootstrap 95% interval of
the summarizer's mean per-document difference to it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from summaries.backends.base import BaseSummarizer, SummaryBudget
from summaries.backends.lead import lead_units
from summaries.kb import KnowledgeBaseFileError, kb_record_resolve
from summaries.scoring import (
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    CONFIDENCE,
    ROUGE_TYPES,
    RougeTokenizer,
    ScriptAwareTokenizer,
    paired_bootstrap,
    rouge_per_document,
)
from summaries.text import (
    sentences_split,
    text_word_count,
    truncate_to_budget,
)
from summaries.wellformed import well_formed_report

LEAD_MATCHED = "LEAD-matched"


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
            if (
                isinstance(record, dict)
                and "file" in record
                and "document" not in record
            ):
                # A knowledge-base manifest row: the file is parsed as an upload is.
                try:
                    record = kb_record_resolve(record, base=path.parent)
                except KnowledgeBaseFileError as exc:
                    raise EvaluationDataError(f"line {number}: {exc}") from exc
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
    tokenizer: RougeTokenizer | None = None,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> dict[str, Any]:
    """Score ``summarizer`` beside LEAD-k (``baseline``) and LEAD-matched; return the report.

    The report is ``{"rouge1", "rouge2", "rougeLsum", "n", "docs_per_s",
    "avg_words", "baseline": {...}, "lead_matched": {...}, "bootstrap":
    {"resamples", "seed", "confidence"}, "tokenizer", "well_formed"}``
    (``well_formed`` from ``summaries.wellformed.well_formed_report``,
    checked against each record's ``blocks`` where it has them); each baseline is
    ``{"name", "rouge1", "rouge2", "rougeLsum", "avg_words", "difference":
    {metric: {"mean", "low", "high"}}}`` where ``difference`` is the
    summarizer minus the baseline. ROUGE is F1 x 100. ``docs_per_s`` leaves
    out loading the model: one short text is summarized before the clock
    starts.
    """
    tokenizer = tokenizer or ScriptAwareTokenizer()
    documents = [record["document"] for record in records]
    # Parsed files (the knowledge-base set) carry their blocks: every system
    # reads the same units from them.
    structures = [record.get("blocks") or None for record in records]
    references = [_references(record) for record in records]
    summarizer.summarize_batch(["Loading the model is not timed."], budget=budget)
    started = time.perf_counter()
    predictions = _summaries(
        summarizer,
        documents,
        structures,
        budget=budget,
        batch_size=batch_size,
        language=language,
    )
    elapsed = time.perf_counter() - started
    lead_k = _summaries(
        baseline,
        documents,
        structures,
        budget=budget,
        batch_size=batch_size,
        language=language,
    )
    matched = [
        lead_matched(
            document,
            size=_length(prediction, unit=budget.unit),
            unit=budget.unit,
            language=language,
            blocks=structure,
        )
        for document, prediction, structure in zip(
            documents, predictions, structures, strict=True
        )
    ]

    def score(texts: Sequence[str]) -> dict[str, np.ndarray]:
        return rouge_per_document(
            predictions=texts,
            references=references,
            tokenizer=tokenizer,
            sentence_split=_sentence_lines,
        )

    ours = score(predictions)
    count = len(records)
    report: dict[str, Any] = {
        **_means(ours),
        "n": count,
        "docs_per_s": round(count / elapsed, 2) if elapsed > 0 else 0.0,
        "avg_words": _average_words(predictions),
        "well_formed": well_formed_report(
            summaries=predictions,
            blocks=[record.get("blocks") for record in records],
            ids=[str(record.get("id", i)) for i, record in enumerate(records)],
        ),
    }
    for key, name, texts in (
        ("baseline", baseline_name(baseline), lead_k),
        ("lead_matched", LEAD_MATCHED, matched),
    ):
        theirs = score(texts)
        intervals = paired_bootstrap(
            {metric: ours[metric] - theirs[metric] for metric in ROUGE_TYPES},
            resamples=resamples,
            seed=seed,
        )
        report[key] = {
            "name": name,
            **_means(theirs),
            "avg_words": _average_words(texts),
            "difference": {
                metric: interval.as_dict() for metric, interval in intervals.items()
            },
        }
    report["bootstrap"] = {
        "resamples": resamples,
        "seed": seed,
        "confidence": CONFIDENCE,
    }
    report["tokenizer"] = getattr(tokenizer, "name", type(tokenizer).__name__)
    return report


def lead_matched(
    text: str,
    *,
    size: int,
    unit: str = "words",
    language: str | None = None,
    blocks: Sequence[Any] | None = None,
) -> str:
    """Return the opening of ``text`` cut to exactly ``size`` words (or characters).

    Headings are skipped as LEAD-k skips them; the last sentence is cut
    mid-way when the length asks for it, with no ellipsis to count. A
    transcript's turns keep their own lines, as in LEAD-k and the summaries
    it is compared with: ROUGE-Lsum reads lines as sentences, and a turn run
    into the one before it would lose on layout, not on content.
    """
    if size <= 0:
        return ""
    opening = ""
    for piece in lead_units(text, blocks=blocks, language=language):
        separator = "\n" if piece.is_turn else " "
        opening += (separator if opening else "") + piece.text
    return truncate_to_budget(opening, SummaryBudget(size=size, unit=unit), marker="")


def baseline_name(baseline: BaseSummarizer) -> str:
    """Return "LEAD-k" for a LEAD baseline, else the backend name."""
    sentences = baseline.options.get("sentences") if baseline.name == "lead" else None
    return f"LEAD-{sentences}" if sentences else baseline.name


def rouge_scores(
    *,
    predictions: Sequence[str],
    references: Sequence[Sequence[str]],
    tokenizer: RougeTokenizer | None = None,
) -> dict[str, float]:
    """Return mean ROUGE-1/2/Lsum F1 x 100, rounded to 2 places.

    ``references[i]`` holds the reference(s) of ``predictions[i]``; each
    metric takes the best reference.
    """
    return _means(
        rouge_per_document(
            predictions=predictions,
            references=references,
            tokenizer=tokenizer,
            sentence_split=_sentence_lines,
        )
    )


def _means(scores: Mapping[str, np.ndarray]) -> dict[str, float]:
    return {
        name: round(float(values.mean()), 2) if len(values) else 0.0
        for name, values in scores.items()
    }


def _average_words(texts: Sequence[str]) -> float:
    if not texts:
        return 0.0
    return round(sum(map(text_word_count, texts)) / len(texts), 1)


def _length(text: str, *, unit: str) -> int:
    return len(text) if unit == "chars" else text_word_count(text)


def _summaries(
    summarizer: BaseSummarizer,
    documents: Sequence[str],
    structures: Sequence[Any],
    *,
    budget: SummaryBudget,
    batch_size: int,
    language: str | None,
) -> list[str]:
    summaries: list[str] = []
    size = max(1, batch_size)
    for start in range(0, len(documents), size):
        results = summarizer.summarize_batch(
            documents[start : start + size],
            budget=budget,
            language=language,
            blocks=structures[start : start + size],
        )
        summaries.extend(result.text for result in results)
    return summaries


def _references(record: Mapping[str, Any]) -> list[str]:
    references = record.get("summaries") or [record.get("summary")]
    return [text for text in references if isinstance(text, str) and text.strip()]


def _sentence_lines(text: str) -> list[str]:
    return [sentence.text for sentence in sentences_split(text)]
