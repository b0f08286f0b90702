"""The evaluation's metric code against scikit-learn and MIND's reference definitions."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from interests.metrics import (
    auc_score,
    impression_metrics,
    mrr_score,
    ndcg_score,
    paired_bootstrap,
)


@pytest.mark.parametrize(
    ("scores", "labels"),
    [
        ([0.9, 0.1, 0.5, 0.3], [1, 0, 0, 1]),
        ([0.2, 0.2, 0.2, 0.7, 0.1], [0, 1, 0, 1, 0]),  # ties count half
        ([3, 2, 1], [0, 0, 1]),
        (list(np.random.default_rng(4).random(40)), [1] * 7 + [0] * 33),
    ],
)
def test_auc_matches_scikit_learn(scores, labels):
    assert auc_score(np.array(scores), np.array(labels)) == pytest.approx(
        roc_auc_score(labels, scores)
    )


def test_mrr_and_ndcg_match_mind_reference_by_hand():
    # Clicks end up at ranks 2 and 4 of 5.
    scores = np.array([0.1, 0.9, 0.3, 0.8, 0.2])
    labels = np.array([0, 0, 1, 1, 0])
    # Ranked: 0.9(0) 0.8(1) 0.3(1) 0.2(0) 0.1(0): clicks at ranks 2 and 3.
    assert mrr_score(scores, labels) == pytest.approx((1 / 2 + 1 / 3) / 2)
    dcg = 1 / np.log2(3) + 1 / np.log2(4)
    ideal = 1 / np.log2(2) + 1 / np.log2(3)
    assert ndcg_score(scores, labels, 5) == pytest.approx(dcg / ideal)
    # At k=2 only the click at rank 2 counts.
    assert ndcg_score(scores, labels, 2) == pytest.approx((1 / np.log2(3)) / ideal)
    perfect = impression_metrics(np.array([0.9, 0.8, 0.1]), np.array([1, 1, 0]))
    assert perfect == {
        "auc": 1.0,
        "mrr": pytest.approx(0.75),
        "ndcg5": 1.0,
        "ndcg10": 1.0,
    }


def test_auc_refuses_an_impression_without_both_labels():
    with pytest.raises(ValueError):
        auc_score(np.array([0.1, 0.2]), np.array([1, 1]))


def test_paired_bootstrap_interval_covers_the_difference_and_pairs_impressions():
    rng = np.random.default_rng(0)
    base = rng.random(400)
    better = base + 0.05 + rng.normal(0, 0.01, 400)
    mean, low, high = paired_bootstrap(better, base, resamples=1000)
    assert low < 0.05 < high and low > 0.04 and mean == pytest.approx(0.05, abs=0.01)
    # Unpaired noise this large would swamp 0.05; pairing removes it.
    assert high - low < 0.01
    assert paired_bootstrap(base, base) == (0.0, 0.0, 0.0)
