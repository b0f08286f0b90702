"""Editors review summaries here: approve, edit, reject, regenerate, one at a time
or in bulk. Every action goes through a service that writes the audit trail."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from docsite.documents.selectors import space_ids_visible, space_list_visible

from . import services
from .models import Summary, SummaryEvent
from .selectors import (
    summaries_reviewable,
    summary_rejection_reason,
    summary_user_may_review,
)

REVIEW_PERMISSION = "summaries.review_summary"


class SummaryEventInline(admin.TabularInline):
    model = SummaryEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "actor", "action", "changes"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


def _run_review_action(modeladmin, request, queryset, action, verb: str) -> None:
    done = failed = 0
    # Only summaries of spaces the reviewer may edit; the rest are skipped.
    reviewable = summaries_reviewable(user=request.user)
    for summary in queryset.filter(pk__in=reviewable.values("pk")).select_related(
        "document"
    ):
        try:
            action(summary=summary, actor=request.user)
            done += 1
        except ValueError as exc:
            failed += 1
            modeladmin.message_user(
                request, f"{summary.document}: {exc}", messages.WARNING
            )
    if done:
        modeladmin.message_user(
            request, f"{verb} {done} summar{'y' if done == 1 else 'ies'}."
        )


@admin.action(description="Approve selected summaries", permissions=["review"])
def approve_selected(modeladmin, request, queryset):
    _run_review_action(
        modeladmin, request, queryset, services.summary_approve, "Approved"
    )


@admin.action(description="Reject selected summaries…", permissions=["review"])
def reject_selected(modeladmin, request, queryset):
    """Ask for the reason first (an intermediate page), then reject them all with it."""
    reason = request.POST.get("reject_reason", "").strip()[:2000]
    if request.POST.get("confirm_reject") and reason:
        _run_review_action(
            modeladmin,
            request,
            queryset,
            lambda *, summary, actor: services.summary_reject(
                summary=summary, actor=actor, reason=reason
            ),
            "Rejected",
        )
        return None
    return TemplateResponse(
        request,
        "admin/summaries/summary/reject_selected.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": "Why are these summaries rejected?",
            "opts": modeladmin.model._meta,
            "summaries": queryset.select_related("document"),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "missing_reason": bool(request.POST.get("confirm_reject")),
        },
    )


@admin.action(description="Regenerate selected summaries", permissions=["review"])
def regenerate_selected(modeladmin, request, queryset):
    _run_review_action(
        modeladmin,
        request,
        queryset,
        services.summary_regenerate,
        "Queued regeneration of",
    )


class VisibleSpaceListFilter(admin.SimpleListFilter):
    """Filter by space, offering only the spaces the editor may read.

    A plain ``"document__space"`` filter lists every space by name, which
    would tell an editor that spaces exist that are hidden from them.
    """

    title = "space"
    parameter_name = "space"

    def lookups(self, request, model_admin):
        return [(str(s.pk), s.name) for s in space_list_visible(user=request.user)]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(document__space_id=int(value))


class NeedsAttentionFilter(admin.SimpleListFilter):
    """Generated summaries with a sentence the document may not back."""

    title = "faithfulness"
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [("yes", "Needs attention"), ("no", "No flags")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(needs_attention=True)
        if self.value() == "no":
            return queryset.filter(needs_attention=False)
        return queryset


@admin.register(Summary)
class SummaryAdmin(admin.ModelAdmin):
    change_form_template = "admin/summaries/summary/change_form.html"
    list_display = [
        "document_title",
        "summary_text",
        "space",
        "status",
        "attention",
        "backend",
        "producer",
        "created_at",
    ]
    list_filter = [
        NeedsAttentionFilter,
        "status",
        "backend",
        "producer",
        VisibleSpaceListFilter,
    ]
    search_fields = ["document__title", "text"]
    list_select_related = ["document", "document__space"]
    # The review queue: what has waited longest comes first.
    ordering = ["created_at"]
    actions = [approve_selected, reject_selected, regenerate_selected]
    fields = [
        "document",
        "status",
        "text",
        "producer",
        "params",
        "error",
        "tokens_in",
        "tokens_out",
        "duration_ms",
        "author",
        "edited_from",
        "reviewed_by",
        "reviewed_at",
        "generated_at",
        "created_at",
    ]
    readonly_fields = [f for f in fields if f != "text"]
    inlines = [SummaryEventInline]
    show_full_result_count = False

    # --- permissions: editors see only what they may read --------------------

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(REVIEW_PERMISSION)

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_review_permission(request) or super().has_view_permission(
            request, obj
        )

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_review_permission(request) and (
            obj is None or summary_user_may_review(user=request.user, summary=obj)
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def get_queryset(self, request: HttpRequest) -> QuerySet[Summary]:
        return (
            super()
            .get_queryset(request)
            .filter(document__space__in=space_ids_visible(user=request.user))
        )

    # --- columns --------------------------------------------------------------

    @admin.display(description="Document", ordering="document__title")
    def document_title(self, summary: Summary) -> str:
        return summary.document.title

    @admin.display(description="Summary")
    def summary_text(self, summary: Summary) -> str:
        text = " ".join(summary.text.split())
        if not text:
            return summary.error[:120] if summary.error else "—"
        return text if len(text) <= 240 else text[:239].rsplit(" ", 1)[0] + "…"

    @admin.display(description="Attention", ordering="-needs_attention")
    def attention(self, summary: Summary) -> str:
        flagged = sum(1 for flag in summary.flags if flag.get("flagged"))
        if not flagged:
            return ""
        return f"⚠ {flagged} sentence{'' if flagged == 1 else 's'}"

    @admin.display(description="Space", ordering="document__space__name")
    def space(self, summary: Summary) -> str:
        return summary.document.space.name

    # --- editing creates a new version -----------------------------------------

    def save_model(self, request, obj, form, change):
        if not change or "text" not in form.changed_data:
            return
        original = Summary.objects.get(pk=obj.pk)
        try:
            request._summary_version = services.summary_edit(
                summary=original, text=form.cleaned_data["text"], actor=request.user
            )
        except ValueError as exc:
            raise PermissionDenied(str(exc)) from exc

    def save_related(self, request, form, formsets, change):
        # The audit inline is read-only; nothing else relates to a summary.
        # The admin's change message still reads what each formset saved.
        for formset in formsets:
            formset.new_objects, formset.changed_objects = [], []
            formset.deleted_objects = []

    def response_change(self, request, obj):
        version = getattr(request, "_summary_version", None)
        if version is not None:
            self.message_user(request, "Your edit was saved as a new approved version.")
            return HttpResponseRedirect(
                reverse("admin:summaries_summary_change", args=[version.pk])
            )
        return super().response_change(request, obj)

    # --- single-summary buttons -------------------------------------------------

    def get_urls(self):
        def review_view(action_name):
            return self.admin_site.admin_view(
                lambda request, object_id: self._review_one(
                    request, object_id, action_name
                )
            )

        return [
            path(
                "<int:object_id>/approve/",
                review_view("approve"),
                name="summaries_summary_approve",
            ),
            path(
                "<int:object_id>/reject/",
                review_view("reject"),
                name="summaries_summary_reject",
            ),
            path(
                "<int:object_id>/regenerate/",
                review_view("regenerate"),
                name="summaries_summary_regenerate",
            ),
            *super().get_urls(),
        ]

    def _review_one(self, request: HttpRequest, object_id: int, action_name: str):
        if request.method != "POST" or not self.has_review_permission(request):
            raise PermissionDenied
        summary = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not summary_user_may_review(user=request.user, summary=summary):
            raise PermissionDenied
        action = {
            "approve": services.summary_approve,
            "reject": services.summary_reject,
            "regenerate": services.summary_regenerate,
        }[action_name]
        extra = {}
        if action_name == "reject":
            reason = request.POST.get("reject_reason", "").strip()[:2000]
            if not reason:
                self.message_user(
                    request, "Say why the summary is rejected.", messages.ERROR
                )
                return HttpResponseRedirect(
                    reverse("admin:summaries_summary_change", args=[summary.pk])
                )
            extra["reason"] = reason
        try:
            result = action(summary=summary, actor=request.user, **extra)
        except ValueError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            result = summary
        else:
            past_tense = {
                "approve": "approved",
                "reject": "rejected",
                "regenerate": "queued for regeneration",
            }[action_name]
            self.message_user(request, f"Summary {past_tense}.")
        # After a regenerate the editor stays on the summary they were
        # reviewing: the alternative is queued beside it.
        shown = summary if action_name == "regenerate" else result
        return HttpResponseRedirect(
            reverse("admin:summaries_summary_change", args=[shown.pk])
        )

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["can_review"] = self.has_review_permission(request) and (
            obj is None or summary_user_may_review(user=request.user, summary=obj)
        )
        if obj is not None:
            context["document"] = obj.document
            context["flagged_sentences"] = [
                flag for flag in obj.flags if flag.get("flagged")
            ]
            context["alternatives"] = list(
                Summary.objects.filter(
                    document=obj.document_id, content_sha256=obj.content_sha256
                )
                .exclude(pk=obj.pk)
                .exclude(backend="human")
                .order_by("-created_at", "-id")[:5]
            )
            if obj.status == Summary.Status.REJECTED:
                context["rejection_reason"] = summary_rejection_reason(obj)
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)


@admin.register(SummaryEvent)
class SummaryEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "summary_link"]
    list_filter = ["action"]
    search_fields = ["summary__document__title", "actor__username"]
    list_select_related = ["actor", "summary__document"]

    @admin.display(description="Summary")
    def summary_link(self, event: SummaryEvent) -> str:
        url = reverse("admin:summaries_summary_change", args=[event.summary_id])
        return format_html('<a href="{}">{}</a>', url, event.summary.document.title)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(summary__document__space__in=space_ids_visible(user=request.user))
        )


from .training import admin as training_admin  # noqa: E402,F401  (registers the training models)
