"""Extractive summaries: a document's most central sentences, picked against redundancy.

For a batch of texts:

1. Read each text into units (``summaries.structure``): from the document's
   blocks when the parser stored them, else from the plain text read the way
   the text parser reads it. Units are sentences, list items and dialogue
   turns; headings only name sections, tables and code give no units.
2. Embed the units of every text of the batch in one ``embed_batch`` call, so
   the embedder batches (sorted by length) across documents. At most
   ``max_sentences`` units per text are embedded: a longer text is sampled
   evenly from start to end, so a 20-page PDF's summary can draw on its last
   pages as well as its first.
3. Score each unit (``method``):

   - ``learned`` (default): a document with two or more headed sections (a
     handbook page, a runbook, a policy) is scored by the learned sentence
     scorer (``summaries.sentence_scorer``: logistic regression over
     position, centrality, length and number features, fitted on split a of
     the knowledge-base set); any other text (news copy, a transcript, plain
     text) as ``directed`` with the position prior below.
   - ``directed``: directed centrality (PacSum, Zheng & Lapata
     2019). A unit scores by its similarity to the units after it, plus
     ``backward_weight`` (negative) times its similarity to the units before
     it: sentences that introduce what follows win over ones that repeat
     what came before. Similarities below ``edge_threshold`` of the way from
     the document's lowest to its highest count zero, and units only link
     within their section, so a long document with headings is scored
     section by section and its summary draws from sections across the
     whole document. A long text without headings is cut into sections at
     paragraph starts (``section_units``).
   - ``centroid``: cosine similarity to the mean of the document's units.
   - ``textrank``: LexRank, PageRank by power iteration on the graph of
     positive cosine similarities.
   - ``combined``: the mean of ``centroid`` and ``textrank`` (each scaled to
     0-1).

   ``position_weight`` blends in a prior of 1/sqrt(1 + position in the
   section): relevance = (1 - w) x centrality + w x prior. Where the opening
   carries the point (news, a paper's abstract, a section's first sentence)
   the prior keeps it; centrality reorders neighbours and passes over an
   opening that says little (a greeting, a quote).
4. Pick units by maximal marginal relevance (``mmr_lambda`` relevance
   against ``1 - mmr_lambda`` similarity to what is already picked, except
   that a unit stating a number the picked one lacks does not repeat it:
   embedders barely see numbers, and "8 weeks" beside "20 weeks" is a fact
   of its own; near
   duplicates are never picked twice) until the summary reaches
   ``length_ratio`` of the document's length, never past the budget
   (``length_ratio=0`` fills the budget). Only whole units are picked, so
   every summary ends a sentence. A sentence that introduces a list ("You
   need:") is picked together with its items or not at all, and an item
   that is no sentence by itself is never picked alone.
5. Join the picked units in document order (``summaries.structure.units_join``).

Chinese, Japanese and Korean text is measured in characters, not words: a
word budget of N allows ``CJK_CHARS_PER_WORD`` x N characters, about the
same content as N English words.

``variant`` (per call) asks for an alternative: variant k leaves out the
opening pick of variants 0..k-1, so an editor who regenerates gets the
next-best selection rather than the same text.

``tokens_in`` counts the embedder's tokens of the units embedded and
``tokens_out`` those of the summary. ``seconds`` is the batch's time, shared
between its texts in proportion to ``tokens_in``.

The default configuration (learned scorer for sectioned documents, else
directed centrality with ``position_weight`` 0.9) was chosen on ``--split a``
of the news (XSum), dialogue (DialogSum) and knowledge-base dev sets
(``bench/summaries_scorer.py``); the figures on the other half
(``--split b``) are in docs/summaries-evaluation.md.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from summaries.sentence_scorer import SentenceScorer, unit_features
from summaries.structure import Unit, units_from_blocks, units_from_text, units_join
from summaries.text import text_word_count

from .base import BaseSummarizer, SummaryBudget, SummaryResult

if TYPE_CHECKING:
    from docsite.ml.embedders.base import BaseEmbedder

METHODS = ("learned", "directed", "centroid", "textrank", "combined")
# Characters of Chinese, Japanese or Korean that say about what one English
# word says (UN parallel texts run 1.5-1.8 characters a word).
CJK_CHARS_PER_WORD = 1.6
_CJK_CHAR = re.compile("[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# A unit this many times the budget is too long to stand in for a summary.
OVERSIZE_FACTOR = 1.5

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
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
    (shape ``(n,)``) the section of each and ``positions`` (``(n,)``) its
    place in the section, ``members[i]`` the units that come with unit ``i``
    when it is picked (itself, and a list's items after its introduction),
    ``sizes`` (``(n,)``) the length of those members in budget units,
    ``eligible`` (``(n,)`` bool) the units that may be picked, ``target``
    the summary length to reach and ``limit`` the most it may reach.
    """

    units: list[Unit]
    sections: np.ndarray
    positions: np.ndarray
    members: list[list[int]]
    sizes: np.ndarray
    eligible: np.ndarray
    target: float
    limit: float
    structured: bool = False


