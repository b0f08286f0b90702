from django.contrib import admin

from .models import Document, Space


@admin.register(Space)
class SpaceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_public"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["viewer_groups", "editor_groups"]
    search_fields = ["name", "slug"]


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
