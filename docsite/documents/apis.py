"""REST API of spaces and documents. Thin: parse, call one selector or service,
serialize.

Permission rules are the portal's: a hidden document answers 404 exactly like
a missing one; a reader who may see a document but not edit its space gets
403 on writes.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from . import selectors, services
from .exceptions import DocumentGoneError, DocumentRejectedError
from .models import Document, DocumentUpload
from .serializers import (
    DocumentCreateSerializer,
    DocumentDetailSerializer,
    DocumentListQuerySerializer,
    DocumentSerializer,
    DocumentUpdateSerializer,
    DocumentUploadSerializer,
    ErrorSerializer,
    SpaceSerializer,
    UploadListQuerySerializer,
    snippets_context,
)
from .uploads import upload_receive

NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Missing, or hidden from you.")
FORBIDDEN = OpenApiResponse(
    ErrorSerializer, description="You may see the document but not edit its space."
)


def _detail_response(
    *, request: Request, document: Document, status_code: int = status.HTTP_200_OK
) -> Response:
    context = snippets_context(documents=[document], request=request)
    context["can_edit"] = selectors.document_user_can_edit(
        user=request.user, document=document
    )
    return Response(
        DocumentDetailSerializer(document, context=context).data, status=status_code
    )


def _editable_document(*, request: Request, document_id: int) -> Document:
    """Return the document for a write: 404 when hidden, 403 when read-only."""
    document = selectors.document_get_visible(
        user=request.user, document_id=document_id
    )
    if not selectors.document_user_can_edit(user=request.user, document=document):
        raise PermissionDenied("You may not edit documents in this space.")
    return document


class SpaceListApi(GenericAPIView):
    serializer_class = SpaceSerializer

    @extend_schema(responses=SpaceSerializer(many=True))
    def get(self, request: Request) -> Response:
        """List the spaces you may read."""
        spaces = self.paginate_queryset(selectors.space_list_visible(user=request.user))
        return self.get_paginated_response(SpaceSerializer(spaces, many=True).data)


class DocumentListCreateApi(GenericAPIView):
    serializer_class = DocumentSerializer
    throttle_scopes = {"POST": "uploads"}
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        parameters=[DocumentListQuerySerializer],
        responses=DocumentSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        """List the documents you may read, newest first (best match first with ``q``)."""
        params = DocumentListQuerySerializer(
            data=request.query_params,
            spaces=selectors.space_list_visible(user=request.user),
        )
        params.is_valid(raise_exception=True)
        documents = self.paginate_queryset(
            selectors.document_list_visible(
                user=request.user,
                space=params.validated_data.get("space"),
                query=params.validated_data["q"],
            )
        )
        context = snippets_context(documents=documents, request=request)
        return self.get_paginated_response(
            DocumentSerializer(documents, many=True, context=context).data
        )

    @extend_schema(
        request=DocumentCreateSerializer,
        responses={
            202: OpenApiResponse(
                DocumentUploadSerializer,
                description="Received; follow ``status_url`` until it is ready or "
                "refused.",
            ),
            400: OpenApiResponse(description="Refused on sight, with the reason."),
            403: OpenApiResponse(
                ErrorSerializer, description="You may not add documents to this space."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        """Upload a document (multipart); it is parsed in the background.

        Answers 202 with the upload's status; ``GET status_url`` reports
        ``processing``, then ``ready`` with the document, or ``refused`` with
        the reason. A file refused on sight (too large, empty, a format that
        is never supported) answers 400 with the reason.
        """
        _refuse_oversized(request)
        data = DocumentCreateSerializer(
            data=request.data, spaces=selectors.space_list_visible(user=request.user)
        )
        data.is_valid(raise_exception=True)
        space = data.validated_data["space"]
        if (
            not selectors.space_list_editable(user=request.user)
            .filter(pk=space.pk)
            .exists()
        ):
            raise PermissionDenied("You may not add documents to this space.")
        try:
            upload = upload_receive(
                space=space,
                upload=data.validated_data["file"],
                user=request.user,
                title=data.validated_data["title"],
            )
        except DocumentRejectedError as exc:
            raise ValidationError({"file": [str(exc)]}) from exc
        return _upload_response(upload)


def _refuse_oversized(request: Request) -> None:
    """Answer 400 when the upload handler stopped a file past the limit."""
    request.data  # noqa: B018 (parses the body, which runs the upload handlers)
    refusal = getattr(request._request, "upload_refusal", "")
    if refusal:
        raise ValidationError({"file": [refusal]})


def _upload_response(upload: DocumentUpload) -> Response:
    body = DocumentUploadSerializer(upload).data
    return Response(
        body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]}
    )


class UploadListApi(GenericAPIView):
    serializer_class = DocumentUploadSerializer

    @extend_schema(
        parameters=[UploadListQuerySerializer],
        responses=DocumentUploadSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        """List your uploads, newest first, with their status."""
        params = UploadListQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        uploads = self.paginate_queryset(
            selectors.upload_list_visible(
                user=request.user, state=params.validated_data["state"]
            )
        )
        return self.get_paginated_response(
            DocumentUploadSerializer(uploads, many=True).data
        )


class UploadDetailApi(GenericAPIView):
    serializer_class = DocumentUploadSerializer

    @extend_schema(responses={200: DocumentUploadSerializer, 404: NOT_FOUND})
    def get(self, request: Request, upload_id: int) -> Response:
        """Return an upload's status: processing, ready (with the document) or refused."""
        upload = selectors.upload_get_visible(user=request.user, upload_id=upload_id)
        return Response(DocumentUploadSerializer(upload).data)


class DocumentDetailApi(GenericAPIView):
    serializer_class = DocumentDetailSerializer
    throttle_scopes = {"PATCH": "uploads"}
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    http_method_names = ["get", "patch", "delete", "head", "options"]

    @extend_schema(responses={200: DocumentDetailSerializer, 404: NOT_FOUND})
    def get(self, request: Request, document_id: int) -> Response:
        """Return a document with its text, snippet and processing status."""
        document = selectors.document_get_visible(
            user=request.user, document_id=document_id
        )
        return _detail_response(request=request, document=document)

    @extend_schema(
        request=DocumentUpdateSerializer,
        responses={
            200: DocumentDetailSerializer,
            202: OpenApiResponse(
                DocumentUploadSerializer,
                description="A new file was received; follow ``status_url``.",
            ),
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def patch(self, request: Request, document_id: int) -> Response:
        """Change the title (200) and/or replace the file (202, parsed in the background)."""
        document = _editable_document(request=request, document_id=document_id)
        _refuse_oversized(request)
        data = DocumentUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        try:
            if upload is not None:
                received = upload_receive(
                    space=document.space,
                    upload=upload,
                    user=request.user,
                    title=data.validated_data["title"],
                    document=document,
                )
                return _upload_response(received)
            document = services.document_update(
                document=document,
                user=request.user,
                title=data.validated_data["title"],
            )
        except DocumentGoneError as exc:
            raise NotFound("No such document.") from exc
        except DocumentRejectedError as exc:
            raise ValidationError({"file": [str(exc)]}) from exc
        return _detail_response(request=request, document=document)

    @extend_schema(responses={204: None, 403: FORBIDDEN, 404: NOT_FOUND})
    def delete(self, request: Request, document_id: int) -> Response:
        """Delete a document, its file and everything derived from it."""
        document = _editable_document(request=request, document_id=document_id)
        services.document_delete(document=document, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
