"""Routes of the documents API, included under ``/api/v1/`` by ``docsite.api_urls``."""

from django.urls import path

from . import apis

urlpatterns = [
    path("spaces/", apis.SpaceListApi.as_view(), name="space-list"),
    path("documents/", apis.DocumentListCreateApi.as_view(), name="document-list"),
    path(
        "documents/<int:document_id>/",
        apis.DocumentDetailApi.as_view(),
        name="document-detail",
    ),
    path("uploads/", apis.UploadListApi.as_view(), name="upload-list"),
    path(
        "uploads/<int:upload_id>/", apis.UploadDetailApi.as_view(), name="upload-detail"
    ),
]
