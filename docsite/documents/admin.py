from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect

from . import services
from .exceptions import DocumentRejectedError
from .models import Document, DocumentEvent, Space
from .selectors import space_ids_visible, space_list_editable


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

    # Who may read a space is decided here: only for spaces one may edit.
    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and (
            obj is None
            or space_list_editable(user=request.user).filter(pk=obj.pk).exists()
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and (
            obj is None
            or space_list_editable(user=request.user).filter(pk=obj.pk).exists()
        )


class DocumentAdminForm(forms.ModelForm):
    """Title, space and text; the text is saved like a replaced file."""

    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 20}))

    class Meta:
        model = Document
        fields = ["title", "space", "text"]


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    """Documents as the portal shows them, written through the services.

    Staff see the documents of the spaces they may read, may change those of
    the spaces they may edit, and may move one only into a space they may
    edit. A changed text is ingested like a new file (hash, rendering,
    summary and vector follow); adding a document is the portal's upload.
    """

    form = DocumentAdminForm
    list_display = [
        "title",
        "space",
        "mime_type",
        "language",
        "word_count",
        "updated_at",
    ]
    # RelatedOnly: the filter lists the spaces of the documents one may see,
    # never the names of the others.
    list_filter = [("space", admin.RelatedOnlyFieldListFilter), "mime_type", "language"]
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
    list_select_related = ["space"]
    show_full_result_count = False

    def get_queryset(self, request):
        # Staff see in the admin only what the portal would show them.
        return (
            super()
            .get_queryset(request)
            .filter(space__in=space_ids_visible(user=request.user))
        )

    def _may_edit(self, request, obj: Document | None) -> bool:
        editable = space_list_editable(user=request.user)
        if obj is None:
            return editable.exists()
        return editable.filter(pk=obj.space_id).exists()

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and self._may_edit(
            request, obj
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and self._may_edit(
            request, obj
        )

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and self._may_edit(request, None)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "space":
            kwargs["queryset"] = space_list_editable(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def add_view(self, request, form_url="", extra_context=None):
        """Adding is uploading: the file is parsed by a worker, as in the portal."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        return redirect("documents:upload")

    def save_model(self, request, obj: Document, form, change: bool) -> None:
        document = Document.objects.get(pk=obj.pk)
        changed = set(form.changed_data)
        try:
            if "text" in changed:
                stem = Path(document.original_filename or "document").stem
                services.document_update(
                    document=document,
                    user=request.user,
                    content=form.cleaned_data["text"].encode("utf-8"),
                    filename=f"{stem or 'document'}.txt",
                    title=form.cleaned_data["title"],
                )
            elif "title" in changed:
                services.document_update(
                    document=document,
                    user=request.user,
                    title=form.cleaned_data["title"],
                )
            if "space" in changed:
                services.document_move(
                    document=document,
                    space=form.cleaned_data["space"],
                    user=request.user,
                )
        except DocumentRejectedError as exc:
            # The form was valid; the service refused (duplicate text, gone).
            raise ValidationError(str(exc)) from exc

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return redirect(request.path)

    def delete_model(self, request, obj: Document) -> None:
        services.document_delete(document=obj, user=request.user)

    def delete_queryset(self, request, queryset) -> None:
        editable = space_list_editable(user=request.user)
        for document in queryset.filter(space__in=editable):
            services.document_delete(document=document, user=request.user)


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
