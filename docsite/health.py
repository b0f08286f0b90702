"""/healthz: is this web process able to reach its database and broker?"""

from __future__ import annotations

from celery import current_app

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # any failure means "not healthy"; the body says which part
        return False


def _broker_ok() -> bool:
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    body = {name: "ok" if ok else "unavailable" for name, ok in checks.items()}
    return JsonResponse(body, status=200 if all(checks.values()) else 503)
