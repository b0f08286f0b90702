"""Writes of the interests app: document vectors, interactions and interest refreshes.

Model inference runs outside any transaction; results are written in short
ones. Vector rows are keyed by ``(document, content_sha256, producer)`` and
interest rows are rebuilt from history, so every task here is idempotent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from docsite.documents.models import Document
from docsite.documents.selectors import document_get_visible, space_ids_visible
from docsite.ml.embedders import get_embedder
from docsite.ml.embedders.base import BaseEmbedder
from docsite.ml.outputs import producer_rows_delete
from docsite.tasking import task_enqueue_on_commit

from .conf import interests_setting
from .models import DocumentVector, Interaction, UserInterest
from .ranking import unit
from .selectors import (
    embedder_live,
    embedding_producer_for,
    embedding_producer_live,
    search_prepare,
)
from .tasks import document_vectors_compute as document_vectors_compute_task
from .tasks import user_interest_refresh as user_interest_refresh_task

logger = logging.getLogger(__name__)

# Characters of text tokenized for chunking; beyond MAX_CHUNKS × CHUNK_TOKENS
# nothing is embedded, so tokenizing a 2 MB text whole would be wasted work.
CHARS_PER_TOKEN_BOUND = 8


@dataclass(frozen=True)
class VectorReport:
    computed: int = 0
    skipped: int = 0
    chunks: int = 0


def _chunks_by_tokens(
    *, text: str, embedder: BaseEmbedder, chunk_tokens: int, max_chunks: int
) -> list[str]:
    """Split ``text`` into pieces of at most ``chunk_tokens`` model tokens."""
    text = text[: chunk_tokens * max_chunks * CHARS_PER_TOKEN_BOUND]
    tokenizer = getattr(embedder, "tokenizer", None)
    if tokenizer is None:
        # Embedders without a tokenizer: about three words per four tokens.
        words = text.split()
        step = max(1, chunk_tokens * 3 // 4)
        return [" ".join(words[i : i + step]) for i in range(0, len(words), step)][
            :max_chunks
        ]
    offsets = tokenizer(
        text, add_special_tokens=False, return_offsets_mapping=True, truncation=False
    )["offset_mapping"]
    chunks = []
    for start in range(0, len(offsets), chunk_tokens):
        window = offsets[start : start + chunk_tokens]
        chunks.append(text[window[0][0] : window[-1][1]])
        if len(chunks) == max_chunks:
            break
    return chunks


def document_embedding_texts(
    *, documents: Sequence[Document], embedder: BaseEmbedder, representation: str
) -> list[list[str]]:
    """Return, per document, the texts whose pooled embedding is its vector."""
    summaries: dict[int, object] = {}
    if representation == "title_summary":
        from summaries.selectors import summaries_current_for

        summaries = summaries_current_for(document_ids=[d.pk for d in documents])
    texts = []
    for document in documents:
        title = document.title.strip()
        body = re.sub(r"\s+", " ", document.text).strip()
        if representation == "title_summary" and document.pk in summaries:
            texts.append([f"{title}. {summaries[document.pk].text}"])
        elif representation == "chunks":
            chunks = _chunks_by_tokens(
                text=body,
                embedder=embedder,
                chunk_tokens=interests_setting("CHUNK_TOKENS"),
                max_chunks=interests_setting("MAX_CHUNKS"),
            )
            # The title goes with every chunk: it says what each piece is about.
            texts.append([f"{title}. {chunk}" for chunk in chunks] or [title])
        else:
            texts.append([f"{title}. {body[:4000]}"])
    return texts


def document_vectors_compute(
    *,
    document_ids: Sequence[int],
    force: bool = False,
    embedder_alias: str | None = None,
) -> VectorReport:
    """Embed the current text of these documents in one batched model call.

    ``embedder_alias`` (default: the live one) names the ``DOCSITE_EMBEDDERS``
    entry to use. Documents that already have a vector for their current text
    from that producer are skipped, unless ``force``. A document's older
    vectors from the same producer are removed.
    """
    if embedder_alias is None:
        embedder_alias = embedding_producer_live().backend_alias
    embedder = get_embedder(embedder_alias)
    representation = interests_setting("DOCUMENT_REPRESENTATION")
    producer = embedding_producer_for(embedder=embedder, representation=representation)
    documents = Document.objects.filter(pk__in=list(document_ids)).only(
        "pk", "title", "text", "content_sha256"
    )
    if not force:
        documents = documents.exclude(
            pk__in=DocumentVector.objects.filter(
                producer=producer, document_id__in=list(document_ids)
            )
            .filter(content_sha256=F("document__content_sha256"))
            .values("document_id")
        )
    documents = list(documents)
    skipped = len(set(document_ids)) - len(documents)
    if not documents:
        return VectorReport(skipped=skipped)

    per_document = document_embedding_texts(
        documents=documents, embedder=embedder, representation=representation
    )
    flat = [text for texts in per_document for text in texts]
    chunk_vectors = embedder.embed_batch(flat)
    rows, start = [], 0
    for document, texts in zip(documents, per_document, strict=True):
        pooled = unit(chunk_vectors[start : start + len(texts)].mean(axis=0))
        start += len(texts)
        if pooled is None:
            continue
        rows.append(
            DocumentVector(
                document_id=document.pk,
                content_sha256=document.content_sha256,
                producer=producer,
                embedding=pooled,
                chunks=len(texts),
            )
        )
    if rows:
        vector_index_ensure(dimension=len(rows[0].embedding))
    with transaction.atomic():
        if force:
            DocumentVector.objects.filter(
                producer=producer, document_id__in=[r.document_id for r in rows]
            ).delete()
        DocumentVector.objects.bulk_create(rows, ignore_conflicts=True)
        stale = Q()
        for row in rows:
            stale |= Q(document_id=row.document_id) & ~Q(
                content_sha256=row.content_sha256
            )
        if rows:
            DocumentVector.objects.filter(stale, producer=producer).delete()
    logger.info(
        "embedded %d documents (%d chunks) with %s", len(rows), len(flat), producer
    )
    return VectorReport(computed=len(rows), skipped=skipped, chunks=len(flat))


_indexed_sizes: set[int] = set()


def vector_index_sql(dimension: int) -> tuple[str, str]:
    """Return the SQL creating and dropping the HNSW index of ``dimension``-sized vectors."""
    dimension = int(dimension)
    name = f"docvector_hnsw_{dimension}d"
    create = (
        f"CREATE INDEX IF NOT EXISTS {name} ON interests_documentvector "
        f"USING hnsw ((embedding::vector({dimension})) vector_cosine_ops) "
        f"WITH (m = 16, ef_construction = 64) "
        f"WHERE vector_dims(embedding) = {dimension}"
    )
    return create, f"DROP INDEX IF EXISTS {name}"


def vector_index_ensure(*, dimension: int) -> None:
    """Create the HNSW index for vectors of ``dimension`` unless it exists.

    Each size in use has its own partial index (an HNSW index needs a fixed
    size; the column has none). A new embedder's first vectors create theirs,
    once per process; ``IF NOT EXISTS`` makes a race harmless.
    """
    if dimension in _indexed_sizes:
        return
    create, _drop = vector_index_sql(dimension)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_indexes WHERE tablename = 'interests_documentvector' "
            "AND indexname = %s",
            [f"docvector_hnsw_{int(dimension)}d"],
        )
        if cursor.fetchone() is None:
            if connection.in_atomic_block:
                # CREATE INDEX refuses a table with deferred foreign-key
                # checks pending in this transaction; run them now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(create)
    if not connection.in_atomic_block:
        # Only once committed: a rolled-back transaction takes the index along.
        _indexed_sizes.add(dimension)


def document_vectors_enqueue(
    *, document_ids: Sequence[int], embedder_alias: str | None = None
) -> None:
    """Send the documents to the ``ml`` queue once the transaction commits."""
    task_enqueue_on_commit(
        document_vectors_compute_task,
        document_ids=list(document_ids),
        embedder_alias=embedder_alias,
    )


def document_vectors_prune(
    *, keep_producers: set[str], dry_run: bool = False
) -> dict[str, int]:
    """Delete vectors of producers not in ``keep_producers``; return counts per producer."""
    doomed = DocumentVector.objects.exclude(producer__in=keep_producers)
    return producer_rows_delete(rows=doomed, dry_run=dry_run)


# Interactions -------------------------------------------------------------


class InvalidInteraction(ValueError):
    """The interaction's kind or values are not acceptable."""


