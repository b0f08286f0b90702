"""Shapes of summaries in the REST API."""

from __future__ import annotations

from rest_framework import serializers

from .models import Summary


class SummarySerializer(serializers.ModelSerializer):
    author = serializers.CharField(
        source="author.username", read_only=True, allow_null=True
    )
    reviewed_by = serializers.CharField(
        source="reviewed_by.username", read_only=True, allow_null=True
    )
    is_human = serializers.BooleanField(
        read_only=True, help_text="An editor wrote this version."
    )

    class Meta:
        model = Summary
        fields = [
            "id",
            "document",
            "status",
            "text",
            "error",
            "producer",
            "backend",
            "model_id",
            "is_human",
            "author",
            "edited_from",
            "reviewed_by",
            "reviewed_at",
            "generated_at",
            "created_at",
        ]
        read_only_fields = fields


class SummaryStateSerializer(serializers.Serializer):
    """What a document shows now: its current summary, or why there is none."""

    status = serializers.ChoiceField(
        choices=["ready", "pending", "awaiting_review", "failed", "rejected", "none"],
        help_text="``ready`` with a summary; ``pending`` while one is generated; "
        "``awaiting_review`` when approval is required; ``failed`` with an error; "
        "``rejected`` with the editor's reason in ``error`` and the last approved "
        "summary of an earlier text, if any.",
    )
    error = serializers.CharField()
    summary = SummarySerializer(allow_null=True)


class SummaryRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=2000
    )


class SummaryEditSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=20000, help_text="The new text; saved as a new, approved version."
    )
