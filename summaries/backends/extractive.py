"""Extractive summaries: a document's most central sentences, picked against redundancy.

For a batch of texts:

1. Split each text into units (``summaries.text.sentences_split``): sentences,
   list items, dialogue turns. Headings are never picked; they cut the text
   into sections.
2. Embed the units of every text of the batch in one ``embed_batch`` call, so
   the embedder batches (sorted by length) across documents. At most
   ``max_sentences`` units per text are embedded: a longer text is sampled
   evenly from start to end, so a 20-page PDF's summary can draw on its last
   pages as well as its first.
3. Score each unit (``method``):

   - ``directed`` (default): directed centrality (PacSum, Zheng & Lapata
     2019). A unit scores by its similarity to the units after it, plus
     ``backward_weight`` (negative) times its similarity to the units before
     it: sentences that introduce what follows win over ones that repeat
     what came before. This is the lead bias of news and dialogue, learnt
     from the text instead of assumed. Similarities below
     ``edge_threshold`` of the way from the document's lowest to its highest
     count zero, and units only link within their section, so a long
     document with headings is scored section by section and its summary
     draws from sections across the whole document. A long text without
     headings is cut into sections at paragraph starts (``section_units``),
     so a 20-page report is summarized from all of its pages.
   - ``centroid``: cosine similarity to the mean of the document's units.
   - ``textrank``: LexRank, PageRank by power iteration on the graph of
     positive cosine similarities.
   - ``combined``: the mean of ``centroid`` and ``textrank`` (each scaled to
     0-1).

   ``position_weight`` optionally blends in a prior of 1/sqrt(1 + position
   in the section).
4. Pick units by maximal marginal relevance (``mmr_lambda`` relevance
   against ``1 - mmr_lambda`` similarity to what is already picked; near
   duplicates are never picked twice) until the summary reaches
   ``length_ratio`` of the document's length, never past the budget
   (``length_ratio=0`` fills the budget). A short document thus gets a short
   summary, and a long one fills the budget.
5. Join the picked units in document order.

``tokens_in`` counts the embedder's tokens of the units embedded and
``tokens_out`` those of the summary. ``seconds`` is the batch's time, shared
between its texts in proportion to ``tokens_in``.

The default configuration was chosen with ``manage.py evaluate_summarizer``
on news (XSum) and dialogue (DialogSum) dev sets: one configuration for both,
beating LEAD-1 and LEAD-2 on ROUGE-1 and ROUGE-Lsum.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from summaries.text import (
    Sentence,
    sentences_join,
    sentences_split,
    text_word_count,
    truncate_to_budget,
)

from .base import BaseSummarizer, SummaryBudget, SummaryResult

if TYPE_CHECKING:
    from docsite.ml.embedders.base import BaseEmbedder

METHODS = ("directed", "centroid", "textrank", "combined")

# Units this similar to one already picked say the same thing; picking both
# only wastes the budget, whatever mmr_lambda says.
NEAR_DUPLICATE_SIMILARITY = 0.95
TEXTRANK_DAMPING = 0.85
TEXTRANK_TOLERANCE = 1e-6
TEXTRANK_MAX_ITERATIONS = 100


@dataclass(frozen=True)
class _DocumentPlan:
    """What one text contributes to the batch before embedding.

    ``units`` are the units to embed (the candidates' pool), ``sections``
    (shape ``(n,)``) the section of each, ``sizes`` (``(n,)``) their length
    in budget units, ``eligible`` (``(n,)`` bool) those long enough to be
    picked, and ``target`` the summary length to reach.
    """

    units: list[Sentence]
    sections: np.ndarray
    sizes: np.ndarray
    eligible: np.ndarray
    target: float


class ExtractiveSummarizer(BaseSummarizer):
    """Pick a document's central sentences with the shared sentence embedder.

    Options (see the module docstring for what each does):
    ``embedder`` (an embedder instance, required; settings name an alias of
    ``DOCSITE_EMBEDDERS`` and the registry resolves it), ``method``
    ("directed"), ``length_ratio`` (0.2), ``mmr_lambda`` (0.7),
    ``position_weight`` (0.0), ``backward_weight`` (-2.0), ``edge_threshold``
    (0.1), ``min_sentence_words`` (3: shorter units are not picked unless
    nothing else is there), ``max_sentences`` (200 units embedded per
    text) and ``section_units`` (40: a longer text without headings is cut
    into sections of about this many units at paragraph starts).
    """

    name = "extractive"
    version = "1"

    def __init__(
        self,
        *,
        embedder: BaseEmbedder | None = None,
        method: str = "directed",
        length_ratio: float = 0.2,
        mmr_lambda: float = 0.7,
        position_weight: float = 0.0,
        backward_weight: float = -2.0,
        edge_threshold: float = 0.1,
        min_sentence_words: int = 3,
        max_sentences: int = 200,
        section_units: int = 40,
    ) -> None:
        if embedder is None or not hasattr(embedder, "embed_batch"):
            raise ValueError(
                "ExtractiveSummarizer needs an embedder instance; in settings give "
                "OPTIONS={'embedder': '<alias of DOCSITE_EMBEDDERS>'}."
            )
        if method not in METHODS:
            raise ValueError(
                f"ExtractiveSummarizer: unknown method {method!r}; use one of {METHODS}."
            )
        _check_range("length_ratio", length_ratio, low=0.0, high=1.0)
        _check_range("mmr_lambda", mmr_lambda, low=0.0, high=1.0)
        _check_range("position_weight", position_weight, low=0.0, high=1.0)
        _check_range("edge_threshold", edge_threshold, low=0.0, high=1.0)
        if max_sentences < 1 or min_sentence_words < 0:
            raise ValueError(
                "ExtractiveSummarizer: max_sentences must be >= 1 and "
                "min_sentence_words >= 0."
            )
        super().__init__(
            embedder=embedder,
            method=method,
            length_ratio=length_ratio,
            mmr_lambda=mmr_lambda,
            position_weight=position_weight,
            backward_weight=backward_weight,
            edge_threshold=edge_threshold,
            min_sentence_words=min_sentence_words,
            max_sentences=max_sentences,
            section_units=section_units,
        )
        self.embedder = embedder
        self.section_units = max(1, int(section_units))
        self.method = method
        self.length_ratio = float(length_ratio)
        self.mmr_lambda = float(mmr_lambda)
        self.position_weight = float(position_weight)
        self.backward_weight = float(backward_weight)
        self.edge_threshold = float(edge_threshold)
        self.min_sentence_words = int(min_sentence_words)
        self.max_sentences = int(max_sentences)

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "model": self.model_id,
            "method": self.method,
            "embedder": self.embedder.describe(),
        }

    def summarize_batch(
        self,
        texts: Sequence[str],
        *,
        budget: SummaryBudget,
        language: str | None = None,
    ) -> list[SummaryResult]:
        """Return one summary per text, in order, each within ``budget``.

        All units of the batch go through one ``embed_batch`` call.
        """
        if not texts:
            return []
        started = time.perf_counter()
        plans = [self._plan(text, budget=budget, language=language) for text in texts]
        flat_texts = [unit.text for plan in plans for unit in plan.units]
        if flat_texts:
            vectors = self.embedder.embed_batch(flat_texts)
            flat_tokens = self.embedder.count_tokens(flat_texts)
        else:
            vectors, flat_tokens = np.zeros((0, 0), dtype=np.float32), []

        summaries: list[str] = []
        tokens_in: list[int] = []
        offset = 0
        for plan in plans:
            end = offset + len(plan.units)
            summaries.append(
                self._summarize(plan, vectors=vectors[offset:end], budget=budget)
            )
            tokens_in.append(int(sum(flat_tokens[offset:end])))
            offset = end
        if any(summaries):
            tokens_out = self.embedder.count_tokens(summaries)
        else:
            tokens_out = [0] * len(summaries)

        elapsed = time.perf_counter() - started
        total_tokens = sum(tokens_in)
        shares = (
            [count / total_tokens for count in tokens_in]
            if total_tokens
            else [1 / len(texts)] * len(texts)
        )
        return [
            SummaryResult(
                text=summary,
                tokens_in=count_in,
                tokens_out=int(count_out),
                seconds=elapsed * share,
            )
            for summary, count_in, count_out, share in zip(
                summaries, tokens_in, tokens_out, shares, strict=True
            )
        ]

    def _plan(
        self, text: str, *, budget: SummaryBudget, language: str | None
    ) -> _DocumentPlan:
        """Split ``text`` and choose the units to embed (evenly sampled past the cap)."""
        units = sentences_split(text, language=language)
        section_of: dict[int, int] = {}
        section = 0
        for unit in units:
            if unit.is_heading:
                section += 1
            section_of[unit.index] = section
        body = [unit for unit in units if not unit.is_heading]
        if not body:
            # Only headings (a title, a table of contents): better than nothing.
            body = units
        if section == 0 and len(body) > self.section_units:
            section_of.update(_sections_by_paragraphs(body, size=self.section_units))
        if len(body) > self.max_sentences:
            kept = np.unique(
                np.linspace(0, len(body) - 1, self.max_sentences).round().astype(int)
            )
            body = [body[i] for i in kept]

        if budget.unit == "chars":
            sizes = np.array([len(unit.text) + 1 for unit in body], dtype=float)
            document_size = len(text)
        else:
            sizes = np.array([text_word_count(unit.text) for unit in body], dtype=float)
            document_size = text_word_count(text)
        eligible = np.array(
            [text_word_count(unit.text) >= self.min_sentence_words for unit in body],
            dtype=bool,
        )
        if not eligible.any():
            eligible[:] = True
        target = float(budget.size)
        if self.length_ratio:
            target = min(target, self.length_ratio * document_size)
        return _DocumentPlan(
            units=body,
            sections=np.array([section_of[unit.index] for unit in body], dtype=int),
            sizes=sizes,
            eligible=eligible,
            target=target,
        )

    def _summarize(
        self, plan: _DocumentPlan, *, vectors: np.ndarray, budget: SummaryBudget
    ) -> str:
        """Return the summary of one planned text; ``vectors`` is ``(n_units, dim)``."""
        if not plan.units or budget.size <= 0:
            return ""
        similarity = vectors @ vectors.T
        relevance = self._relevance(
            vectors, similarity=similarity, sections=plan.sections
        )
        picked = _mmr_select(
            relevance=relevance,
            similarity=similarity,
            sizes=plan.sizes,
            eligible=plan.eligible,
            target=plan.target,
            limit=budget.size,
            mmr_lambda=self.mmr_lambda,
        )
        if not picked:
            # Not even one unit fits: cut the best one.
            best = int(np.argmax(np.where(plan.eligible, relevance, -np.inf)))
            return truncate_to_budget(plan.units[best].text, budget)
        chosen = [plan.units[i] for i in sorted(picked)]
        # Separators can add a character or two to a character budget.
        return truncate_to_budget(sentences_join(chosen), budget)

    def _relevance(
        self, vectors: np.ndarray, *, similarity: np.ndarray, sections: np.ndarray
    ) -> np.ndarray:
        """Return each unit's relevance, shape ``(n,)``, scaled to 0-1."""
        if self.method == "centroid":
            scores = _min_max(_centroid_scores(vectors))
        elif self.method == "textrank":
            scores = _min_max(_textrank_scores(similarity))
        elif self.method == "combined":
            scores = (
                _min_max(_centroid_scores(vectors))
                + _min_max(_textrank_scores(similarity))
            ) / 2
        else:
            scores = _min_max(
                _directed_scores(
                    similarity,
                    sections=sections,
                    edge_threshold=self.edge_threshold,
                    backward_weight=self.backward_weight,
                )
            )
        if self.position_weight:
            prior = 1 / np.sqrt(1 + _position_in_section(sections))
            scores = (1 - self.position_weight) * scores + self.position_weight * prior
        return scores


def _sections_by_paragraphs(units: list, *, size: int) -> dict[int, int]:
    """Cut a long text without headings into sections of about ``size`` units.

    Each cut falls on the next paragraph start (a PDF page, say), so the
    sections are the text's own parts. Scored section by section, a long
    report's summary draws from all of it instead of only its opening,
    which "directed" scoring favours within a section.
    """
    sections: dict[int, int] = {}
    section, in_section, previous_paragraph = 0, 0, None
    for unit in units:
        starts_paragraph = unit.paragraph != previous_paragraph
        if (in_section >= size and starts_paragraph) or in_section >= 2 * size:
            section, in_section = section + 1, 0
        sections[unit.index] = section
        in_section += 1
        previous_paragraph = unit.paragraph
    return sections


def _check_range(option: str, value: float, *, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ValueError(
            f"ExtractiveSummarizer: {option} must be within [{low}, {high}]."
        )


def _min_max(scores: np.ndarray) -> np.ndarray:
    low, high = float(scores.min()), float(scores.max())
    if high - low < 1e-12:
        return np.ones_like(scores, dtype=float)
    return (scores - low) / (high - low)


def _centroid_scores(vectors: np.ndarray) -> np.ndarray:
    """Return the cosine similarity of each row of ``vectors`` ``(n, d)`` to their mean."""
    centroid = vectors.mean(axis=0)
    norm = float(np.linalg.norm(centroid))
    if norm < 1e-12:
        return np.zeros(len(vectors))
    return vectors @ (centroid / norm)


def _textrank_scores(similarity: np.ndarray) -> np.ndarray:
    """Return LexRank scores ``(n,)`` for the cosine-similarity matrix ``(n, n)``."""
    count = len(similarity)
    weights = np.clip(similarity, 0.0, None).astype(float)
    np.fill_diagonal(weights, 0.0)
    row_sums = weights.sum(axis=1, keepdims=True)
    # A unit like no other jumps anywhere, as PageRank's dangling nodes do.
    transition = np.where(
        row_sums > 0, weights / np.maximum(row_sums, 1e-12), 1.0 / count
    )
    rank = np.full(count, 1.0 / count)
    for _ in range(TEXTRANK_MAX_ITERATIONS):
        updated = (1 - TEXTRANK_DAMPING) / count + TEXTRANK_DAMPING * (
            transition.T @ rank
        )
        converged = np.abs(updated - rank).sum() < TEXTRANK_TOLERANCE
        rank = updated
        if converged:
            break
    return rank


def _directed_scores(
    similarity: np.ndarray,
    *,
    sections: np.ndarray,
    edge_threshold: float,
    backward_weight: float,
) -> np.ndarray:
    """Return directed centrality ``(n,)``: links to later units plus weighted links to earlier ones.

    ``similarity`` is ``(n, n)`` and ``sections`` ``(n,)``; only units of one
    section link.
    """
    count = len(similarity)
    if count == 1:
        return np.ones(1)
    off_diagonal = similarity[~np.eye(count, dtype=bool)]
    low, high = float(off_diagonal.min()), float(off_diagonal.max())
    cut = low + edge_threshold * (high - low)
    edges = np.clip(similarity - cut, 0.0, None).astype(float)
    np.fill_diagonal(edges, 0.0)
    edges *= sections[:, None] == sections[None, :]
    forward = np.triu(edges, k=1).sum(axis=1)
    backward = np.tril(edges, k=-1).sum(axis=1)
    return forward + backward_weight * backward


def _position_in_section(sections: np.ndarray) -> np.ndarray:
    """Return each unit's 0-based position within its section, shape ``(n,)``."""
    positions = np.zeros(len(sections), dtype=float)
    for i in range(1, len(sections)):
        positions[i] = positions[i - 1] + 1 if sections[i] == sections[i - 1] else 0
    return positions


def _mmr_select(
    *,
    relevance: np.ndarray,
    similarity: np.ndarray,
    sizes: np.ndarray,
    eligible: np.ndarray,
    target: float,
    limit: float,
    mmr_lambda: float,
) -> list[int]:
    """Return indices picked by maximal marginal relevance, in the order picked.

    Picking stops once the picked sizes reach ``target`` or nothing left fits
    within ``limit``.
    """
    available = eligible.copy()
    closest = np.zeros(len(relevance))
    picked: list[int] = []
    used = 0.0
    while used < target:
        fits = available & (sizes <= limit - used)
        if not fits.any():
            break
        gain = np.where(
            fits, mmr_lambda * relevance - (1 - mmr_lambda) * closest, -np.inf
        )
        best = int(np.argmax(gain))
        picked.append(best)
        used += float(sizes[best])
        available[best] = False
        available &= similarity[best] < NEAR_DUPLICATE_SIMILARITY
        closest = np.maximum(closest, similarity[best])
    return picked
