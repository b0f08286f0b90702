"""The feed's ranking function: candidate features and a linear ranker over them.

Pure numpy (scikit-learn only inside ``ranker_fit``): no ORM, no settings.
The feed, the evaluation command and training all compute features through
``candidates_features``, so a ranker is trained on exactly what it scores.
Features are position-free: where an item was shown never enters them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .metrics import impression_metrics, metrics_mean
from .ranking import InterestVectors

FEATURES = (
    "long_term",  # cosine to the time-decayed, weighted mean of the history
    "centroid",  # best cosine to an interest centroid (long-term if none)
    "short_term",  # cosine to the last few documents
    "negative",  # cosine to what the reader dismissed, clipped at 0
    "exemplar",  # weighted mean cosine to the nearest documents the reader used
    "exemplar_max",  # weighted cosine to the single nearest one
    "space",  # share of the reader's history in the candidate's space
    "freshness",  # exp(-age / FRESH_DAYS)
    "popularity",  # log(1 + distinct recent readers)
    # How other readers responded when the feed showed them the candidate,
    # before now: log(1 + distinct readers who opened it from the feed) and
    # log(1 + distinct readers it was shown to). Together a click rate in
    # log space, with no prior to tune.
    "feed_clicks",
    "feed_shown",
)

DEFAULT_RANKER_PATH = Path(__file__).with_name("ranker_default.json")

# Standardized features are clipped to this many standard deviations, so a
# feature that barely varied in training cannot dominate a score once it
# varies in production.
CLIP_STDS = 4.0
# A feature with less spread than this in training is left out of a fit:
# nothing about it was learned.
MIN_FEATURE_STD = 1e-3


def candidates_features(
    *,
    vectors: np.ndarray,
    interest: InterestVectors | None,
    age_days: np.ndarray,
    readers: np.ndarray,
    space_ids: np.ndarray | None,
    fresh_days: float,
    exemplar_k: int,
    shown: np.ndarray | None = None,
    clicked: np.ndarray | None = None,
) -> np.ndarray:
    """Return the ``(n, len(FEATURES))`` feature matrix of ``n`` candidates.

    ``vectors`` are unit rows (zero rows for documents not embedded yet);
    similarity features are 0 for a reader with no interests. ``shown`` and
    ``clicked`` count other readers' feed impressions and clicks (0 if None).
    """
    n = len(vectors)
    out = np.zeros((n, len(FEATURES)), dtype=np.float32)
    column = {name: i for i, name in enumerate(FEATURES)}
    if interest is not None and not interest.is_empty and n:
        if interest.long_term is not None:
            out[:, column["long_term"]] = vectors @ interest.long_term
        if interest.centroids:
            out[:, column["centroid"]] = np.max(
                vectors @ np.stack(interest.centroids).T, axis=1
            )
        else:
            out[:, column["centroid"]] = out[:, column["long_term"]]
        if interest.short_term is not None:
            out[:, column["short_term"]] = vectors @ interest.short_term
        if interest.exemplars is not None and len(interest.exemplars):
            mean, best = nearest_exemplars(
                vectors,
                interest.exemplars,
                weights=interest.exemplar_weights,
                k=exemplar_k,
            )
            out[:, column["exemplar"]] = mean
            out[:, column["exemplar_max"]] = best
        if space_ids is not None and interest.space_shares:
            out[:, column["space"]] = [
                interest.space_shares.get(int(space), 0.0) for space in space_ids
            ]
    if interest is not None and interest.negative is not None and n:
        out[:, column["negative"]] = np.clip(vectors @ interest.negative, 0, None)
    out[:, column["freshness"]] = np.exp(
        -np.asarray(age_days, dtype=np.float32) / max(fresh_days, 1e-6)
    )
    out[:, column["popularity"]] = np.log1p(np.asarray(readers, dtype=np.float32))
    if clicked is not None:
        out[:, column["feed_clicks"]] = np.log1p(np.asarray(clicked, dtype=np.float32))
    if shown is not None:
        out[:, column["feed_shown"]] = np.log1p(np.asarray(shown, dtype=np.float32))
    return out


def nearest_exemplars(
    vectors: np.ndarray,
    exemplars: np.ndarray,
    *,
    weights: Sequence[float] | None,
    k: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Return each candidate's mean over its ``k`` nearest exemplars, and its best one.

    Each exemplar's cosine is scaled by its event weight relative to the
    reader's heaviest document, so a glance pulls less than a like.
    """
    similarities = vectors @ exemplars.T
    if weights is not None and len(weights) == exemplars.shape[0]:
        similarities = similarities * np.asarray(weights, dtype=np.float32)[None, :]
    k = max(1, min(k, similarities.shape[1]))
    nearest = np.partition(similarities, similarities.shape[1] - k, axis=1)[:, -k:]
    return (
        nearest.mean(axis=1).astype(np.float32),
        nearest.max(axis=1).astype(np.float32),
    )


