from __future__ import annotations

from django.conf import settings
from django.db import models

from docsite.documents.models import Space
from docsite.longwork import LongWork


class ReprocessJob(LongWork):
    """Re-summarize or re-embed a selection of documents with one producer.

    Progress lives here, not in the broker: each document is a
    ``ReprocessItem``, so a job resumes exactly where it was after a worker or
    broker restart, and its counts are exact.
    """

    class Kind(models.TextChoices):
        SUMMARIES = "summaries", "Summaries"
        EMBEDDINGS = "embeddings", "Embeddings"
        LANGUAGE_EMBEDDINGS = "language_embeddings", "Language embeddings"

    class Selection(models.TextChoices):
        ALL = "all", "All documents"
        SPACE = "space", "One space"
        DOCUMENTS = "documents", "Listed documents"
        STALE = "stale", "Documents without output from this producer"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        CANCELLED = "cancelled", "Cancelled"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Phase(models.TextChoices):
        ITEMS = "items", "Processing documents"
        ACTIVATING = "activating", "Switching readers to the new producer"

    ACTIVE_STATES = (State.QUEUED, State.RUNNING, State.PAUSED)

    kind = models.CharField(max_length=32, choices=Kind.choices)
    selection = models.CharField(
        max_length=16, choices=Selection.choices, default=Selection.ALL
    )
    space = models.ForeignKey(Space, null=True, blank=True, on_delete=models.SET_NULL)
    document_ids = models.JSONField(default=list, blank=True)
    backend_alias = models.CharField(max_length=100, default="default")
    producer = models.CharField(max_length=200)
    activate_on_success = models.BooleanField(
        default=True, help_text="Make this producer live when every document succeeded."
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    phase = models.CharField(max_length=16, choices=Phase.choices, default=Phase.ITEMS)
    chunk_size = models.PositiveIntegerField(default=32)
    max_chunks_in_flight = models.PositiveIntegerField(default=2)
    total = models.PositiveIntegerField(default=0)
    done_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resumed_at = models.DateTimeField(null=True, blank=True)
    # Rounds that added documents of the selection saved while the job ran.
    catchup_rounds = models.PositiveSmallIntegerField(default=0)
    # What was live before this job switched (the output kind's on_activate
    # hook carries state over from it), and how far that hook has come.
    replaced_backend_alias = models.CharField(max_length=100, blank=True)
    replaced_producer = models.CharField(max_length=200, blank=True)
    activation_done = models.PositiveIntegerField(default=0)
    activation_total = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state"], name="reprocess_job_state")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} job #{self.pk} ({self.get_state_display()})"

    @property
    def processed(self) -> int:
        return self.done_count + self.failed_count + self.skipped_count

    @property
    def percent(self) -> float:
        return 100.0 * self.processed / self.total if self.total else 100.0


class ReprocessItem(models.Model):
    """One document of a job. ``chunk`` groups the items sent in one task."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        IN_FLIGHT = "in_flight", "In flight"
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    job = models.ForeignKey(
        ReprocessJob, on_delete=models.CASCADE, related_name="items"
    )
    document_id = models.BigIntegerField()
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.PENDING
    )
    chunk = models.UUIDField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["job", "document_id"], name="reprocess_item_once"
            )
        ]
        indexes = [
            models.Index(fields=["job", "state"], name="reprocess_item_state"),
            models.Index(fields=["chunk"], name="reprocess_item_chunk"),
        ]

    def __str__(self) -> str:
        return f"job {self.job_id} document {self.document_id}: {self.state}"
