"""The ranking function: features, a linear ranker and its fit (pure, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from interests.ranker import (
    FEATURES,
    LinearRanker,
    Slate,
    candidates_features,
    ranker_default,
    ranker_fit,
    ranker_from_weights,
    slates_evaluate,
    slates_split,
)
from interests.ranking import HistoryEvent, interest_vectors_build

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def _unit(v):
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v)


def _build(events):
    return interest_vectors_build(
        events,
        now=NOW,
        kind_weights={"view": 1.0, "like": 3.0, "bookmark": 2.5, "dismiss": -3.0},
        half_life_days=14,
        dwell_full_seconds=60,
        short_term_events=5,
        max_centroids=3,
    )


def test_a_glance_pulls_less_than_a_like_through_the_exemplars():
    a, b = _unit([1, 0, 0, 0]), _unit([0, 1, 0, 0])
    interest = _build(
        [
            HistoryEvent(1, "view", NOW - timedelta(minutes=1), a, dwell_seconds=2),
            HistoryEvent(2, "like", NOW - timedelta(minutes=2), b),
        ]
    )
    assert interest.exemplar_kinds == ["view", "like"]
    assert interest.exemplar_weights[1] == 1.0 and interest.exemplar_weights[0] < 0.2
    # Two candidates, each as close to one of the two documents.
    candidates = np.stack([_unit([1, 0, 0.1, 0]), _unit([0, 1, 0.1, 0])])
    features = candidates_features(
        vectors=candidates,
        interest=interest,
        age_days=np.zeros(2),
        readers=np.zeros(2),
        space_ids=None,
        fresh_days=14,
        exemplar_k=1,
    )
    exemplar = features[:, FEATURES.index("exemplar")]
    assert exemplar[1] > 3 * exemplar[0]


def test_linear_ranker_round_trips_and_hand_weights_penalize_negatives():
    ranker = LinearRanker(
        version="v1",
        features=("exemplar", "popularity"),
        coef=np.array([2.0, 0.5]),
        intercept=0.1,
        mean=np.array([0.2, 1.0]),
        scale=np.array([0.5, 2.0]),
    )
    again = LinearRanker.from_dict(ranker.to_dict())
    x = np.random.default_rng(0).random((5, len(FEATURES)))
    assert np.allclose(ranker.score(x), again.score(x))
    parts = ranker.contributions(x)
    assert np.allclose(sum(parts.values()) + 0.1, ranker.score(x), atol=1e-5)
    hand = ranker_from_weights({"negative": 0.3, "exemplar": 1.0}, version="hand")
    row = np.zeros((1, len(FEATURES)))
    row[0, FEATURES.index("negative")] = 1.0
    assert hand.score(row)[0] == pytest.approx(-0.3)
    with pytest.raises(ValueError):
        LinearRanker.from_dict({**ranker.to_dict(), "features": ["position"]})


def _slates(n, rng, *, signal):
    slates = []
    for i in range(n):
        x = rng.random((10, len(FEATURES))).astype(np.float32)
        logits = signal * (x[:, FEATURES.index("exemplar")] - 0.5) * 8
        labels = (rng.random(10) < 1 / (1 + np.exp(-logits + 2))).astype(np.int32)
        slates.append(Slate(features=x, labels=labels, order_key=float(i)))
    return slates


def test_fit_learns_the_feature_that_predicts_clicks_and_validates_on_the_newest():
    rng = np.random.default_rng(1)
    slates = _slates(300, rng, signal=1.0)
    train, validation = slates_split(slates, validation_share=0.2)
    assert max(s.order_key for s in train) < min(s.order_key for s in validation)
    ranker = ranker_fit(train)
    assert ranker.coef[FEATURES.index("exemplar")] == max(ranker.coef)
    assert slates_evaluate(ranker, validation)["auc"] > 75
    with pytest.raises(ValueError):
        ranker_fit([Slate(np.zeros((3, len(FEATURES))), np.zeros(3, int), 0.0)])


def test_the_shipped_default_ranker_loads():
    ranker = ranker_default()
    assert ranker is not None and set(ranker.features) <= set(FEATURES)
    assert len(ranker.coef) == len(ranker.features)
