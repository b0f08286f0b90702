from __future__ import annotations

from django import forms

from docsite.documents.models import Space

from .kinds import KINDS
from .models import ReprocessJob


class ReprocessJobStartForm(forms.ModelForm):
    """What an operator chooses when starting a job from the admin."""

    kind = forms.ChoiceField(choices=[(name, name.title()) for name in sorted(KINDS)])
    space = forms.ModelChoiceField(queryset=Space.objects.all(), required=False)
    document_ids = forms.CharField(
        required=False,
        help_text="Comma-separated document ids, for the 'Listed documents' selection.",
    )
    backend_alias = forms.CharField(
        initial="default",
        help_text="The backend alias in SUMMARIES_BACKENDS or DOCSITE_EMBEDDERS whose output to build.",
    )

    class Meta:
        model = ReprocessJob
        fields = [
            "kind",
            "selection",
            "space",
            "document_ids",
            "backend_alias",
            "activate_on_success",
        ]

    def clean_document_ids(self) -> list[int]:
        raw = self.cleaned_data.get("document_ids") or ""
        try:
            return [int(part) for part in raw.replace(" ", "").split(",") if part]
        except ValueError as exc:
            raise forms.ValidationError(
                "Use document ids separated by commas."
            ) from exc

    def clean(self):
        data = super().clean()
        if data.get("kind") and data.get("backend_alias"):
            from django.core.exceptions import ImproperlyConfigured

            from .kinds import output_kind

            try:
                output_kind(data["kind"]).producer_for(
                    backend_alias=data["backend_alias"]
                )
            except ImproperlyConfigured as exc:
                self.add_error("backend_alias", str(exc))
        if data.get("selection") == ReprocessJob.Selection.SPACE and not data.get(
            "space"
        ):
            self.add_error("space", "Choose the space to reprocess.")
        if data.get("selection") == ReprocessJob.Selection.DOCUMENTS and not data.get(
            "document_ids"
        ):
            self.add_error("document_ids", "List the documents to reprocess.")
        return data
