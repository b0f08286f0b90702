"""REST API of spaces and documents. Thin: parse, call one selector or service,
serialize.

Permission rules are the portal's: a hidden document answers 404 exactly like
a missing one; a reader who may see a document but not edit its space gets
403 on writes.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from . import selectors, services
from .exceptions import DocumentRejectedError
from .models import Document
from .serializers import (
    DocumentCreateSerializer,
    DocumentDetailSerializer,
    DocumentListQuerySerializer,
    DocumentSerializer,
    DocumentUpdateSerializer,
    ErrorSerializer,
    SpaceSerializer,
    snippets_context,
)

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
            201: DocumentDetailSerializer,
            200: OpenApiResponse(
                DocumentDetailSerializer,
                description="The space already holds a document with the same text.",
            ),
            403: OpenApiResponse(
                ErrorSerializer, description="You may not add documents to this space."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        """Upload a document (multipart); a refused file answers 400 with the reason."""
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
            result = services.document_create_from_upload(
                space=space,
                upload=data.validated_data["file"],
                user=request.user,
                title=data.validated_data["title"],
            )
        except DocumentRejectedError as exc:
            raise ValidationError({"file": [str(exc)]}) from exc
        return _detail_response(
            request=request,
            document=result.document,
            status_code=status.HTTP_201_CREATED
            if result.outcome == "created"
            else status.HTTP_200_OK,
        )


class DocumentDetailApi(GenericAPIView):
    serializer_class = DocumentDetailSerializer
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
        responses={200: DocumentDetailSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def patch(self, request: Request, document_id: int) -> Response:
        """Change the title and/or replace the file."""
        document = _editable_document(request=request, document_id=document_id)
        data = DocumentUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            document = services.document_update_from_upload(
                document=document,
                user=request.user,
                upload=data.validated_data["file"],
                title=data.validated_data["title"],
            )
        except DocumentRejectedError as exc:
            raise ValidationError({"file": [str(exc)]}) from exc
        return _detail_response(request=request, document=document)

    @extend_schema(responses={204: None, 403: FORBIDDEN, 404: NOT_FOUND})
    def delete(self, request: Request, document_id: int) -> Response:
        """Delete a document, its file and everything derived from it."""
        document = _editable_document(request=request, document_id=document_id)
        services.document_delete(document=document, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