def interaction_record(
    *,
    user: AbstractBaseUser,
    document_id: int,
    kind: str,
    dwell_seconds: int | None = None,
    query: str = "",
    source: str = "",
) -> Interaction:
    """Record one interaction and queue a refresh of the reader's interests.

    Likes, bookmarks and dismissals are states, not events: recording one the
    reader already holds returns the existing row (see ``interaction_mark``).

    ``source="feed"``: the reader opened the document from the feed, which
    marks the feed impression clicked (training data for its ranker).

    Raise ``Http404`` when the document is missing or hidden from ``user``,
    and ``InvalidInteraction`` for an unknown kind or a negative dwell.
    """
    if kind in Interaction.TOGGLE_KINDS:
        interaction, _created = interaction_mark(
            user=user, document_id=document_id, kind=kind
        )
        return interaction
    if kind not in Interaction.Kind.values:
        raise InvalidInteraction(f"Unknown kind '{kind}'.")
    if dwell_seconds is not None:
        if dwell_seconds < 0:
            raise InvalidInteraction("dwell_seconds cannot be negative.")
        # A tab left open overnight is not a day of reading.
        dwell_seconds = min(int(dwell_seconds), 3600)
    document = document_get_visible(user=user, document_id=document_id)
    interaction = None
    if kind == Interaction.Kind.VIEW:
        interaction = _view_merge(
            user=user, document=document, dwell_seconds=dwell_seconds
        )
    if interaction is None:
        interaction = Interaction.objects.create(
            user=user,
            document=document,
            kind=kind,
            dwell_seconds=dwell_seconds if kind == Interaction.Kind.VIEW else None,
            query=query[:500] if kind == Interaction.Kind.SEARCH_CLICK else "",
        )
    if source == "feed":
        from .learning import feed_click_record

        feed_click_record(user=user, document_id=document.pk)
    _refresh_on_commit(user_id=user.pk)
    return interaction


