from django.contrib import admin
from django.db.models import Q

from .models import Document, DocumentEvent, Space
from .selectors import space_ids_visible


@admin.register(Space)
class SpaceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_public"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["viewer_groups", "editor_groups"]
    search_fields = ["name", "slug"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=space_ids_visible(user=request.user))
        )


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "space",
        "mime_type",
        "language",
        "word_count",
        "updated_at",
    ]
    list_filter = ["space", "mime_type", "language"]
    search_fields = ["title", "original_filename"]
    readonly_fields = [
        "content_sha256",
        "analyzed_sha256",
        "mime_type",
        "original_filename",
        "source_key",
        "word_count",
        "language",
        "created_by",
        "updated_by",
        "created_at",
        "updated_at",
    ]
    exclude = ["search_vector", "html"]
    list_select_related = ["space"]
    show_full_result_count = False

    def get_queryset(self, request):
        # Staff see in the admin only what the portal would show them.
        return (
            super()
            .get_queryset(request)
            .filter(space__in=space_ids_visible(user=request.user))
        )


@admin.register(DocumentEvent)
class DocumentEventAdmin(admin.ModelAdmin):
    """The documents' audit trail: read-only, and only for spaces one may read."""

    list_display = ["created_at", "actor", "action", "title", "document_key"]
    list_filter = ["action"]
    search_fields = ["title", "actor__username"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        # A deleted document's events stay visible to those who see every space.
        visible = Q(document__space__in=space_ids_visible(user=request.user))
        if request.user.is_superuser:
            visible |= Q(document__isnull=True)
        return super().get_queryset(request).filter(visible)
