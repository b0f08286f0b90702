"""The gate a trained summarizer passes before it may reach readers.

A candidate is scored on the validation split against the editors'
summaries, beside the live producer and the base model, with per-document
ROUGE so that differences come with a paired bootstrap 95% interval. It
passes when it beats the live producer on the gate metric, the 95% interval
of the gain above 0 (and, when the
faithfulness flags are available, flags no more of its summaries than the
live producer does, within a margin).

Pure computation: summarizers and texts in, a report out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from summaries.backends.base import BaseSummarizer, SummaryBudget
from summaries.scoring import ROUGE_TYPES
from summaries.scoring import paired_bootstrap as _bootstrap
from summaries.scoring import rouge_per_document as _rouge
from summaries.text import sentences_split

GATE_METRIC = "rougeLsum"
# How many validation documents the report shows side by side.
EXAMPLES = 8


@dataclass(frozen=True)
class GatePolicy:
    """``min_gain``: ROUGE points the candidate must add over the live producer;
    ``require_significant``: the bootstrap interval of the gain must lie above 0
    (on by default: a gain inside its interval is no gain, and a promotion
    rewrites every reader's summaries; on a few validation documents a run
    that only fits noise otherwise passes about half the time);
    ``max_flag_rate_increase``: how much higher the candidate's flag rate may be."""

    metric: str = GATE_METRIC
    min_gain: float = 0.0
    require_significant: bool = True
    max_flag_rate_increase: float = 0.0


def rouge_per_document(
    *, predictions: Sequence[str], references: Sequence[str]
) -> dict[str, list[float]]:
    """Return ROUGE-1/2/Lsum F1 x 100 of every prediction, per metric (as
    ``evaluate_summarizer`` scores: script-aware, one sentence per line)."""
    scores = _rouge(
        predictions=predictions,
        references=[[reference] for reference in references],
        sentence_split=lambda text: [unit.text for unit in sentences_split(text)],
    )
    return {name: [float(value) for value in values] for name, values in scores.items()}


def paired_bootstrap(
    candidate: Sequence[float], baseline: Sequence[float]
) -> dict[str, float]:
    """Return the mean paired difference and its 95% percentile bootstrap interval."""
    import numpy as np

    if len(candidate) != len(baseline) or not candidate:
        raise ValueError("Paired scores must be non-empty and of equal length.")
    differences = np.asarray(candidate, dtype=float) - np.asarray(baseline, dtype=float)
    interval = _bootstrap({"diff": differences})["diff"].as_dict()
    return {"diff": interval["mean"], "low": interval["low"], "high": interval["high"]}


def summaries_predict(
    summarizer: BaseSummarizer,
    documents: Sequence[str],
    *,
    budget: SummaryBudget,
    blocks: Sequence[Sequence[Any] | None] | None = None,
    batch_size: int = 8,
) -> list[str]:
    """Summarize ``documents`` in batches; ``blocks[i]`` is the parsed structure
    of ``documents[i]`` when known."""
    predictions: list[str] = []
    for start in range(0, len(documents), batch_size):
        results = summarizer.summarize_batch(
            documents[start : start + batch_size],
            budget=budget,
            **(
                {"blocks": blocks[start : start + batch_size]}
                if blocks is not None
                else {}
            ),
        )
        predictions.extend(result.text for result in results)
    return predictions


def _mean(values: Sequence[float]) -> float:
    return round(sum(values) / len(values), 2) if values else 0.0


