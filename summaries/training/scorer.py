"""Editors teach the CPU default: the extractive summarizer's sentence scorer,
fitted on the summaries editors approved and wrote.

The extractive summarizer ranks a document's units by a learned sentence
scorer (``summaries.sentence_scorer``: logistic regression over features
that mean the same in every genre). Its shipped weights were fitted on our
own knowledge-base set. A ``scorer`` training run fits the same model on this
portal's reviews: each example's units are labelled by the greedy ROUGE
oracle of the editor's summary (the units whose words the editor kept or
approved), and the weights learn which features predict them. The run's gate
then compares the new weights with the live summarizer on the dataset's
validation split, as for a fine-tuned LLM.

Pure computation, like ``loop.py``: no ORM, no Celery, no settings. The
slow part is embedding the units; it runs in chunks whose features are kept
under the run's folder, so a paused or killed run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from summaries.backends.base import SummaryBudget
from summaries.sentence_scorer import FEATURES, SCORER_FILE, SentenceScorer

from .examples import TrainingDataError
from .loop import CANCEL, CONTINUE, PAUSE, Control, Progress, TrainOutcome

# The most units an oracle summary takes (a 60-word summary holds about 3).
ORACLE_UNITS = 3
# A finished run's output folder (its weights: SCORER_FILE).
SCORER = "scorer"
# Featurized examples of an unfinished run, one file per chunk.
ROWS = "rows"
CHUNK = 16
SCOPES = ("sectioned", "all")


@dataclass(frozen=True)
class ScorerConfig:
    """How to fit. ``c``: inverse regularization strength; ``scope``: where the
    summarizer applies the weights (``sectioned``: documents with two or more
    headed sections, as the shipped weights; ``all``: every document);
    ``features``: a subset of ``FEATURES`` (default: the shipped weights' own)."""

    c: float = 1.0
    scope: str = "sectioned"
    features: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.c > 0:
            raise ValueError("c must be positive.")
        if self.scope not in SCOPES:
            raise ValueError(f"scope must be one of {', '.join(SCOPES)}.")
        unknown = set(self.features) - set(FEATURES)
        if unknown:
            raise ValueError(f"Unknown scorer features: {', '.join(sorted(unknown))}.")

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "features": list(self.features)}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> ScorerConfig:
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"Unknown scorer options: {', '.join(sorted(unknown))}.")
        values = dict(values)
        if "c" in values:
            values["c"] = float(values["c"])
        values["features"] = tuple(values.get("features") or ())
        return cls(**values)


@dataclass(frozen=True)
class ReviewedText:
    """A document, its parsed blocks when known, and the summary an editor stood by."""

    document: str
    summary: str
    blocks: Sequence[Any] | None = None
    # The portal document it came from (None for an imported pair).
    document_id: int | None = None


def _ngrams(tokens: Sequence[str], n: int) -> Counter:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _f1(candidate: Counter, reference: Counter) -> float:
    overlap = sum((candidate & reference).values())
    if not overlap:
        return 0.0
    precision = overlap / max(1, sum(candidate.values()))
    recall = overlap / max(1, sum(reference.values()))
    return 2 * precision * recall / (precision + recall)


def oracle_labels(
    units: Sequence[Any],
    eligible: np.ndarray,
    references: Sequence[str],
    tokenizer: Any,
    *,
    soft: bool = False,
) -> np.ndarray:
    """Return 0/1 labels ``(n,)``: the greedy ROUGE oracle over eligible units.

    Units are added while ROUGE-1 + ROUGE-2 F1 against the reference rises,
    at most ``ORACLE_UNITS``; of several references the best oracle counts.
    ``soft``: each unit's own ROUGE-1 + ROUGE-2 F1 against the best
    reference, over the document's best (0-1), instead.
    """
    unit_tokens = [tokenizer.tokenize(unit.text) for unit in units]
    if soft:
        values = np.zeros(len(units))
        for reference in references:
            tokens = tokenizer.tokenize(reference)
            ref1, ref2 = _ngrams(tokens, 1), _ngrams(tokens, 2)
            values = np.maximum(
                values,
                [
                    _f1(_ngrams(t, 1), ref1) + _f1(_ngrams(t, 2), ref2)
                    for t in unit_tokens
                ],
            )
        top = values[eligible].max() if eligible.any() else 0
        return values / top if top > 0 else values
    best_labels, best_total = np.zeros(len(units)), -1.0
    for reference in references:
        tokens = tokenizer.tokenize(reference)
        ref1, ref2 = _ngrams(tokens, 1), _ngrams(tokens, 2)
        chosen: list[int] = []
        score = 0.0
        while len(chosen) < ORACLE_UNITS:
            best, best_gain = None, score
            for row in np.flatnonzero(eligible):
                if row in chosen:
                    continue
                joined = [t for r in sorted([*chosen, row]) for t in unit_tokens[r]]
                value = _f1(_ngrams(joined, 1), ref1) + _f1(_ngrams(joined, 2), ref2)
                if value > best_gain + 1e-9:
                    best, best_gain = row, value
            if best is None:
                break
            chosen.append(int(best))
            score = best_gain
        if score > best_total:
            best_total = score
            best_labels = np.zeros(len(units))
            best_labels[chosen] = 1
    return best_labels


