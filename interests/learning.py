"""Writes of the learned ranker: feed impressions and clicks, training, roll-back.

The feed logs what it showed with the features it ranked by; a click from
the feed marks the impression. ``ranker_train`` fits a new ranker on the
logged slates with a time-ordered validation split and promotes it only
when it beats the ranker live at the time on the same validation slates.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from .conf import interests_setting
from .models import FeedImpression, RankerVersion
from .ranker import (
    FEATURES,
    LinearRanker,
    Slate,
    ranker_fit,
    slates_evaluate,
    slates_split,
)
from .selectors import FeedPage, ranker_for_feed
from .selectors.candidates import CROWD_GENERATION_KEY

logger = logging.getLogger(__name__)

# A click counts for an impression shown at most this long before it.
CLICK_WINDOW = timedelta(hours=6)


def feed_impressions_log(
    *, user: AbstractBaseUser, page: FeedPage, shown_at: datetime | None = None
) -> uuid.UUID | None:
    """Record the items of a served feed page; return the page id (None if empty)."""
    if not page.items or not user.is_authenticated:
        return None
    page_id = uuid.uuid4()
    shown_at = shown_at or timezone.now()
    FeedImpression.objects.bulk_create(
        [
            FeedImpression(
                user=user,
                document=item.document,
                page_id=page_id,
                position=page.first_rank + offset,
                reason=item.reason[:300],
                ranker_version=page.ranker_version[:100],
                features=list(item.features),
                shown_at=shown_at,
            )
            for offset, item in enumerate(page.items)
        ]
    )
    return page_id


def feed_click_record(
    *, user: AbstractBaseUser, document_id: int, at: datetime | None = None
) -> bool:
    """Mark the reader's latest impression of the document (within CLICK_WINDOW) clicked.

    Return False when the document was not shown to them lately.
    """
    at = at or timezone.now()
    impression = (
        FeedImpression.objects.filter(
            user=user,
            document_id=document_id,
            shown_at__gte=at - CLICK_WINDOW,
            shown_at__lte=at,
        )
        .order_by("-shown_at")
        .first()
    )
    if impression is None:
        return False
    if impression.clicked_at is None:
        FeedImpression.objects.filter(pk=impression.pk).update(clicked_at=at)
        transaction.on_commit(crowd_picks_changed)
    return True


def crowd_picks_changed() -> None:
    """Make every cached crowd list stale (``documents_crowd_ids``): a reader
    opened a document from the feed."""
    try:
        # add: the counter must exist (and never expire) before incr.
        cache.add(CROWD_GENERATION_KEY, 0, timeout=None)
        cache.incr(CROWD_GENERATION_KEY)
    except Exception:  # Redis down: the lists expire on their own
        logger.warning("cache unavailable; crowd lists not refreshed", exc_info=True)


def slates_logged(*, since: datetime | None = None) -> list[Slate]:
    """Return logged feed pages as slates: features, clicks, time shown."""
    rows = FeedImpression.objects.order_by("page_id", "position")
    if since is not None:
        rows = rows.filter(shown_at__gte=since)
    pages: dict[uuid.UUID, list] = defaultdict(list)
    for page_id, features, clicked_at, shown_at in rows.values_list(
        "page_id", "features", "clicked_at", "shown_at"
    ).iterator(chunk_size=5000):
        if len(features) == len(FEATURES):
            pages[page_id].append((features, clicked_at is not None, shown_at))
    return [
        Slate(
            features=np.asarray([r[0] for r in items], dtype=np.float32),
            labels=np.asarray([r[1] for r in items], dtype=np.int32),
            order_key=items[0][2].timestamp(),
        )
        for items in pages.values()
    ]


def ranker_train(
    *,
    source: str = "feed impressions",
    since: datetime | None = None,
    features: Sequence[str] = FEATURES,
) -> RankerVersion:
    """Fit a ranker on logged impressions and record it; promote it if it wins.

    The newest ``VALIDATION_SHARE`` of slates (by time shown) validate both
    the fit and the ranker live now; the fit is promoted (the feed uses it)
    only when its validation AUC is higher on at least
    ``MIN_VALIDATION_SLATES`` slates (``INTERESTS_RANKER``). Raise
    ``ValueError`` when nothing can be learned yet.
    """
    options = interests_setting("RANKER")
    if since is None:
        since = timezone.now() - timedelta(days=options["WINDOW_DAYS"])
    train, validation = slates_split(
        slates_logged(since=since), validation_share=options["VALIDATION_SHARE"]
    )
    c = float(options["C"])
    candidate = ranker_fit(train, c=c, features=features)
    current = ranker_for_feed()
    candidate_metrics = slates_evaluate(candidate, validation)
    current_metrics = slates_evaluate(current, validation)
    promoted = (
        candidate_metrics["slates"] >= options["MIN_VALIDATION_SLATES"]
        and candidate_metrics["auc"] > current_metrics["auc"]
    )
    name = f"{candidate.version}-{timezone.now():%Y%m%d%H%M%S}"
    with transaction.atomic():
        version = RankerVersion.objects.create(
            name=name,
            algorithm="logistic",
            parameters=LinearRanker.to_dict(candidate) | {"version": name},
            source=source[:200],
            train_slates=len(train),
            validation_slates=len(validation),
            metrics={
                "candidate": candidate_metrics,
                "current": current_metrics,
                "current_version": current.version,
                "c": c,
            },
            promoted=promoted,
        )
    logger.info(
        "ranker %s: validation AUC %.2f vs %.2f (%s), promoted=%s",
        name,
        candidate_metrics["auc"],
        current_metrics["auc"],
        current.version,
        promoted,
    )
    return version


def ranker_roll_back(*, version: RankerVersion) -> RankerVersion:
    """Stop using ``version``: the feed falls back to the newest promoted one before it."""
    RankerVersion.objects.filter(pk=version.pk, rolled_back_at__isnull=True).update(
        rolled_back_at=timezone.now()
    )
    version.refresh_from_db()
    return version


def feed_impressions_prune(*, now: datetime | None = None) -> int:
    """Delete feed impressions past their retention; return how many.

    The retention never cuts into the ranker's training window, whatever the
    settings say: a shorter retention would silently shrink what it learns on.
    """
    ranker = interests_setting("RANKER")
    days = max(ranker["IMPRESSION_RETENTION_DAYS"], ranker["WINDOW_DAYS"])
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _ = FeedImpression.objects.filter(shown_at__lt=cutoff).delete()
    if deleted:
        logger.info("deleted %d feed impressions shown before %s", deleted, cutoff)
    return deleted
