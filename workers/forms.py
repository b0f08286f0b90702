from __future__ import annotations

from django import forms
from django.core.exceptions import ImproperlyConfigured

from docsite.documents.models import Space
from docsite.documents.selectors import document_list_visible, space_list_visible
from docsite.ml.outputs import output_kind, output_kinds

from .models import ReprocessJob
from .services import backend_alias_validate, reprocess_job_estimate


def _alias_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Configured aliases grouped by kind (read when the form is built)."""
    return [
        (
            f"{output.label.capitalize()} ({output.setting})",
            [(alias, alias) for alias in output.aliases()],
        )
        for output in output_kinds().values()
    ]


class ReprocessJobStartForm(forms.ModelForm):
    """What an operator chooses when starting a job from the admin.

    The first submission shows what would run (documents, producer, estimated
    time); the job starts once the operator ticks ``confirm`` and submits again.
    """

    kind = forms.ChoiceField(choices=ReprocessJob.Kind.choices)
    space = forms.ModelChoiceField(queryset=Space.objects.none(), required=False)
    document_ids = forms.CharField(
        required=False,
        help_text="Comma-separated document ids, for the 'Listed documents' selection.",
    )
    backend_alias = forms.ChoiceField(
        choices=(),
        initial="default",
        help_text="The configured backend whose output to build: an alias of "
        "SUMMARIES_BACKENDS for summaries, of DOCSITE_EMBEDDERS for embeddings.",
    )
    confirm = forms.BooleanField(
        required=False,
        label="Start it",
        help_text="Tick after reading the estimate above.",
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

    # Set by the admin to the requesting user: spaces and documents are
    # chosen among those they may read, as in the API.
    user = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["backend_alias"].choices = _alias_choices()
        self.fields["space"].queryset = (
            space_list_visible(user=self.user)
            if self.user is not None
            else Space.objects.none()
        )
        self.estimate = None

    def clean_document_ids(self) -> list[int]:
        raw = self.cleaned_data.get("document_ids") or ""
        try:
            ids = [int(part) for part in raw.replace(" ", "").split(",") if part]
        except ValueError as exc:
            raise forms.ValidationError(
                "Use document ids separated by commas."
            ) from exc
        visible = (
            document_list_visible(user=self.user).filter(pk__in=ids).count()
            if self.user is not None
            else 0
        )
        if visible != len(set(ids)):
            # One answer for missing and hidden, as in the API: which hidden
            # ids exist is not told.
            raise forms.ValidationError("Some of these documents do not exist.")
        return ids

    def clean(self):
        data = super().clean()
        if data.get("kind") and data.get("backend_alias"):
            try:
                backend_alias_validate(
                    kind=data["kind"], backend_alias=data["backend_alias"]
                )
            except (ValueError, ImproperlyConfigured) as exc:
                self.add_error("backend_alias", str(exc))
        if data.get("selection") == ReprocessJob.Selection.SPACE and not data.get(
            "space"
        ):
            self.add_error("space", "Choose the space to reprocess.")
        if data.get("selection") == ReprocessJob.Selection.DOCUMENTS and not data.get(
            "document_ids"
        ):
            self.add_error("document_ids", "List the documents to reprocess.")
        if not self.errors:
            self.estimate = reprocess_job_estimate(
                kind=data["kind"],
                selection=data["selection"],
                backend_alias=data["backend_alias"],
                space=data.get("space"),
                document_ids=data.get("document_ids"),
            )
            if not data.get("confirm"):
                warning = ""
                if not output_kind(data["kind"]).readers_fall_back and data[
                    "selection"
                ] in (ReprocessJob.Selection.SPACE, ReprocessJob.Selection.DOCUMENTS):
                    warning = (
                        " After the switch, documents outside this selection have "
                        "no vectors from the new producer until a job builds them."
                    )
                self.add_error(
                    "confirm",
                    f"This job would run {self.estimate.describe()}{warning} "
                    "Tick 'Start it' and save to start it.",
                )
        return data