@dataclass(frozen=True)
class LinearRanker:
    """``score = coef · (x - mean) / scale + intercept`` over named features."""

    version: str
    features: tuple[str, ...]
    coef: np.ndarray
    intercept: float = 0.0
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None

    def _standardized(self, matrix: np.ndarray) -> np.ndarray:
        columns = [FEATURES.index(name) for name in self.features]
        x = np.asarray(matrix, dtype=np.float64).reshape(-1, len(FEATURES))[:, columns]
        if self.mean is not None:
            x = x - self.mean
        if self.scale is not None:
            x = np.clip(x / self.scale, -CLIP_STDS, CLIP_STDS)
        return x

    def score(self, matrix: np.ndarray) -> np.ndarray:
        """Score rows of a ``candidates_features`` matrix (columns in ``FEATURES``)."""
        return (self._standardized(matrix) @ self.coef + self.intercept).astype(
            np.float32
        )

    def contributions(self, matrix: np.ndarray) -> dict[str, np.ndarray]:
        """Each feature's share of each row's score (what a reason is chosen from)."""
        parts = self._standardized(matrix) * self.coef
        return {
            name: parts[:, i].astype(np.float32) for i, name in enumerate(self.features)
        }

    def to_dict(self) -> dict:
        return {
            "version": self.version,
            "features": list(self.features),
            "coef": [round(float(v), 6) for v in self.coef],
            "intercept": round(float(self.intercept), 6),
            "mean": None if self.mean is None else [float(v) for v in self.mean],
            "scale": None if self.scale is None else [float(v) for v in self.scale],
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> LinearRanker:
        unknown = set(data["features"]) - set(FEATURES)
        if unknown:
            raise ValueError(f"Unknown ranker features: {sorted(unknown)}")

        def array(key):
            value = data.get(key)
            return None if value is None else np.asarray(value, dtype=np.float64)

        return cls(
            version=str(data["version"]),
            features=tuple(data["features"]),
            coef=np.asarray(data["coef"], dtype=np.float64),
            intercept=float(data.get("intercept", 0.0)),
            mean=array("mean"),
            scale=array("scale"),
        )


def ranker_from_weights(weights: Mapping[str, float], *, version: str) -> LinearRanker:
    """A hand-weighted ranker (``INTERESTS_FEED["WEIGHTS"]``); unnamed features weigh 0."""
    names = tuple(name for name in FEATURES if name in weights)
    coef = np.array([float(weights[name]) for name in names], dtype=np.float64)
    # The negative term is a penalty: a positive weight lowers the score.
    if "negative" in names:
        coef[names.index("negative")] *= -1
    return LinearRanker(version=version, features=names, coef=coef)


# The parsed default file, keyed by its modification time and size.
_default_cache: dict[Path, tuple[tuple[int, int], LinearRanker]] = {}


def ranker_default() -> LinearRanker | None:
    """The ranker shipped with the code (fitted on MIND, see README), or None."""
    try:
        stat = DEFAULT_RANKER_PATH.stat()
    except FileNotFoundError:
        return None
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _default_cache.get(DEFAULT_RANKER_PATH)
    if cached is None or cached[0] != key:
        ranker = LinearRanker.from_dict(json.loads(DEFAULT_RANKER_PATH.read_text()))
        cached = _default_cache[DEFAULT_RANKER_PATH] = (key, ranker)
    return cached[1]


@dataclass(frozen=True)
class Slate:
    """One page of logged candidates: features, clicks and when it was shown."""

    features: np.ndarray
    labels: np.ndarray
    order_key: float


def slates_split(
    slates: Sequence[Slate], *, validation_share: float
) -> tuple[list[Slate], list[Slate]]:
    """Split by time: the newest ``validation_share`` of slates validate."""
    ordered = sorted(slates, key=lambda slate: slate.order_key)
    cut = round(len(ordered) * (1 - validation_share))
    return ordered[:cut], ordered[cut:]


def slates_evaluate(ranker: LinearRanker, slates: Sequence[Slate]) -> dict[str, float]:
    """Mean AUC, MRR and nDCG@5/10 over slates with both clicks and skips."""
    rows = [
        impression_metrics(ranker.score(slate.features), slate.labels)
        for slate in slates
        if 0 < slate.labels.sum() < len(slate.labels)
    ]
    return {**metrics_mean(rows), "slates": len(rows)}


def ranker_fit(
    train: Sequence[Slate],
    *,
    algorithm: str = "logistic",
    c: float = 1.0,
    features: Sequence[str] = FEATURES,
) -> LinearRanker:
    """Fit a ranker on slates; ``logistic``: standardized L2 logistic regression.

    Only slates with both a click and a skip teach the ranking anything.
    ``features`` (default: all) limits what it may use; features that did
    not vary in training are left out.
    """
    from sklearn.linear_model import LogisticRegression

    useful = [s for s in train if 0 < s.labels.sum() < len(s.labels)]
    if not useful:
        raise ValueError("No slate has both a click and a skip to learn from.")
    if algorithm != "logistic":
        raise ValueError(f"Unknown algorithm '{algorithm}'.")
    x = np.concatenate([s.features for s in useful]).astype(np.float64)
    y = np.concatenate([s.labels for s in useful]).astype(np.int32)
    spread = x.std(axis=0)
    names = tuple(
        name
        for name in FEATURES
        if name in features and spread[FEATURES.index(name)] >= MIN_FEATURE_STD
    )
    if not names:
        raise ValueError("No feature varies in the training slates.")
    x = x[:, [FEATURES.index(name) for name in names]]
    mean, scale = x.mean(axis=0), x.std(axis=0)
    model = LogisticRegression(C=c, max_iter=1000)
    model.fit((x - mean) / scale, y)
    coef = model.coef_[0]
    digest = hashlib.sha256(
        np.concatenate([coef, model.intercept_]).round(6).tobytes()
    ).hexdigest()[:8]
    return LinearRanker(
        version=f"logistic-{digest}",
        features=names,
        coef=coef,
        intercept=float(model.intercept_[0]),
        mean=mean,
        scale=scale,
    )
