"""REST API of reprocessing jobs: start, list, progress, pause, resume, cancel.

Operators only, as in the admin: the user must be staff and hold the model
permission for the action (``workers.view_reprocessjob`` to read,
``add_reprocessjob`` to start, ``change_reprocessjob`` to pause, resume or
cancel). A job's space and listed documents must be ones the operator may read.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from django.shortcuts import get_object_or_404

from docsite.documents.selectors import document_list_visible, space_list_visible
from docsite.documents.serializers import ErrorSerializer

from . import services
from .selectors import reprocess_jobs_visible
from .serializers import ReprocessJobSerializer, ReprocessJobStartSerializer

FORBIDDEN = OpenApiResponse(
    ErrorSerializer, description="Staff with the job permission only."
)
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such job.")
CONFLICT = OpenApiResponse(
    ErrorSerializer, description="The job's state does not allow this action."
)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class IsJobOperator(BasePermission):
    """Staff holding the permission the view names for the request's method."""

    message = "Only operators may manage reprocessing jobs."

    def has_permission(self, request: Request, view) -> bool:
        user = request.user
        permission = view.required_permissions.get(request.method)
        return bool(
            user
            and user.is_authenticated
            and user.is_staff
            and permission
            and user.has_perm(permission)
        )


class JobApi(GenericAPIView):
    serializer_class = ReprocessJobSerializer
    permission_classes = [IsJobOperator]
    required_permissions = {
        "GET": "workers.view_reprocessjob",
        "HEAD": "workers.view_reprocessjob",
        "OPTIONS": "workers.view_reprocessjob",
    }


class JobListStartApi(JobApi):
    required_permissions = {
        **JobApi.required_permissions,
        "POST": "workers.add_reprocessjob",
    }

    @extend_schema(responses={200: ReprocessJobSerializer(many=True), 403: FORBIDDEN})
    def get(self, request: Request) -> Response:
        """List reprocessing jobs, newest first."""
        jobs = self.paginate_queryset(
            reprocess_jobs_visible(user=request.user)
            .select_related("space", "started_by")
            .order_by("-created_at", "-id")
        )
        return self.get_paginated_response(ReprocessJobSerializer(jobs, many=True).data)

    @extend_schema(
        request=ReprocessJobStartSerializer,
        responses={201: ReprocessJobSerializer, 403: FORBIDDEN},
    )
    def post(self, request: Request) -> Response:
        """Start a job that re-summarizes or re-embeds a selection of documents."""
        data = ReprocessJobStartSerializer(
            data=request.data,
            spaces=space_list_visible(user=request.user),
            documents=document_list_visible(user=request.user),
        )
        data.is_valid(raise_exception=True)
        job = services.reprocess_job_start(**data.validated_data, actor=request.user)
        return Response(
            ReprocessJobSerializer(job).data, status=status.HTTP_201_CREATED
        )


class JobDetailApi(JobApi):
    @extend_schema(
        responses={200: ReprocessJobSerializer, 403: FORBIDDEN, 404: NOT_FOUND}
    )
    def get(self, request: Request, job_id: int) -> Response:
        """Return a job with its progress, throughput and ETA."""
        job = get_object_or_404(reprocess_jobs_visible(user=request.user), pk=job_id)
        return Response(ReprocessJobSerializer(job).data)


class JobActionApi(JobApi):
    """POST to pause, resume or cancel; answers 409 when the state forbids it."""

    required_permissions = {"POST": "workers.change_reprocessjob"}
    job_action = None  # the service to call, set by each subclass

    @extend_schema(
        request=None,
        responses={
            200: ReprocessJobSerializer,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    def post(self, request: Request, job_id: int) -> Response:
        job = get_object_or_404(reprocess_jobs_visible(user=request.user), pk=job_id)
        try:
            job = self.job_action(job=job, actor=request.user)
        except ValueError as exc:
            raise Conflict(str(exc)) from exc
        return Response(ReprocessJobSerializer(job).data)


class JobPauseApi(JobActionApi):
    """Pause a running job; chunks already sent finish."""

    job_action = staticmethod(services.reprocess_job_pause)


class JobResumeApi(JobActionApi):
    """Resume a paused job where it stopped."""

    job_action = staticmethod(services.reprocess_job_resume)


class JobCancelApi(JobActionApi):
    """Cancel a job; the live producer is not switched."""

    job_action = staticmethod(services.reprocess_job_cancel)
