"""A learned sentence scorer for the extractive summarizer: general features, linear weights.

Which sentence of a document belongs in its summary depends on the genre:
the opening in news, the turn that states the problem in a dialogue, a
section's first sentence in a handbook. A hand-set blend of position and
centrality tuned on one genre loses on another. Here the blend is learned:
logistic regression over features that mean the same in every genre,

- place: the position prior 1/sqrt(1 + position in section), first of its
  section, first of the document, relative place in the document;
- content: cosine to the document's centroid and to its section's, directed
  centrality (PacSum), LexRank and TF-IDF centrality (each scaled 0-1 within
  the document), similarity to the document's first unit;
- form: length (log words), a short unit, a number, a question, a dialogue
  turn (and its position prior: an opening turn is often a greeting), a
  list item;

trained on the greedy ROUGE-oracle labels of reference summaries
(``bench/summaries_scorer.py``, split ``a`` only). The summarizer applies it
to documents with sections, so the shipped weights are fitted on the
knowledge-base set, the sectioned documents with references; news and
dialogue keep the position prior (see docs/summaries-evaluation.md). The
weights ship as JSON (``scorer_default.json``): the summarizer needs numpy only.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from summaries.structure import Unit

DEFAULT_SCORER_PATH = Path(__file__).with_name("scorer_default.json")
# The weights file in the folder of a trained scorer (summaries.training.scorer).
SCORER_FILE = "scorer.json"

FEATURES = (
    "prior",
    "first_of_section",
    "first_of_document",
    "relative_place",
    "centroid",
    "section_centroid",
    "directed",
    "lexrank",
    "tfidf",
    "like_first",
    "log_words",
    "short",
    "number",
    "question",
    "turn",
    "list_item",
    "turn_prior",
)

_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_WORD = re.compile(r"[^\W_]+")
_DIGIT = re.compile(r"\d")
# Characters of Chinese, Japanese or Korean that say about one English word.
_CJK_CHARS_PER_WORD = 1.6
_SHORT_WORDS = 6


@dataclass(frozen=True)
class SentenceScorer:
    """Standardized features times ``weights`` plus ``bias``: a unit's log-odds."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    version: str = ""
    # Where the summarizer applies it: "sectioned" documents (two or more
    # headed sections) or "all" (summaries.training.scorer.SCOPES).
    scope: str = "sectioned"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SentenceScorer:
        features = tuple(data["features"])
        unknown = set(features) - set(FEATURES)
        if unknown:
            raise ValueError(f"SentenceScorer: unknown features {sorted(unknown)}")
        return cls(
            features=features,
            mean=np.asarray(data["mean"], dtype=float),
            scale=np.asarray(data["scale"], dtype=float),
            weights=np.asarray(data["coef"], dtype=float),
            bias=float(data["intercept"]),
            version=str(data.get("version", "")),
            scope=str(data.get("scope", "sectioned")),
        )

    @classmethod
    def load(cls, path: Path | str = DEFAULT_SCORER_PATH) -> SentenceScorer:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def score(self, table: np.ndarray) -> np.ndarray:
        """Return the log-odds ``(n,)`` of units whose ``FEATURES`` table is ``(n, len(FEATURES))``."""
        columns = [FEATURES.index(name) for name in self.features]
        values = (table[:, columns] - self.mean) / np.where(
            self.scale > 0, self.scale, 1
        )
        return values @ self.weights + self.bias


