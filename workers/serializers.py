"""Shapes of reprocessing jobs in the REST API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from django.core.exceptions import ImproperlyConfigured

from docsite.documents.serializers import SpaceSlugField

from .models import ReprocessJob
from .selectors import reprocess_job_progress
from .services import backend_alias_validate

MAX_ID = 2**63 - 1


class JobProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    processed = serializers.IntegerField()
    done = serializers.IntegerField()
    failed = serializers.IntegerField()
    skipped = serializers.IntegerField()
    percent = serializers.FloatField()
    docs_per_second = serializers.FloatField()
    eta_seconds = serializers.FloatField(allow_null=True)
    state = serializers.ChoiceField(choices=ReprocessJob.State.choices)


class ReprocessJobSerializer(serializers.ModelSerializer):
    space = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    started_by = serializers.CharField(
        source="started_by.username", read_only=True, allow_null=True
    )
    progress = serializers.SerializerMethodField()

    class Meta:
        model = ReprocessJob
        fields = [
            "id",
            "kind",
            "selection",
            "space",
            "document_ids",
            "backend_alias",
            "producer",
            "activate_on_success",
            "state",
            "error",
            "started_by",
            "created_at",
            "started_at",
            "finished_at",
            "progress",
        ]
        read_only_fields = fields

    @extend_schema_field(JobProgressSerializer)
    def get_progress(self, job: ReprocessJob) -> dict:
        return JobProgressSerializer(reprocess_job_progress(job=job)).data


class ReprocessJobStartSerializer(serializers.Serializer):
    """What an operator chooses when starting a job (as in the admin)."""

    kind = serializers.ChoiceField(choices=ReprocessJob.Kind.choices)
    selection = serializers.ChoiceField(
        choices=ReprocessJob.Selection.choices,
        required=False,
        default=ReprocessJob.Selection.ALL,
    )
    space = SpaceSlugField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Slug of a space you may read (selection space, or to narrow stale).",
    )
    document_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        default=list,
        max_length=10000,
        help_text="Documents you may read (selection documents).",
    )
    backend_alias = serializers.CharField(
        required=False,
        default="default",
        max_length=100,
        help_text="A configured alias of SUMMARIES_BACKENDS (summaries) or "
        "DOCSITE_EMBEDDERS (embeddings).",
    )
    activate_on_success = serializers.BooleanField(required=False, default=True)

    def __init__(self, *args, spaces=None, documents=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if spaces is not None:
            self.fields["space"].queryset = spaces
        self._documents = documents

    def validate(self, data: dict) -> dict:
        try:
            backend_alias_validate(
                kind=data["kind"], backend_alias=data["backend_alias"]
            )
        except (ValueError, ImproperlyConfigured) as exc:
            raise serializers.ValidationError({"backend_alias": [str(exc)]}) from exc
        selection = data["selection"]
        if selection == ReprocessJob.Selection.SPACE and data["space"] is None:
            raise serializers.ValidationError(
                {"space": ["Choose the space to reprocess."]}
            )
        if selection == ReprocessJob.Selection.DOCUMENTS:
            wanted = set(data["document_ids"])
            if not wanted:
                raise serializers.ValidationError(
                    {"document_ids": ["List the documents to reprocess."]}
                )
            if self._documents is not None:
                found = self._documents.filter(pk__in=wanted).count()
                if found != len(wanted):
                    raise serializers.ValidationError(
                        {"document_ids": ["Some of these documents do not exist."]}
                    )
        return data
