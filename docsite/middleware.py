"""Refuse requests whose query string holds a NUL character.

PostgreSQL cannot store or compare text with NUL in it: a ``%00`` in a search
box, an admin filter or any other GET parameter that reaches a query ends in
a ``DataError`` (a 500). Forms already refuse NUL in what they validate
(Django's ``ProhibitNullCharactersValidator``); query strings are read in
many places that no form guards, so they are checked once, here.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

MESSAGE = "The address holds a NUL character (%00), which no search or filter accepts."


class RejectNulCharactersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": MESSAGE}, status=400)
            return HttpResponse(
                MESSAGE, status=400, content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)
