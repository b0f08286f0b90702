"""Faithfulness flags: which sentences of a generated summary the source may not back.

A language model can write fluent sentences the document never says. For
each summary sentence this module records:

- ``support``: the cosine similarity of the sentence to its best-matching
  source sentence, by the shared sentence embedder (MiniLM through
  ``docsite.ml``); ``evidence`` holds the best matches. A sentence copied
  from the source scores 1.
- ``missing``: the numbers (amounts, dates, percentages) and proper names of
  the sentence that do not occur in the source. A summary that says "20
  weeks" of a policy that says 18 is wrong however similar it reads.

A sentence is flagged when its support is below the threshold or anything
is missing, with a reason an editor can read. The threshold was calibrated
on split a of the dev sets (see ``docs/summaries-evaluation.md``).

Pure computation: the embedder is passed in; nothing here touches the ORM.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from summaries.structure import units_from_blocks, units_from_text

if TYPE_CHECKING:
    from docsite.ml.embedders.base import BaseEmbedder

# Below this similarity to every source sentence a summary sentence is
# flagged: the 10th percentile of the support of faithful human paraphrases
# (DialogSum reference sentences, split a), so about one faithful
# paraphrase in ten is sent to an editor (docs/summaries-evaluation.md).
SUPPORT_THRESHOLD = 0.45
EVIDENCE_COUNT = 2
# Source sentences embedded per document; a longer source is sampled evenly.
MAX_SOURCE_SENTENCES = 400

# 1,250 / 3.5 / 20% / 2027-03-01 / 9:30: digit runs with their inner separators.
_NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")
# A capitalised word (with inner apostrophes, hyphens, digits: "O'Neill",
# "Wi-Fi", "Person1") or a #Tag# speaker name.
_NAME_WORD = re.compile(r"#[^#\s]{1,30}#|(?<![\w'’-])(?:[A-Z][\w'’-]*[\w]|[A-Z])")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Capitalised words that are no names: sentence openers, pronouns, titles.
_NOT_NAMES = frozenset(
    ["a", "an", "and", "as", "at", "but", "by", "for", "from", "he", "her", "his", "how", "i", "if", "in", "it", "its", "my", "no", "not", "of", "on", "or", "our", "she", "so", "that", "the", "their", "then", "there", "these", "they", "this", "those", "to", "we", "what", "when", "where", "which", "while", "who", "why", "with", "you", "your", "yes", "ok", "okay", "mr", "mrs", "ms", "dr", "prof", "sir", "madam", "hello", "hi", "hey", "dear", "also", "however", "after", "before", "during", "both", "each"]
)  # fmt: skip


@dataclass(frozen=True)
class SentenceFlag:
    """The check of one summary sentence against its source."""

    sentence: str
    support: float
    evidence: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    flagged: bool = False
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def faithfulness_check_batch(
    *,
    summaries: Sequence[str],
    sources: Sequence[str],
    embedder: BaseEmbedder,
    blocks: Sequence[Sequence[Any] | None] | None = None,
    threshold: float = SUPPORT_THRESHOLD,
    language: str | None = None,
) -> list[list[SentenceFlag]]:
    """Return the checks of each summary's sentences, one list per summary.

    ``sources[i]`` (with its ``blocks[i]`` when parsed) is the document
    ``summaries[i]`` was made from. Every sentence of the batch goes
    through one ``embed_batch`` call.
    """
    structures = list(blocks) if blocks is not None else [None] * len(sources)
    plans = []
    texts: list[str] = []
    for summary, source, structure in zip(summaries, sources, structures, strict=True):
        sentences = [unit.text for unit in units_from_text(summary, language=language)]
        if structure:
            units = units_from_blocks(structure, language=language)
        else:
            units = units_from_text(source, language=language)
        source_sentences = _sampled([unit.text for unit in units])
        plans.append((sentences, source_sentences, source))
        texts.extend(sentences)
        texts.extend(source_sentences)
    vectors = (
        embedder.embed_batch(texts) if texts else np.zeros((0, 1), dtype=np.float32)
    )

    results: list[list[SentenceFlag]] = []
    offset = 0
    for sentences, source_sentences, source in plans:
        ours = vectors[offset : offset + len(sentences)]
        offset += len(sentences)
        theirs = vectors[offset : offset + len(source_sentences)]
        offset += len(source_sentences)
        results.append(
            _check(
                sentences,
                source_sentences=source_sentences,
                source=source,
                similarity=ours @ theirs.T if len(theirs) else None,
                threshold=threshold,
            )
        )
    return results


def flags_need_attention(flags: Sequence[dict[str, Any] | SentenceFlag]) -> bool:
    """Whether any sentence of a summary is flagged."""
    return any(
        flag.flagged if isinstance(flag, SentenceFlag) else flag.get("flagged")
        for flag in flags
    )


def _check(
    sentences: list[str],
    *,
    source_sentences: list[str],
    source: str,
    similarity: np.ndarray | None,
    threshold: float,
) -> list[SentenceFlag]:
    source_numbers = {_number_key(match) for match in _NUMBER.findall(source)}
    source_words = {word.lower() for word in _WORD.findall(source)}
    source_squashed = _squashed(source)
    flags = []
    for row, sentence in enumerate(sentences):
        if _squashed(sentence) in source_squashed:
            # Copied from the source: nothing to check.
            support, evidence = 1.0, [sentence]
        elif similarity is None:
            support, evidence = 0.0, []
        else:
            scores = similarity[row]
            best = np.argsort(-scores)[:EVIDENCE_COUNT]
            support = float(scores[best[0]])
            evidence = [source_sentences[i] for i in best]
        missing = (
            []
            if support == 1.0
            else _missing_facts(
                sentence, source_numbers=source_numbers, source_words=source_words
            )
        )
        reasons = []
        if support < threshold:
            reasons.append(
                f"no source sentence says this (best match {support:.2f}, "
                f"below {threshold:.2f})"
            )
        if missing:
            reasons.append("not in the source: " + ", ".join(missing))
        flags.append(
            SentenceFlag(
                sentence=sentence,
                support=round(support, 3),
                evidence=evidence,
                missing=missing,
                flagged=bool(reasons),
                reason="; ".join(reasons),
            )
        )
    return flags


def _missing_facts(
    sentence: str, *, source_numbers: set[str], source_words: set[str]
) -> list[str]:
    """Return the numbers and names of ``sentence`` that the source lacks, in order."""
    missing: list[str] = []
    for number in _NUMBER.findall(sentence):
        if _number_key(number) not in source_numbers and number not in missing:
            missing.append(number)
    for name in _names(sentence):
        words = [word.lower() for word in _WORD.findall(name)]
        if (
            words
            and not all(
                word in source_words or word.rstrip("s") in source_words
                for word in words
            )
            and name not in missing
        ):
            missing.append(name)
    return missing


def _names(sentence: str) -> list[str]:
    """Return the capitalised words of ``sentence`` that read as proper names.

    The first word of a sentence is capitalised anyway: it counts only when
    it is not a common opener and the source must know it as a name too
    (checked by the caller against the source's words).
    """
    names = []
    for position, match in enumerate(_NAME_WORD.finditer(sentence)):
        word = match.group(0)
        if word.startswith("#"):
            names.append(word)
            continue
        if word.lower().strip("'’") in _NOT_NAMES or len(word) < 2:
            continue
        at_start = not sentence[: match.start()].strip(" \"'“‘([")
        if at_start and position == 0 and not _followed_by_name(sentence, match.end()):
            continue
        names.append(word)
    return names


def _followed_by_name(sentence: str, end: int) -> bool:
    following = re.match(r"\s+([A-Z][\w'’-]*)", sentence[end:])
    return bool(following) and following.group(1).lower() not in _NOT_NAMES


def _number_key(number: str) -> str:
    """Return a number as compared: "1,250" and "1250" are the same amount."""
    return re.sub(r"(?<=\d),(?=\d{3}\b)", "", number).rstrip(".,")


def _squashed(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _sampled(sentences: list[str]) -> list[str]:
    if len(sentences) <= MAX_SOURCE_SENTENCES:
        return sentences
    kept = np.unique(
        np.linspace(0, len(sentences) - 1, MAX_SOURCE_SENTENCES).round().astype(int)
    )
    return [sentences[i] for i in kept]
