"""Panels that apps add to the document page through ``signals.document_panels``."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from .models import Document
from .signals import document_panels


@dataclass(frozen=True)
class Panel:
    """One box on the document page. ``html`` must already be escaped."""

    title: str
    html: str
    order: int = 100


def document_panels_collect(*, document: Document, request: HttpRequest) -> list[Panel]:
    responses = document_panels.send_robust(
        sender=Document, document=document, request=request
    )
    panels = [panel for _receiver, panel in responses if isinstance(panel, Panel)]
    return sorted(panels, key=lambda panel: panel.order)
