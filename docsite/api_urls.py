"""The REST API, version 1: every app's routes, the OpenAPI schema and its docs.

Project-level, like ``docsite/urls.py``: each app owns its API module and
routes; only this file knows them all.
"""

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("", include("docsite.documents.api_urls")),
    path("", include("summaries.api_urls")),
    path("", include("interests.api_urls")),
    path("", include("workers.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
