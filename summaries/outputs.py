"""Summaries as an output kind of ``docsite.ml.outputs`` (registered at startup)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from docsite.documents.models import Document
from docsite.ml.outputs import (
    SUMMARIES,
    ItemOutcome,
    OutputKind,
    output_kind_register,
)

from .backends import get_summarizer
from .conf import summaries_setting
from .models import Summary
from .selectors import (
    documents_without_summary,
    summaries_stuck,
    summary_outcomes,
    summary_producer_for,
    summary_seconds_measured,
)
from .services import summaries_enqueue, summaries_generate, summaries_prune


class SummariesOutput(OutputKind):
    name = SUMMARIES
    label = "summaries"
    setting = "SUMMARIES_BACKENDS"
    readers_fall_back = True

    def aliases(self) -> list[str]:
        from .training.aliases import promoted_alias_names

        configured = sorted(summaries_setting("BACKENDS"), key=lambda a: a != "default")
        # Aliases registered by promoted training runs, newest first.
        return configured + [
            name for name in promoted_alias_names() if name not in configured
        ]

    def configured_alias(self) -> str:
        return "default"

    def producer_for(self, *, backend_alias: str) -> str:
        return summary_producer_for(backend_alias=backend_alias)

    def batch_size(self, *, backend_alias: str) -> int:
        return summaries_setting("BATCH_SIZE")

    def seconds_per_document(self, *, backend_alias: str) -> tuple[float, str]:
        measured = summary_seconds_measured(
            producer=self.producer_for(backend_alias=backend_alias)
        )
        if measured is not None:
            return measured, "measured on recent summaries"
        hint = get_summarizer(backend_alias).seconds_per_document_hint()
        return hint, "the backend's estimate"

    def documents_missing(self, *, producer: str | None) -> QuerySet[Document]:
        return documents_without_summary(producer=producer)

    def outputs_stuck(self, *, older_than: timedelta) -> dict[str, list[int]]:
        return summaries_stuck(older_than=older_than)

    def stuck_timeout(self) -> timedelta:
        return timedelta(seconds=summaries_setting("RUNNING_TIMEOUT_SECONDS"))

    def outputs_abandon(
        self, *, document_ids: Sequence[int], producer: str, reason: str
    ) -> int:
        return Summary.objects.filter(
            producer=producer,
            document_id__in=list(document_ids),
            status__in=Summary.PENDING,
        ).update(
            status=Summary.Status.FAILED, error=reason[:2000], updated_at=timezone.now()
        )

    def enqueue(self, *, document_ids: Sequence[int], backend_alias: str) -> None:
        summaries_enqueue(document_ids=document_ids, backend_alias=backend_alias)

    def process(
        self, *, document_ids: Sequence[int], backend_alias: str
    ) -> dict[int, ItemOutcome]:
        producer = self.producer_for(backend_alias=backend_alias)
        ids = list(document_ids)
        done_before = {
            pk
            for pk, (status, _error) in summary_outcomes(
                document_ids=ids, producer=producer
            ).items()
            if status in Summary.DONE
        }
        summaries_generate(document_ids=ids, backend_alias=backend_alias, force=True)
        after = summary_outcomes(document_ids=ids, producer=producer)
        outcomes = {}
        for pk in ids:
            status, error = after.get(pk, ("", ""))
            if pk in done_before:
                outcomes[pk] = ItemOutcome("skipped")
            elif status in Summary.DONE:
                outcomes[pk] = ItemOutcome("done")
            elif not status:
                outcomes[pk] = ItemOutcome("skipped", "The document no longer exists.")
            elif status in Summary.PENDING:
                outcomes[pk] = ItemOutcome("busy")
            else:
                outcomes[pk] = ItemOutcome(
                    "failed", error or f"Summary ended as {status}."
                )
        return outcomes

    def prune(self, *, keep_producers: set[str], dry_run: bool) -> dict[str, int]:
        return summaries_prune(keep_producers=keep_producers, dry_run=dry_run)


output_kind_register(SummariesOutput())
