"""Why an item is in the feed: the reader's action on a nearby document, or
freshness or popularity, whichever contributed most to its score."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from docsite.documents.models import Document

from ..conf import interests_setting
from ..models import DocumentVector, Interaction
from ..ranker import FEATURES
from ..ranking import InterestVectors
from .candidates import POSITIVE_KINDS
from .vectors import vectors_by_document

User = AbstractBaseUser | AnonymousUser


def history_anchors(
    *, user: User, producer: str, space_ids: Sequence[int]
) -> tuple[list[int], np.ndarray]:
    """Return recent positively-used documents the user may still see, with vectors."""
    recent = (
        Interaction.objects.filter(
            user=user,
            kind__in=POSITIVE_KINDS,
            document__space__in=list(space_ids),
        )
        .order_by("-created_at")
        .values_list("document_id", flat=True)[: interests_setting("HISTORY_LIMIT")]
    )
    ids = list(dict.fromkeys(recent))
    vectors = vectors_by_document(
        DocumentVector.objects.filter(producer=producer, document_id__in=ids)
    )
    ids = [pk for pk in ids if pk in vectors]
    if not ids:
        return [], np.zeros((0, 1), dtype=np.float32)
    return ids, np.stack([np.asarray(vectors[pk], dtype=np.float32) for pk in ids])


ACTION_WORDS = {
    "like": "liked",
    "bookmark": "bookmarked",
    "search_click": "searched for",
    "view": "read",
}
# What other readers did: a "Popular in" reason, not a "Because you" one.
CROWD_FEATURES = frozenset({"popularity", "feed_clicks", "feed_shown"})
SIMILARITY_FEATURES = frozenset(FEATURES) - {"freshness"} - CROWD_FEATURES


def feed_reasons(
    *,
    documents: list[Document],
    contributions: dict[str, np.ndarray],
    vectors: np.ndarray,
    interest: InterestVectors | None,
    user: User,
    producer: str,
    visible: list[int],
    titles: dict[int, str] | None = None,
    opened_by: np.ndarray | None = None,
) -> list[str]:
    """Say why each item is in the feed, naming what the reader did.

    The document named is one the reader may see and the nearest of the
    reader's exemplars, unless it already explains a quarter of the page:
    then the next nearest does, so one hub document cannot explain them all.
    ``titles``: those of the reader's exemplars that the reader may see, when
    the caller already read them (else read here). ``opened_by``: per
    document, how many other readers opened it from their feeds; where what
    others did explains an item and two or more of them opened it, the
    reason says so rather than "Popular in".
    """
    if (
        interest is not None
        and interest.exemplar_ids
        and interest.exemplars is not None
    ):
        anchors, anchor_vectors = interest.exemplar_ids, interest.exemplars
        kinds = interest.exemplar_kinds or ["view"] * len(anchors)
    elif interest is not None:
        anchors, anchor_vectors = history_anchors(
            user=user, producer=producer, space_ids=visible
        )
        kinds = ["view"] * len(anchors)
        titles = None  # of other documents than the exemplars
    else:
        anchors, anchor_vectors, kinds = [], None, []
    if titles is None:
        titles = dict(
            Document.objects.filter(pk__in=anchors, space__in=visible).values_list(
                "pk", "title"
            )
        )
    cap = max(2, len(documents) // 4)
    used: dict[int, int] = {}
    similarity = sum(
        (
            values
            for name, values in contributions.items()
            if name in SIMILARITY_FEATURES
        ),
        start=np.zeros(len(documents), dtype=np.float32),
    )
    zeros = np.zeros(len(documents), dtype=np.float32)
    popularity = sum(
        (values for name, values in contributions.items() if name in CROWD_FEATURES),
        start=zeros,
    )
    freshness = contributions.get("freshness", zeros)
    reasons = []
    for row, document in enumerate(documents):
        reason = ""
        if anchors and similarity[row] >= max(popularity[row], freshness[row]):
            for position in np.argsort(-(anchor_vectors @ vectors[row])):
                anchor = anchors[int(position)]
                if anchor == document.pk or anchor not in titles:
                    continue
                if used.get(anchor, 0) >= cap:
                    continue
                used[anchor] = used.get(anchor, 0) + 1
                verb = ACTION_WORDS.get(kinds[int(position)], "read")
                reason = f"Because you {verb} “{titles[anchor]}”"
                break
            else:
                reason = "Close to what you read lately"
        if not reason:
            opened = 0 if opened_by is None else int(opened_by[row])
            if popularity[row] >= freshness[row] and opened >= 2:
                reason = f"{opened} colleagues opened it from their feed"
            elif popularity[row] >= freshness[row] and document.pk is not None:
                reason = f"Popular in {document.space.name}"
            else:
                reason = f"New in {document.space.name}"
        reasons.append(reason)
    return reasons