def gate_evaluate(
    *,
    documents: Sequence[str],
    references: Sequence[str],
    candidates: Mapping[str, Sequence[str]],
    policy: GatePolicy = GatePolicy(),
    flag: Callable[[str, Sequence[str], Sequence[str]], Sequence[bool]] | None = None,
    document_ids: Sequence[int | None] | None = None,
) -> dict[str, Any]:
    """Score every system's predictions; return the report with the verdict.

    ``candidates`` maps ``candidate``, ``live`` and optionally ``base`` to
    predictions in document order. ``flag(system, documents, summaries)``
    says which summaries are flagged as unfaithful; without it the flag rate
    is not part of the gate. The report: ``{"n", "systems": {name: {rouge1, rouge2,
    rougeLsum, flag_rate?}}, "vs_live": {metric: {diff, low, high}},
    "vs_base": ..., "passed", "reason"}``; with ``document_ids`` (one per
    document) also ``"examples"``: the documents where the candidate and the
    live producer differ most on the gate metric (``_examples``).
    """
    if "candidate" not in candidates or "live" not in candidates:
        raise ValueError(
            "The gate needs the candidate's and the live producer's predictions."
        )
    per_doc = {
        name: rouge_per_document(predictions=predictions, references=references)
        for name, predictions in candidates.items()
    }
    systems: dict[str, dict[str, float]] = {}
    for name, scores in per_doc.items():
        systems[name] = {metric: _mean(values) for metric, values in scores.items()}
        if flag is not None:
            flags = list(flag(name, documents, candidates[name]))
            systems[name]["flag_rate"] = round(sum(flags) / max(1, len(flags)), 3)
    report: dict[str, Any] = {"n": len(references), "systems": systems}
    for other in ("live", "base"):
        if other in per_doc:
            report[f"vs_{other}"] = {
                metric: paired_bootstrap(
                    per_doc["candidate"][metric], per_doc[other][metric]
                )
                for metric in ROUGE_TYPES
            }
    passed, reason = _verdict(report, policy=policy)
    report.update(passed=passed, reason=reason, policy=policy.__dict__)
    if document_ids is not None:
        report["examples"] = _examples(
            scores={
                name: [round(value, 2) for value in per_doc[name][policy.metric]]
                for name in ("candidate", "live")
            },
            references=references,
            candidates=candidates,
            document_ids=document_ids,
        )
    return report


def _examples(
    *,
    scores: Mapping[str, Sequence[float]],
    references: Sequence[str],
    candidates: Mapping[str, Sequence[str]],
    document_ids: Sequence[int | None],
    limit: int = EXAMPLES,
) -> list[dict[str, Any]]:
    """Return the validation documents where the candidate and the live producer
    differ most on the gate metric, half where the candidate wins, half where
    it loses (as many as there are): what an editor reads before promoting.

    Each: ``{"document_id", "reference", "candidate", "live", "candidate_score",
    "live_score"}``.
    """
    gains = [
        ours - theirs
        for ours, theirs in zip(scores["candidate"], scores["live"], strict=True)
    ]
    order = sorted(range(len(gains)), key=lambda i: gains[i])
    losses = [i for i in order if gains[i] < 0][: limit // 2]
    wins = [i for i in reversed(order) if gains[i] > 0][: limit - len(losses)]
    return [
        {
            "document_id": document_ids[i],
            "reference": references[i],
            "candidate": candidates["candidate"][i],
            "live": candidates["live"][i],
            "candidate_score": scores["candidate"][i],
            "live_score": scores["live"][i],
        }
        for i in [*wins, *losses]
    ]


def _verdict(report: dict[str, Any], *, policy: GatePolicy) -> tuple[bool, str]:
    gain = report["vs_live"][policy.metric]
    if gain["diff"] <= policy.min_gain:
        return False, (
            f"{policy.metric} {gain['diff']:+.2f} against the live producer "
            f"(needs more than {policy.min_gain:+.2f})."
        )
    if policy.require_significant and gain["low"] <= 0:
        return False, (
            f"{policy.metric} {gain['diff']:+.2f} against the live producer, but its "
            f"95% interval [{gain['low']:.2f}, {gain['high']:.2f}] includes 0."
        )
    systems = report["systems"]
    if "flag_rate" in systems["candidate"]:
        increase = systems["candidate"]["flag_rate"] - systems["live"]["flag_rate"]
        if increase > policy.max_flag_rate_increase:
            return False, (
                f"flags {systems['candidate']['flag_rate']:.0%} of its summaries against "
                f"{systems['live']['flag_rate']:.0%} for the live producer."
            )
    return True, (
        f"{policy.metric} {gain['diff']:+.2f} [{gain['low']:.2f}, {gain['high']:.2f}] "
        "against the live producer."
    )
