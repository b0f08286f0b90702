from __future__ import annotations

from django.conf import settings
from django.db import models


class ActiveProducer(models.Model):
    """Which producer's outputs readers see, per kind of output (blue/green).

    ``kind`` is ``summaries`` or ``embeddings``. ``backend_alias`` is the
    alias of the backend setting that makes new outputs, and ``producer`` the
    key its rows carry. A reprocessing job builds a new producer's rows beside
    the old ones and switches this row in one step when it is complete;
    ``previous_*`` keep what to switch back to. Without a row, the ``default``
    alias of the settings is active.
    """

    kind = models.CharField(max_length=32, unique=True)
    backend_alias = models.CharField(max_length=100)
    producer = models.CharField(max_length=200)
    previous_backend_alias = models.CharField(max_length=100, blank=True)
    previous_producer = models.CharField(max_length=200, blank=True)
    activated_at = models.DateTimeField(auto_now=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    def __str__(self) -> str:
        return f"{self.kind}: {self.producer}"