def _view_merge(
    *, user: AbstractBaseUser, document: Document, dwell_seconds: int | None
) -> Interaction | None:
    """Fold a view into the reader's view of the same document a moment ago.

    The reading beacon fires each time the tab is hidden, so switching tabs
    would otherwise count one reading many times. The dwell times add up.
    Return the merged interaction, or None when there is none to merge into.
    """
    window = timedelta(seconds=interests_setting("VIEW_MERGE_SECONDS"))
    with transaction.atomic():
        previous = (
            Interaction.objects.select_for_update()
            .filter(
                user=user,
                document=document,
                kind=Interaction.Kind.VIEW,
                created_at__gte=timezone.now() - window,
            )
            .order_by("-created_at", "-id")
            .first()
        )
        if previous is None:
            return None
        if dwell_seconds is not None:
            previous.dwell_seconds = min(
                (previous.dwell_seconds or 0) + dwell_seconds, 3600
            )
            previous.save(update_fields=["dwell_seconds"])
    return previous


def _refresh_on_commit(*, user_id: int) -> None:
    transaction.on_commit(lambda: user_interest_refresh_request(user_id=user_id))


def _toggle_kind(kind: str) -> str:
    if kind not in Interaction.TOGGLE_KINDS:
        raise InvalidInteraction(
            f"Only {', '.join(Interaction.TOGGLE_KINDS)} can be set and undone, "
            f"not '{kind}'."
        )
    return kind


def interaction_mark(
    *, user: AbstractBaseUser, document_id: int, kind: str
) -> tuple[Interaction, bool]:
    """Like, bookmark or dismiss a document; return ``(interaction, created)``.

    Idempotent: a reader holds at most one of each per document (a database
    constraint), so a double click or a retried request returns the existing
    row with ``created`` False and changes nothing.
    """
    kind = _toggle_kind(kind)
    document = document_get_visible(user=user, document_id=document_id)
    try:
        with transaction.atomic():
            interaction, created = Interaction.objects.get_or_create(
                user=user, document=document, kind=kind
            )
    except IntegrityError:
        # A concurrent request inserted it between the read and the write.
        interaction = Interaction.objects.get(user=user, document=document, kind=kind)
        created = False
    if created:
        _refresh_on_commit(user_id=user.pk)
    return interaction, created


