"""Operators start, watch, pause, resume, cancel and retry reprocessing jobs here,
and see queue and worker health."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from docsite.longwork import admin_apply, progress_html

from . import services
from .dashboard import throughput_svg
from .forms import ReprocessJobStartForm
from .models import ReprocessItem, ReprocessJob
from .selectors import (
    queue_depths,
    reprocess_items_failed_recent,
    reprocess_job_progress,
    reprocess_jobs_visible,
    workers_status,
)

# The admin's home page links to the operator dashboard.
admin.site.index_template = "admin/workers/index.html"


class FailedItemInline(admin.TabularInline):
    model = ReprocessItem
    verbose_name_plural = "Failed documents"
    fields = ["document_id", "error", "attempts"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0

    def get_queryset(self, request):
        return super().get_queryset(request).filter(state=ReprocessItem.State.FAILED)


def _job_action(modeladmin, request, queryset, service, verb: str) -> None:
    admin_apply(
        modeladmin,
        request,
        queryset,
        service=service,
        keyword="job",
        verb=verb,
        refusals=(ValueError,),
    )


@admin.action(description="Pause selected jobs")
def pause_jobs(modeladmin, request, queryset):
    _job_action(modeladmin, request, queryset, services.reprocess_job_pause, "Paused")


@admin.action(description="Resume selected jobs")
def resume_jobs(modeladmin, request, queryset):
    _job_action(modeladmin, request, queryset, services.reprocess_job_resume, "Resumed")


@admin.action(description="Cancel selected jobs")
def cancel_jobs(modeladmin, request, queryset):
    _job_action(
        modeladmin, request, queryset, services.reprocess_job_cancel, "Cancelled"
    )


@admin.action(description="Retry failed documents of selected jobs")
def retry_failed(modeladmin, request, queryset):
    _job_action(
        modeladmin, request, queryset, services.reprocess_job_retry_failed, "Retried"
    )


@admin.register(ReprocessJob)
class ReprocessJobAdmin(admin.ModelAdmin):
    change_list_template = "admin/workers/reprocessjob/change_list.html"
    change_form_template = "admin/workers/reprocessjob/change_form.html"
    list_display = [
        "__str__",
        "kind",
        "progress_bar",
        "throughput",
        "eta",
        "backend_alias",
        "started_by",
        "started_at",
    ]
    list_filter = ["state", "kind"]
    actions = [pause_jobs, resume_jobs, cancel_jobs, retry_failed]
    inlines = [FailedItemInline]
    readonly_fields = [
        "kind",
        "selection",
        "space",
        "backend_alias",
        "producer",
        "state",
        "progress_bar",
        "throughput",
        "eta",
        "error",
        "total",
        "done_count",
        "failed_count",
        "skipped_count",
        "started_by",
        "started_at",
        "finished_at",
        "activate_on_success",
    ]

    class Media:
        js = ["workers/job_progress.js"]

    def get_queryset(self, request):
        return reprocess_jobs_visible(user=request.user)

    def get_inlines(self, request, obj=None):
        return self.inlines if obj is not None else []

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            # The choices and the ids it accepts are the user's spaces only.
            kwargs["form"] = type(
                "ReprocessJobStartFormForUser",
                (ReprocessJobStartForm,),
                {"user": request.user},
            )
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return [*ReprocessJobStartForm.Meta.fields, "confirm"]
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            return
        data = form.cleaned_data
        job = services.reprocess_job_start(
            kind=data["kind"],
            selection=data["selection"],
            space=data.get("space"),
            document_ids=data.get("document_ids"),
            backend_alias=data["backend_alias"],
            actor=request.user,
            activate_on_success=data["activate_on_success"],
        )
        # The admin redirects to the saved object: point it at the job just made.
        obj.pk = job.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        return

    @admin.display(description="Progress")
    def progress_bar(self, job: ReprocessJob) -> str:
        progress = reprocess_job_progress(job=job)
        # A finished job shows its final counts, whatever its activation hook
        # still reports.
        attrs = {"job_id": job.pk, "state": job.state}
        if (
            job.phase == ReprocessJob.Phase.ACTIVATING
            and job.state != ReprocessJob.State.DONE
        ):
            return progress_html(
                done=job.activation_done,
                total=job.activation_total,
                text=f"switched; carrying readers over: {job.activation_done} / "
                f"{job.activation_total}",
                attrs=attrs,
            )
        return progress_html(
            done=progress.processed,
            total=progress.total,
            text=f"{progress.processed} / {progress.total} ({progress.percent}%), "
            f"{progress.failed} failed",
            attrs=attrs,
        )

    @admin.display(description="Docs/s")
    def throughput(self, job: ReprocessJob) -> str:
        return f"{reprocess_job_progress(job=job).docs_per_second:.1f}"

    @admin.display(description="ETA")
    def eta(self, job: ReprocessJob) -> str:
        seconds = reprocess_job_progress(job=job).eta_seconds
        return "-" if seconds is None else f"{int(seconds) // 60}m {int(seconds) % 60}s"

    def get_urls(self):
        return [
            path(
                "progress/",
                self.admin_site.admin_view(self.progress_view),
                name="workers_reprocessjob_progress",
            ),
            path(
                "dashboard/",
                self.admin_site.admin_view(self.dashboard_view),
                name="workers_dashboard",
            ),
            path(
                "<int:job_id>/control/<str:action>/",
                self.admin_site.admin_view(self.control_view),
                name="workers_reprocessjob_control",
            ),
            path(
                "health/",
                self.admin_site.admin_view(self.health_view),
                name="workers_reprocessjob_health",
            ),
            *super().get_urls(),
        ]

    def progress_view(self, request: HttpRequest) -> JsonResponse:
        """Progress of the jobs whose ids are given, for the list's live bars."""
        if not self.has_view_permission(request):
            return JsonResponse({}, status=403)
        ids = [int(i) for i in request.GET.getlist("id") if i.isdigit()][:100]
        jobs = reprocess_jobs_visible(user=request.user).filter(pk__in=ids)
        return JsonResponse(
            {str(job.pk): reprocess_job_progress(job=job).as_dict() for job in jobs}
        )

    CONTROLS = {
        "pause": (services.reprocess_job_pause, "Paused"),
        "resume": (services.reprocess_job_resume, "Resumed"),
        "cancel": (services.reprocess_job_cancel, "Cancelled"),
        "retry": (
            services.reprocess_job_retry_failed,
            "Retried the failed documents of",
        ),
    }

    def control_view(self, request: HttpRequest, job_id: int, action: str):
        """Pause, resume, cancel or retry one job from its page (POST only)."""
        job = ReprocessJob.objects.filter(pk=job_id).first()
        if request.method != "POST" or action not in self.CONTROLS or job is None:
            return JsonResponse({}, status=405 if job else 404)
        if not self.has_change_permission(request, job):
            return JsonResponse({}, status=403)
        service, verb = self.CONTROLS[action]
        try:
            service(job=job, actor=request.user)
            self.message_user(request, f"{verb} job #{job.pk}.")
        except ValueError as exc:
            self.message_user(request, f"Job #{job.pk}: {exc}", messages.WARNING)
        return redirect("admin:workers_reprocessjob_change", job.pk)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = ReprocessJob.objects.filter(pk=object_id).first()
        controls = []
        if job is not None and self.has_change_permission(request, job):
            allowed = {
                "pause": job.state == ReprocessJob.State.RUNNING,
                "resume": job.state
                in (ReprocessJob.State.PAUSED, ReprocessJob.State.QUEUED),
                "cancel": job.state in ReprocessJob.ACTIVE_STATES,
                "retry": job.failed_count > 0,
            }
            controls = [(name, name.capitalize()) for name, ok in allowed.items() if ok]
        return super().change_view(
            request,
            object_id,
            form_url,
            extra_context={**(extra_context or {}), "job_controls": controls},
        )

    def health_view(self, request: HttpRequest):
        if not self.has_view_permission(request):
            return JsonResponse({}, status=403)
        context = {
            **self.admin_site.each_context(request),
            "title": "Queues and workers",
            "queues": queue_depths(),
            "workers": workers_status(),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/workers/health.html", context)

    def dashboard_view(self, request: HttpRequest):
        """Summaries by status, throughput per hour, recent failures and active jobs."""
        if not self.has_view_permission(request):
            return JsonResponse({}, status=403)
        from summaries.models import Summary
        from summaries.selectors import (
            summaries_failed_recent,
            summary_producer_counts,
            summary_status_counts,
            summary_throughput_hourly,
        )

        counts = summary_status_counts(user=request.user)
        labels = dict(Summary.Status.choices)
        throughput = summary_throughput_hourly(user=request.user, hours=24)
        context = {
            **self.admin_site.each_context(request),
            "title": "Dashboard",
            "opts": self.model._meta,
            "status_counts": [
                (status, labels[status], count) for status, count in counts.items()
            ],
            "summary_total": sum(counts.values()),
            "status_columns": [(status, labels[status]) for status in counts],
            "producer_counts": summary_producer_counts(user=request.user),
            "throughput_svg": throughput_svg(throughput),
            "throughput_total": sum(count for _, count in throughput),
            "failed_summaries": summaries_failed_recent(user=request.user, limit=10),
            "failed_items": reprocess_items_failed_recent(user=request.user, limit=10),
            "active_jobs": [
                (job, reprocess_job_progress(job=job))
                for job in reprocess_jobs_visible(user=request.user)
                .filter(state__in=ReprocessJob.ACTIVE_STATES)
                .order_by("-created_at")[:10]
            ],
        }
        return TemplateResponse(request, "admin/workers/dashboard.html", context)
