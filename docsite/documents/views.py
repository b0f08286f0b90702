"""Portal pages. Thin: selectors decide what a user sees, services do the writes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.views.decorators.http import require_http_methods

from . import selectors, services
from .exceptions import DocumentRejectedError
from .forms import DocumentEditForm, DocumentFilterForm
from .panels import (
    document_history_collect,
    document_panels_collect,
    document_snippets_collect,
    home_sections_collect,
)
from .templatetags.documents_extras import doctype_label
from .uploads import upload_receive

PAGE_SIZE = 25


@login_required
def home(request: HttpRequest) -> HttpResponse:
    spaces = selectors.space_list_with_counts(user=request.user)
    recent = list(selectors.document_list_visible(user=request.user)[:8])
    snippets = document_snippets_collect(
        document_ids=[document.pk for document in recent], request=request
    )
    for document in recent:
        document.snippet = snippets.get(document.pk, "")
    return render(
        request,
        "documents/home.html",
        {
            "spaces": spaces,
            "recent": recent,
            "sections": home_sections_collect(request=request),
        },
    )


@login_required
def space_list(request: HttpRequest) -> HttpResponse:
    spaces = selectors.space_list_with_counts(user=request.user)
    return render(request, "documents/space_list.html", {"spaces": spaces})


def type_choices_grouped(facets: list[dict]) -> dict[str, dict]:
    """Group mime types under their label: ``{label: {"types": [...], "count": n}}``."""
    grouped: dict[str, dict] = {}
    for facet in facets:
        label = doctype_label(facet["mime_type"])
        entry = grouped.setdefault(label, {"types": [], "count": 0})
        entry["types"].append(facet["mime_type"])
        entry["count"] += facet["count"]
    return grouped


def _facet_counts_label(
    form: DocumentFilterForm, *, types: dict[str, dict], spaces: dict[str, int]
) -> None:
    """Label each facet choice with how many documents it would list now."""
    form.fields["type"].choices = [
        (value, f"{label} ({types.get(value, {}).get('count', 0)})" if value else label)
        for value, label in form.fields["type"].choices
    ]
    form.fields["space"].choices = [
        (value, f"{label} ({spaces.get(value, 0)})" if value else label)
        for value, label in form.fields["space"].choices
    ]


@login_required
def document_list(request: HttpRequest, space_slug: str | None = None) -> HttpResponse:
    visible_spaces = selectors.space_list_visible(user=request.user).order_by("name")
    space = (
        selectors.space_get_visible(user=request.user, slug=space_slug)
        if space_slug
        else None
    )
    # Every type the reader has, so a chosen one validates; the labels get
    # counts that follow the other filters below.
    types = type_choices_grouped(
        selectors.document_type_facets(user=request.user, space=space)
    )
    form = DocumentFilterForm(
        request.GET,
        spaces=visible_spaces,
        type_choices=[(label, label) for label in types],
    )
    form.is_valid()  # an invalid facet is reported and ignored; the others apply
    filters = form.cleaned_data
    if space is None and filters.get("space"):
        space = selectors.space_get_visible(user=request.user, slug=filters["space"])
    query = filters.get("q", "")
    chosen_type = filters.get("type", "")
    mime_types = types[chosen_type]["types"] if chosen_type in types else None
    dates = {
        "updated_after": filters.get("updated_after"),
        "updated_before": filters.get("updated_before"),
    }
    # One search for the page: the list and both facet counts narrow its ids.
    matches = selectors.document_search_matches(user=request.user, query=query, **dates)
    _facet_counts_label(
        form,
        types=type_choices_grouped(
            selectors.document_type_facets(
                user=request.user, space=space, query=query, matches=matches, **dates
            )
        ),
        spaces=selectors.document_space_facets(
            user=request.user,
            query=query,
            mime_types=mime_types,
            matches=matches,
            **dates,
        ),
    )
    documents = selectors.document_list_visible(
        user=request.user,
        space=space,
        query=query,
        mime_types=mime_types,
        matches=matches,
        **dates,
    )
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    snippets = document_snippets_collect(
        document_ids=[document.pk for document in page.object_list], request=request
    )
    for document in page.object_list:
        document.snippet = snippets.get(document.pk, "")
    params = request.GET.copy()
    params.pop("page", None)
    filtered = any(
        filters.get(name) for name in ("type", "updated_after", "updated_before")
    ) or bool(filters.get("space") and not space_slug)
    return render(
        request,
        "documents/document_list.html",
        {
            "space": space,
            "space_fixed": bool(space_slug),
            "form": form,
            "query": query,
            "filtered": filtered,
            "page": page,
            "querystring": params.urlencode(),
        },
    )


@login_required
def document_detail(request: HttpRequest, document_id: int) -> HttpResponse:
    document = selectors.document_get_visible(
        user=request.user, document_id=document_id
    )
    panels = document_panels_collect(document=document, request=request)
    return render(
        request,
        "documents/document_detail.html",
        {
            "document": document,
            "pending": document.analysis_due or any(p.pending for p in panels),
            "panels_before_text": [panel for panel in panels if not panel.after_text],
            "panels_after_text": [panel for panel in panels if panel.after_text],
            "can_edit": selectors.document_user_can_edit(
                user=request.user, document=document
            ),
        },
    )


@login_required
def document_live(request: HttpRequest, document_id: int) -> JsonResponse:
    """The parts of the document page that background work fills in, as HTML.

    The page fetches this while anything is pending (analysis, summary,
    related documents) and swaps the parts in, so no reload is needed.
    """
    document = selectors.document_get_visible(
        user=request.user, document_id=document_id
    )
    panels = document_panels_collect(document=document, request=request)
    response = JsonResponse(
        {
            "pending": document.analysis_due or any(p.pending for p in panels),
            "meta": render_to_string(
                "documents/_document_meta.html", {"document": document}, request
            ),
            "panels": {
                panel.slug: render_to_string(
                    "documents/_panel.html", {"panel": panel}, request
                )
                for panel in panels
            },
        }
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def document_download(request: HttpRequest, document_id: int) -> FileResponse:
    document = selectors.document_get_visible(
        user=request.user, document_id=document_id
    )
    if not document.source_file:
        raise Http404("This document has no stored file.")
    # Served as an attachment, so an uploaded HTML file never runs in the
    # portal's origin.
    return FileResponse(
        document.source_file.open("rb"),
        as_attachment=True,
        filename=document.original_filename or "document",
        content_type=document.mime_type or "application/octet-stream",
    )


@login_required
@require_http_methods(["GET", "POST"])
def document_edit(request: HttpRequest, document_id: int) -> HttpResponse:
    """Change the title, replace the file, or move the document to another space."""
    document = selectors.document_get_editable(
        user=request.user, document_id=document_id
    )
    spaces = selectors.space_list_editable(user=request.user)
    form = DocumentEditForm(
        request.POST or None,
        request.FILES or None,
        spaces=spaces,
        initial={"title": document.title, "space": document.space},
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            services.document_update(
                document=document,
                user=request.user,
                title=form.cleaned_data["title"],
            )
            services.document_move(
                document=document, space=form.cleaned_data["space"], user=request.user
            )
            # A new file is parsed by a worker, like any upload.
            received = (
                upload_receive(
                    space=document.space,
                    upload=upload,
                    user=request.user,
                    title=form.cleaned_data["title"],
                    document=document,
                )
                if upload
                else None
            )
        except DocumentRejectedError as exc:
            form.add_error("file" if upload else "space", str(exc))
        else:
            if received is not None:
                return redirect("documents:upload-status", upload_id=received.pk)
            messages.success(request, "Your changes were saved.")
            return redirect("documents:detail", document_id=document.pk)
    return render(
        request, "documents/document_edit.html", {"document": document, "form": form}
    )


@login_required
@require_http_methods(["GET", "POST"])
def document_delete(request: HttpRequest, document_id: int) -> HttpResponse:
    """Ask, then delete; the audit entry keeps who deleted what."""
    document = selectors.document_get_editable(
        user=request.user, document_id=document_id
    )
    if request.method == "POST":
        space_slug, title = document.space.slug, document.title
        services.document_delete(document=document, user=request.user)
        messages.success(request, f"“{title}” was deleted.")
        return redirect("documents:space", space_slug=space_slug)
    return render(request, "documents/document_delete.html", {"document": document})


@login_required
def document_history(request: HttpRequest, document_id: int) -> HttpResponse:
    """The document's versions: created, renamed, file replaced, moved, summaries."""
    document = selectors.document_get_visible(
        user=request.user, document_id=document_id
    )
    return render(
        request,
        "documents/document_history.html",
        {
            "document": document,
            "events": selectors.document_events(document=document)[:200],
            "sections": document_history_collect(document=document, request=request),
            "can_edit": selectors.document_user_can_edit(
                user=request.user, document=document
            ),
        },
    )


def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers ask for on every page (the admin's too)."""
    return redirect(static("docsite/favicon.svg"), permanent=True)
