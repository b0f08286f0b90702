"""Document vectors as an output kind of ``docsite.ml.outputs`` (registered at startup)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet

from docsite.documents.models import Document
from docsite.ml.conf import ml_setting
from docsite.ml.embedders import get_embedder
from docsite.ml.outputs import (
    EMBEDDINGS,
    LANGUAGE_EMBEDDINGS,
    ItemOutcome,
    LiveProducer,
    OutputKind,
    Progress,
    output_kind_register,
    producer_live,
)

from .conf import interests_setting
from .selectors import (
    document_ids_in_vector_languages,
    document_ids_with_vector,
    documents_without_language_vector,
    documents_without_vector,
    embedding_producer_for_alias,
    language_vectors_alias,
)
from .services import (
    document_vectors_compute,
    document_vectors_enqueue,
    document_vectors_prune,
    user_interests_rederive,
)


class VectorsOutput(OutputKind):
    name = EMBEDDINGS
    label = "document vectors"
    setting = "DOCSITE_EMBEDDERS"
    # Feed, search and related documents read one producer's vectors only.
    readers_fall_back = False
    shares_rows_with = (LANGUAGE_EMBEDDINGS,)

    def aliases(self) -> list[str]:
        configured = self.configured_alias()
        return sorted(ml_setting("EMBEDDERS"), key=lambda a: a != configured)

    def configured_alias(self) -> str:
        return interests_setting("EMBEDDER")

    def producer_for(self, *, backend_alias: str) -> str:
        return embedding_producer_for_alias(embedder_alias=backend_alias)

    def batch_size(self, *, backend_alias: str) -> int:
        return interests_setting("BATCH_SIZE")

    def seconds_per_document(self, *, backend_alias: str) -> tuple[float, str]:
        hint = get_embedder(backend_alias).seconds_per_document_hint()
        return hint, "the embedder's estimate"

    def documents_missing(self, *, producer: str | None) -> QuerySet[Document]:
        return documents_without_vector(producer=producer)

    def enqueue(self, *, document_ids: Sequence[int], backend_alias: str) -> None:
        document_vectors_enqueue(
            document_ids=document_ids, embedder_alias=backend_alias, kind=self.name
        )

    def process(
        self, *, document_ids: Sequence[int], backend_alias: str
    ) -> dict[int, ItemOutcome]:
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
                document_ids=document_ids, embedder_alias=backend_alias, kind=self.name
            )
        except Exception as exc:
            # A model that cannot load or a bad batch fails every document of
            # the step, readably; the job decides what happens next.
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
        return document_vectors_prune(keep_producers=keep_producers, dry_run=dry_run)

    def on_activate(
        self, *, old: LiveProducer, new: LiveProducer, progress: Progress
    ) -> None:
        # Interest vectors live in the embedding space they were built in:
        # rebuild every reader's from the new vectors within the job. Until a
        # reader is reached, the feed builds theirs per request (never cold).
        user_interests_rederive(producer=new.producer, on_progress=progress)


class LanguageVectorsOutput(VectorsOutput):
    """The second vector set: documents in ``INTERESTS_LANGUAGE_VECTORS``'s
    languages, embedded by its multilingual model, read by meaning search for
    queries in those scripts (``selectors.language_vectors``)."""

    name = LANGUAGE_EMBEDDINGS
    label = "language vectors"
    shares_rows_with = (EMBEDDINGS,)

    def enabled(self) -> bool:
        return language_vectors_alias() is not None

    def configured_alias(self) -> str:
        return interests_setting("LANGUAGE_VECTORS").get("EMBEDDER") or ""

    def documents_missing(self, *, producer: str | None) -> QuerySet[Document]:
        # The main vectors' rows must not count as this kind's output, so
        # "from any producer" means from the live one of this kind.
        if not self.enabled():
            return Document.objects.none()
        if producer is None:
            producer = producer_live(kind=self.name).producer
        return documents_without_language_vector(producer=producer)

    def process(
        self, *, document_ids: Sequence[int], backend_alias: str
    ) -> dict[int, ItemOutcome]:
        covered = document_ids_in_vector_languages(document_ids=document_ids)
        outcomes = super().process(document_ids=covered, backend_alias=backend_alias)
        skipped = ItemOutcome(
            "skipped", "Not in a language the language vectors cover."
        )
        return {pk: outcomes.get(pk, skipped) for pk in document_ids}

    def on_activate(
        self, *, old: LiveProducer, new: LiveProducer, progress: Progress
    ) -> None:
        """Nothing is derived from language vectors (interests use the main ones)."""


output_kind_register(VectorsOutput())
output_kind_register(LanguageVectorsOutput())
