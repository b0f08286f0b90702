"""The extractive summarizer: plan each document, score its units, pick them."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from summaries.sentence_scorer import (
    FEATURES,
    SCORER_FILE,
    SentenceScorer,
    unit_features,
)
from summaries.structure import Unit, units_join

from ..base import BaseSummarizer, SummaryBudget, SummaryResult
from .planning import DocumentPlan, best_oversize, document_plan
from .scoring import (
    centroid_scores,
    directed_scores,
    fact_aware,
    min_max,
    mmr_select,
    textrank_scores,
    topic_word_scores,
)

if TYPE_CHECKING:
    from docsite.ml.embedders.base import BaseEmbedder

METHODS = ("learned", "directed", "centroid", "textrank", "combined")


class ExtractiveSummarizer(BaseSummarizer):
    """Pick a document's central sentences with the shared sentence embedder.

    Options (see the module docstring for what each does):
    ``embedder`` (an embedder instance, required; settings name an alias of
    ``DOCSITE_EMBEDDERS`` and the registry resolves it), ``method``
    ("learned"), ``scorer`` (path of the learned scorer's JSON; default
    ``summaries/scorer_default.json``), ``adapter`` (the folder of a promoted
    scorer training run, holding its ``scorer.json``; replaces ``scorer``)
    with its ``adapter_sha256``, ``length_ratio`` (0.2), ``mmr_lambda`` (0.7),
    ``position_weight`` (0.9), ``backward_weight`` (-2.0), ``edge_threshold``
    (0.1), ``min_sentence_words`` (3: shorter units are not picked unless
    nothing else is there), ``max_sentences`` (200 units embedded per
    text) and ``section_units`` (40: a longer text without headings is cut
    into sections of about this many units at paragraph starts) and
    ``topic_weight`` (0.5: in a transcript, the share of centrality given to
    the dialogue's recurring topic words, ``scoring.topic_word_scores``) and
    ``transcript_position_weight`` (0.5: the position prior's weight in a
    transcript, whose opening is greetings more often than its point) and
    ``reported_speech`` (True: a dialogue's first-person sentences are written
    in reported speech, "#Person2# feels itchy!", ``summaries.reported_speech``).
    """

    name = "extractive"
    verbatim = True
    # 2: units from blocks (sentencex), whole units only, position prior.
    # 3: learned scorer for sectioned documents; numbers in redundancy;
    #    glued sentences split.
    # 4: a dialogue turn's sentences are units, each with its speaker; in a
    #    transcript centrality is blended with its recurring topic words.
    # 5: a dialogue's first-person sentences in reported speech.
    version = "5"

    def __init__(
        self,
        *,
        embedder: BaseEmbedder | None = None,
        method: str = "learned",
        scorer: str | None = None,
        adapter: str | None = None,
        adapter_sha256: str = "",
        length_ratio: float = 0.2,
        mmr_lambda: float = 0.7,
        position_weight: float = 0.9,
        backward_weight: float = -2.0,
        edge_threshold: float = 0.1,
        min_sentence_words: int = 3,
        max_sentences: int = 200,
        section_units: int = 40,
        topic_weight: float = 0.5,
        transcript_position_weight: float = 0.5,
        reported_speech: bool = True,
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
        _check_range("topic_weight", topic_weight, low=0.0, high=1.0)
        _check_range(
            "transcript_position_weight", transcript_position_weight, low=0.0, high=1.0
        )
        if max_sentences < 1 or min_sentence_words < 0:
            raise ValueError(
                "ExtractiveSummarizer: max_sentences must be >= 1 and "
                "min_sentence_words >= 0."
            )
        # The learned weights are part of what the summarizer is: their
        # version goes into the producer key with the other options.
        self.scorer = None
        if adapter and method != "learned":
            raise ValueError(
                "ExtractiveSummarizer: a trained scorer (adapter) needs method='learned'."
            )
        if adapter:
            scorer = str(Path(adapter) / SCORER_FILE)
        if method == "learned":
            self.scorer = (
                SentenceScorer.load(scorer) if scorer else SentenceScorer.load()
            )
        super().__init__(
            embedder=embedder,
            method=method,
            **({"scorer": self.scorer.version} if self.scorer else {}),
            **({"adapter_sha256": adapter_sha256} if adapter else {}),
            length_ratio=length_ratio,
            mmr_lambda=mmr_lambda,
            position_weight=position_weight,
            backward_weight=backward_weight,
            edge_threshold=edge_threshold,
            min_sentence_words=min_sentence_words,
            max_sentences=max_sentences,
            section_units=section_units,
            topic_weight=topic_weight,
            transcript_position_weight=transcript_position_weight,
            reported_speech=reported_speech,
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
        self.topic_weight = float(topic_weight)
        self.transcript_position_weight = float(transcript_position_weight)
        self.reported_speech = bool(reported_speech)

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
        plans, flat_texts, vectors = self._plans_embedded(
            texts, budget=budget, blocks=blocks, language=language
        )
        flat_tokens = self.embedder.count_tokens(flat_texts) if flat_texts else []

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

    def plans_featurize(
        self,
        texts: Sequence[str],
        *,
        budget: SummaryBudget,
        blocks: Sequence[Sequence[Any] | None] | None = None,
        language: str | None = None,
    ) -> list[tuple[DocumentPlan, np.ndarray]]:
        """Return each text's plan and its units' learned-scorer features, as
        ``summarize_batch`` would plan and embed them (one ``embed_batch``);
        what a scorer is trained on."""
        plans, _, vectors = self._plans_embedded(
            texts, budget=budget, blocks=blocks, language=language
        )
        featurized, offset = [], 0
        for plan in plans:
            end = offset + len(plan.units)
            if end == offset:
                featurized.append((plan, np.zeros((0, len(FEATURES)))))
                continue
            own = vectors[offset:end]
            table = self.features(
                own,
                similarity=own @ own.T,
                sections=plan.sections,
                positions=plan.positions,
                units=plan.units,
            )
            featurized.append((plan, table))
            offset = end
        return featurized

    def _plans_embedded(
        self,
        texts: Sequence[str],
        *,
        budget: SummaryBudget,
        blocks: Sequence[Sequence[Any] | None] | None,
        language: str | None,
    ) -> tuple[list[DocumentPlan], list[str], np.ndarray]:
        """Plan every text (from its ``blocks`` when given) and embed all their
        units in one ``embed_batch``; return the plans, the units' texts in
        order, and their vectors ``(n_units, dim)``."""
        structures = list(blocks) if blocks is not None else [None] * len(texts)
        if len(structures) != len(texts):
            raise ValueError("summarize_batch: one blocks entry per text, or none.")
        plans = [
            self._plan(text, blocks=structure, budget=budget, language=language)
            for text, structure in zip(texts, structures, strict=True)
        ]
        flat_texts = [unit.text for plan in plans for unit in plan.units]
        if not flat_texts:
            return plans, flat_texts, np.zeros((0, 0), dtype=np.float32)
        return plans, flat_texts, self.embedder.embed_batch(flat_texts)

    def _plan(
        self,
        text: str,
        *,
        blocks: Sequence[Any] | None,
        budget: SummaryBudget,
        language: str | None,
    ) -> DocumentPlan:
        """Read ``text`` (or its ``blocks``) into units and choose those to embed."""
        return document_plan(
            text,
            blocks=blocks,
            budget=budget,
            language=language,
            section_units=self.section_units,
            max_sentences=self.max_sentences,
            min_sentence_words=self.min_sentence_words,
            length_ratio=self.length_ratio,
            reported_speech=self.reported_speech,
        )

    def _summarize(
        self, plan: DocumentPlan, *, vectors: np.ndarray, variant: int = 0
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
            transcript=plan.transcript,
        )
        # "Parents get:" is worth what its list says: a unit that comes with
        # others is as relevant as the best of them.
        relevance = np.array(
            [relevance[rows].max() for rows in plan.members], dtype=float
        )
        redundancy = fact_aware(similarity, plan.units)
        eligible = plan.eligible.copy()

        def select() -> list[int]:
            # Reads ``eligible`` as it stands: variants narrow it in place.
            return mmr_select(
                relevance=relevance,
                similarity=similarity,
                redundancy=redundancy,
                sizes=plan.sizes,
                eligible=eligible,
                target=plan.target,
                limit=plan.limit,
                mmr_lambda=self.mmr_lambda,
            )

        for _ in range(max(0, int(variant))):
            # The next-best selection: what the previous variant opened with
            # is left out (while anything else is left to pick).
            first = select()[:1] or [best_oversize(plan, relevance, eligible)]
            if first[0] is None or eligible.sum() <= 1:
                break
            eligible[first[0]] = False
        picked = select()
        if not picked:
            # No whole unit fits: the best one that is not far over the
            # budget, else the shortest. A sentence cut short is no summary.
            best = best_oversize(plan, relevance, eligible)
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
        transcript: bool = False,
    ) -> np.ndarray:
        """Return each unit's relevance, shape ``(n,)``, scaled to 0-1."""
        if self.method == "learned" and (structured or self.scorer.scope == "all"):
            # Position is one of the learned features: no prior on top.
            return min_max(self.scorer.score(self.features(
                vectors, similarity=similarity, sections=sections,
                positions=positions, units=units,
            )))  # fmt: skip
        if self.method == "centroid":
            scores = min_max(centroid_scores(vectors))
        elif self.method == "textrank":
            scores = min_max(textrank_scores(similarity))
        elif self.method == "combined":
            scores = (
                min_max(centroid_scores(vectors)) + min_max(textrank_scores(similarity))
            ) / 2
        else:
            scores = min_max(
                directed_scores(
                    similarity,
                    sections=sections,
                    edge_threshold=self.edge_threshold,
                    backward_weight=self.backward_weight,
                )
            )
        if transcript and self.topic_weight:
            # What was said, not who said it: every line names a speaker.
            topic = topic_word_scores([unit.said for unit in units])
            scores = (1 - self.topic_weight) * scores + self.topic_weight * min_max(
                topic
            )
        weight = self.transcript_position_weight if transcript else self.position_weight
        if weight:
            prior = 1 / np.sqrt(1 + positions)
            scores = (1 - weight) * scores + weight * prior
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
            directed=directed_scores(
                similarity,
                sections=sections,
                edge_threshold=self.edge_threshold,
                backward_weight=self.backward_weight,
            ),
            lexrank=textrank_scores(similarity),
        )


def _check_range(option: str, value: float, *, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ValueError(
            f"ExtractiveSummarizer: {option} must be within [{low}, {high}]."
        )
