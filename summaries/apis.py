"""REST API of summaries: a document's current summary and history, and the
editors' review actions.

Reading follows the document: whoever may see it sees its summaries, and a
hidden document answers 404. Review actions also need the
``summaries.review_summary`` permission (403 without it, once the summary is
visible), exactly like the admin's review queue. Every action is recorded as
a ``SummaryEvent`` by the services.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from docsite.documents.selectors import document_get_visible
from docsite.documents.serializers import ErrorSerializer

from . import selectors, services
from .models import Summary
from .serializers import (
    SummaryEditSerializer,
    SummaryRejectSerializer,
    SummarySerializer,
    SummaryStateSerializer,
)

REVIEW_PERMISSION = "summaries.review_summary"
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Missing, or hidden from you.")
FORBIDDEN = OpenApiResponse(
    ErrorSerializer, description="You lack the summaries.review_summary permission."
)
CONFLICT = OpenApiResponse(
    ErrorSerializer, description="The summary's status does not allow this action."
)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class CanReviewSummaries(BasePermission):
    message = "You may not review summaries."

    def has_object_permission(self, request: Request, view, obj: Summary) -> bool:
        return selectors.summary_user_may_review(user=request.user, summary=obj)


class DocumentSummaryApi(GenericAPIView):
    serializer_class = SummaryStateSerializer

    @extend_schema(responses={200: SummaryStateSerializer, 404: NOT_FOUND})
    def get(self, request: Request, document_id: int) -> Response:
        """Return the summary the document shows now, with its status."""
        document = document_get_visible(user=request.user, document_id=document_id)
        state = selectors.summary_state_for(document=document)
        return Response(SummaryStateSerializer(state).data)


class DocumentSummaryHistoryApi(GenericAPIView):
    serializer_class = SummarySerializer

    @extend_schema(responses={200: SummarySerializer(many=True), 404: NOT_FOUND})
    def get(self, request: Request, document_id: int) -> Response:
        """List every summary of the document, newest first, editors' versions included."""
        document = document_get_visible(user=request.user, document_id=document_id)
        summaries = self.paginate_queryset(selectors.summary_history(document=document))
        return self.get_paginated_response(SummarySerializer(summaries, many=True).data)


class SummaryReviewApi(GenericAPIView):
    """Base of the review actions: the summary must be visible, then reviewable."""

    serializer_class = SummarySerializer
    permission_classes = [IsAuthenticated, CanReviewSummaries]

    def get_summary(self, *, summary_id: int) -> Summary:
        summary = selectors.summary_get_visible(
            user=self.request.user, summary_id=summary_id
        )
        self.check_object_permissions(self.request, summary)
        return summary


REVIEW_ERRORS = {
    403: FORBIDDEN,
    404: NOT_FOUND,
    409: CONFLICT,
}


class SummaryApproveApi(SummaryReviewApi):
    @extend_schema(request=None, responses={200: SummarySerializer, **REVIEW_ERRORS})
    def post(self, request: Request, summary_id: int) -> Response:
        """Approve a generated (or rejected) summary."""
        summary = self.get_summary(summary_id=summary_id)
        try:
            summary = services.summary_approve(summary=summary, actor=request.user)
        except ValueError as exc:
            raise Conflict(str(exc)) from exc
        return Response(SummarySerializer(summary).data)


class SummaryRejectApi(SummaryReviewApi):
    @extend_schema(
        request=SummaryRejectSerializer,
        responses={200: SummarySerializer, **REVIEW_ERRORS},
    )
    def post(self, request: Request, summary_id: int) -> Response:
        """Reject a summary, with an optional reason for the audit trail."""
        summary = self.get_summary(summary_id=summary_id)
        data = SummaryRejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        summary = services.summary_reject(
            summary=summary, actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(SummarySerializer(summary).data)


class SummaryEditApi(SummaryReviewApi):
    @extend_schema(
        request=SummaryEditSerializer,
        responses={201: SummarySerializer, **REVIEW_ERRORS},
    )
    def post(self, request: Request, summary_id: int) -> Response:
        """Save new text as a new, approved, human-authored version; the original stays."""
        summary = self.get_summary(summary_id=summary_id)
        data = SummaryEditSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            edited = services.summary_edit(
                summary=summary, text=data.validated_data["text"], actor=request.user
            )
        except ValueError as exc:
            raise Conflict(str(exc)) from exc
        return Response(SummarySerializer(edited).data, status=status.HTTP_201_CREATED)


class SummaryRegenerateApi(SummaryReviewApi):
    @extend_schema(
        request=None,
        responses={202: SummarySerializer, **REVIEW_ERRORS},
    )
    def post(self, request: Request, summary_id: int) -> Response:
        """Queue a fresh machine summary of the document's current text."""
        summary = self.get_summary(summary_id=summary_id)
        queued = services.summary_regenerate(summary=summary, actor=request.user)
        return Response(SummarySerializer(queued).data, status=status.HTTP_202_ACCEPTED)
