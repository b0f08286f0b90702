"""Portal pages (For you, search) and the document-page panels.

Interactions are recorded and undone by the API
(``interests.apis.InteractionListCreateApi``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from docsite.documents.forms import DocumentFilterForm
from docsite.documents.models import Document
from docsite.documents.panels import Panel, document_snippets_collect
from docsite.documents.selectors import document_type_facets, space_list_visible
from docsite.documents.views import type_choices_grouped
from docsite.ratelimit import throttle

from . import selectors
from .learning import feed_impressions_log
from .models import Interaction
from .services import user_interest_reset

SEARCH_MODES = ("hybrid", "semantic", "keyword")


@login_required
@require_GET
def feed_page(request: HttpRequest) -> HttpResponse:
    try:
        page = int(request.GET.get("page", 1))
    except ValueError:
        page = 1
    feed = selectors.feed_for(user=request.user, page=page)
    feed_impressions_log(user=request.user, page=feed)
    return render(request, "interests/feed.html", {"feed": feed})


def search_filters_from(
    *, request: HttpRequest
) -> tuple[DocumentFilterForm, selectors.SearchFilters]:
    """Return the facet form (space, type, dates) of a search request and its filters.

    An invalid facet is reported on the form and ignored; the others apply.
    """
    spaces = space_list_visible(user=request.user).order_by("name")
    types = type_choices_grouped(document_type_facets(user=request.user))
    form = DocumentFilterForm(
        request.GET,
        spaces=spaces,
        type_choices=[
            (label, f"{label} ({entry['count']})") for label, entry in types.items()
        ],
    )
    form.is_valid()
    data = form.cleaned_data
    space = spaces.filter(slug=data["space"]).first() if data.get("space") else None
    chosen = data.get("type", "")
    return form, selectors.SearchFilters(
        space=space,
        mime_types=tuple(types[chosen]["types"]) if chosen in types else (),
        updated_after=data.get("updated_after"),
        updated_before=data.get("updated_before"),
    )


@login_required
@require_GET
@throttle(scope="search", methods=("GET",))
def search_page(request: HttpRequest) -> HttpResponse:
    """The one search: the header box lands here; hybrid unless a mode is chosen."""
    query = request.GET.get("q", "")[:500]
    mode = request.GET.get("mode", "hybrid")
    if mode not in SEARCH_MODES:
        mode = "hybrid"
    form, filters = search_filters_from(request=request)
    hits, prepared = [], None
    if query.strip():
        hits, prepared = selectors.search_run(
            user=request.user, query=query, mode=mode, limit=20, filters=filters
        )
    snippets = selectors.search_snippets(
        user=request.user, hits=hits, query=query, prepared=prepared
    )
    results = [(hit, snippets.get(hit.document.pk, "")) for hit in hits]
    return render(
        request,
        "interests/search.html",
        {
            "query": query.strip(),
            "mode": mode,
            "modes": SEARCH_MODES,
            "results": results,
            "form": form,
            "filtered": not filters.is_empty,
            "suggestion": prepared.suggestion if prepared else "",
        },
    )


# key: (label, kinds shown); "bookmarks" is its own page (/me/bookmarks/).
ACTIVITY_TABS = {
    "": ("Everything", None),
    "read": ("Read", list(selectors.READ_KINDS)),
    "liked": ("Liked", [Interaction.Kind.LIKE]),
    "bookmarks": ("Bookmarks", [Interaction.Kind.BOOKMARK]),
    "dismissed": ("Not for me", [Interaction.Kind.DISMISS]),
}


def _activity_render(
    request: HttpRequest, *, tab: str, template: str = "interests/activity.html"
) -> HttpResponse:
    rows = selectors.user_activity_entries(
        user=request.user, kinds=ACTIVITY_TABS[tab][1]
    )
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    entries = selectors.activity_entries_load(user=request.user, rows=page.object_list)
    snippets = (
        document_snippets_collect(
            document_ids=[entry.document.pk for entry in entries], request=request
        )
        if tab == "bookmarks"
        else {}
    )
    return render(
        request,
        template,
        {
            "page": page,
            "entries": [
                (entry, snippets.get(entry.document.pk, "")) for entry in entries
            ],
            "tab": tab,
            "tabs": [(key, label) for key, (label, _) in ACTIVITY_TABS.items()],
            "counts": selectors.user_activity_counts(user=request.user),
        },
    )


@login_required
@require_GET
def activity_page(request: HttpRequest) -> HttpResponse:
    """What the reader did, one line per document they may still see."""
    tab = request.GET.get("show", "")
    if tab == "bookmarks":
        return redirect("interests:bookmarks")
    if tab not in ACTIVITY_TABS:
        tab = ""
    return _activity_render(request, tab=tab)


@login_required
@require_GET
def bookmarks_page(request: HttpRequest) -> HttpResponse:
    """The reader's bookmarked documents, with their summaries."""
    return _activity_render(request, tab="bookmarks")


@login_required
@require_GET
def interests_page(request: HttpRequest) -> HttpResponse:
    """What the system believes the reader likes, with a way to reset it."""
    profile = selectors.user_interest_profile(user=request.user)
    return render(request, "interests/interests.html", {"profile": profile})


@login_required
@require_POST
def interests_reset(request: HttpRequest) -> HttpResponse:
    deleted = user_interest_reset(user=request.user)
    messages.success(
        request,
        f"Your reading history was cleared ({deleted['interactions']} "
        f"interaction{'s' if deleted['interactions'] != 1 else ''} removed). "
        "The For you page starts fresh.",
    )
    return redirect("interests:interests")


def home_sections_for(*, request: HttpRequest) -> list[Panel]:
    """The home page's "For you" and "Popular" boxes."""
    if not request.user.is_authenticated:
        return []
    feed = selectors.feed_for(user=request.user, page=1, page_size=6)
    feed_impressions_log(user=request.user, page=feed)
    popular = selectors.documents_popular_for(user=request.user, limit=6)
    return [
        Panel(
            slug="for-you",
            title="For you",
            html=render_to_string(
                "interests/_home_feed.html", {"feed": feed}, request=request
            ),
            order=10,
        ),
        Panel(
            slug="popular",
            title="Popular",
            html=render_to_string(
                "interests/_home_popular.html", {"popular": popular}, request=request
            ),
            order=30,
        ),
    ]


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
    # Until the current text is embedded, "nothing related" may not be true yet.
    embedding = not related and not selectors.document_ids_with_vector(
        document_ids=[document.pk], producer=selectors.embedding_producer_active()
    )
    html = render_to_string(
        "interests/_related.html",
        {"related": related, "embedding": embedding},
        request=request,
    )
    return Panel(
        slug="related",
        title="Related documents",
        html=html,
        order=50,
        after_text=True,
        pending=embedding,
    )
