"""Rate limits and the client's address, on maintained libraries.

- **Logins** (every form that authenticates, the admin's included) are
  counted by django-axes: failed attempts per username *and* client address,
  locked for ``AXES_COOLOFF_TIME`` after ``AXES_FAILURE_LIMIT`` failures.
  Usernames are keyed as Django's login form normalises them (NFKC), so
  ``ｖｉｃ`` and ``ᵛⁱᶜ`` share ``vic``'s count. A POST without a password
  never reaches ``authenticate`` and is never counted: nobody can lock the
  site by sending empty forms.
- **Requests** (search, uploads, reading events) are throttled by DRF's
  throttles, per signed-in user (per address for anonymous requests), in
  the API and in the portal's pages alike (``throttle`` below); the rates
  are ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``. The counters live in the
  default cache (Redis in production, shared by every web process); when
  it cannot be reached, requests are let through and a warning logged.
- **The client's address** is ``REMOTE_ADDR``, unless that is one of
  ``DOCSITE_TRUSTED_PROXIES``: then it is the last address in
  ``X-Forwarded-For`` that is not a trusted proxy. A header sent by anyone
  else is ignored, so it cannot be forged to dodge a limit.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

from axes.backends import AxesStandaloneBackend
from rest_framework.throttling import SimpleRateThrottle

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


# --- the client's address ------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """Return the address the request came from, seen through trusted proxies."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    networks = _networks(tuple(getattr(settings, "DOCSITE_TRUSTED_PROXIES", ())))
    if not networks or not _trusted(remote, networks):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    # Each proxy appends the address it got the request from; walk back from
    # our side and stop at the first hop that is not ours.
    for hop in reversed([part.strip() for part in forwarded.split(",")]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # garbage from outside our proxies: trust nothing before it
        if not _trusted(hop, networks):
            return hop
    return remote


# --- logins (django-axes) ---------------------------------------------------------


def login_username(request: HttpRequest | None, credentials: dict | None) -> str:
    """The username axes counts failures under: as Django's login form reads it.

    ``AuthenticationForm`` normalises with NFKC before it authenticates, so
    compatibility spellings sign in as the same user and must share a count.
    """
    username: Any = (credentials or {}).get("username")
    if username is None and request is not None:
        username = request.POST.get("username", "")
    return unicodedata.normalize("NFKC", str(username or ""))[:150]


def login_client_ip(request: HttpRequest) -> str:
    return client_ip(request)


def login_lockout_response(
    request: HttpRequest, response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    message = (
        "Too many failed sign-ins for this username from your address. "
        f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
    )
    return _too_many(request, message=message, retry_after=minutes * 60)


# --- request throttles (DRF) ----------------------------------------------------------


class ScopeThrottle(SimpleRateThrottle):
    """A DRF throttle whose scope the view names, per HTTP method if it likes.

    A view sets ``throttle_scopes = {"POST": "uploads"}`` (or
    ``throttle_scope`` for every method). Without a scope for the request's
    method, or without a rate for the scope, nothing is limited. Counted per
    user, or per client address for anonymous requests.
    """

    def __init__(self) -> None:  # the rate depends on the view: see allow_request
        pass

    def allow_request(self, request, view) -> bool:
        scopes = getattr(view, "throttle_scopes", None) or {}
        self.scope = scopes.get(request.method) or getattr(view, "throttle_scope", "")
        if not self.scope:
            return True
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except Exception:  # the cache is down: fail open, loudly
            logger.warning(
                "Rate limit %s not enforced: cache unavailable.",
                self.scope,
                exc_info=True,
            )
            return True

    def get_rate(self) -> str | None:
        rates = getattr(settings, "REST_FRAMEWORK", {}).get(
            "DEFAULT_THROTTLE_RATES", {}
        )
        return rates.get(self.scope)

    def get_cache_key(self, request, view) -> str:
        user = getattr(request, "user", None)
        ident = (
            f"user:{user.pk}"
            if user is not None and user.is_authenticated
            else f"ip:{client_ip(request)}"
        )
        return self.cache_format % {"scope": self.scope, "ident": ident}


def throttle(*, scope: str, methods: Iterable[str] = ("POST",)) -> Callable:
    """Limit a portal view's ``methods`` with the API's throttle of ``scope``.

    The counters are the API's, so a reader has one budget whichever route
    the requests take.
    """
    scopes = {method.upper(): scope for method in methods}
    view_like = type("ThrottledView", (), {"throttle_scopes": scopes})()

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            limiter = ScopeThrottle()
            if not limiter.allow_request(request, view_like):
                wait = max(1, int(limiter.wait() or 1))
                logger.warning("Rate limit %s exceeded by %s.", scope, request.user)
                return _too_many(
                    request,
                    message=f"Too many requests. Try again in {wait} seconds.",
                    retry_after=wait,
                )
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _too_many(request: HttpRequest, *, message: str, retry_after: int) -> HttpResponse:
    """Answer 429 with a Retry-After header, as JSON for API and script calls."""
    wants_json = request.path.startswith("/api/") or "json" in request.headers.get(
        "Accept", ""
    )
    response = (
        JsonResponse({"detail": message}, status=429)
        if wants_json
        else HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    )
    response["Retry-After"] = str(retry_after)
    return response


class LoginLimitBackend(AxesStandaloneBackend):
    """Axes' check before every authentication that comes with a web request.

    ``authenticate()`` without a request (a shell, a management command) is
    no web login to count; axes would refuse it outright.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