def examples_rows(
    summarizer: Any,
    examples: Sequence[ReviewedText],
    *,
    budget: SummaryBudget,
    tokenizer: Any,
    references: Sequence[Sequence[str]] | None = None,
    soft: bool = False,
) -> list[tuple[np.ndarray, np.ndarray] | None]:
    """Return each example's ``(features, labels)`` of its eligible units, or
    None where it has none; the summarizer plans and embeds as it would to
    summarize. ``references`` (one list per example) replaces the summaries
    as the oracle's targets (a dev set with several references)."""
    plans = summarizer.plans_featurize(
        [example.document for example in examples],
        budget=budget,
        blocks=[example.blocks for example in examples],
    )
    rows: list[tuple[np.ndarray, np.ndarray] | None] = []
    for index, (example, (plan, table)) in enumerate(zip(examples, plans, strict=True)):
        if not plan.units or not plan.eligible.any():
            rows.append(None)
            continue
        targets = references[index] if references is not None else [example.summary]
        labels = oracle_labels(plan.units, plan.eligible, targets, tokenizer, soft=soft)
        rows.append((table[plan.eligible], labels[plan.eligible]))
    return rows


def scorer_fit(
    rows_by_set: Mapping[str, Sequence[tuple[np.ndarray, np.ndarray]]],
    *,
    features: Sequence[str],
    c: float = 1.0,
    scope: str = "sectioned",
) -> dict[str, Any]:
    """Fit logistic regression on pooled rows; return the scorer as JSON-ready data.

    Every set weighs the same, and within a set every document does, so a
    long document does not outvote short ones. Soft labels count as a
    positive with weight y and a negative with weight 1 - y.
    """
    from sklearn.linear_model import LogisticRegression

    columns = [FEATURES.index(name) for name in features]
    xs, ys, ws = [], [], []
    for rows in rows_by_set.values():
        for table, labels in rows:
            xs.append(table[:, columns])
            ys.append(labels)
            ws.append(np.full(len(labels), 1 / (len(labels) * len(rows))))
    if not xs:
        raise TrainingDataError("No example has a unit the summarizer could pick.")
    x, y, w = np.vstack(xs), np.concatenate(ys), np.concatenate(ws)
    if not (y > 0).any() or not (y < 1).any():
        raise TrainingDataError(
            "The editors' summaries match either every unit or none: nothing to learn."
        )
    x, y, w = (
        np.vstack([x, x]),
        np.r_[np.ones(len(y)), np.zeros(len(y))],
        np.r_[w * y, w * (1 - y)],
    )
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit((x - mean) / scale, y, sample_weight=w * len(w))
    coef = model.coef_[0].round(6).tolist()
    digest = hashlib.sha1(json.dumps([list(features), coef]).encode()).hexdigest()[:8]
    return {
        "version": f"logistic-{digest}",
        "features": list(features),
        "coef": coef,
        "intercept": round(float(model.intercept_[0]), 6),
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "scope": scope,
    }


def _log_loss(rows: Sequence[tuple[np.ndarray, np.ndarray]], scorer: dict) -> float:
    """The fitted weights' mean log-loss per document on their own rows (the run's curve)."""
    model = SentenceScorer.from_dict(scorer)
    losses = []
    for table, labels in rows:
        p = np.clip(1 / (1 + np.exp(-model.score(table))), 1e-6, 1 - 1e-6)
        losses.append(
            float(-(labels * np.log(p) + (1 - labels) * np.log(1 - p)).mean())
        )
    return round(float(np.mean(losses)), 4)


def scorer_train(
    *,
    summarizer: Any,
    examples: Sequence[ReviewedText],
    budget: SummaryBudget,
    tokenizer: Any,
    config: ScorerConfig,
    run_dir: Path,
    control: Control = lambda progress: CONTINUE,
) -> TrainOutcome:
    """Featurize ``examples`` in chunks, fit, and write ``run_dir/scorer/scorer.json``.

    A step is one example featurized; ``control(progress)`` is called after
    every chunk (``pause`` keeps the chunks done, ``cancel`` returns at once).
    Chunks already under ``run_dir/rows`` are read back, not computed again.
    """
    run_dir = Path(run_dir)
    (run_dir / ROWS).mkdir(parents=True, exist_ok=True)
    features = config.features or SentenceScorer.load().features
    progress = Progress(total_steps=len(examples), device="cpu")
    rows: list[tuple[np.ndarray, np.ndarray]] = []
    for start in range(0, len(examples), CHUNK):
        chunk = examples[start : start + CHUNK]
        saved = run_dir / ROWS / f"{start:07d}.npz"
        started = time.perf_counter()
        if saved.exists():
            with np.load(saved) as stored:
                done = [
                    (stored[f"x{i}"], stored[f"y{i}"])
                    for i in range(int(stored["count"]))
                ]
                # A resumed run's time counts the chunks read before the pause.
                progress.seconds += float(stored["seconds"])
        else:
            done = [
                row
                for row in examples_rows(
                    summarizer, chunk, budget=budget, tokenizer=tokenizer
                )
                if row is not None
            ]
            arrays = {f"x{i}": x for i, (x, _) in enumerate(done)}
            arrays.update({f"y{i}": y for i, (_, y) in enumerate(done)})
            seconds = time.perf_counter() - started
            partial = saved.with_suffix(".partial.npz")
            np.savez(partial, count=len(done), seconds=seconds, **arrays)
            partial.rename(saved)
            progress.seconds += seconds
        rows.extend(done)
        progress.step = start + len(chunk)
        progress.examples = len(rows)
        progress.dropped = progress.step - len(rows)
        decision = control(progress)
        if decision == CANCEL:
            return TrainOutcome(state="cancelled", progress=progress)
        if decision == PAUSE and progress.step < len(examples):
            return TrainOutcome(state="paused", progress=progress)
    scorer = scorer_fit(
        {"reviews": rows}, features=features, c=config.c, scope=config.scope
    )
    progress.losses = [[progress.step, _log_loss(rows, scorer)]]
    output = run_dir / SCORER
    output.mkdir(exist_ok=True)
    (output / SCORER_FILE).write_text(json.dumps(scorer, indent=1) + "\n")
    return TrainOutcome(state="finished", progress=progress, output=output)
