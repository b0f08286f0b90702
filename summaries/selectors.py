"""Reads of summaries. Callers pass documents the reader may already see; these
selectors never widen access."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import TruncHour
from django.http import Http404
from django.utils import timezone

from docsite.documents.models import Document
from docsite.documents.selectors import (
    User,
    space_ids_visible,
    space_list_editable,
)
from docsite.ml.outputs import SUMMARIES, LiveProducer, producer_live

from .backends import get_summarizer, summary_budget
from .conf import summaries_setting
from .models import Summary, SummaryEvent


def summary_producer_live() -> LiveProducer:
    """Return the backend alias and producer whose summaries readers see.

    Blue/green: a reprocessing job switches this in one step once the new
    producer's summaries are complete. Building the backend object loads no
    model, so the web process can call this cheaply.
    """
    return producer_live(kind=SUMMARIES)


def summary_producer_for(*, backend_alias: str) -> str:
    """Return the producer key that ``backend_alias`` writes now."""
    return get_summarizer(backend_alias).producer_for(summary_budget())


def _current_candidates_all() -> QuerySet[Summary]:
    return Summary.objects.filter(content_sha256=F("document__content_sha256"))


def _current_candidates(document_ids: Iterable[int]) -> QuerySet[Summary]:
    return _current_candidates_all().filter(document_id__in=list(document_ids))


def summaries_current_for(
    *, document_ids: Iterable[int], require_approval: bool | None = None
) -> dict[int, Summary]:
    """Return the summary each document shows now, keyed by document id.

    The newest approved summary of the current text wins; without one, the
    newest generated summary of the live producer, then of any producer,
    unless ``SUMMARIES_REQUIRE_APPROVAL`` is on.
    """
    if require_approval is None:
        require_approval = summaries_setting("REQUIRE_APPROVAL")
    statuses = [Summary.Status.APPROVED]
    if not require_approval:
        statuses.append(Summary.Status.GENERATED)
    live = summary_producer_live().producer
    # Approved first; then the live producer's; then any other generated one,
    # so a document saved during a reprocessing job still shows a summary.
    priority = Case(
        When(status=Summary.Status.APPROVED, then=Value(0)),
        When(producer=live, then=Value(1)),
        default=Value(2),
    )
    rows = (
        _current_candidates(document_ids)
        .filter(status__in=statuses)
        .order_by(
            "document_id",
            priority,
            F("reviewed_at").desc(nulls_last=True),
            F("generated_at").desc(nulls_last=True),
            "-id",
        )
        .distinct("document_id")
    )
    return {row.document_id: row for row in rows}


def summary_current(
    *, document: Document, require_approval: bool | None = None
) -> Summary | None:
    return summaries_current_for(
        document_ids=[document.pk], require_approval=require_approval
    ).get(document.pk)


@dataclass(frozen=True)
class SummaryState:
    """What the document page says about its summary."""

    summary: Summary | None
    # "ready", "pending", "awaiting_review", "failed", "rejected", "none".
    # "rejected": an editor rejected the current text's summary; ``error``
    # holds their reason and ``summary`` the last approved one of an earlier
    # text, if any.
    status: str
    error: str = ""

    @property
    def is_pending(self) -> bool:
        return self.status == "pending"


def summary_state_for(*, document: Document) -> SummaryState:
    current = summary_current(document=document)
    if current is not None:
        return SummaryState(current, "ready")
    latest = (
        _current_candidates([document.pk])
        .exclude(backend="human")
        .order_by("-updated_at")
        .first()
    )
    if latest is None or latest.status in Summary.PENDING:
        return SummaryState(None, "pending")
    if latest.status == Summary.Status.FAILED:
        return SummaryState(None, "failed", latest.error)
    if latest.status == Summary.Status.GENERATED:
        return SummaryState(None, "awaiting_review")
    if latest.status == Summary.Status.REJECTED:
        previous = (
            document.summaries.filter(status=Summary.Status.APPROVED)
            .select_related("author", "reviewed_by")
            .order_by(F("reviewed_at").desc(nulls_last=True), "-id")
            .first()
        )
        return SummaryState(previous, "rejected", summary_rejection_reason(latest))
    return SummaryState(None, "none")


def summary_rejection_reason(summary: Summary) -> str:
    """Return the reason given when ``summary`` was last rejected ("" if none)."""
    event = (
        SummaryEvent.objects.filter(
            summary=summary, action=SummaryEvent.Action.REJECTED
        )
        .order_by("-created_at", "-id")
        .first()
    )
    return str(event.changes.get("reason", "")) if event else ""


def summary_history(*, document: Document) -> QuerySet[Summary]:
    return document.summaries.select_related("author", "reviewed_by").order_by(
        "-created_at"
    )


REVIEW_PERMISSION = "summaries.review_summary"


def summaries_reviewable(*, user: User) -> QuerySet[Summary]:
    """Return the summaries ``user`` may review: holders of the review
    permission, for the documents of spaces they may edit (editors review
    their spaces; a viewer holding the permission reviews nothing)."""
    if not user.is_authenticated or not user.has_perm(REVIEW_PERMISSION):
        return Summary.objects.none()
    return Summary.objects.filter(
        document__space__in=space_list_editable(user=user).values("pk")
    )


def summary_user_may_review(*, user: User, summary: Summary) -> bool:
    return summaries_reviewable(user=user).filter(pk=summary.pk).exists()


def summary_get_visible(*, user: User, summary_id: int) -> Summary:
    """Return the summary, or raise Http404 when its document is hidden from ``user``."""
    summary = (
        Summary.objects.filter(
            pk=summary_id, document__space__in=space_ids_visible(user=user)
        )
        .select_related("document", "author", "reviewed_by")
        .first()
    )
    if summary is None:
        raise Http404("No such summary.")
    return summary


def documents_without_summary(*, producer: str | None) -> QuerySet[Document]:
    """Return documents whose current text has no summary row from ``producer``
    (``None``: from any producer, i.e. new or changed documents)."""
    has_row = Summary.objects.filter(
        document=OuterRef("pk"), content_sha256=OuterRef("content_sha256")
    )
    if producer is not None:
        has_row = has_row.filter(producer=producer)
    return Document.objects.filter(~Exists(has_row))


def summaries_stuck(*, older_than: timedelta) -> dict[str, list[int]]:
    """Return ``{producer: document ids}`` of summaries of the current texts left
    queued or running for longer than ``older_than``."""
    before = timezone.now() - older_than
    rows = (
        _current_candidates_all()
        .filter(
            Q(status=Summary.Status.QUEUED, updated_at__lt=before)
            | Q(status=Summary.Status.RUNNING, started_at__lt=before)
        )
        .values_list("producer", "document_id")
    )
    stuck: dict[str, list[int]] = {}
    for producer, document_id in rows:
        stuck.setdefault(producer, []).append(document_id)
    return stuck


def summary_seconds_measured(*, producer: str, sample: int = 50) -> float | None:
    """Return the median seconds per summary of ``producer``'s recent rows, if enough."""
    durations = sorted(
        Summary.objects.filter(producer=producer, status__in=Summary.DONE)
        .exclude(generated_at=None)
        .order_by("-generated_at")
        .values_list("duration_ms", flat=True)[:sample]
    )
    if len(durations) < 5:
        return None
    return durations[len(durations) // 2] / 1000


def summary_outcomes(
    *, document_ids: list[int], producer: str
) -> dict[int, tuple[str, str]]:
    """Return ``{document_id: (status, error)}`` of ``producer``'s rows for the current texts."""
    rows = _current_candidates(document_ids).filter(producer=producer)
    return {
        row.document_id: (row.status, row.error)
        for row in rows.only("document_id", "status", "error")
    }


# Operator dashboard ----------------------------------------------------------


def _summaries_seen_by(user) -> QuerySet[Summary]:
    """Every summary, or with ``user`` those of documents they may read."""
    if user is None:
        return Summary.objects.all()
    return Summary.objects.filter(document__space__in=space_ids_visible(user=user))


def summary_status_counts(*, user=None) -> dict[str, int]:
    """Return ``{status: count}``, each status present (0 if none).

    Over every summary, or with ``user`` over those of the spaces they read.
    """
    counts = dict(
        _summaries_seen_by(user)
        .order_by()
        .values("status")
        .annotate(count=Count("id"))
        .values_list("status", "count")
    )
    return {status: counts.get(status, 0) for status in Summary.Status.values}


@dataclass(frozen=True)
class ProducerCounts:
    """How many summaries one producer made, by status."""

    producer: str
    backend: str
    counts: dict[str, int]
    is_live: bool

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def by_status(self) -> list[tuple[str, int]]:
        """``[(status, count)]`` in the order of ``Summary.Status``."""
        return [
            (status, self.counts.get(status, 0)) for status in Summary.Status.values
        ]


def summary_producer_counts(*, user=None) -> list[ProducerCounts]:
    """Return each producer's summaries by status: the live producer first, then by size."""
    rows = (
        _summaries_seen_by(user)
        .order_by()
        .values("producer", "backend", "status")
        .annotate(count=Count("id"))
    )
    by_producer: dict[tuple[str, str], dict[str, int]] = {}
    for row in rows:
        counts = by_producer.setdefault(
            (row["producer"], row["backend"]), dict.fromkeys(Summary.Status.values, 0)
        )
        counts[row["status"]] = row["count"]
    live = summary_producer_live().producer
    producers = [
        ProducerCounts(producer, backend, counts, producer == live)
        for (producer, backend), counts in by_producer.items()
    ]
    return sorted(producers, key=lambda p: (not p.is_live, -p.total, p.producer))


def summary_throughput_hourly(
    *, hours: int = 24, now=None, user=None
) -> list[tuple[object, int]]:
    """Return ``[(hour start, summaries generated in that hour)]``, oldest first.

    Counts rows by ``generated_at``; hours without any are 0, so the list
    always has ``hours`` entries ending with the current hour.
    """
    now = now or timezone.now()
    last = now.replace(minute=0, second=0, microsecond=0)
    first = last - timedelta(hours=hours - 1)
    rows = (
        _summaries_seen_by(user)
        .filter(generated_at__gte=first)
        .annotate(hour=TruncHour("generated_at"))
        .order_by()
        .values("hour")
        .annotate(count=Count("id"))
        .values_list("hour", "count")
    )
    by_hour = {hour: count for hour, count in rows}
    slots = [first + timedelta(hours=i) for i in range(hours)]
    return [(slot, by_hour.get(slot, 0)) for slot in slots]


def summaries_failed_recent(*, user, limit: int = 10) -> QuerySet[Summary]:
    """Return the most recently failed summaries of documents ``user`` may read."""
    return (
        _summaries_seen_by(user)
        .filter(status=Summary.Status.FAILED)
        .select_related("document", "document__space")
        .defer("document__text", "document__html")
        .order_by("-updated_at")[:limit]
    )
