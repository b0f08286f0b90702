"""Statistics for honest summary evaluation: per-document ROUGE, splits, bootstrap.

- ``ScriptAwareTokenizer`` gives ``rouge-score`` tokens for every script. Its
  default tokenizer keeps only ``[a-z0-9]``, so Chinese, Japanese and Korean
  text scores 0 whatever the summary says. Here each CJK character is a
  token (the usual protocol for Chinese ROUGE), ASCII words are tokenized and
  stemmed exactly as ``rouge-score`` does (English scores do not move), and
  words of other scripts are kept whole.
- ``record_split`` assigns a record to half ``a`` or ``b`` by a hash of its
  id: stable across runs, machines and file orders, so a configuration can be
  chosen on ``a`` and reported on ``b``.
- ``paired_bootstrap`` gives the confidence interval of the mean per-document
  difference between two systems scored on the same documents.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

ROUGE_TYPES = ("rouge1", "rouge2", "rougeLsum")
SPLITS = ("a", "b", "all")
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 20261130
CONFIDENCE = 0.95

# Han (with extensions and compatibility ideographs), kana, half-width kana and
# Hangul (syllables and jamo).
_CJK_RANGES = (
    "\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f"
)
_TOKEN = re.compile(f"([{_CJK_RANGES}])|((?:(?![{_CJK_RANGES}])[^\\W_])+)")
_ASCII_WORD = re.compile(r"[a-z0-9]+")


class RougeTokenizer(Protocol):
    """What ``rouge_score.rouge_scorer.RougeScorer(tokenizer=...)`` calls."""

    def tokenize(self, text: str) -> list[str]: ...


class ScriptAwareTokenizer:
    """Tokenize for ROUGE: CJK characters one by one, other words whole.

    ASCII text gets the tokens of ``rouge-score``'s own tokenizer (lower case,
    split at anything but ``[a-z0-9]``, Porter stemming of words over three
    letters when ``stem``).
    """

    name = "script-aware"

    def __init__(self, *, stem: bool = True) -> None:
        from nltk.stem import porter

        self._stemmer = porter.PorterStemmer() if stem else None

    def tokenize(self, text: str) -> list[str]:
        tokens: list[str] = []
        for match in _TOKEN.finditer(text.lower()):
            if match.group(1):
                tokens.append(match.group(1))
                continue
            word = match.group(2)
            if not word.isascii():
                tokens.append(word)
                continue
            # "don't" and "covid-19" split as rouge-score splits them.
            for piece in _ASCII_WORD.findall(word):
                if self._stemmer is not None and len(piece) > 3:
                    piece = self._stemmer.stem(piece)
                tokens.append(piece)
        return tokens


class UnscorableTextError(ValueError):
    """A non-empty reference yields no ROUGE tokens: its score would be a silent 0."""


def rouge_per_document(
    *,
    predictions: Sequence[str],
    references: Sequence[Sequence[str]],
    tokenizer: RougeTokenizer | None = None,
    sentence_split: Any = None,
) -> dict[str, np.ndarray]:
    """Return ROUGE-1/2/Lsum F1 x 100 of each prediction, ``{type: (n,) array}``.

    ``references[i]`` holds the reference(s) of ``predictions[i]``; each metric
    takes the best reference. ``sentence_split(text) -> list[str]`` puts one
    sentence per line for ROUGE-Lsum. Raise ``UnscorableTextError`` when a
    reference has text but no tokens (a script the tokenizer drops).
    """
    try:
        from rouge_score import rouge_scorer
    except ImportError as exc:
        raise ImportError(
            "Evaluating summaries needs the rouge-score package: pip install rouge-score"
        ) from exc
    tokenizer = tokenizer or ScriptAwareTokenizer()
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), tokenizer=tokenizer)

    def lines(text: str) -> str:
        return "\n".join(sentence_split(text)) if sentence_split else text

    scores = {rouge_type: np.zeros(len(predictions)) for rouge_type in ROUGE_TYPES}
    for i, (prediction, targets) in enumerate(
        zip(predictions, references, strict=True)
    ):
        for target in targets:
            if target.strip() and not tokenizer.tokenize(target):
                raise UnscorableTextError(
                    f"reference {i} has text but no ROUGE tokens ({target[:40]!r}); "
                    "its script needs a tokenizer that keeps it"
                )
        result = scorer.score_multi(
            [lines(target) for target in targets], lines(prediction)
        )
        for rouge_type in ROUGE_TYPES:
            scores[rouge_type][i] = 100 * result[rouge_type].fmeasure
    return scores


def record_split(record_id: str) -> Literal["a", "b"]:
    """Return the half (``a`` or ``b``) a record belongs to, by a hash of its id."""
    digest = hashlib.sha256(str(record_id).encode("utf-8")).digest()
    return "a" if digest[0] % 2 == 0 else "b"


def records_split(
    records: Sequence[Mapping[str, Any]], *, split: str
) -> list[Mapping[str, Any]]:
    """Return the records of one half (``a``/``b``), or all of them, in file order.

    A record without ``id`` is keyed by its position in the file.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; use one of {SPLITS}")
    if split == "all":
        return list(records)
    return [
        record
        for position, record in enumerate(records)
        if record_split(str(record.get("id", position))) == split
    ]


@dataclass(frozen=True)
class Interval:
    """A mean difference and its bootstrap confidence interval."""

    mean: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {
            "mean": round(self.mean, 2),
            "low": round(self.low, 2),
            "high": round(self.high, 2),
        }


def paired_bootstrap(
    differences: Mapping[str, np.ndarray],
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    confidence: float = CONFIDENCE,
) -> dict[str, Interval]:
    """Return the percentile bootstrap interval of each metric's mean difference.

    ``differences[metric]`` holds per-document differences (system minus
    baseline), all of the same length ``n``. Each resample draws ``n``
    documents with replacement, the same documents for every metric, so the
    intervals are paired across metrics as well as systems.
    """
    lengths = {len(values) for values in differences.values()}
    if len(lengths) != 1:
        raise ValueError("every metric needs one difference per document")
    (count,) = lengths
    if count == 0:
        return {name: Interval(0.0, 0.0, 0.0) for name in differences}
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, count, size=(resamples, count))
    tail = 100 * (1 - confidence) / 2
    intervals = {}
    for name, values in differences.items():
        values = np.asarray(values, dtype=float)
        means = values[draws].mean(axis=1)
        low, high = np.percentile(means, [tail, 100 - tail])
        intervals[name] = Interval(float(values.mean()), float(low), float(high))
    return intervals
