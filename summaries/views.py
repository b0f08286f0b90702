"""The summary panel of the document page, and the fragment it polls while a
summary is being generated."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from docsite.documents.models import Document
from docsite.documents.panels import Panel
from docsite.documents.selectors import document_get_visible

from .selectors import summary_history, summary_state_for


def _panel_html(*, document: Document, request: HttpRequest, state=None) -> str:
    state = state or summary_state_for(document=document)
    return render_to_string(
        "summaries/panel.html",
        {
            "document": document,
            "state": state,
            "can_review": request.user.has_perm("summaries.review_summary"),
        },
        request=request,
    )


def summary_panel_for(*, document: Document, request: HttpRequest) -> Panel:
    state = summary_state_for(document=document)
    return Panel(
        slug="summary",
        title="Summary",
        html=_panel_html(document=document, request=request, state=state),
        order=10,
        pending=state.is_pending,
    )


@login_required
def summary_panel_fragment(request: HttpRequest, document_id: int) -> HttpResponse:
    """The panel's inner HTML, for the page's poll while a summary is pending."""
    document = document_get_visible(user=request.user, document_id=document_id)
    response = HttpResponse(_panel_html(document=document, request=request))
    response["Cache-Control"] = "no-store"
    return response


def summary_versions_panel_for(*, document: Document, request: HttpRequest) -> Panel:
    """Every summary of every version of the text, for the history page."""
    versions = list(summary_history(document=document)[:100])
    return Panel(
        slug="summary-versions",
        title="Summary versions",
        html=render_to_string(
            "summaries/versions.html",
            {
                "document": document,
                "versions": versions,
                "can_review": request.user.has_perm("summaries.review_summary"),
            },
            request=request,
        ),
        order=10,
    )
