"""Fixed-window rate limits kept in Django's cache.

Production shares the limits between web processes through the Redis cache
(``CACHES`` in settings/base.py); tests use locmem. A limit is a rate such as
``"10/m"`` under a scope name, read from ``DOCSITE_RATELIMITS`` at call time::

    DOCSITE_RATELIMITS = {"login": "10/m", "interactions": "120/m"}

A scope missing from the setting, or a rate of ``None``, is not limited. When
the cache cannot be reached the request is let through and a warning logged:
an outage of Redis must not lock everyone out of the site.

Use :func:`ratelimit` as a view decorator::

    @ratelimit(scope="interactions", key=user_or_ip)
    def interaction_create_api(request): ...
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

DEFAULT_RATES: dict[str, str | None] = {
    # Per client IP and username: guessing passwords.
    "login": "10/m",
    # Per client IP, whatever the username: spraying one password over many.
    "login-ip": "60/m",
    # Per signed-in user: the reading events of the interests app.
    "interactions": "120/m",
}
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    limit: int
    window_seconds: int

    @classmethod
    def parse(cls, rate: str) -> Rate:
        """Parse ``"<count>/<unit>"``, unit one of s, m, h, d (``"5/10m"`` too)."""
        count, _, period = rate.partition("/")
        multiplier = period[:-1] or "1"
        unit = period[-1:]
        if not count.isdigit() or not multiplier.isdigit() or unit not in _UNITS:
            raise ValueError(f"Invalid rate {rate!r}; use e.g. '10/m' or '100/h'.")
        return cls(limit=int(count), window_seconds=int(multiplier) * _UNITS[unit])


@dataclass(frozen=True)
class Decision:
    allowed: bool
    count: int
    retry_after: int


def rate_for(scope: str) -> Rate | None:
    """Return the configured rate of ``scope``, or None when it is unlimited."""
    rates = {**DEFAULT_RATES, **getattr(settings, "DOCSITE_RATELIMITS", {})}
    rate = rates.get(scope)
    return Rate.parse(rate) if rate else None


def ratelimit_hit(*, scope: str, key: str, rate: Rate) -> Decision:
    """Count one request of ``key`` in ``scope`` and say whether it is allowed.

    The counter lives in the cache under the current window, so it resets by
    itself; ``add`` then ``incr`` keeps the count exact across processes.
    """
    now = time.time()
    window_start = int(now // rate.window_seconds) * rate.window_seconds
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"ratelimit:{scope}:{digest}:{window_start}"
    retry_after = max(1, int(window_start + rate.window_seconds - now + 0.999))
    try:
        if cache.add(cache_key, 1, timeout=rate.window_seconds + 1):
            count = 1
        else:
            try:
                count = cache.incr(cache_key)
            except ValueError:  # expired between add and incr
                cache.add(cache_key, 1, timeout=rate.window_seconds + 1)
                count = 1
    except Exception:  # the cache is down: fail open, loudly
        logger.warning(
            "Rate limit %s not enforced: cache unavailable.", scope, exc_info=True
        )
        return Decision(allowed=True, count=0, retry_after=0)
    return Decision(allowed=count <= rate.limit, count=count, retry_after=retry_after)


def client_ip(request: HttpRequest) -> str:
    """Return the address the request came from.

    ``REMOTE_ADDR`` only: a ``X-Forwarded-For`` header can be forged by the
    client unless a trusted proxy sets it, and docsite's compose file has none.
    """
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def user_or_ip(request: HttpRequest) -> str:
    """Key by the signed-in user, or by client IP for anonymous requests."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{client_ip(request)}"


def too_many_requests(request: HttpRequest, *, retry_after: int) -> HttpResponse:
    """Answer 429 with a Retry-After header, as JSON for API calls."""
    message = f"Too many requests. Try again in {retry_after} seconds."
    wants_json = request.path.startswith("/api/") or "json" in request.headers.get(
        "Accept", ""
    )
    response = (
        JsonResponse({"error": message}, status=429)
        if wants_json
        else HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    )
    response["Retry-After"] = str(retry_after)
    return response


def ratelimit(
    *,
    scope: str,
    key: Callable[[HttpRequest], str],
    methods: Iterable[str] = ("POST",),
) -> Callable:
    """Limit a view's ``methods`` to the rate of ``scope``, counted per ``key(request)``."""
    limited_methods = frozenset(method.upper() for method in methods)

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method in limited_methods:
                rate = rate_for(scope)
                if rate is not None:
                    decision = ratelimit_hit(scope=scope, key=key(request), rate=rate)
                    if not decision.allowed:
                        logger.warning(
                            "Rate limit %s exceeded by %s.", scope, key(request)
                        )
                        return too_many_requests(
                            request, retry_after=decision.retry_after
                        )
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def login_key(request: HttpRequest) -> str:
    """Key a login attempt by client IP and the username tried."""
    username = str(request.POST.get("username", ""))[:150].strip().lower()
    return f"{client_ip(request)}|{username}"


def login_ratelimited(view: Callable) -> Callable:
    """Limit login POSTs per IP and username, and per IP alone."""
    return ratelimit(scope="login-ip", key=client_ip)(
        ratelimit(scope="login", key=login_key)(view)
    )
