from django.contrib import admin

from docsite.documents.selectors import space_ids_visible

from .models import DocumentVector, Interaction, UserInterest


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