def interaction_undo(*, user: AbstractBaseUser, document_id: int, kind: str) -> int:
    """Take back a like, bookmark or dismissal; return how many rows went (0 or 1).

    The row is deleted, not flagged: interests, popularity and the feed read
    interactions, so an undone like stops counting everywhere at once, and
    the reader's interests are rebuilt without it. Undoing what was never
    done is not an error. Raise ``Http404`` for a document the reader cannot
    see, like every other interaction service.
    """
    kind = _toggle_kind(kind)
    document_get_visible(user=user, document_id=document_id)
    deleted, _ = Interaction.objects.filter(
        user=user, document_id=document_id, kind=kind
    ).delete()
    if deleted:
        _refresh_on_commit(user_id=user.pk)
    return deleted


def interaction_delete(*, user: AbstractBaseUser, interaction_id: int) -> None:
    """Delete one of the reader's own likes, bookmarks or dismissals by id.

    Raise ``Interaction.DoesNotExist`` when it is not the reader's, not a
    toggle kind, or on a document they can no longer see.
    """
    interaction = Interaction.objects.get(
        pk=interaction_id,
        user=user,
        kind__in=Interaction.TOGGLE_KINDS,
        document__space__in=space_ids_visible(user=user),
    )
    interaction.delete()
    _refresh_on_commit(user_id=user.pk)


def interactions_import(*, rows: Iterable[Interaction]) -> int:
    """Insert many interactions at once (evaluation, benches, imports); no refresh is queued."""
    return len(Interaction.objects.bulk_create(list(rows), batch_size=2000))


def user_interest_refresh_request(*, user_id: int) -> bool:
    """Queue one refresh of the user's interests unless one is already waiting.

    Coalescing: the first event of a burst marks the interest row and sends a
    refresh delayed by ``INTERESTS_REFRESH_DELAY_SECONDS``; later events see
    the mark and send nothing. The refresh clears the mark before it reads
    the history, so an event that arrives after it started sends a new one
    and no event is ever left out. Return True when a task was sent.
    """
    now = timezone.now()
    stale_before = now - timedelta(seconds=interests_setting("REFRESH_STALE_SECONDS"))
    marked = UserInterest.objects.filter(
        Q(refresh_queued_at__isnull=True) | Q(refresh_queued_at__lt=stale_before),
        user_id=user_id,
    ).update(refresh_queued_at=now)
    if not marked:
        # INSERT ... ON CONFLICT DO NOTHING: no error to recover from, so a
        # caller's transaction is never left broken by a concurrent request.
        UserInterest.objects.bulk_create(
            [UserInterest(user_id=user_id, refresh_queued_at=now)],
            ignore_conflicts=True,
        )
        if not UserInterest.objects.filter(
            user_id=user_id, refresh_queued_at=now
        ).exists():
            return False  # the row exists and a refresh is already queued
    sent = _task_send_delayed(
        user_interest_refresh_task,
        countdown=interests_setting("REFRESH_DELAY_SECONDS"),
        user_id=user_id,
    )
    if not sent:
        # Let the next event try again instead of waiting for the stale mark.
        UserInterest.objects.filter(user_id=user_id).update(refresh_queued_at=None)
    return sent


def user_interests_due_enqueue(*, limit: int = 500) -> int:
    """Request a refresh for readers with events their interests never saw.

    Called by the sweeper: an event recorded while the broker was down sent
    no refresh (and, with no event after it, none would ever come). Due: the
    reader's newest interaction is newer than the one their interests were
    built from, and no refresh is waiting. Return how many were requested.
    """
    stale_before = timezone.now() - timedelta(
        seconds=interests_setting("REFRESH_STALE_SECONDS")
    )
    built_from = UserInterest.objects.filter(user_id=OuterRef("user_id"))
    due = (
        Interaction.objects.order_by()
        .values("user_id")
        .annotate(newest=Max("pk"))
        .annotate(
            seen=Coalesce(Subquery(built_from.values("last_interaction_id")[:1]), 0),
            queued=Subquery(built_from.values("refresh_queued_at")[:1]),
        )
        .filter(newest__gt=F("seen"))
        .filter(Q(queued__isnull=True) | Q(queued__lt=stale_before))
        .values_list("user_id", flat=True)[:limit]
    )
    return sum(user_interest_refresh_request(user_id=user_id) for user_id in due)