class ExtractiveSummarizer(BaseSummarizer):
    """Pick a document's central sentences with the shared sentence embedder.

    Options (see the module docstring for what each does):
    ``embedder`` (an embedder instance, required; settings name an alias of
    ``DOCSITE_EMBEDDERS`` and the registry resolves it), ``method``
    ("learned"), ``scorer`` (path of the learned scorer's JSON; default
    ``summaries/scorer_default.json``), ``length_ratio`` (0.2), ``mmr_lambda`` (0.7),
    ``position_weight`` (0.9), ``backward_weight`` (-2.0), ``edge_threshold``
    (0.1), ``min_sentence_words`` (3: shorter units are not picked unless
    nothing else is there), ``max_sentences`` (200 units embedded per
    text) and ``section_units`` (40: a longer text without headings is cut
    into sections of about this many units at paragraph starts).
    """

    name = "extractive"
    verbatim = True
    # 2: units from blocks (sentencex), whole units only, position prior.
    # 3: learned scorer for sectioned documents; numbers in redundancy;
    #    glued sentences split.
    version = "3"

    def __init__(
        self,
        *,
        embedder: BaseEmbedder | None = None,
        method: str = "learned",
        scorer: str | None = None,
        length_ratio: float = 0.2,
        mmr_lambda: float = 0.7,
        position_weight: float = 0.9,
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
        # The learned weights are part of what the summarizer is: their
        # version goes into the producer key with the other options.
        self.scorer = None
        if method == "learned":
            self.scorer = (
                SentenceScorer.load(scorer) if scorer else SentenceScorer.load()
            )
        super().__init__(
            embedder=embedder,
            method=method,
            **({"scorer": self.scorer.version} if self.scorer else {}),
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
        blocks: Sequence[Sequence[Any] | None] | None = None,
        variant: int = 0,
    ) -> list[SummaryResult]:
        """Return one summary per text, in order, each within ``budget``.

        ``blocks[i]``, when given and not empty, is the parsed structure of
        ``texts[i]`` (``Document.blocks``). All units of the batch go through
        one ``embed_batch`` call.
        """
        if not texts:
            return []
        started = time.perf_counter()
        structures = list(blocks) if blocks is not None else [None] * len(texts)
        if len(structures) != len(texts):
            raise ValueError("summarize_batch: one blocks entry per text, or none.")
        plans = [
            self._plan(text, blocks=structure, budget=budget, language=language)
            for text, structure in zip(texts, structures, strict=True)
        ]
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
                self._summarize(plan, vectors=vectors[offset:end], variant=variant)
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
        self,
        text: str,
        *,
        blocks: Sequence[Any] | None,
        budget: SummaryBudget,
        language: str | None,
    ) -> _DocumentPlan:
        """Read ``text`` (or its ``blocks``) into units and choose those to embed."""
        if blocks:
            units = units_from_blocks(blocks, language=language)
        else:
            units = units_from_text(text, language=language) if text.strip() else []
        sections = {unit.index: unit.section_index for unit in units}
        positions = {unit.index: unit.position for unit in units}
        if len(set(sections.values())) <= 1 and len(units) > self.section_units:
            sections, positions = _sections_by_paragraphs(
                units, size=self.section_units
            )
        body = units
        if len(body) > self.max_sentences:
            kept = np.unique(
                np.linspace(0, len(body) - 1, self.max_sentences).round().astype(int)
            )
            body = [body[i] for i in kept]

        measure, limit = _measure(text, budget=budget)
        row_of = {unit.index: row for row, unit in enumerate(body)}
        items_of: dict[int, list[int]] = {}
        for row, unit in enumerate(body):
            if unit.intro is not None and unit.intro in row_of:
                items_of.setdefault(unit.intro, []).append(row)
        members = []
        eligible = []
        for row, unit in enumerate(body):
            if unit.introduces_list:
                # A list's introduction comes with its items, or not at all.
                items = items_of.get(unit.index, [])
                members.append([row, *items])
                eligible.append(bool(items))
                continue
            members.append([row])
            standalone = not (unit.intro is not None and _reads_as_fragment(unit))
            eligible.append(
                standalone
                and not unit.is_fragment
                and text_word_count(unit.text) >= self.min_sentence_words
            )
        own_sizes = np.array([measure(unit.text) for unit in body], dtype=float)
        sizes = np.array([own_sizes[rows].sum() for rows in members], dtype=float)
        eligible_mask = np.array(eligible, dtype=bool)
        if body and not eligible_mask.any():
            # Only fragments and short lines (a slide, a form): better than nothing.
            eligible_mask = np.array(
                [not unit.introduces_list for unit in body], dtype=bool
            )
        target = float(limit)
        if self.length_ratio:
            target = min(target, self.length_ratio * measure(text))
        return _DocumentPlan(
            units=body,
            sections=np.array([sections[unit.index] for unit in body], dtype=int),
            positions=np.array([positions[unit.index] for unit in body], dtype=float),
            members=members,
            sizes=sizes,
            eligible=eligible_mask,
            target=target,
            limit=float(limit),
            # Two or more headed sections: a handbook page, a runbook, a
            # policy (the learned scorer's ground), not news copy or a chat.
            structured=len({unit.section for unit in units if unit.section}) >= 2,
        )

    def _summarize(
        self, plan: _DocumentPlan, *, vectors: np.ndarray, variant: int = 0
    ) -> str:
        """Return the summary of one planned text; ``vectors`` is ``(n_units, dim)``."""
        if not plan.units or plan.limit <= 0 or not plan.eligible.any():
            return ""
        similarity = vectors @ vectors.T
        relevance = self._relevance(
            vectors,
            similarity=similarity,
            sections=plan.sections,
            positions=plan.positions,
            units=plan.units,
            structured=plan.structured,
        )
        # "Parents get:" is worth what its list says: a unit that comes with
        # others is as relevant as the best of them.
        relevance = np.array(
            [relevance[rows].max() for rows in plan.members], dtype=float
        )
        redundancy = _fact_aware(similarity, plan.units)
        eligible = plan.eligible.copy()
        for _ in range(max(0, int(variant))):
            # The next-best selection: what the previous variant opened with
            # is left out (while anything else is left to pick).
            first = _mmr_select(
                relevance=relevance,
                similarity=similarity,
                redundancy=redundancy,
                sizes=plan.sizes,
                eligible=eligible,
                target=plan.target,
                limit=plan.limit,
                mmr_lambda=self.mmr_lambda,
            )[:1] or [_best_oversize(plan, relevance, eligible)]
            if first[0] is None or eligible.sum() <= 1:
                break
            eligible[first[0]] = False
        picked = _mmr_select(
            relevance=relevance,
            similarity=similarity,
            redundancy=redundancy,
            sizes=plan.sizes,
            eligible=eligible,
            target=plan.target,
            limit=plan.limit,
            mmr_lambda=self.mmr_lambda,
        )
        if not picked:
            # No whole unit fits: the best one that is not far over the
            # budget, else the shortest. A sentence cut short is no summary.
            best = _best_oversize(plan, relevance, eligible)
            picked = [best] if best is not None else []
        rows = sorted({row for pick in picked for row in plan.members[pick]})
        return units_join([plan.units[row] for row in rows])

    def _relevance(
        self,
        vectors: np.ndarray,
        *,
        similarity: np.ndarray,
        sections: np.ndarray,
        positions: np.ndarray,
        units: Sequence[Unit] = (),
        structured: bool = False,
    ) -> np.ndarray:
        """Return each unit's relevance, shape ``(n,)``, scaled to 0-1."""
        if self.method == "learned" and structured:
            # Position is one of the learned features: no prior on top.
            return _min_max(self.scorer.score(self.features(
                vectors, similarity=similarity, sections=sections,
                positions=positions, units=units,
            )))  # fmt: skip
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
            prior = 1 / np.sqrt(1 + positions)
            scores = (1 - self.position_weight) * scores + self.position_weight * prior
        return scores

    def features(
        self,
        vectors: np.ndarray,
        *,
        similarity: np.ndarray,
        sections: np.ndarray,
        positions: np.ndarray,
        units: Sequence[Unit],
    ) -> np.ndarray:
        """Return the learned scorer's feature table of one text's units."""
        return unit_features(
            units,
            sections=sections,
            positions=positions,
            vectors=vectors,
            similarity=similarity,
            directed=_directed_scores(
                similarity,
                sections=sections,
                edge_threshold=self.edge_threshold,
                backward_weight=self.backward_weight,
            ),
            lexrank=_textrank_scores(similarity),
        )


