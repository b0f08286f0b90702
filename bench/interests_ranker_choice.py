"""Logistic regression or LightGBM lambdarank for the feed's ranker? Measured on
the logged feed impressions of the evaluation database (after
``evaluate_interests --split a --train-default ...`` logged split a's), with
the same time-ordered validation split ``ranker_train`` uses.

    DOCSITE_DB_NAME=docsite_eval .venv/bin/python bench/interests_ranker_choice.py

Needs ``lightgbm`` (not a dependency of docsite: it is only compared here).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docsite.settings.base")
    if "eval" not in os.environ.get("DOCSITE_DB_NAME", ""):
        raise SystemExit(
            "Run with DOCSITE_DB_NAME=docsite_eval (the evaluation database)."
        )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import lightgbm

    from interests.learning import slates_logged
    from interests.metrics import impression_metrics, metrics_mean, paired_bootstrap
    from interests.ranker import ranker_fit, slates_split

    train, validation = slates_split(slates_logged(), validation_share=0.2)
    validation = [s for s in validation if 0 < s.labels.sum() < len(s.labels)]
    useful = [s for s in train if 0 < s.labels.sum() < len(s.labels)]
    print(f"{len(useful)} training slates, {len(validation)} validation slates")

    results = {}
    for c in (0.1, 1.0, 10.0):
        ranker = ranker_fit(useful, c=c)
        results[f"logistic C={c}"] = [
            impression_metrics(ranker.score(s.features), s.labels) for s in validation
        ]
    x = np.concatenate([s.features for s in useful])
    y = np.concatenate([s.labels for s in useful])
    groups = [len(s.labels) for s in useful]
    for leaves, rounds in ((7, 100), (15, 300)):
        model = lightgbm.LGBMRanker(
            objective="lambdarank",
            n_estimators=rounds,
            num_leaves=leaves,
            learning_rate=0.05,
            min_child_samples=20,
            verbose=-1,
        )
        model.fit(x, y, group=groups)
        results[f"lambdarank leaves={leaves} rounds={rounds}"] = [
            impression_metrics(model.predict(s.features), s.labels) for s in validation
        ]
    reference = results["logistic C=1.0"]
    for name, rows in results.items():
        mean = metrics_mean(rows)
        delta = paired_bootstrap(
            [r["auc"] for r in rows], [r["auc"] for r in reference]
        )
        print(
            f"{name:34} AUC {mean['auc']:6.2f}  MRR {mean['mrr']:6.2f}  "
            f"nDCG@10 {mean['ndcg10']:6.2f}  ΔAUC vs logistic C=1 "
            f"{100 * delta[0]:+.2f} [{100 * delta[1]:+.2f}, {100 * delta[2]:+.2f}]"
        )


if __name__ == "__main__":
    main()
