from __future__ import annotations

from django.conf import settings
from django.db import models

from docsite.documents.models import Document


class Summary(models.Model):
    """One summary of one version of a document's text by one producer.

    ``producer`` is ``backend:model:params-hash`` for generated summaries and
    ``human:vN`` for an editor's version, so the same text is never generated
    twice by the same configuration, and every version is kept.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        GENERATED = "generated", "Generated"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"

    PENDING = (Status.QUEUED, Status.RUNNING)
    DONE = (Status.GENERATED, Status.APPROVED, Status.REJECTED)

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="summaries"
    )
    content_sha256 = models.CharField(max_length=64)
    producer = models.CharField(max_length=200)
    backend = models.CharField(max_length=100)
    model_id = models.CharField(max_length=300, blank=True)
    params = models.JSONField(default=dict, blank=True)
    text = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    error = models.TextField(blank=True)
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    flags = models.JSONField(
        default=list,
        blank=True,
        help_text="Faithfulness check of each sentence of a generated summary "
        "(summaries.faithfulness): support, evidence, missing facts, reason.",
    )
    needs_attention = models.BooleanField(
        default=False,
        help_text="A sentence may say what the document does not.",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The editor who wrote this version; empty for generated ones.",
    )
    edited_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="edits"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    generated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "summaries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "content_sha256", "producer"],
                name="summary_unique_per_text_and_producer",
            )
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="summary_status_age"),
            models.Index(
                fields=["document", "content_sha256"], name="summary_document_text"
            ),
            models.Index(
                fields=["needs_attention", "status"], name="summary_attention"
            ),
        ]
        permissions = [
            ("review_summary", "Can approve, edit, reject and regenerate summaries")
        ]

    def __str__(self) -> str:
        return f"Summary of “{self.document}” ({self.get_status_display()})"

    @property
    def is_human(self) -> bool:
        return self.backend == "human"


class SummaryEvent(models.Model):
    """The audit trail: who did what to which summary, and what changed."""

    class Action(models.TextChoices):
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        EDITED = "edited", "Edited"
        REGENERATED = "regenerated", "Regeneration requested"

    summary = models.ForeignKey(
        Summary, on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor} {self.action} summary {self.summary_id}"


# Training data, runs and promoted aliases live in their own module.
from .training.models import (  # noqa: E402,F401
    SummarizerAlias,
    TrainingDataset,
    TrainingExample,
    TrainingPair,
    TrainingRun,
)
