"""Training data, training runs and the summarizer aliases they promote.

Imported by ``summaries.models``, so these are models of the summaries app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from docsite.longwork import LongWork


class TrainingPair(models.Model):
    """A public ``{document, summary}`` pair imported to bootstrap training.

    Kept apart from portal documents: nobody reads these, they only train and
    validate models. Deduplicated by ``content_sha256`` (document and summary).
    """

    source = models.CharField(max_length=200)
    external_id = models.CharField(max_length=200, blank=True)
    document = models.TextField()
    summary = models.TextField()
    content_sha256 = models.CharField(max_length=64, unique=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.source} pair {self.external_id or self.pk}"


class TrainingDataset(models.Model):
    """One version of the training data: a snapshot of its examples.

    ``content_sha256`` covers every example (split, kind, texts), so the same
    reviews give the same version. ``counts`` records what went in and what
    was left out: ``{train, validation, negatives, duplicates, stale, ...}``.
    """

    content_sha256 = models.CharField(max_length=64, unique=True)
    counts = models.JSONField(default=dict)
    sources = models.JSONField(
        default=list, help_text="Where the examples came from (reviews, pair sources)."
    )
    validation_fraction = models.FloatField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Built with this user's view of the documents.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Dataset {self.content_sha256[:12]} ({self.counts.get('train', 0)} train, {self.counts.get('validation', 0)} validation)"

    @property
    def version(self) -> str:
        return self.content_sha256[:12]


class TrainingExample(models.Model):
    class Split(models.TextChoices):
        TRAIN = "train", "Train"
        VALIDATION = "validation", "Validation"

    class Kind(models.TextChoices):
        POSITIVE = "positive", "Positive"
        NEGATIVE = "negative", "Negative (rejected)"

    class Origin(models.TextChoices):
        APPROVED = "approved", "Approved machine summary"
        EDITED = "edited", "Editor's version"
        REJECTED = "rejected", "Rejected machine summary"
        IMPORTED = "imported", "Imported pair"

    dataset = models.ForeignKey(
        TrainingDataset, on_delete=models.CASCADE, related_name="examples"
    )
    split = models.CharField(max_length=16, choices=Split.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    origin = models.CharField(max_length=16, choices=Origin.choices)
    # The document text's hash: the unit of the split, so no text is on both sides.
    document_sha256 = models.CharField(max_length=64)
    document_id = models.BigIntegerField(null=True, blank=True)
    summary_id = models.BigIntegerField(null=True, blank=True)
    pair_id = models.BigIntegerField(null=True, blank=True)
    document = models.TextField()
    summary = models.TextField()
    reason = models.TextField(blank=True, help_text="Why an editor rejected it.")

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["dataset", "split", "kind"], name="training_example_split"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.split} example {self.pk}"


class TrainingRun(LongWork):
    """One training of a summarizer alias on one dataset version: a fine-tune of
    its LLM, or a fit of its extractive sentence scorer (``Method``)."""

    class Method(models.TextChoices):
        LORA = "lora", "LoRA (peft)"
        FULL = "full", "Full fine-tune (small models)"
        SCORER = "scorer", "Sentence scorer (extractive, CPU)"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Training"
        PAUSED = "paused", "Paused"
        EVALUATING = "evaluating", "Evaluating"
        PASSED = "passed", "Passed the gate"
        REJECTED = "rejected", "Failed the gate"
        PROMOTED = "promoted", "Promoted"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"

    ACTIVE = (State.QUEUED, State.RUNNING, State.EVALUATING)

    base_alias = models.CharField(
        max_length=100, help_text="The SUMMARIES_BACKENDS alias whose model is tuned."
    )
    base_model = models.CharField(max_length=300, blank=True)
    method = models.CharField(max_length=8, choices=Method.choices, default=Method.LORA)
    hyperparameters = models.JSONField(default=dict)
    dataset = models.ForeignKey(
        TrainingDataset, on_delete=models.PROTECT, related_name="runs"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    # What an operator asked for; the loop reads it after every step.
    requested = models.CharField(max_length=8, blank=True)
    step = models.PositiveIntegerField(default=0)
    total_steps = models.PositiveIntegerField(default=0)
    losses = models.JSONField(default=list, blank=True)
    examples = models.JSONField(
        default=dict, blank=True, help_text="Examples used and dropped (too long)."
    )
    metrics = models.JSONField(default=dict, blank=True)
    gate_passed = models.BooleanField(null=True)
    gate_reason = models.TextField(blank=True)
    device = models.CharField(max_length=40, blank=True)
    adapter_path = models.CharField(max_length=500, blank=True)
    adapter_sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            (
                "manage_training",
                "Can build training data from reviews, train, and promote summarizers",
            )
        ]

    def __str__(self) -> str:
        return (
            f"Training run #{self.pk} of {self.base_alias} ({self.get_state_display()})"
        )

    @property
    def percent(self) -> float:
        return 100.0 * self.step / self.total_steps if self.total_steps else 0.0


class SummarizerAlias(models.Model):
    """A summarizer alias registered by promoting a training run.

    The backend and its options are still those of a settings alias
    (``base_alias``); the row adds only the trained weights, so settings keep
    choosing among plugins and ``get_summarizer(name)`` resolves it like any
    other alias.
    """

    name = models.CharField(max_length=100, unique=True)
    base_alias = models.CharField(max_length=100)
    run = models.OneToOneField(
        TrainingRun, on_delete=models.PROTECT, related_name="alias"
    )
    adapter_path = models.CharField(max_length=500)
    adapter_sha256 = models.CharField(max_length=64)
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "trained summarizer alias"

    def __str__(self) -> str:
        return self.name
