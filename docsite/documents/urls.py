from django.urls import path

from . import upload_views, views

app_name = "documents"

urlpatterns = [
    path("", views.home, name="home"),
    path("spaces/", views.space_list, name="spaces"),
    path("spaces/<slug:space_slug>/", views.document_list, name="space"),
    path("documents/", views.document_list, name="list"),
    path("documents/upload/", upload_views.document_upload, name="upload"),
    path(
        "documents/uploads/<int:upload_id>/",
        upload_views.upload_status,
        name="upload-status",
    ),
    path("documents/<int:document_id>/", views.document_detail, name="detail"),
    path("documents/<int:document_id>/file/", views.document_download, name="download"),
    path("documents/<int:document_id>/live/", views.document_live, name="live"),
    path("documents/<int:document_id>/edit/", views.document_edit, name="edit"),
    path("documents/<int:document_id>/delete/", views.document_delete, name="delete"),
    path(
        "documents/<int:document_id>/history/", views.document_history, name="history"
    ),
]
