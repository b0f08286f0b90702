"""Generation of machine summaries in batches, and their pruning.

Generation claims rows in a short transaction, runs the model outside any
transaction, and writes the results in another short one. Rows are keyed by
``(document, content_sha256, producer)``, so running the same work twice
writes nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from celery.exceptions import SoftTimeLimitExceeded

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from docsite.documents.models import Document
from docsite.ml.outputs import producer_rows_delete
from docsite.tasking import task_enqueue_on_commit

from ..backends import BaseSummarizer, get_summarizer, summary_budget
from ..backends.base import SummarizerError
from ..claims import claims_release, claims_take
from ..conf import summaries_setting
from ..faithfulness import faithfulness_check_batch, flags_need_attention
from ..models import Summary
from ..tasks import summaries_generate as summaries_generate_task

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GenerationReport:
    generated: int = 0
    skipped: int = 0
    failed: int = 0


def summary_row_params(summarizer: BaseSummarizer, *, variant: int = 0) -> dict:
    params = {**summarizer.params, "budget": summary_budget().as_dict()}
    if variant:
        params["variant"] = variant
    return params


def _claim(
    *,
    document_ids: Sequence[int],
    summarizer: BaseSummarizer,
    force: bool,
    variant: int = 0,
) -> list[Summary]:
    """Create missing rows and mark the claimable ones running; return those."""
    producer = summarizer.producer_for(summary_budget(), variant=variant)
    documents = Document.objects.filter(pk__in=document_ids).only(
        "pk", "content_sha256"
    )
    Summary.objects.bulk_create(
        [
            Summary(
                document_id=document.pk,
                content_sha256=document.content_sha256,
                producer=producer,
                backend=summarizer.name,
                model_id=summarizer.model_id[:300],
                params=summary_row_params(summarizer, variant=variant),
            )
            for document in documents
        ],
        ignore_conflicts=True,
    )
    # Running rows are claimable when their claim died with its worker
    # (claims.py); a live claim keeps its lock and its rows.
    claimable = Q(status=Summary.Status.QUEUED) | Q(status=Summary.Status.RUNNING)
    if force:
        claimable |= Q(status=Summary.Status.FAILED)
    with transaction.atomic():
        rows = list(
            Summary.objects.select_for_update(skip_locked=True)
            .filter(
                claimable,
                producer=producer,
                document_id__in=document_ids,
                document__content_sha256=F("content_sha256"),
            )
            .select_related("document")
        )
        held = claims_take([row.pk for row in rows])
        rows = [row for row in rows if row.pk in held]
        now = timezone.now()
        for row in rows:
            row.status = Summary.Status.RUNNING
            row.started_at = now
            row.attempts += 1
            row.error = ""
        Summary.objects.bulk_update(rows, ["status", "started_at", "attempts", "error"])
    return rows


def summaries_generate(
    *,
    document_ids: Sequence[int],
    backend_alias: str = "default",
    force: bool = False,
    variant: int = 0,
) -> GenerationReport:
    """Summarize the current text of these documents with one batched call.

    Documents that already have a summary from this producer for their
    current text are skipped. ``force`` also retries rows that failed.
    Permanent errors are stored on the rows, readably; transient ones put the
    rows back in the queue and are raised so the task retries.
    """
    summarizer = get_summarizer(backend_alias)
    rows = _claim(
        document_ids=document_ids, summarizer=summarizer, force=force, variant=variant
    )
    try:
        return _generate_claimed(
            rows,
            summarizer=summarizer,
            document_ids=document_ids,
            backend_alias=backend_alias,
            force=force,
            variant=variant,
        )
    finally:
        claims_release([row.pk for row in rows])


def _generate_claimed(
    rows: list[Summary],
    *,
    summarizer: BaseSummarizer,
    document_ids: Sequence[int],
    backend_alias: str,
    force: bool,
    variant: int,
) -> GenerationReport:
    skipped = len(set(document_ids)) - len(rows)
    if not rows:
        return GenerationReport(skipped=skipped)

    texts = [row.document.text for row in rows]
    languages = {row.document.language for row in rows}
    language = languages.pop() if len(languages) == 1 else None
    try:
        results = summarizer.summarize_batch(
            texts,
            budget=summary_budget(),
            language=language or None,
            blocks=[row.document.blocks or None for row in rows],
            variant=variant,
        )
    except SoftTimeLimitExceeded:
        return _split_after_time_limit(
            rows,
            backend_alias=backend_alias,
            force=force,
            variant=variant,
            skipped=skipped,
        )
    except SummarizerError as exc:
        if exc.transient:
            Summary.objects.filter(pk__in=[r.pk for r in rows]).update(
                status=Summary.Status.QUEUED
            )
            raise
        _mark_failed(rows, f"The summarizer could not run: {exc}")
        return GenerationReport(skipped=skipped, failed=len(rows))
    except Exception as exc:
        _mark_failed(
            rows, f"Unexpected error in the summarizer ({type(exc).__name__}): {exc}"
        )
        raise

    checks = _faithfulness_checks(summarizer=summarizer, rows=rows, results=results)
    now = timezone.now()
    with transaction.atomic():
        for row, result, flags in zip(rows, results, checks, strict=True):
            row.flags = flags
            row.needs_attention = flags_need_attention(flags)
            row.text = result.text
            row.tokens_in = result.tokens_in
            row.tokens_out = result.tokens_out
            row.duration_ms = round(result.seconds * 1000)
            row.status = (
                Summary.Status.GENERATED if result.text else Summary.Status.FAILED
            )
            row.error = (
                "" if result.text else "The summarizer returned an empty summary."
            )
            row.generated_at = now
        Summary.objects.bulk_update(
            rows,
            [
                "text",
                "tokens_in",
                "tokens_out",
                "duration_ms",
                "status",
                "error",
                "generated_at",
                "flags",
                "needs_attention",
            ],
        )
    failed = sum(1 for row in rows if row.status == Summary.Status.FAILED)
    logger.info(
        "summarized %d documents with %s (%d skipped)",
        len(rows),
        rows[0].producer,
        skipped,
    )
    return GenerationReport(
        generated=len(rows) - failed, skipped=skipped, failed=failed
    )


def _split_after_time_limit(
    rows: list[Summary],
    *,
    backend_alias: str,
    force: bool,
    variant: int,
    skipped: int,
) -> GenerationReport:
    """Requeue a batch that ran out of time as two halves, each a task of its own.

    One slow document (a long text on a slow model) must not fail every row
    of its batch. Halving isolates it: a batch of one that still runs out of
    time is failed with a readable error, the others are summarized.
    """
    if len(rows) == 1:
        _mark_failed(
            rows,
            "Summarizing this document took longer than the task's time limit.",
        )
        return GenerationReport(skipped=skipped, failed=1)
    Summary.objects.filter(pk__in=[row.pk for row in rows]).update(
        status=Summary.Status.QUEUED, started_at=None
    )
    document_ids = [row.document_id for row in rows]
    middle = len(document_ids) // 2
    for half in (document_ids[:middle], document_ids[middle:]):
        summaries_enqueue(
            document_ids=half,
            backend_alias=backend_alias,
            force=force,
            variant=variant,
            top_up=False,
        )
    logger.warning(
        "summarizing %d documents ran out of time; requeued as two halves",
        len(rows),
    )
    return GenerationReport(skipped=skipped)


def _faithfulness_checks(
    *, summarizer: BaseSummarizer, rows: list[Summary], results: Sequence
) -> list[list[dict]]:
    """Return the faithfulness flags of each generated text (none for verbatim backends).

    Runs outside any transaction, like the summarizer. When the check itself
    fails, every summary of the batch is marked for attention with the
    reason, rather than passing unchecked.
    """
    if summarizer.verbatim:
        return [[] for _ in rows]
    config = summaries_setting("FAITHFULNESS")
    threshold = config.get("THRESHOLD")
    try:
        from docsite.ml.embedders import get_embedder

        checks = faithfulness_check_batch(
            summaries=[result.text for result in results],
            sources=[row.document.text for row in rows],
            blocks=[row.document.blocks or None for row in rows],
            embedder=get_embedder(config.get("EMBEDDER", "default")),
            **({"threshold": float(threshold)} if threshold is not None else {}),
        )
    except Exception as exc:
        logger.exception(
            "faithfulness check failed for summaries %s", [r.pk for r in rows]
        )
        reason = f"The faithfulness check could not run ({type(exc).__name__}): {exc}"
        return [
            [{"sentence": "", "support": 0.0, "evidence": [], "missing": [],
              "flagged": True, "reason": reason[:500]}]
            for _ in rows
        ]  # fmt: skip
    return [[flag.as_dict() for flag in flags] for flags in checks]


def _mark_failed(rows: list[Summary], message: str) -> None:
    logger.error("summaries %s failed: %s", [r.pk for r in rows], message)
    Summary.objects.filter(pk__in=[r.pk for r in rows]).update(
        status=Summary.Status.FAILED, error=message[:2000], updated_at=timezone.now()
    )


def summaries_enqueue(
    *,
    document_ids: Sequence[int],
    backend_alias: str = "default",
    force: bool = False,
    variant: int = 0,
    top_up: bool = True,
) -> None:
    """Send the documents to the ``ml`` queue once the transaction commits.

    ``top_up=False`` keeps the task to these documents (no other due ones
    added to its batch).
    """
    extra: dict = {"variant": variant} if variant else {}
    if not top_up:
        extra["top_up"] = False
    task_enqueue_on_commit(
        summaries_generate_task,
        document_ids=list(document_ids),
        backend_alias=backend_alias,
        force=force,
        **extra,
    )


def summaries_prune(
    *, keep_producers: set[str], dry_run: bool = False
) -> dict[str, int]:
    """Delete machine summaries of producers not in ``keep_producers``.

    Approved summaries and editors' versions are never deleted: they carry
    human judgement. Return the rows (to be) deleted per producer.
    """
    doomed = (
        Summary.objects.exclude(producer__in=keep_producers)
        .exclude(backend="human")
        .exclude(status=Summary.Status.APPROVED)
    )
    return producer_rows_delete(rows=doomed, dry_run=dry_run)
