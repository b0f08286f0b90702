"""Readers' interactions: record, merge repeated views, toggle, undo, delete, import.

Every change asks for a refresh of the reader's interests after commit."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from docsite.documents.models import Document
from docsite.documents.selectors import document_get_visible, space_ids_visible

from ..conf import interests_setting
from ..models import Interaction
from .refresh import user_interest_refresh_request

# A search click keeps the query that led to it, as much as its column holds.
QUERY_COLUMN_CHARS = Interaction._meta.get_field("query").max_length

logger = logging.getLogger(__name__)


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
            query=query[:QUERY_COLUMN_CHARS]
            if kind == Interaction.Kind.SEARCH_CLICK
            else "",
        )
    if source == "feed":
        from ..learning import feed_click_record

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
