"""One "not found" page, whatever the cause and whatever ``DEBUG`` says.

With ``DEBUG`` on, Django answers a 404 with its technical page: the view that
raised, the exception's message and the URL patterns. A document or space the
reader may not see must answer exactly like one that does not exist, in the
demo (which runs with ``DEBUG``) as in production, so every portal 404 is
rendered from ``404.html``. The REST API answers its own JSON 404s.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class UniformNotFoundMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 404 or getattr(response, "uniform_404", False):
            return response
        if request.path.startswith("/api/") or "html" not in response.get(
            "Content-Type", ""
        ):
            return response
        # Rendered as if no route matched, so the navigation looks the same too.
        request.resolver_match = None
        page = render(request, "404.html", status=404)
        page.uniform_404 = True
        return page
