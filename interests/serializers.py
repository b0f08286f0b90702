"""Shapes of the feed, search hits and interactions in the REST API."""

from __future__ import annotations

from rest_framework import serializers

from docsite.documents.selectors import MAX_QUERY_CHARS
from docsite.documents.serializers import DocumentSerializer

from .models import Interaction

MAX_ID = 2**63 - 1


class FeedQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(required=False, default=1, min_value=1)


class FeedItemSerializer(serializers.Serializer):
    document = DocumentSerializer()
    score = serializers.FloatField()
    reason = serializers.CharField(help_text="Why the item is in the feed.")


class FeedSerializer(serializers.Serializer):
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    has_next = serializers.BooleanField()
    personalized = serializers.BooleanField(
        help_text="False while the feed knows nothing of the reader yet."
    )
    results = FeedItemSerializer(many=True, source="items")


class RelatedQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(
        required=False, default=5, min_value=1, max_value=20
    )


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=MAX_QUERY_CHARS
    )
    mode = serializers.ChoiceField(
        choices=["hybrid", "semantic", "keyword"], required=False, default="hybrid"
    )
    limit = serializers.IntegerField(
        required=False, default=20, min_value=1, max_value=50
    )
    space = serializers.SlugField(
        required=False, help_text="Only this space (its slug)."
    )
    type = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        help_text="Only these MIME types (repeat the parameter).",
    )
    updated_after = serializers.DateField(required=False)
    updated_before = serializers.DateField(required=False)


class SearchHitSerializer(serializers.Serializer):
    document = DocumentSerializer()
    score = serializers.FloatField()
    keyword_rank = serializers.IntegerField(allow_null=True)
    semantic_rank = serializers.IntegerField(allow_null=True)


class InteractionCreateSerializer(serializers.Serializer):
    document = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    kind = serializers.ChoiceField(choices=Interaction.Kind.choices)
    dwell_seconds = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        max_value=MAX_ID,
        help_text="Seconds spent reading (kind view); capped at an hour.",
    )
    query = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=MAX_QUERY_CHARS,
        help_text="The search that led here (kind search_click).",
    )
    source = serializers.ChoiceField(
        choices=[("", "elsewhere"), ("feed", "the For you feed")],
        required=False,
        default="",
        help_text="Where the reader opened the document from (clicks from the feed train its ranker).",
    )


class InteractionSerializer(serializers.ModelSerializer):
    document_title = serializers.CharField(source="document.title", read_only=True)

    class Meta:
        model = Interaction
        fields = [
            "id",
            "document",
            "document_title",
            "kind",
            "dwell_seconds",
            "query",
            "created_at",
        ]
        read_only_fields = fields


TOGGLE_CHOICES = [
    (value, label)
    for value, label in Interaction.Kind.choices
    if value in Interaction.TOGGLE_KINDS
]


class InteractionListQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=TOGGLE_CHOICES,
        required=False,
        help_text="Only this kind; default: likes, bookmarks and dismissals.",
    )
    document = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Only this document."
    )


class InteractionUndoQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TOGGLE_CHOICES)
    document = serializers.IntegerField(min_value=1, max_value=MAX_ID)