def _sections_by_paragraphs(
    units: Sequence[Unit], *, size: int
) -> tuple[dict[int, int], dict[int, int]]:
    """Cut a long text without headings into sections of about ``size`` units.

    Each cut falls on the next paragraph start (a PDF page, say), so the
    sections are the text's own parts. Scored section by section, a long
    report's summary draws from all of it instead of only its opening,
    which "directed" scoring and the position prior favour within a
    section. Return each unit's section and its position in it.
    """
    sections: dict[int, int] = {}
    positions: dict[int, int] = {}
    section, in_section, previous_paragraph = 0, 0, None
    for unit in units:
        starts_paragraph = unit.paragraph != previous_paragraph
        if (in_section >= size and starts_paragraph) or in_section >= 2 * size:
            section, in_section = section + 1, 0
        sections[unit.index] = section
        positions[unit.index] = in_section
        in_section += 1
        previous_paragraph = unit.paragraph
    return sections, positions


def _measure(text: str, *, budget: SummaryBudget):
    """Return how to measure a text against ``budget``, and the limit in that measure.

    Chinese, Japanese and Korean have no spaces to count words by: their
    text is measured in characters, and a word budget becomes
    ``CJK_CHARS_PER_WORD`` characters a word.
    """
    if budget.unit == "chars":
        return (lambda piece: len(piece) + 1), float(budget.size)
    cjk = len(_CJK_CHAR.findall(text))
    if cjk and cjk >= text_word_count(text) / 2:
        return (
            lambda piece: len("".join(piece.split())),
            budget.size * CJK_CHARS_PER_WORD,
        )
    return text_word_count, float(budget.size)


