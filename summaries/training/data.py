"""Training data from the review queue, and public pairs to bootstrap it.

A dataset version is built from what editors decided about summaries of the
documents' current text, as one user sees them:

- approved machine summaries and editors' versions are positives; per
  document text the newest editor's version wins, else the newest approved
  summary (the others are counted as ``superseded``);
- rejected machine summaries are kept as negatives, with the editor's
  reason, and counted (the supervised fine-tune does not use them; later
  methods, e.g. preference tuning, can);
- imported public pairs (``TrainingPair``) are added as positives.

Examples are deduplicated by content (the same document text with the same
summary counts once) and split by a hash of the document text, so one text
is never on both sides and the split is the same on every build.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, OuterRef, Subquery

from docsite.documents.models import Document
from docsite.documents.selectors import space_ids_visible

from ..models import Summary, SummaryEvent
from .examples import TrainingDataError
from .models import TrainingDataset, TrainingExample, TrainingPair
from .scorer import ReviewedText

Split = TrainingExample.Split
Kind = TrainingExample.Kind
Origin = TrainingExample.Origin

DEFAULT_VALIDATION_FRACTION = 0.2


def text_sha256(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def split_for(*, document_sha256: str, validation_fraction: float) -> str:
    """Return ``validation`` for a stable ``validation_fraction`` of document texts."""
    bucket = int(document_sha256[:8], 16) / 0x1_0000_0000
    return Split.VALIDATION if bucket < validation_fraction else Split.TRAIN


@dataclass
class _Build:
    examples: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    counts: dict[str, int] = field(
        default_factory=lambda: {
            "approved": 0,
            "edited": 0,
            "imported": 0,
            "negatives": 0,
            "duplicates": 0,
            "superseded": 0,
            "stale": 0,
        }
    )

    def add(self, *, kind: str, document: str, summary: str, **fields: Any) -> None:
        doc_sha = text_sha256(document)
        key = (kind, doc_sha, text_sha256(summary))
        if key in self.examples:
            self.counts["duplicates"] += 1
            return
        self.examples[key] = {
            "kind": kind,
            "document": document,
            "summary": summary,
            "document_sha256": doc_sha,
            **fields,
        }


def _rejection_reasons(summary_ids: list[int]) -> dict[int, str]:
    reasons: dict[int, str] = {}
    events = SummaryEvent.objects.filter(
        summary_id__in=summary_ids, action=SummaryEvent.Action.REJECTED
    ).order_by("summary_id", "-created_at", "-id")
    for event in events:
        reasons.setdefault(event.summary_id, str(event.changes.get("reason", "")))
    return reasons


def _reviewed_summaries(user: AbstractBaseUser):
    visible = Document.objects.filter(space__in=space_ids_visible(user=user))
    return Summary.objects.filter(
        document__in=visible,
        status__in=[Summary.Status.APPROVED, Summary.Status.REJECTED],
    )


def _add_reviews(build: _Build, *, user: AbstractBaseUser) -> None:
    reviewed = _reviewed_summaries(user)
    build.counts["stale"] = reviewed.exclude(
        content_sha256=F("document__content_sha256")
    ).count()
    current = reviewed.filter(content_sha256=F("document__content_sha256")).annotate(
        document_text=Subquery(
            Document.objects.filter(pk=OuterRef("document_id")).values("text")[:1]
        )
    )
    # Per document text: the newest editor's version, else the newest approval.
    chosen: dict[int, Summary] = {}
    positives = current.filter(status=Summary.Status.APPROVED)
    for row in positives.order_by("document_id", "-reviewed_at", "-id"):
        best = chosen.get(row.document_id)
        if best is not None:
            build.counts["superseded"] += 1
            if not (row.is_human and not best.is_human):
                continue
        chosen[row.document_id] = row
    for row in chosen.values():
        origin = Origin.EDITED if row.is_human else Origin.APPROVED
        build.counts[origin] += 1
        build.add(
            kind=Kind.POSITIVE,
            origin=origin,
            document=row.document_text,
            summary=row.text,
            document_id=row.document_id,
            summary_id=row.pk,
        )
    rejected = list(
        current.filter(status=Summary.Status.REJECTED)
        .exclude(backend="human")
        .order_by("id")
    )
    reasons = _rejection_reasons([row.pk for row in rejected])
    for row in rejected:
        if not row.text.strip():
            continue
        build.counts["negatives"] += 1
        build.add(
            kind=Kind.NEGATIVE,
            origin=Origin.REJECTED,
            document=row.document_text,
            summary=row.text,
            document_id=row.document_id,
            summary_id=row.pk,
            reason=reasons.get(row.pk, ""),
        )


def _add_pairs(build: _Build, *, sources: Iterable[str] | None) -> list[str]:
    pairs = TrainingPair.objects.all()
    if sources is not None:
        pairs = pairs.filter(source__in=list(sources))
    used = set()
    for pair in pairs.iterator(chunk_size=500):
        used.add(pair.source)
        build.counts["imported"] += 1
        build.add(
            kind=Kind.POSITIVE,
            origin=Origin.IMPORTED,
            document=pair.document,
            summary=pair.summary,
            pair_id=pair.pk,
        )
    return sorted(used)


def training_dataset_build(
    *,
    user: AbstractBaseUser,
    include_reviews: bool = True,
    pair_sources: Iterable[str] | None = (),
    validation_fraction: float = DEFAULT_VALIDATION_FRACTION,
) -> TrainingDataset:
    """Snapshot the training data ``user`` may see into a dataset version.

    ``pair_sources``: imported pair sources to add (``None``: all of them,
    empty: none). Building the same data twice returns the existing version.
    Raise ``TrainingDataError`` when there is no positive example.
    """
    if not 0 < validation_fraction < 1:
        raise TrainingDataError("The validation fraction must be between 0 and 1.")
    build = _Build()
    sources = []
    if include_reviews:
        _add_reviews(build, user=user)
        sources.append("reviews")
    sources += [f"pairs:{name}" for name in _add_pairs(build, sources=pair_sources)]
    examples = sorted(
        build.examples.values(),
        key=lambda e: (e["document_sha256"], e["kind"], text_sha256(e["summary"])),
    )
    for example in examples:
        example["split"] = split_for(
            document_sha256=example["document_sha256"],
            validation_fraction=validation_fraction,
        )
    counts = dict(build.counts)
    for split in Split.values:
        counts[split] = sum(
            1 for e in examples if e["kind"] == Kind.POSITIVE and e["split"] == split
        )
    counts["documents"] = len({e["document_sha256"] for e in examples})
    if counts[Split.TRAIN] + counts[Split.VALIDATION] == 0:
        raise TrainingDataError(
            "There is no approved or edited summary (or imported pair) to train on."
        )
    digest = hashlib.sha256(
        json.dumps(
            [
                [e["split"], e["kind"], e["document_sha256"], e["summary"]]
                for e in examples
            ]
        ).encode("utf-8")
    ).hexdigest()
    with transaction.atomic():
        dataset, created = TrainingDataset.objects.get_or_create(
            content_sha256=digest,
            defaults={
                "counts": counts,
                "sources": sources,
                "validation_fraction": validation_fraction,
                "created_by": user,
            },
        )
        if created:
            TrainingExample.objects.bulk_create(
                TrainingExample(
                    dataset=dataset,
                    **{k: v for k, v in e.items() if k != "document_sha256"},
                    document_sha256=e["document_sha256"],
                )
                for e in examples
            )
    return dataset


def training_texts(*, dataset: TrainingDataset, split: str) -> list[ReviewedText]:
    """Return the positive examples of one split, in a stable order, each with
    its document's parsed blocks while the document still has that text (the
    units a summarizer reads from them: sections, lists, tables)."""
    rows = list(
        dataset.examples.filter(split=split, kind=Kind.POSITIVE)
        .order_by("id")
        .values_list("document", "summary", "document_id", "document_sha256")
    )
    current = {
        pk: (text, blocks)
        for pk, text, blocks in Document.objects.filter(
            pk__in={row[2] for row in rows if row[2] is not None}
        ).values_list("pk", "text", "blocks")
    }
    texts = []
    for document, summary, document_id, digest in rows:
        text, blocks = current.get(document_id, ("", None))
        same = blocks and text_sha256(text) == digest
        texts.append(
            ReviewedText(
                document=document,
                summary=summary,
                blocks=blocks if same else None,
                document_id=document_id,
            )
        )
    return texts


def training_dataset_write(*, dataset: TrainingDataset, out: IO[str]) -> int:
    """Write every example of ``dataset`` as JSONL; return how many lines."""
    count = 0
    for example in dataset.examples.order_by("id").iterator(chunk_size=500):
        record = {
            "id": example.pk,
            "split": example.split,
            "kind": example.kind,
            "origin": example.origin,
            "document": example.document,
            "summary": example.summary,
            "document_id": example.document_id,
            "summary_id": example.summary_id,
        }
        if example.reason:
            record["reason"] = example.reason
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def _pair_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise TrainingDataError(f"Cannot read {path}: {exc}") from exc
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TrainingDataError(
                    f"{path}, line {number}: not JSON ({exc})."
                ) from exc
            if not isinstance(record, dict):
                raise TrainingDataError(f"{path}, line {number}: not a JSON object.")
            for name in ("document", "summary"):
                if not isinstance(record.get(name), str) or not record[name].strip():
                    raise TrainingDataError(f"{path}, line {number}: no '{name}' text.")
            yield number, record


def training_pairs_import(
    *, path: Path, source: str, actor: AbstractBaseUser | None = None
) -> dict[str, int]:
    """Import ``{document, summary}`` JSONL records as pairs of ``source``.

    The whole file is checked before anything is written, so a bad line
    leaves the table as it was. Return ``{"imported", "duplicates"}``.
    """
    source = source.strip()
    if not source:
        raise TrainingDataError("Name the source of the pairs.")
    rows: dict[str, TrainingPair] = {}
    duplicates = 0
    for _, record in _pair_records(path):
        document, summary = record["document"].strip(), record["summary"].strip()
        digest = text_sha256(f"{text_sha256(document)}\n{text_sha256(summary)}")
        if digest in rows:
            duplicates += 1
            continue
        rows[digest] = TrainingPair(
            source=source[:200],
            external_id=str(record.get("id", ""))[:200],
            document=document,
            summary=summary,
            content_sha256=digest,
            imported_by=actor,
        )
    with transaction.atomic():
        existing = set(
            TrainingPair.objects.filter(content_sha256__in=list(rows)).values_list(
                "content_sha256", flat=True
            )
        )
        TrainingPair.objects.bulk_create(
            [row for digest, row in rows.items() if digest not in existing]
        )
    return {
        "imported": len(rows) - len(existing),
        "duplicates": duplicates + len(existing),
    }
