"""Routes of the interests API, included under ``/api/v1/`` by ``docsite.api_urls``."""

from django.urls import path

from . import apis

urlpatterns = [
    path("feed/", apis.FeedApi.as_view(), name="feed"),
    path("search/", apis.SearchApi.as_view(), name="search"),
    path(
        "documents/<int:document_id>/related/",
        apis.RelatedDocumentsApi.as_view(),
        name="document-related",
    ),
    path(
        "interactions/",
        apis.InteractionListCreateApi.as_view(),
        name="interaction-list",
    ),
    path(
        "interactions/<int:interaction_id>/",
        apis.InteractionDetailApi.as_view(),
        name="interaction-detail",
    ),
]
