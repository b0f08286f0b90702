"""Train and measure the extractive summarizer's learned sentence scorer.

Usage::

    nice -n 5 .venv/bin/python bench/summaries_scorer.py \\
        --set xsum=../shared/data/summarization/xsum_dev.jsonl:1 \\
        --set dialogsum=../shared/data/summarization/dialogsum_dev.jsonl:2 \\
        --set kb=bench/data/kb/manifest.jsonl:2 \\
        --train-sets kb --features F1,F2,... \
        choose            # 2-fold cross-fitting inside split a: pick the configuration
    ... train --out summaries/scorer_default.json   # fit on all of split a
    ... report --scorer FILE   # a scorer on split b (or: evaluate_summarizer --split b)

The shipped weights: ``--train-sets kb`` and every feature but
``relative_place`` (the command is in docs/evaluation.md).

Each ``--set NAME=FILE:K`` is a dev set and its LEAD-k convention. The
scorer (``summaries.sentence_scorer``) is logistic regression over the
units' general features; labels are the greedy ROUGE oracle of each
document's reference (units added while ROUGE-1 + ROUGE-2 F1 against the
reference rises, at most ``ORACLE_UNITS``). Every set weighs the same in
training, and within a set every document does. Only split ``a`` is ever
fitted on or chosen on; ``report`` is the only command that reads split
``b``. Unit vectors are cached in ``var/bench/`` (the embedder is the slow
part on a CPU), so reruns take seconds. No database is touched.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CACHE = ROOT / "var/bench"


class CachingEmbedder:
    """The default embedder with a persistent text -> vector cache (bench only)."""

    def __init__(self, embedder, path: Path) -> None:
        self.inner = embedder
        self.path = path
        self.vectors: dict[str, np.ndarray] = {}
        if path.exists():
            self.vectors = pickle.loads(path.read_bytes())
        self.dirty = False

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def embed_batch(self, texts):
        missing = sorted({t for t in texts if t not in self.vectors})
        if missing:
            for start in range(0, len(missing), 512):
                chunk = missing[start : start + 512]
                for text, vector in zip(
                    chunk, self.inner.embed_batch(chunk), strict=True
                ):
                    self.vectors[text] = vector
            self.dirty = True
            self.save()
        dim = len(next(iter(self.vectors.values()))) if self.vectors else 384
        if not texts:
            return np.zeros((0, dim), dtype=np.float32)
        return np.stack([self.vectors[t] for t in texts])

    def count_tokens(self, texts):
        return [len(t.split()) for t in texts]

    def save(self) -> None:
        if self.dirty:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_bytes(pickle.dumps(self.vectors))
            self.dirty = False


def load_sets(specs):
    from summaries.evaluation import evaluation_records_load

    sets = {}
    for spec in specs:
        name, rest = spec.split("=", 1)
        path, lead = rest.rsplit(":", 1)
        key = hashlib.sha1(str(Path(path).resolve()).encode()).hexdigest()[:8]
        cached = CACHE / f"records-{name}-{key}.pkl"
        if cached.exists():
            records = pickle.loads(cached.read_bytes())
        else:
            records = evaluation_records_load(path=Path(path))
            CACHE.mkdir(parents=True, exist_ok=True)
            cached.write_bytes(pickle.dumps(records))
        sets[name] = {"records": records, "lead": int(lead)}
    return sets


def document_rows(summarizer, records, *, budget, tokenizer, soft=False):
    """Return per-document (features, labels, id) for the eligible units of
    ``records``, labelled by the oracle of all their references (the product's
    ``summaries.training.scorer.examples_rows``)."""
    from summaries.evaluation import _references
    from summaries.training.scorer import ReviewedText, examples_rows

    rows = examples_rows(
        summarizer,
        [
            ReviewedText(
                document=r["document"], summary="", blocks=r.get("blocks") or None
            )
            for r in records
        ],
        budget=budget,
        tokenizer=tokenizer,
        references=[_references(r) for r in records],
        soft=soft,
    )
    return [
        (*row, record["id"])
        for row, record in zip(rows, records, strict=True)
        if row is not None
    ]


def fit(per_set_rows, *, features, c, pairwise=False):
    """Fit logistic regression on pooled rows; every set and document weighs alike.

    ``pairwise``: learn to rank within documents instead (RankNet-style
    logistic loss on the feature differences of an oracle unit and another
    unit of the same document), since only a document's own ranking of its
    units decides what is picked.
    """
    if pairwise:
        return _fit_pairwise(per_set_rows, features=features, c=c)
    from summaries.training.scorer import scorer_fit

    return scorer_fit(
        {name: [row[:2] for row in rows] for name, rows in per_set_rows.items()},
        features=features,
        c=c,
    )


def _fit_pairwise(per_set_rows, *, features, c):
    from sklearn.linear_model import LogisticRegression

    from summaries.sentence_scorer import FEATURES

    columns = [FEATURES.index(f) for f in features]
    every = np.vstack(
        [t[:, columns] for rows in per_set_rows.values() for t, _l, _i in rows]
    )
    mean, scale = every.mean(axis=0), every.std(axis=0)
    scale[scale == 0] = 1
    xs, ws = [], []
    for rows in per_set_rows.values():
        for table, labels, _id in rows:
            values = (table[:, columns] - mean) / scale
            positive, negative = labels > 0.5, labels <= 0.5
            if not positive.any() or not negative.any():
                continue
            diffs = (
                values[positive][:, None, :] - values[negative][None, :, :]
            ).reshape(-1, len(columns))
            xs.append(diffs)
            ws.append(np.full(len(diffs), 1 / (len(diffs) * len(rows))))
    x, w = np.vstack(xs), np.concatenate(ws)
    x, y, w = np.vstack([x, -x]), np.r_[np.ones(len(x)), np.zeros(len(x))], np.r_[w, w]
    model = LogisticRegression(C=c, max_iter=2000, fit_intercept=False)
    model.fit(x, y, sample_weight=w * len(w))
    coef = model.coef_[0].round(6).tolist()
    digest = hashlib.sha1(json.dumps([list(features), coef]).encode()).hexdigest()[:8]
    return {
        "version": f"pairwise-{digest}",
        "features": list(features),
        "coef": coef,
        "intercept": 0.0,
        "mean": mean.tolist(),
        "scale": scale.tolist(),
    }


def evaluate(summarizer, records, *, lead, budget, resamples=1000):
    from summaries.backends.lead import LeadSummarizer
    from summaries.evaluation import summarizer_evaluate

    return summarizer_evaluate(
        records=records,
        summarizer=summarizer,
        baseline=LeadSummarizer(sentences=lead),
        budget=budget,
        batch_size=64,
        resamples=resamples,
    )


def brief(report):
    out = {
        "n": report["n"],
        "ours": [report[m] for m in ("rouge1", "rouge2", "rougeLsum")],
        "words": report["avg_words"],
        "wf": report["well_formed"]["rate"],
    }
    for key in ("baseline", "lead_matched"):
        d = report[key]["difference"]
        out[key] = {
            m: [d[m]["mean"], d[m]["low"], d[m]["high"]]
            for m in ("rouge1", "rouge2", "rougeLsum")
        }
        out[key]["words"] = report[key]["avg_words"]
        out[key]["scores"] = [report[key][m] for m in ("rouge1", "rouge2", "rougeLsum")]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", action="append", required=True, dest="sets")
    parser.add_argument("--features", help="Comma-separated subset of FEATURES.")
    parser.add_argument("--c", type=float, default=1.0)
    parser.add_argument("--mmr-lambda", type=float, default=0.7)
    parser.add_argument("--soft", action="store_true", help="Soft oracle labels.")
    parser.add_argument(
        "--train-sets", help="Comma-separated sets to fit on (default: all)."
    )
    parser.add_argument(
        "--blend",
        type=float,
        default=0.0,
        help="Weight of the position prior blended with the scorer.",
    )
    parser.add_argument(
        "--pairwise", action="store_true", help="Rank within documents."
    )
    parser.add_argument("--scorer", type=Path, help="Scorer JSON for 'report'.")
    parser.add_argument("--out", type=Path)
    parser.add_argument("command", choices=("choose", "train", "report", "baseline"))
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docsite.settings.base")
    import django

    django.setup()
    from docsite.ml.embedders import get_embedder
    from summaries.backends.base import SummaryBudget
    from summaries.backends.extractive import ExtractiveSummarizer
    from summaries.conf import summaries_setting
    from summaries.scoring import ScriptAwareTokenizer, records_split
    from summaries.sentence_scorer import FEATURES, SentenceScorer

    budget = SummaryBudget(**summaries_setting("BUDGET"))
    embedder = CachingEmbedder(get_embedder(), CACHE / "unit-vectors.pkl")
    features = tuple(args.features.split(",")) if args.features else FEATURES

    def summarizer(scorer=None, **options):
        built = ExtractiveSummarizer(
            embedder=embedder, method="directed", mmr_lambda=args.mmr_lambda, **options
        )
        if scorer is not None:
            built.method = "learned"
            built.scorer = SentenceScorer.from_dict(scorer)
            if args.blend:
                learned = built._relevance

                def blended(vectors, **kw):
                    prior = 1 / np.sqrt(1 + kw["positions"])
                    return (1 - args.blend) * learned(
                        vectors, **kw
                    ) + args.blend * prior

                built._relevance = blended
        return built

    sets = load_sets(args.sets)
    tokenizer = ScriptAwareTokenizer()
    started = time.time()
    results = {}
    if args.command == "baseline":
        # The previous default (directed centrality, position prior 0.9).
        for name, data in sets.items():
            records = records_split(data["records"], split="a")
            results[name] = brief(
                evaluate(summarizer(), records, lead=data["lead"], budget=budget)
            )
    elif args.command in ("choose", "train"):
        rows = {}
        for name, data in sets.items():
            records = records_split(data["records"], split="a")
            rows[name] = document_rows(
                summarizer(),
                records,
                budget=budget,
                tokenizer=tokenizer,
                soft=args.soft,
            )
        fitted_sets = set(args.train_sets.split(",")) if args.train_sets else set(rows)
        if args.command == "train":
            rows = {s: r for s, r in rows.items() if s in fitted_sets}
            scorer = fit(rows, features=features, c=args.c, pairwise=args.pairwise)
            args.out.write_text(json.dumps(scorer, indent=1) + "\n")
            results = {"scorer": scorer}
        else:
            # Cross-fitting: each half of split a is scored by weights fitted
            # on the other half.
            for name, data in sets.items():
                records = records_split(data["records"], split="a")
                folds = [
                    {r[2] for i, r in enumerate(rows[name]) if i % 2 == k}
                    for k in (0, 1)
                ]
                means = []
                for k in (0, 1):
                    train = {
                        s: [r for r in rs if not (s == name and r[2] in folds[k])]
                        for s, rs in rows.items()
                        if s in fitted_sets
                    }
                    scorer = fit(
                        train, features=features, c=args.c, pairwise=args.pairwise
                    )
                    held = [r for r in records if r["id"] in folds[k]]
                    means.append(
                        brief(
                            evaluate(
                                summarizer(scorer),
                                held,
                                lead=data["lead"],
                                budget=budget,
                                resamples=200,
                            )
                        )
                    )
                results[name] = _pooled(means)
    else:
        scorer = json.loads(args.scorer.read_text()) if args.scorer else None
        for name, data in sets.items():
            records = records_split(data["records"], split="b")
            results[name] = brief(
                evaluate(summarizer(scorer), records, lead=data["lead"], budget=budget)
            )
    embedder.save()
    print(json.dumps({"seconds": round(time.time() - started), **results}))
    return 0


def _pooled(halves):
    """Average two halves' means by size (cross-fitting; CIs are per half only)."""
    total = sum(h["n"] for h in halves)

    def avg(values):
        return [
            round(
                sum(v[i] * h["n"] for v, h in zip(values, halves, strict=True)) / total,
                2,
            )
            for i in range(len(values[0]))
        ]

    out = {"n": total, "ours": avg([h["ours"] for h in halves])}
    out["words"] = avg([[h["words"]] for h in halves])[0]
    out["wf"] = avg([[h["wf"]] for h in halves])[0]
    for key in ("baseline", "lead_matched"):
        out[key] = {
            m: avg([[h[key][m][0]] for h in halves])[0]
            for m in ("rouge1", "rouge2", "rougeLsum")
        }
    return out


if __name__ == "__main__":
    raise SystemExit(main())