def unit_features(
    units: Sequence[Unit],
    *,
    sections: np.ndarray,
    positions: np.ndarray,
    vectors: np.ndarray,
    similarity: np.ndarray,
    directed: np.ndarray,
    lexrank: np.ndarray,
) -> np.ndarray:
    """Return the ``FEATURES`` table ``(n, len(FEATURES))`` of one document's units.

    ``vectors`` are the units' embeddings ``(n, d)`` (rows of norm 1),
    ``similarity`` their cosine matrix, ``directed`` and ``lexrank`` their
    centrality scores ``(n,)``.
    """
    count = len(units)
    table = np.zeros((count, len(FEATURES)))
    if not count:
        return table
    column = {name: i for i, name in enumerate(FEATURES)}
    table[:, column["prior"]] = 1 / np.sqrt(1 + positions)
    table[:, column["first_of_section"]] = positions == 0
    table[0, column["first_of_document"]] = 1
    table[:, column["relative_place"]] = np.arange(count) / max(1, count - 1)
    table[:, column["centroid"]] = _min_max(_to_centroid(vectors, vectors))
    for section in np.unique(sections):
        rows = sections == section
        table[rows, column["section_centroid"]] = _min_max(
            _to_centroid(vectors[rows], vectors[rows])
        )
    table[:, column["directed"]] = _min_max(directed)
    table[:, column["lexrank"]] = _min_max(lexrank)
    table[:, column["tfidf"]] = _min_max(_tfidf_centrality([u.text for u in units]))
    table[:, column["like_first"]] = similarity[0]
    words = np.array([_words(unit.text) for unit in units], dtype=float)
    table[:, column["log_words"]] = np.log1p(words)
    table[:, column["short"]] = words < _SHORT_WORDS
    table[:, column["number"]] = [bool(_DIGIT.search(u.text)) for u in units]
    table[:, column["question"]] = [
        u.text.rstrip("\"'”’) ").endswith(("?", "？")) for u in units
    ]
    table[:, column["turn"]] = [unit.is_turn for unit in units]
    table[:, column["list_item"]] = [unit.is_list_item for unit in units]
    # In a dialogue the opening turn is often a greeting: position may weigh
    # differently there, which a linear model learns only from this product.
    table[:, column["turn_prior"]] = (
        table[:, column["turn"]] * table[:, column["prior"]]
    )
    return table


def _words(text: str) -> float:
    cjk = len(_CJK.findall(text))
    return cjk / _CJK_CHARS_PER_WORD + len(_WORD.findall(_CJK.sub(" ", text)))


def _tokens(text: str) -> list[str]:
    """Lower-case words, and character bigrams of CJK runs (they have no spaces)."""
    tokens = [w for w in _WORD.findall(_CJK.sub(" ", text.lower())) if len(w) > 2]
    chars = _CJK.findall(text)
    tokens += [a + b for a, b in pairwise(chars)]
    return tokens


def _tfidf_centrality(texts: Sequence[str]) -> np.ndarray:
    """Return each text's TF-IDF cosine to the whole document (IDF over its units)."""
    counts = [Counter(_tokens(text)) for text in texts]
    frequency = Counter(token for count in counts for token in count)
    total = len(texts)
    idf = {
        token: math.log((1 + total) / (1 + df)) + 1 for token, df in frequency.items()
    }
    document = Counter()
    for count in counts:
        document.update(count)
    doc_norm = math.sqrt(sum((n * idf[t]) ** 2 for t, n in document.items())) or 1.0
    scores = np.zeros(total)
    for row, count in enumerate(counts):
        norm = math.sqrt(sum((n * idf[t]) ** 2 for t, n in count.items()))
        if norm:
            dot = sum(n * document[t] * idf[t] ** 2 for t, n in count.items())
            scores[row] = dot / (norm * doc_norm)
    return scores


def _to_centroid(vectors: np.ndarray, pool: np.ndarray) -> np.ndarray:
    centroid = pool.mean(axis=0)
    norm = float(np.linalg.norm(centroid))
    if norm < 1e-12:
        return np.zeros(len(vectors))
    return vectors @ (centroid / norm)


def _min_max(scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(scores, dtype=float)
    if not len(scores):
        return scores
    low, high = float(scores.min()), float(scores.max())
    if high - low < 1e-12:
        return np.ones_like(scores)
    return (scores - low) / (high - low)
