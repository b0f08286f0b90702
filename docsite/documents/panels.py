"""Boxes and snippets that apps add to portal pages through collecting signals."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.http import HttpRequest

from .models import Document
from .signals import (
    document_history,
    document_panels,
    document_snippets,
    portal_home_sections,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Panel:
    """One box on the document page. ``html`` must already be escaped.

    ``slug`` names the box in the page (``#panel-<slug>``); ``after_text``
    places it below the document's text instead of above it. ``pending``
    says the box is waiting for background work: the page fetches it again
    (``documents:live``) until it is not.
    """

    slug: str
    title: str
    html: str
    order: int = 100
    after_text: bool = False
    pending: bool = False


def document_panels_collect(*, document: Document, request: HttpRequest) -> list[Panel]:
    """Return the apps' panels for this page, in order; a failing app is logged and left out."""
    responses = document_panels.send_robust(
        sender=Document, document=document, request=request
    )
    panels = []
    for receiver, response in responses:
        if isinstance(response, Exception):
            logger.error("panel receiver %r failed", receiver, exc_info=response)
        elif isinstance(response, Panel):
            panels.append(response)
    return sorted(panels, key=lambda panel: panel.order)


def document_history_collect(
    *, document: Document, request: HttpRequest
) -> list[Panel]:
    """Return the apps' sections of the history page, in order."""
    sections = []
    for receiver, response in document_history.send_robust(
        sender=Document, document=document, request=request
    ):
        if isinstance(response, Exception):
            logger.error("history receiver %r failed", receiver, exc_info=response)
        elif isinstance(response, Panel):
            sections.append(response)
    return sorted(sections, key=lambda section: section.order)


def document_snippets_collect(
    *, document_ids: list[int], request: HttpRequest
) -> dict[int, str]:
    """Return a short plain text per document id, from whichever app offers one."""
    snippets: dict[int, str] = {}
    responses = document_snippets.send_robust(
        sender=Document, document_ids=document_ids, request=request
    )
    for receiver, response in responses:
        if isinstance(response, Exception):
            logger.error("snippet receiver %r failed", receiver, exc_info=response)
        elif isinstance(response, dict):
            for document_id, text in response.items():
                if text and document_id not in snippets:
                    snippets[document_id] = text
    return snippets


def home_sections_collect(*, request: HttpRequest) -> list[Panel]:
    """Return the apps' home-page sections, in order; a failing app is logged and left out."""
    sections: list[Panel] = []
    for receiver, response in portal_home_sections.send_robust(
        sender=Document, request=request
    ):
        if isinstance(response, Exception):
            logger.error("home receiver %r failed", receiver, exc_info=response)
            continue
        for item in response if isinstance(response, list | tuple) else [response]:
            if isinstance(item, Panel):
                sections.append(item)
    return sorted(sections, key=lambda section: section.order)
