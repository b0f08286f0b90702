"""What a reprocessing job can rebuild, one adapter per kind of output.

Each adapter drives its app's own services and selectors; ``workers`` holds no
business logic of summaries or embeddings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from django.db.models import QuerySet

from docsite.documents.models import Document
from docsite.ml.producers import LiveProducer, producer_activate


@dataclass(frozen=True)
class ItemOutcome:
    """``done``, ``skipped``, ``failed``, or ``busy``: another worker holds the
    document's output right now, so the item waits for the stale timeout and is
    sent again."""

    state: str
    error: str = ""


class OutputKind(Protocol):
    name: str

    def producer_for(self, *, backend_alias: str) -> str: ...

    def live(self) -> LiveProducer: ...

    def documents_stale(self, *, producer: str) -> QuerySet[Document]: ...

    def process(
        self, *, document_ids: Sequence[int], backend_alias: str
    ) -> dict[int, ItemOutcome]: ...

    def prune(self, *, keep_producers: set[str], dry_run: bool) -> dict[str, int]: ...


class SummariesKind:
    name = "summaries"

    def producer_for(self, *, backend_alias: str) -> str:
        from summaries.selectors import summary_producer_for

        return summary_producer_for(backend_alias=backend_alias)

    def live(self) -> LiveProducer:
        from summaries.selectors import summary_producer_live

        return summary_producer_live()

    def documents_stale(self, *, producer: str) -> QuerySet[Document]:
        from summaries.selectors import documents_without_summary

        return documents_without_summary(producer=producer)

    def process(
        self, *, document_ids: Sequence[int], backend_alias: str
    ) -> dict[int, ItemOutcome]:
        from summaries.selectors import summary_outcomes
        from summaries.services import summaries_generate

        producer = self.producer_for(backend_alias=backend_alias)
        done_before = {
            pk
            for pk, (status, _error) in summary_outcomes(
                document_ids=list(document_ids), producer=producer
            ).items()
            if status in ("generated", "approved", "rejected")
        }
        summaries_generate(
            document_ids=document_ids, backend_alias=backend_alias, force=True
        )
        after = summary_outcomes(document_ids=list(document_ids), producer=producer)
        outcomes = {}
        for pk in document_ids:
            status, error = after.get(pk, ("", ""))
            if pk in done_before:
                outcomes[pk] = ItemOutcome("skipped")
            elif status in ("generated", "approved", "rejected"):
                outcomes[pk] = ItemOutcome("done")
            elif not status:
                outcomes[pk] = ItemOutcome("skipped", "The document no longer exists.")
            elif status in ("queued", "running"):
                outcomes[pk] = ItemOutcome("busy")
            else:
                outcomes[pk] = ItemOutcome(
                    "failed", error or f"Summary ended as {status}."
                )
        return outcomes

    def prune(self, *, keep_producers: set[str], dry_run: bool) -> dict[str, int]:
        from summaries.services import summaries_prune

        return summaries_prune(keep_producers=keep_producers, dry_run=dry_run)


class EmbeddingsKind:
    name = "embeddings"

    def producer_for(self, *, backend_alias: str) -> str:
        from interests.selectors import embedding_producer_for_alias

        return embedding_producer_for_alias(embedder_alias=backend_alias)

    def live(self) -> LiveProducer:
        from interests.selectors import embedding_producer_live

        return embedding_producer_live()

    def documents_stale(self, *, producer: str) -> QuerySet[Document]:
        from interests.selectors import documents_without_vector

        return documents_without_vector(producer=producer)

    def process(
        self, *, document_ids: Sequence[int], backend_alias: str
    ) -> dict[int, ItemOutcome]:
        from interests.selectors import document_ids_with_vector
        from interests.services import document_vectors_compute

        producer = self.producer_for(backend_alias=backend_alias)
        done_before = document_ids_with_vector(
            document_ids=document_ids, producer=producer
        )
        existing = set(
            Document.objects.filter(pk__in=list(document_ids)).values_list(
                "pk", flat=True
            )
        )
        try:
            document_vectors_compute(
                document_ids=document_ids, embedder_alias=backend_alias
            )
        except Exception as exc:
            # A model that cannot load or a bad batch fails every document of
            # the chunk, readably; the job decides what happens next.
            message = f"Embedding failed ({type(exc).__name__}): {exc}"
            return {pk: ItemOutcome("failed", message) for pk in document_ids}
        done_after = document_ids_with_vector(
            document_ids=document_ids, producer=producer
        )
        outcomes = {}
        for pk in document_ids:
            if pk not in existing:
                outcomes[pk] = ItemOutcome("skipped", "The document no longer exists.")
            elif pk in done_before:
                outcomes[pk] = ItemOutcome("skipped")
            elif pk in done_after:
                outcomes[pk] = ItemOutcome("done")
            else:
                outcomes[pk] = ItemOutcome(
                    "failed", "No vector could be computed (empty text?)."
                )
        return outcomes

    def prune(self, *, keep_producers: set[str], dry_run: bool) -> dict[str, int]:
        from interests.services import document_vectors_prune

        return document_vectors_prune(keep_producers=keep_producers, dry_run=dry_run)


KINDS: dict[str, OutputKind] = {
    "summaries": SummariesKind(),
    "embeddings": EmbeddingsKind(),
}


def output_kind(name: str) -> OutputKind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(
            f"Unknown kind '{name}' (use {', '.join(sorted(KINDS))})."
        ) from None


def output_kind_activate(
    *, kind: OutputKind, backend_alias: str, producer: str, actor=None
) -> None:
    producer_activate(
        kind=kind.name,
        backend_alias=backend_alias,
        producer=producer,
        actor=actor,
        previous=kind.live(),
    )
