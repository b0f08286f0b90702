"""Routes of the summaries API, included under ``/api/v1/`` by ``docsite.api_urls``."""

from django.urls import path

from . import apis

urlpatterns = [
    path(
        "documents/<int:document_id>/summary/",
        apis.DocumentSummaryApi.as_view(),
        name="document-summary",
    ),
    path(
        "documents/<int:document_id>/summaries/",
        apis.DocumentSummaryHistoryApi.as_view(),
        name="document-summary-history",
    ),
    path(
        "summaries/<int:summary_id>/approve/",
        apis.SummaryApproveApi.as_view(),
        name="summary-approve",
    ),
    path(
        "summaries/<int:summary_id>/reject/",
        apis.SummaryRejectApi.as_view(),
        name="summary-reject",
    ),
    path(
        "summaries/<int:summary_id>/edit/",
        apis.SummaryEditApi.as_view(),
        name="summary-edit",
    ),
    path(
        "summaries/<int:summary_id>/regenerate/",
        apis.SummaryRegenerateApi.as_view(),
        name="summary-regenerate",
    ),
]
