"""What editors teach the CPU default: a scorer training run, simulated on dev sets.

Each set's reference summaries stand in for its editors: split ``a`` is the
reviews a portal has collected, split ``b`` the documents it summarizes next.
The product's own procedure runs on split a (``summaries.training``):

1. the dataset's validation part is the documents whose text hash falls in
   the lowest 20% (``data.split_for``), the rest is trained on;
2. two runs, ``scope=sectioned`` (the default) and ``scope=all``, are fitted
   on the train part (``scorer.scorer_train``, the first reference as the
   editor's summary);
3. each goes through the gate against the live summarizer (the shipped
   default) on the validation part (``gate.gate_evaluate``, the policy of
   ``SUMMARIES_TRAINING["GATE"]``: ROUGE-Lsum gain with its 95% interval
   above 0);
4. the passed run with the larger gain is served; none passed: the live one.

Then split b is scored once: the served summarizer against the live one and
against LEAD cut to the same length (paired bootstrap 95% CI), and each run's
own figure beside it, whether or not its gate passed.

``--folds 2`` instead treats a whole set as a new portal's pages (the
knowledge-base hold-out): each half is trained and gated as above and
scored on the other half, and the two halves' documents are pooled for the
report. Nothing is chosen on what is reported.

    nice -n 5 .venv/bin/python bench/summaries_editors.py \\
        --set kb=bench/data/kb/manifest.jsonl:2 --set xsum=../shared/data/summarization/xsum_dev.jsonl:1

No database is touched; unit vectors are cached as in ``summaries_scorer.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from summaries_scorer import CACHE, CachingEmbedder, load_sets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VALIDATION_FRACTION = 0.2
SCOPES = ("sectioned", "all")


def summaries(summarizer, records, budget):
    from summaries.training.gate import summaries_predict

    return summaries_predict(
        summarizer,
        [r["document"] for r in records],
        budget=budget,
        blocks=[r.get("blocks") or None for r in records],
    )


def served_for(live, embedder, train, validation, *, budget, folder):
    """Fit one run per scope on ``train``, gate each on ``validation``; return
    ``(served summarizer, {scope: {"gate": ..., "summarizer": ...}})``."""
    from summaries.backends.extractive import ExtractiveSummarizer
    from summaries.conf import training_setting
    from summaries.evaluation import _references
    from summaries.scoring import ScriptAwareTokenizer
    from summaries.training.gate import GatePolicy, gate_evaluate
    from summaries.training.scorer import ReviewedText, ScorerConfig, scorer_train

    examples = [
        ReviewedText(
            document=r["document"],
            summary=_references(r)[0],
            blocks=r.get("blocks") or None,
        )
        for r in train
    ]
    live_validation = summaries(live, validation, budget)
    runs, best, best_gain = {}, live, 0.0
    for scope in SCOPES:
        outcome = scorer_train(
            summarizer=live,
            examples=examples,
            budget=budget,
            tokenizer=ScriptAwareTokenizer(),
            config=ScorerConfig(scope=scope),
            run_dir=Path(folder) / scope,
        )
        trained = ExtractiveSummarizer(
            embedder=embedder, adapter=str(outcome.output), adapter_sha256=scope
        )
        report = gate_evaluate(
            documents=[r["document"] for r in validation],
            references=[_references(r)[0] for r in validation],
            candidates={
                "candidate": summaries(trained, validation, budget),
                "live": live_validation,
            },
            policy=GatePolicy(**training_setting("GATE")),
        )
        gain = report["vs_live"]["rougeLsum"]
        runs[scope] = {
            "gate": {"passed": report["passed"], "n": report["n"], **gain},
            "summarizer": trained,
        }
        if report["passed"] and gain["diff"] > best_gain:
            best, best_gain = trained, gain["diff"]
    return best, runs


def brief(report):
    out = {
        "n": report["n"],
        "ours": [report[m] for m in ("rouge1", "rouge2", "rougeLsum")],
        "words": report["avg_words"],
    }
    for key in ("baseline", "lead_matched"):
        d = report[key]["difference"]
        out[f"vs_{key}"] = [
            [round(d[m][k], 2) for k in ("mean", "low", "high")]
            for m in ("rouge1", "rouge2", "rougeLsum")
        ]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", action="append", required=True, dest="sets")
    parser.add_argument(
        "--folds",
        type=int,
        choices=(0, 2),
        default=0,
        help="2: train on each half of the whole set, report on the other.",
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docsite.settings.base")
    import django

    django.setup()
    from docsite.ml.embedders import get_embedder
    from summaries.backends import summary_budget
    from summaries.backends.extractive import ExtractiveSummarizer
    from summaries.backends.lead import LeadSummarizer
    from summaries.evaluation import summarizer_evaluate
    from summaries.scoring import records_split
    from summaries.training.data import split_for, text_sha256

    budget = summary_budget()
    embedder = CachingEmbedder(get_embedder(), CACHE / "unit-vectors.pkl")
    live = ExtractiveSummarizer(embedder=embedder)
    started = time.time()
    results = {}
    for name, data in load_sets(args.sets).items():
        records = data["records"]

        def validation(record):
            return (
                split_for(
                    document_sha256=text_sha256(record["document"]),
                    validation_fraction=VALIDATION_FRACTION,
                )
                == "validation"
            )

        if args.folds:
            halves = [[r for i, r in enumerate(records) if i % 2 == k] for k in (0, 1)]
            plans = [(halves[k], halves[1 - k]) for k in (0, 1)]
        else:
            plans = [
                (records_split(records, split="a"), records_split(records, split="b"))
            ]
        served_records, per_scope, gates = [], {s: [] for s in SCOPES}, []
        reported = []
        with tempfile.TemporaryDirectory() as folder:
            for index, (reviews, upcoming) in enumerate(plans):
                served, runs = served_for(
                    live,
                    embedder,
                    [r for r in reviews if not validation(r)],
                    [r for r in reviews if validation(r)],
                    budget=budget,
                    folder=Path(folder) / str(index),
                )
                gates.append({s: run["gate"] for s, run in runs.items()})
                served_records.append((served, upcoming))
                for scope, run in runs.items():
                    per_scope[scope].append((run["summarizer"], upcoming))
                reported.extend(upcoming)

            lead = LeadSummarizer(sentences=data["lead"])
            entry = {"gates": gates}
            for label, pairs in (
                ("served", served_records),
                *((f"scope={s}", per_scope[s]) for s in SCOPES),
            ):
                if len(pairs) == 1:
                    summarizer, part = pairs[0]
                else:
                    summarizer, part = _Stitched(pairs), reported
                entry[label] = {
                    "vs_live": brief(
                        summarizer_evaluate(
                            records=part,
                            summarizer=summarizer,
                            baseline=live,
                            budget=budget,
                        )
                    ),
                    "vs_lead": brief(
                        summarizer_evaluate(
                            records=part,
                            summarizer=summarizer,
                            baseline=lead,
                            budget=budget,
                        )
                    ),
                }
            results[name] = entry
    embedder.save()
    print(json.dumps({"seconds": round(time.time() - started), **results}, indent=1))
    return 0


class _Stitched:
    """Summarize each document with the summarizer trained without it (folds)."""

    name = "stitched"
    verbatim = True

    def __init__(self, pairs) -> None:
        self.owner = {
            " ".join(record["document"].split()): summarizer
            for summarizer, part in pairs
            for record in part
        }

    def summarize_batch(self, texts, *, budget, blocks=None, **kwargs):
        structures = list(blocks) if blocks is not None else [None] * len(texts)
        results = []
        for text, structure in zip(texts, structures, strict=True):
            summarizer = self.owner.get(" ".join(text.split()))
            if summarizer is None:  # the untimed warm-up text
                summarizer = next(iter(self.owner.values()))
            results.extend(
                summarizer.summarize_batch([text], budget=budget, blocks=[structure])
            )
        return results


if __name__ == "__main__":
    raise SystemExit(main())
