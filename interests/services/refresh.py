"""Readers' interests: coalesced refresh requests, the refresh itself (rebuilt from history, so idempotent), re-derivation after an embeddings switch, and reset."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import numpy as np

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..conf import interests_setting
from ..models import Interaction, UserInterest
from ..tasks import user_interest_refresh as user_interest_refresh_task

logger = logging.getLogger(__name__)


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

    from ..selectors import embedding_producer_active, user_interest_build

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
