"""Reads of spaces and documents. Every selector that takes a user filters by
what that user may see; callers never filter permissions themselves."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.exceptions import EmptyResultSet, PermissionDenied
from django.db.models import Count, F, IntegerField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils.module_loading import import_string

from .conf import documents_setting
from .models import Document, DocumentEvent, DocumentUpload, Space

User = AbstractBaseUser | AnonymousUser

# The longest search a reader may run. A pasted paragraph (an abstract, a
# ticket) is a fair way to look for the document it came from; past this it
# is no longer a query. Every search box, form and API field takes it.
MAX_QUERY_CHARS = 2000


def sees_every_space(user: User) -> bool:
    """Whether ``user`` reads every space (superusers, ``view_all_spaces``)."""
    return _sees_every_space(user)


def _sees_every_space(user: User) -> bool:
    return bool(
        user.is_active
        and (user.is_superuser or user.has_perm("documents.view_all_spaces"))
    )


def space_list_visible(*, user: User) -> QuerySet[Space]:
    """Return the spaces ``user`` may read."""
    if not user.is_authenticated or not user.is_active:
        return Space.objects.none()
    return _spaces_readable(user=user, every=_sees_every_space(user))


def _spaces_readable(*, user: User, every: bool) -> QuerySet[Space]:
    # Depends on the reader only through ``every`` and the reader's id (the
    # groups are a subquery): ``space_ids_visible_sql`` relies on that.
    if every:
        return Space.objects.all()
    groups = user.groups.all()
    return Space.objects.filter(
        Q(is_public=True) | Q(viewer_groups__in=groups) | Q(editor_groups__in=groups)
    ).distinct()


def space_list_editable(*, user: User) -> QuerySet[Space]:
    """Return the spaces ``user`` may add documents to."""
    if not user.is_authenticated or not user.is_active:
        return Space.objects.none()
    if user.is_superuser:
        return Space.objects.all()
    return Space.objects.filter(editor_groups__in=user.groups.all()).distinct()


def space_ids_visible(*, user: User) -> QuerySet:
    """Return the ids of the spaces ``user`` may read, as a subquery."""
    return space_list_visible(user=user).values("pk")


# A reader id no account has (ids count up from 1), within a 32-bit column's
# range (Django drops a comparison with a value out of the column's range):
# where it appears among the parameters of the SQL compiled for a stand-in
# reader, the real reader's id goes.
_STAND_IN_PK = -2_000_000_007
# ``space_ids_visible``'s SQL and parameters per branch (every space or not),
# compiled once per process for a stand-in reader.
_visible_sql: dict[bool, tuple[str, tuple]] = {}


def space_ids_visible_sql(*, user: User) -> tuple[str, tuple]:
    """Return ``space_ids_visible(user=user)`` as SQL and parameters, to embed
    in a raw statement; raise ``EmptyResultSet`` for a reader who may read
    nothing.

    The same query (``_spaces_readable``), compiled once per process for
    each branch rather than per call: the feed needs it on every request,
    and compiling it cost about as much as running it. The first column is
    the space's id.
    """
    if not user.is_authenticated or not user.is_active:
        raise EmptyResultSet
    every = _sees_every_space(user)
    cached = _visible_sql.get(every)
    if cached is None:
        stand_in = get_user_model()(pk=_STAND_IN_PK, is_active=True)
        sql, params = (
            _spaces_readable(user=stand_in, every=every)
            .values("pk")
            .query.sql_with_params()
        )
        cached = _visible_sql[every] = (sql, tuple(params))
    sql, params = cached
    return sql, tuple(
        user.pk if type(value) is int and value == _STAND_IN_PK else value
        for value in params
    )


def space_list_with_counts(*, user: User) -> QuerySet[Space]:
    return space_list_visible(user=user).annotate(
        document_count=Count("documents", distinct=True)
    )


def space_get_visible(*, user: User, slug: str) -> Space:
    """Return the space, or raise Http404 when it is missing or hidden from ``user``."""
    space = space_list_visible(user=user).filter(slug=slug).first()
    if space is None:
        raise Http404("No such space.")
    return space


def _documents_narrowed(
    *,
    user: User,
    space: Space | None = None,
    mime_types: Sequence[str] | None = None,
    updated_after: date | datetime | None = None,
    updated_before: date | datetime | None = None,
) -> QuerySet[Document]:
    documents = Document.objects.filter(
        space__in=space_ids_visible(user=user)
    ).select_related("space")
    if space is not None:
        documents = documents.filter(space=space)
    if mime_types:
        type_filter = Q()
        for mime_type in mime_types:
            type_filter |= Q(mime_type__iexact=mime_type) | Q(
                mime_type__istartswith=f"{mime_type};"
            )
        documents = documents.filter(type_filter)
    if updated_after is not None:
        documents = documents.filter(**_date_bound("gte", updated_after))
    if updated_before is not None:
        documents = documents.filter(**_date_bound("lte", updated_before))
    return documents


def document_search_matches(
    *,
    user: User,
    query: str,
    updated_after: date | datetime | None = None,
    updated_before: date | datetime | None = None,
) -> list[int] | None:
    """Return the ids that ``DOCSITE_DOCUMENT_SEARCH`` finds for ``query``, best
    first, among the documents ``user`` may read in the date range.

    One search for a whole list page: the list and its space and type facet
    counts each narrow these ids further (a document's rank does not depend
    on the others). ``None`` when there is no query or no search is
    configured (the core's strict full-text match applies instead).
    """
    query = query.strip()
    search = documents_setting("DOCUMENT_SEARCH") if query else ""
    if not search:
        return None
    return list(
        import_string(search)(
            user=user,
            query=query,
            documents=_documents_narrowed(
                user=user, updated_after=updated_after, updated_before=updated_before
            ),
            limit=documents_setting("DOCUMENT_SEARCH_LIMIT"),
        )
    )


def document_list_visible(
    *,
    user: User,
    space: Space | None = None,
    query: str = "",
    mime_types: Sequence[str] | None = None,
    updated_after: date | datetime | None = None,
    updated_before: date | datetime | None = None,
    matches: Sequence[int] | None = None,
) -> QuerySet[Document]:
    """Return the documents ``user`` may read, newest first.

    With ``query``, keep only matches, best first: the search that
    ``DOCSITE_DOCUMENT_SEARCH`` names (the portal's one keyword search), or
    else strict full-text matches (web-search syntax: quoted phrases, ``or``,
    ``-word``) ordered by rank. ``matches`` (from ``document_search_matches``
    for the same user and query) stands for that search, already run. The
    facets narrow further: ``mime_types`` keeps those types (parameters such
    as ``; charset=`` are ignored), and ``updated_after`` / ``updated_before``
    bound the last update (a ``date`` includes that whole day).
    """
    documents = _documents_narrowed(
        user=user,
        space=space,
        mime_types=mime_types,
        updated_after=updated_after,
        updated_before=updated_before,
    )
    query = query.strip()
    search = documents_setting("DOCUMENT_SEARCH") if query else ""
    if matches is None and search:
        matches = import_string(search)(
            user=user,
            query=query,
            documents=documents,
            limit=documents_setting("DOCUMENT_SEARCH_LIMIT"),
        )
    if matches is not None:
        ids = list(matches)
        return (
            documents.filter(pk__in=ids)
            .annotate(
                rank=RawSQL(
                    "array_position(%s::bigint[], documents_document.id)",
                    [ids],
                    output_field=IntegerField(),
                )
            )
            .order_by("rank")
            .defer("text", "html")
        )
    if query:
        # The index stems English documents and keeps others word for word
        # (models.DocumentSearchVector), so the query is asked both ways.
        search = SearchQuery(
            query, search_type="websearch", config="english"
        ) | SearchQuery(query, search_type="websearch", config="simple")
        documents = (
            documents.filter(search_vector=search)
            .annotate(rank=SearchRank(F("search_vector"), search))
            .order_by("-rank", "-updated_at")
        )
    return documents.defer("text", "html")


def _date_bound(lookup: str, value: date | datetime) -> dict:
    """Return an ``updated_at`` filter; a plain date compares by (local) day."""
    if isinstance(value, datetime):
        return {f"updated_at__{lookup}": value}
    return {f"updated_at__date__{lookup}": value}


def document_type_facets(
    *,
    user: User,
    space: Space | None = None,
    query: str = "",
    updated_after: date | datetime | None = None,
    updated_before: date | datetime | None = None,
    matches: Sequence[int] | None = None,
) -> list[dict]:
    """Return ``[{"mime_type": ..., "count": n}]`` of the documents ``user`` may read.

    The counts follow the other filters (space, search, dates), so each says
    how many documents picking that type would list.
    """
    documents = document_list_visible(
        user=user,
        space=space,
        query=query,
        updated_after=updated_after,
        updated_before=updated_before,
        matches=matches,
    )
    return list(
        documents.order_by()
        .values("mime_type")
        .annotate(count=Count("id"))
        .order_by("-count", "mime_type")
    )


def document_space_facets(
    *,
    user: User,
    query: str = "",
    mime_types: Sequence[str] | None = None,
    updated_after: date | datetime | None = None,
    updated_before: date | datetime | None = None,
    matches: Sequence[int] | None = None,
) -> dict[str, int]:
    """Return ``{space slug: count}`` under the other filters (search, type, dates)."""
    documents = document_list_visible(
        user=user,
        query=query,
        mime_types=mime_types,
        updated_after=updated_after,
        updated_before=updated_before,
        matches=matches,
    )
    return dict(
        documents.order_by()
        .values("space__slug")
        .annotate(count=Count("id"))
        .values_list("space__slug", "count")
    )


def document_get_visible(*, user: User, document_id: int) -> Document:
    """Return the document, or raise Http404 when it is missing or hidden.

    A hidden document answers exactly like a missing one, so its existence
    does not leak.
    """
    document = (
        Document.objects.filter(pk=document_id, space__in=space_ids_visible(user=user))
        .select_related("space", "created_by", "updated_by")
        .first()
    )
    if document is None:
        raise Http404("No such document.")
    return document


def document_user_can_edit(*, user: User, document: Document) -> bool:
    return space_list_editable(user=user).filter(pk=document.space_id).exists()


def document_get_editable(*, user: User, document_id: int) -> Document:
    """Return the document for a write.

    Raise Http404 when it is missing or hidden (exactly like a read), and
    ``PermissionDenied`` when ``user`` may read but not edit its space.
    """
    document = document_get_visible(user=user, document_id=document_id)
    if not document_user_can_edit(user=user, document=document):
        raise PermissionDenied("You may read this document but not change it.")
    return document


def document_events(*, document: Document) -> QuerySet[DocumentEvent]:
    """Return the document's audit trail, newest first."""
    return DocumentEvent.objects.filter(document_key=document.pk).select_related(
        "actor"
    )


def document_list_due_analysis(*, limit: int = 500) -> list[int]:
    """Return ids of documents whose text has not been analyzed yet."""
    return list(
        Document.objects.exclude(analyzed_sha256=F("content_sha256"))
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )


def upload_list_visible(*, user: User, state: str = "") -> QuerySet[DocumentUpload]:
    """Return the uploads ``user`` may follow: their own (superusers: all)."""
    if not user.is_authenticated or not user.is_active:
        return DocumentUpload.objects.none()
    uploads = DocumentUpload.objects.select_related("space")
    if not user.is_superuser:
        uploads = uploads.filter(user=user)
    if state:
        uploads = uploads.filter(state=state)
    return uploads


def upload_get_visible(*, user: User, upload_id: int) -> DocumentUpload:
    """Return the upload, or raise Http404 when it is missing or someone else's."""
    upload = upload_list_visible(user=user).filter(pk=upload_id).first()
    if upload is None:
        raise Http404("No such upload.")
    return upload