def _reads_as_fragment(unit: Unit) -> bool:
    """Whether a list item means nothing without its introduction ("a hardware key")."""
    first = unit.text[:1]
    return unit.is_fragment or (first.isalpha() and first.islower())


def _best_oversize(
    plan: _DocumentPlan, relevance: np.ndarray, eligible: np.ndarray
) -> int | None:
    """Return the most relevant unit within ``OVERSIZE_FACTOR`` x the limit, else the shortest."""
    if not eligible.any():
        return None
    near = eligible & (plan.sizes <= OVERSIZE_FACTOR * plan.limit)
    if near.any():
        return int(np.argmax(np.where(near, relevance, -np.inf)))
    return int(np.argmin(np.where(eligible, plan.sizes, np.inf)))


def _fact_aware(similarity: np.ndarray, units: Sequence[Unit]) -> np.ndarray:
    """Return ``redundancy[j, i]``: similarity, or 0 where unit ``i`` states a number ``j`` lacks.

    Sentence embedders barely see numbers: "Primary caregivers get 20 weeks"
    and "Secondary caregivers get 8 weeks" embed alike, yet the second is a
    fact of its own, not a repetition.
    """
    numbers = [frozenset(_NUMBER.findall(unit.text)) for unit in units]
    covered = np.array([[mine <= theirs for mine in numbers] for theirs in numbers])
    return np.where(covered, similarity, 0.0)


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


def _mmr_select(
    *,
    relevance: np.ndarray,
    similarity: np.ndarray,
    sizes: np.ndarray,
    eligible: np.ndarray,
    target: float,
    limit: float,
    mmr_lambda: float,
    redundancy: np.ndarray | None = None,
) -> list[int]:
    """Return indices picked by maximal marginal relevance, in the order picked.

    ``redundancy[j, i]`` is how much unit ``i`` repeats picked unit ``j``
    (default: their similarity); near duplicates go by ``similarity``.

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
        closest = np.maximum(
            closest, (similarity if redundancy is None else redundancy)[best]
        )
    return picked