def _task_send_delayed(task, *, countdown: float, **kwargs) -> bool:
    """Send ``task`` with a countdown; False when the broker is unreachable."""
    from kombu.exceptions import OperationalError

    try:
        task.apply_async(kwargs=kwargs, countdown=countdown)
    except (OperationalError, ConnectionError, OSError) as exc:
        logger.warning(
            "broker unreachable, interest refresh of %s not sent: %s", kwargs, exc
        )
        return False
    return True


def user_interest_refresh(
    *, user_id: int, now: datetime | None = None, producer: str | None = None
) -> UserInterest | None:
    """Rebuild the user's interest vectors from their recent interactions.

    Idempotent: the vectors depend only on the bounded history, never on the
    previous vectors. Interactions on documents the user may no longer see
    are left out. ``producer`` (default: the live one) names the vectors used.
    """
    from django.contrib.auth import get_user_model

    from .selectors import embedding_producer_active, user_interest_build

    # Cleared first: an event committed from here on queues its own refresh.
    UserInterest.objects.filter(user_id=user_id).update(refresh_queued_at=None)
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    producer = producer or embedding_producer_active()
    interest, used, last_id = user_interest_build(user=user, producer=producer, now=now)
    row, _ = UserInterest.objects.update_or_create(
        user_id=user_id,
        defaults={
            "producer": producer,
            "long_term": interest.long_term,
            "short_term": interest.short_term,
            "negative": interest.negative,
            "centroids": [c.round(6).tolist() for c in interest.centroids],
            "exemplars": (
                interest.exemplars.astype(np.float32).tobytes()
                if interest.exemplars is not None
                else None
            ),
            "exemplar_ids": interest.exemplar_ids,
            "exemplar_weights": interest.exemplar_weights,
            "exemplar_kinds": interest.exemplar_kinds,
            "space_shares": {
                str(space): round(share, 5)
                for space, share in interest.space_shares.items()
            },
            "interactions_used": used,
            "last_interaction_id": last_id,
            "computed_at": timezone.now(),
        },
    )
    return row


def user_interests_rederive(
    *,
    producer: str,
    on_progress: Callable[[int, int], None] | None = None,
    batch_size: int = 200,
) -> int:
    """Rebuild every reader's interests from ``producer``'s vectors (an embeddings switch).

    Readers are those with interests or any interaction. ``on_progress(done,
    total)`` is called after each batch, so a job can count the work. Return
    how many readers were rebuilt.
    """
    user_ids = sorted(
        set(UserInterest.objects.values_list("user_id", flat=True))
        | set(Interaction.objects.values_list("user_id", flat=True).distinct())
    )
    done = 0
    for start in range(0, len(user_ids), batch_size):
        for user_id in user_ids[start : start + batch_size]:
            user_interest_refresh(user_id=user_id, producer=producer)
            done += 1
        if on_progress is not None:
            on_progress(done, len(user_ids))
    return done


def user_interest_reset(*, user: AbstractBaseUser) -> dict[str, int]:
    """Forget what the system learned about ``user``: interactions and interest vectors.

    Return the number of rows deleted per model. The feed falls back to fresh
    and popular documents until the reader acts again.
    """
    with transaction.atomic():
        interactions, _ = Interaction.objects.filter(user=user).delete()
        interests, _ = UserInterest.objects.filter(user=user).delete()
    return {"interactions": interactions, "interests": interests}


def search_warm_up() -> float:
    """Load what the first search needs (URLconf, query model, term weights); return seconds.

    For a web worker after it forks (gunicorn's ``post_worker_init``), so the
    first reader's search does not pay for it. Loads no torch.
    """
    import time

    from django.urls import get_resolver

    started = time.perf_counter()
    get_resolver().url_patterns  # noqa: B018  (imports every view module)
    embedder_live().embed_queries(["warm up"])
    search_prepare(query="warm up")
    return time.perf_counter() - started
