"""Shapes of spaces and documents in the REST API.

Serializers only validate input and shape output; the views pass what they
read from selectors, and the apps' snippets arrive in the context
(``{"snippets": {document_id: text}}``).
"""

from __future__ import annotations

from collections.abc import Iterable

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from django.http import HttpRequest
from django.urls import reverse

from .models import Document, DocumentUpload, Space
from .panels import document_snippets_collect
from .selectors import MAX_QUERY_CHARS


def snippets_context(*, documents: Iterable[Document], request: HttpRequest) -> dict:
    """Return serializer context with each document's snippet from the apps."""
    return {
        "request": request,
        "snippets": document_snippets_collect(
            document_ids=[document.pk for document in documents], request=request
        ),
    }


class SpaceSlugField(serializers.SlugRelatedField):
    """A space chosen by slug among ``queryset`` (set per request by the view).

    A hidden space answers like a missing one. A slug with a NUL character
    is refused before it reaches PostgreSQL, which cannot compare it.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(slug_field="slug", queryset=Space.objects.none(), **kwargs)

    def to_internal_value(self, data):
        if "\x00" in str(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return super().to_internal_value(data)


class ErrorSerializer(serializers.Serializer):
    """The body of 401, 403, 404 and 409 answers."""

    detail = serializers.CharField()


class SpaceRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Space
        fields = ["slug", "name"]


class SpaceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Space
        fields = ["slug", "name", "description", "is_public"]


class DocumentSerializer(serializers.ModelSerializer):
    """A document in lists: no text, with a snippet (its current summary)."""

    space = SpaceRefSerializer(read_only=True)
    snippet = serializers.SerializerMethodField(
        help_text="A short text from the apps, usually the current summary."
    )

    class Meta:
        model = Document
        fields = [
            "id",
            "title",
            "space",
            "mime_type",
            "language",
            "word_count",
            "original_filename",
            "created_at",
            "updated_at",
            "snippet",
        ]

    def get_snippet(self, document: Document) -> str:
        return self.context.get("snippets", {}).get(document.pk, "")


class DocumentDetailSerializer(DocumentSerializer):
    """A document with its text, authors and processing status."""

    text = serializers.CharField(read_only=True)
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, allow_null=True
    )
    updated_by = serializers.CharField(
        source="updated_by.username", read_only=True, allow_null=True
    )
    analysis = serializers.SerializerMethodField(
        help_text="``pending`` while language and word count are being computed."
    )
    can_edit = serializers.SerializerMethodField(
        help_text="Whether the requesting user may update or delete this document."
    )

    class Meta(DocumentSerializer.Meta):
        fields = [
            *DocumentSerializer.Meta.fields,
            "text",
            "created_by",
            "updated_by",
            "analysis",
            "can_edit",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=["pending", "done"]))
    def get_analysis(self, document: Document) -> str:
        return "pending" if document.analysis_due else "done"

    def get_can_edit(self, document: Document) -> bool:
        return bool(self.context.get("can_edit", False))


class DocumentListQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=MAX_QUERY_CHARS,
        help_text="Full-text query (web-search syntax: quoted phrases, or, -word).",
    )
    space = SpaceSlugField(
        required=False, help_text="Slug of a space to list only its documents."
    )

    def __init__(self, *args, spaces=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if spaces is not None:
            self.fields["space"].queryset = spaces


class DocumentCreateSerializer(serializers.Serializer):
    space = SpaceSlugField(help_text="Slug of a space the user may add documents to.")
    title = serializers.CharField(
        required=False,
        default="",
        max_length=300,
        help_text="Leave empty to use the file's own title.",
    )
    file = serializers.FileField(help_text="Text, Markdown, HTML, PDF or Word (.docx).")

    def __init__(self, *args, spaces=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if spaces is not None:
            self.fields["space"].queryset = spaces


class DocumentUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, default="", max_length=300)
    file = serializers.FileField(required=False, default=None)

    def validate(self, data: dict) -> dict:
        if not data["title"].strip() and data["file"] is None:
            raise serializers.ValidationError("Send a new title, a new file or both.")
        return data


class DocumentUploadSerializer(serializers.ModelSerializer):
    """An upload and its parse: ``processing``, then ``ready`` or ``refused``."""

    space = SpaceRefSerializer(read_only=True)
    document = serializers.SerializerMethodField(
        help_text="The document's id once ready (or the one being replaced)."
    )
    document_url = serializers.SerializerMethodField()
    outcome = serializers.SerializerMethodField(
        help_text="Once ready: created, updated, or unchanged (same text known)."
    )
    status_url = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()

    class Meta:
        model = DocumentUpload
        fields = [
            "id",
            "state",
            "filename",
            "title",
            "space",
            "outcome",
            "document",
            "document_url",
            "reason",
            "reason_code",
            "created_at",
            "finished_at",
            "status_url",
            "page_url",
        ]

    def get_document(self, upload: DocumentUpload) -> int | None:
        return upload.document_id

    def get_document_url(self, upload: DocumentUpload) -> str | None:
        if upload.state != DocumentUpload.State.READY or upload.document_id is None:
            return None
        return reverse("documents:detail", kwargs={"document_id": upload.document_id})

    @extend_schema_field(
        serializers.ChoiceField(
            choices=["created", "updated", "unchanged"], allow_null=True
        )
    )
    def get_outcome(self, upload: DocumentUpload) -> str | None:
        return upload.outcome or None

    def get_status_url(self, upload: DocumentUpload) -> str:
        return reverse("api:upload-detail", kwargs={"upload_id": upload.pk})

    def get_page_url(self, upload: DocumentUpload) -> str:
        return reverse("documents:upload-status", kwargs={"upload_id": upload.pk})


class UploadListQuerySerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=DocumentUpload.State.choices, required=False, default=""
    )
