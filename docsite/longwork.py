"""What every long-running piece of work shares: reprocessing jobs and
training runs alike.

- ``LongWork``: the timestamps, the running time (pauses excluded) and the
  last error, as an abstract model;
- ``progress_html``: the admin's progress bar, one look for every kind;
- ``admin_apply``: an admin action that applies one service to each selected
  object and reports what it did and what it refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib import admin, messages
from django.db import models
from django.utils.html import format_html
from django.utils.safestring import SafeString


class LongWork(models.Model):
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Seconds spent running (pauses excluded), for throughput and ETA.
    active_seconds = models.FloatField(default=0)

    class Meta:
        abstract = True


def progress_html(
    *, done: int, total: int, text: str, attrs: dict[str, object] | None = None
) -> SafeString:
    """Return a ``<progress>`` bar followed by ``text``.

    ``attrs`` become ``data-`` attributes on the wrapper, for pages that
    refresh the bar without a reload.
    """
    data = " ".join(
        format_html('data-{}="{}"', name.replace("_", "-"), value)
        for name, value in (attrs or {}).items()
    )
    return format_html(
        '<span class="job-progress" {}><progress max="{}" value="{}"></progress> '
        '<span class="job-progress__text">{}</span></span>',
        SafeString(data),
        max(total, 1),
        done,
        text,
    )


def admin_apply(
    modeladmin: admin.ModelAdmin,
    request,
    queryset: Iterable[models.Model],
    *,
    service: Callable[..., object],
    keyword: str,
    verb: str,
    refusals: tuple[type[Exception], ...],
) -> None:
    """Call ``service(**{keyword: obj}, actor=user)`` for each selected object.

    A refusal (one of ``refusals``) is shown as a warning naming the object,
    and the others still go ahead.
    """
    applied = 0
    for obj in queryset:
        try:
            service(**{keyword: obj}, actor=request.user)
            applied += 1
        except refusals as exc:
            modeladmin.message_user(request, f"{obj}: {exc}", messages.WARNING)
    if applied:
        noun = modeladmin.model._meta.verbose_name_plural
        modeladmin.message_user(request, f"{verb} {applied} of the selected {noun}.")
