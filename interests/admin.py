from django.contrib import admin

from docsite.documents.selectors import space_ids_visible

from .learning import ranker_roll_back
from .models import (
    DocumentVector,
    FeedImpression,
    Interaction,
    RankerVersion,
    UserInterest,
)
from .selectors import ranker_for_feed


class DerivedRowAdmin(admin.ModelAdmin):
    """Rows that readers' actions or the workers make; nobody adds them by hand."""

    def has_add_permission(self, request) -> bool:
        return False


class OfVisibleDocumentsAdmin(DerivedRowAdmin):
    """Rows about documents: only those of spaces the staff user may read.

    A hidden document's title, and who read it, stay hidden in the admin as
    in the portal.
    """

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(document__space__in=space_ids_visible(user=request.user))
        )


@admin.register(Interaction)
class InteractionAdmin(OfVisibleDocumentsAdmin):
    list_display = ("created_at", "user", "kind", "document", "dwell_seconds")
    list_filter = ("kind",)
    search_fields = ("user__username", "document__title", "query")
    raw_id_fields = ("user", "document")
    date_hierarchy = "created_at"


@admin.register(DocumentVector)
class DocumentVectorAdmin(OfVisibleDocumentsAdmin):
    list_display = ("document", "producer", "chunks", "created_at")
    list_filter = ("producer",)
    raw_id_fields = ("document",)
    exclude = ("embedding",)
    readonly_fields = ("document", "content_sha256", "producer", "chunks")


@admin.register(UserInterest)
class UserInterestAdmin(DerivedRowAdmin):
    list_display = (
        "user",
        "producer",
        "interactions_used",
        "computed_at",
        "refresh_queued_at",
    )
    raw_id_fields = ("user",)
    fields = (
        "user",
        "producer",
        "interactions_used",
        "last_interaction_id",
        "computed_at",
        "refresh_queued_at",
    )
    readonly_fields = fields


@admin.register(RankerVersion)
class RankerVersionAdmin(admin.ModelAdmin):
    """Every fit of the feed's ranker with its validation metrics; roll one back."""

    list_display = (
        "name",
        "created_at",
        "source",
        "validation_auc",
        "live_auc",
        "validation_slates",
        "promoted",
        "rolled_back_at",
    )
    list_filter = ("promoted", "algorithm")
    readonly_fields = [f.name for f in RankerVersion._meta.fields]
    actions = ["roll_back"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="validation AUC")
    def validation_auc(self, obj: RankerVersion):
        return obj.metrics.get("candidate", {}).get("auc")

    @admin.display(description="AUC of the ranker it was compared with")
    def live_auc(self, obj: RankerVersion):
        current = obj.metrics.get("current", {})
        return f"{current.get('auc')} ({obj.metrics.get('current_version', '')})"

    @admin.action(
        description="Roll back: stop using these versions", permissions=["change"]
    )
    def roll_back(self, request, queryset):
        for version in queryset:
            ranker_roll_back(version=version)
        self.message_user(
            request,
            f"{queryset.count()} version(s) rolled back; the feed uses "
            f"{ranker_for_feed().version}.",
        )


@admin.register(FeedImpression)
class FeedImpressionAdmin(OfVisibleDocumentsAdmin):
    list_display = (
        "shown_at",
        "user",
        "document",
        "position",
        "ranker_version",
        "clicked_at",
    )
    list_filter = ("ranker_version",)
    raw_id_fields = ("user", "document")
    date_hierarchy = "shown_at"

    def has_change_permission(self, request, obj=None) -> bool:
        return False
