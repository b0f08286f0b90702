"""Portal pages (For you, search), the interactions API and the document-page panels."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from docsite.documents.models import Document
from docsite.documents.panels import Panel

from . import selectors
from .models import Interaction
from .services import InvalidInteraction, interaction_record

SEARCH_MODES = ("hybrid", "semantic", "keyword")


def _payload(request: HttpRequest) -> dict:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    return request.POST.dict()


def _optional_int(value) -> int | None:
    if value in (None, ""):
        return None
    return int(float(value))


@require_POST
def interaction_create_api(request: HttpRequest) -> JsonResponse:
    """Record one interaction: ``{"document": id, "kind": ..., "dwell_seconds"?, "query"?}``.

    Session authentication and CSRF (header ``X-CSRFToken`` or the form field
    ``csrfmiddlewaretoken``, which the page beacon uses). Answers 201, 400 for
    bad input, 401 when signed out, and 404 for documents the reader may not see.
    """
    if not request.user.is_authenticated:
        return JsonResponse({"error": "Authentication required."}, status=401)
    data = _payload(request)
    try:
        document_id = int(data.get("document", ""))
        dwell_seconds = _optional_int(data.get("dwell_seconds"))
    except (TypeError, ValueError):
        return JsonResponse(
            {"error": "document and dwell_seconds must be numbers."}, status=400
        )
    try:
        interaction = interaction_record(
            user=request.user,
            document_id=document_id,
            kind=str(data.get("kind", "")),
            dwell_seconds=dwell_seconds,
            query=str(data.get("query", "")),
        )
    except InvalidInteraction as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    except Http404:
        return JsonResponse({"error": "No such document."}, status=404)
    return JsonResponse(
        {"id": interaction.pk, "kind": interaction.kind, "document": document_id},
        status=201,
    )


@login_required
@require_GET
def feed_page(request: HttpRequest) -> HttpResponse:
    try:
        page = int(request.GET.get("page", 1))
    except ValueError:
        page = 1
    feed = selectors.feed_for(user=request.user, page=page)
    return render(request, "interests/feed.html", {"feed": feed})


@login_required
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:500]
    mode = request.GET.get("mode", "hybrid")
    if mode not in SEARCH_MODES:
        mode = "hybrid"
    search = {
        "hybrid": selectors.documents_search_hybrid,
        "semantic": selectors.documents_search_semantic,
        "keyword": selectors.documents_search_keyword,
    }[mode]
    hits = search(user=request.user, query=query, limit=20) if query else []
    return render(
        request,
        "interests/search.html",
        {"query": query, "mode": mode, "modes": SEARCH_MODES, "hits": hits},
    )


def reader_actions_panel_for(
    *, document: Document, request: HttpRequest
) -> Panel | None:
    """Like / bookmark / dismiss buttons, and the dwell beacon of the page."""
    if not request.user.is_authenticated:
        return None
    done = set(
        Interaction.objects.filter(
            user=request.user,
            document=document,
            kind__in=[
                Interaction.Kind.LIKE,
                Interaction.Kind.BOOKMARK,
                Interaction.Kind.DISMISS,
            ],
        ).values_list("kind", flat=True)
    )
    html = render_to_string(
        "interests/_reader_actions.html",
        {"document": document, "done": done},
        request=request,
    )
    return Panel(slug="reader-actions", title="Your reading", html=html, order=20)


def related_panel_for(*, document: Document, request: HttpRequest) -> Panel | None:
    """Documents like this one that the reader may see."""
    if not request.user.is_authenticated:
        return None
    related = selectors.documents_related(user=request.user, document=document, limit=5)
    html = render_to_string(
        "interests/_related.html", {"related": related}, request=request
    )
    return Panel(
        slug="related", title="Related documents", html=html, order=50, after_text=True
    )
