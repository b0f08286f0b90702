"""Training in the admin: start a run from the editors' reviews, watch its loss
curve, pause or cancel it, and promote it once it passed its gate.

Everything here needs the ``summaries.manage_training`` permission.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect

from docsite.longwork import admin_apply

from . import runs
from .aliases import training_run_promote, training_run_rollout_request
from .data import DEFAULT_VALIDATION_FRACTION, TrainingDataError, training_dataset_build
from .display import (
    gate_examples_for,
    gate_table_html,
    loss_curve_svg,
    progress_bar_html,
)
from .models import SummarizerAlias, TrainingDataset, TrainingPair, TrainingRun

PERMISSION = "summaries.manage_training"


class TrainingRunStartForm(forms.ModelForm):
    """What an operator chooses when starting a run."""

    dataset = forms.ModelChoiceField(
        queryset=TrainingDataset.objects.all(),
        required=False,
        help_text="Leave empty to build a new version now from the reviews you can see "
        "(and all imported pairs).",
    )
    base_alias = forms.ChoiceField(
        choices=(),
        help_text="A transformers alias for LoRA and full fine-tunes; an extractive "
        "alias for the sentence scorer (CPU, minutes).",
    )
    max_steps = forms.IntegerField(min_value=1, initial=200)
    batch_size = forms.IntegerField(min_value=1, initial=4)
    learning_rate = forms.FloatField(min_value=1e-7, initial=2e-4)
    lora_r = forms.IntegerField(min_value=1, initial=8, label="LoRA rank")
    scope = forms.ChoiceField(
        choices=[
            ("sectioned", "Documents with two or more headed sections"),
            ("all", "Every document"),
        ],
        initial="sectioned",
        required=False,
        help_text="Sentence scorer runs: where the trained weights apply.",
    )

    class Meta:
        model = TrainingRun
        fields = ["dataset", "base_alias", "method"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["base_alias"].choices = [
            (alias, alias) for alias in runs.trainable_aliases()
        ]


def _perm(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.has_perm(PERMISSION)


class TrainingPermissionMixin:
    def has_module_permission(self, request):
        return _perm(request)

    def has_view_permission(self, request, obj=None):
        return _perm(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _run_action(modeladmin, request, queryset, service, verb: str) -> None:
    admin_apply(
        modeladmin,
        request,
        queryset,
        service=service,
        keyword="run",
        verb=verb,
        refusals=(runs.TrainingRunError,),
    )


@admin.action(description="Pause selected runs")
def pause_runs(modeladmin, request, queryset):
    _run_action(modeladmin, request, queryset, runs.training_run_pause, "Paused")


@admin.action(description="Resume selected runs")
def resume_runs(modeladmin, request, queryset):
    _run_action(modeladmin, request, queryset, runs.training_run_resume, "Resumed")


@admin.action(description="Cancel selected runs")
def cancel_runs(modeladmin, request, queryset):
    _run_action(modeladmin, request, queryset, runs.training_run_cancel, "Cancelled")


@admin.action(description="Promote and roll out (blue/green) selected runs")
def promote_runs(modeladmin, request, queryset):
    for run in queryset:
        try:
            alias = training_run_promote(run=run, actor=request.user)
        except runs.TrainingRunError as exc:
            modeladmin.message_user(request, str(exc), messages.ERROR)
            continue
        modeladmin.message_user(
            request,
            f"Run #{run.pk} is now the summarizer alias '{alias.name}'. A reprocessing "
            "job summarizes every document with it; readers keep the current "
            "summaries until the job completes.",
        )


@admin.action(description="Roll out again (promoted runs whose job never started)")
def rollout_runs(modeladmin, request, queryset):
    _run_action(
        modeladmin, request, queryset, training_run_rollout_request, "Asked to roll out"
    )


@admin.register(TrainingRun)
class TrainingRunAdmin(TrainingPermissionMixin, admin.ModelAdmin):
    list_display = ["__str__", "dataset_version", "progress", "gate", "created_at"]
    list_filter = ["state", "base_alias"]
    actions = [pause_runs, resume_runs, cancel_runs, promote_runs, rollout_runs]
    # Below the fields: the validation documents where the candidate and the
    # live producer differ most, side by side, before anyone promotes.
    change_form_template = "admin/summaries/trainingrun/change_form.html"
    readonly_fields = [
        "state",
        "base_alias",
        "base_model",
        "method",
        "hyperparameters",
        "dataset",
        "dataset_counts",
        "progress",
        "loss_curve",
        "gate_report",
        "device",
        "duration",
        "examples",
        "adapter_path",
        "adapter_sha256",
        "promoted_alias",
        "error",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
    ]

    def has_add_permission(self, request):
        return _perm(request)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = TrainingRunStartForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return [
                "dataset",
                "base_alias",
                "method",
                "max_steps",
                "batch_size",
                "learning_rate",
                "lora_r",
                "scope",
            ]
        return self.readonly_fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = TrainingRun.objects.filter(pk=object_id).first()
        examples = (
            gate_examples_for(run=run, user=request.user) if run is not None else []
        )
        return super().change_view(
            request,
            object_id,
            form_url,
            extra_context={**(extra_context or {}), "gate_examples": examples},
        )

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            return
        data = form.cleaned_data
        dataset = data.get("dataset")
        try:
            if dataset is None:
                dataset = training_dataset_build(
                    user=request.user,
                    pair_sources=None,
                    validation_fraction=runs.training_setting("VALIDATION_FRACTION")
                    or DEFAULT_VALIDATION_FRACTION,
                )
            run = runs.training_run_start(
                dataset=dataset,
                base_alias=data["base_alias"],
                method=data["method"],
                # Each method takes its own fields of the form.
                hyperparameters=(
                    {"scope": data.get("scope") or "sectioned"}
                    if data["method"] == TrainingRun.Method.SCORER
                    else {
                        key: data[key]
                        for key in (
                            "max_steps",
                            "batch_size",
                            "learning_rate",
                            "lora_r",
                        )
                    }
                ),
                actor=request.user,
            )
        except (TrainingDataError, runs.TrainingRunError) as exc:
            # Raised before the run was written; response_add says why.
            request.training_start_error = str(exc)
            return
        obj.pk = run.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        return

    def response_add(self, request, obj, post_url_continue=None):
        error = getattr(request, "training_start_error", None)
        if error:
            self.message_user(request, f"No run was started: {error}", messages.ERROR)
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    @admin.display(description="Dataset")
    def dataset_version(self, run: TrainingRun) -> str:
        return run.dataset.version

    @admin.display(description="Dataset counts")
    def dataset_counts(self, run: TrainingRun) -> str:
        return ", ".join(
            f"{key} {value}" for key, value in sorted(run.dataset.counts.items())
        )

    @admin.display(description="Progress")
    def progress(self, run: TrainingRun):
        return progress_bar_html(run)

    @admin.display(description="Loss")
    def loss_curve(self, run: TrainingRun):
        if run.method == TrainingRun.Method.SCORER:
            # One fit, not a descent: its log-loss on the training documents.
            if not run.losses:
                return "Not fitted yet."
            return (
                f"Log-loss {run.losses[-1][1]:.3f} on the training documents (one fit)."
            )
        return loss_curve_svg(run.losses, total_steps=run.total_steps)

    @admin.display(description="Gate")
    def gate(self, run: TrainingRun) -> str:
        return {True: "passed", False: "failed"}.get(run.gate_passed, "-")

    @admin.display(description="Gate report")
    def gate_report(self, run: TrainingRun):
        return gate_table_html(run)

    @admin.display(description="Training time")
    def duration(self, run: TrainingRun) -> str:
        seconds = int(run.active_seconds)
        return f"{seconds // 60}m {seconds % 60}s"

    @admin.display(description="Alias")
    def promoted_alias(self, run: TrainingRun) -> str:
        alias = SummarizerAlias.objects.filter(run=run).first()
        return alias.name if alias else "-"


@admin.register(TrainingDataset)
class TrainingDatasetAdmin(TrainingPermissionMixin, admin.ModelAdmin):
    list_display = ["version", "counts", "sources", "created_by", "created_at"]
    readonly_fields = [
        "content_sha256",
        "counts",
        "sources",
        "validation_fraction",
        "created_by",
        "created_at",
    ]


@admin.register(TrainingPair)
class TrainingPairAdmin(TrainingPermissionMixin, admin.ModelAdmin):
    list_display = ["__str__", "source", "created_at"]
    list_filter = ["source"]


@admin.register(SummarizerAlias)
class SummarizerAliasAdmin(TrainingPermissionMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "base_alias",
        "run",
        "adapter_sha256",
        "promoted_by",
        "created_at",
    ]
