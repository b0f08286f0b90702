"""Ranking metrics (MIND's definitions) and the paired bootstrap; pure numpy."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

METRICS = ("auc", "mrr", "ndcg5", "ndcg10")


def auc_score(scores: np.ndarray, labels: np.ndarray) -> float:
    """Probability that a clicked item outscores a skipped one; ties count half."""
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels)
    positives, negatives = scores[labels == 1], scores[labels == 0]
    if not len(positives) or not len(negatives):
        raise ValueError("AUC needs at least one clicked and one skipped item.")
    greater = (positives[:, None] > negatives[None, :]).mean()
    ties = (positives[:, None] == negatives[None, :]).mean()
    return float(greater + 0.5 * ties)


def mrr_score(scores: np.ndarray, labels: np.ndarray) -> float:
    """MIND's MRR: mean reciprocal rank of the clicked items."""
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    ranked = np.asarray(labels, dtype=np.float64)[order]
    return float((ranked / (np.arange(len(ranked)) + 1)).sum() / ranked.sum())


def dcg_score(scores: np.ndarray, labels: np.ndarray, k: int) -> float:
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    gains = 2 ** np.asarray(labels, dtype=np.float64)[order[:k]] - 1
    return float((gains / np.log2(np.arange(len(gains)) + 2)).sum())


def ndcg_score(scores: np.ndarray, labels: np.ndarray, k: int) -> float:
    """MIND's nDCG@k with gains ``2^label - 1``."""
    ideal = dcg_score(np.asarray(labels, dtype=np.float64), labels, k)
    return dcg_score(scores, labels, k) / ideal


def impression_metrics(scores: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """AUC, MRR, nDCG@5 and nDCG@10 of one impression."""
    return {
        "auc": auc_score(scores, labels),
        "mrr": mrr_score(scores, labels),
        "ndcg5": ndcg_score(scores, labels, 5),
        "ndcg10": ndcg_score(scores, labels, 10),
    }


def metrics_mean(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    """Mean of each metric over impressions, in percent."""
    if not rows:
        return {name: float("nan") for name in METRICS}
    return {
        name: round(100 * float(np.mean([row[name] for row in rows])), 2)
        for name in METRICS
    }


def paired_bootstrap(
    a: Sequence[float],
    b: Sequence[float],
    *,
    resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Return ``(mean(a - b), low, high)``: the 95% percentile interval of the mean
    difference over impressions resampled with replacement (the same ones for both)."""
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if not len(diff):
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(diff), size=(resamples, len(diff)))
    means = diff[picks].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(diff.mean()), float(low), float(high)
