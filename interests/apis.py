"""REST API of the interests app: the feed, related documents, search, and
recording interactions. Every result passes through the selectors, which keep
to the reader's spaces in SQL.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from docsite.documents.selectors import document_get_visible, space_list_visible
from docsite.documents.serializers import (
    DocumentSerializer,
    ErrorSerializer,
    snippets_context,
)

from . import selectors
from .learning import feed_impressions_log
from .models import Interaction
from .serializers import (
    FeedQuerySerializer,
    FeedSerializer,
    InteractionCreateSerializer,
    InteractionListQuerySerializer,
    InteractionSerializer,
    InteractionUndoQuerySerializer,
    RelatedQuerySerializer,
    SearchHitSerializer,
    SearchQuerySerializer,
)
from .services import (
    InvalidInteraction,
    interaction_delete,
    interaction_mark,
    interaction_record,
    interaction_undo,
)

NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Missing, or hidden from you.")


class FeedApi(GenericAPIView):
    serializer_class = FeedSerializer

    @extend_schema(parameters=[FeedQuerySerializer], responses=FeedSerializer)
    def get(self, request: Request) -> Response:
        """Return one page of your "For you" feed; each item says why it is there."""
        params = FeedQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        feed = selectors.feed_for(user=request.user, page=params.validated_data["page"])
        feed_impressions_log(user=request.user, page=feed)
        context = snippets_context(
            documents=[item.document for item in feed.items], request=request
        )
        return Response(FeedSerializer(feed, context=context).data)


class RelatedDocumentsApi(GenericAPIView):
    serializer_class = DocumentSerializer
    pagination_class = None  # a short list, sized by ``limit``

    @extend_schema(
        parameters=[RelatedQuerySerializer],
        responses={200: DocumentSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request: Request, document_id: int) -> Response:
        """List documents like this one that you may see, most similar first."""
        params = RelatedQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        document = document_get_visible(user=request.user, document_id=document_id)
        related = selectors.documents_related(
            user=request.user, document=document, limit=params.validated_data["limit"]
        )
        context = snippets_context(documents=related, request=request)
        return Response(DocumentSerializer(related, many=True, context=context).data)


class SearchApi(GenericAPIView):
    serializer_class = SearchHitSerializer
    throttle_scope = "search"
    pagination_class = None  # ranked hits, sized by ``limit``

    @extend_schema(
        parameters=[SearchQuerySerializer], responses=SearchHitSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        """Search your documents by keyword, meaning, or both fused (``hybrid``).

        The same search as the portal's: web-search syntax (quoted phrases,
        ``-word``), typo tolerance, facets. When a word is in no document,
        the ``X-Search-Suggestion`` header carries the respelled query.
        """
        params = SearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        space = None
        if data.get("space"):
            space = (
                space_list_visible(user=request.user).filter(slug=data["space"]).first()
            )
            if space is None:
                return Response([])
        hits, prepared = selectors.search_run(
            user=request.user,
            query=data["q"],
            mode=data["mode"],
            limit=data["limit"],
            filters=selectors.SearchFilters(
                space=space,
                mime_types=tuple(data.get("type") or ()),
                updated_after=data.get("updated_after"),
                updated_before=data.get("updated_before"),
            ),
        )
        context = snippets_context(
            documents=[hit.document for hit in hits], request=request
        )
        response = Response(SearchHitSerializer(hits, many=True, context=context).data)
        if prepared.suggestion:
            response["X-Search-Suggestion"] = prepared.suggestion
        return response


class InteractionListCreateApi(GenericAPIView):
    """Also served at the portal's ``/api/interactions/`` (its reading beacon and
    its Like / Bookmark / Not for me toggles)."""

    serializer_class = InteractionSerializer
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    throttle_scopes = {"POST": "interactions", "DELETE": "interactions"}

    @extend_schema(
        parameters=[InteractionListQuerySerializer],
        responses=InteractionSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        """List your likes, bookmarks and dismissals, newest first."""
        params = InteractionListQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        kind = params.validated_data.get("kind")
        interactions = selectors.user_activity(
            user=request.user, kinds=[kind] if kind else Interaction.TOGGLE_KINDS
        )
        if "document" in params.validated_data:
            interactions = interactions.filter(
                document_id=params.validated_data["document"]
            )
        page = self.paginate_queryset(interactions)
        return self.get_paginated_response(InteractionSerializer(page, many=True).data)

    @extend_schema(
        request=InteractionCreateSerializer,
        responses={
            201: InteractionSerializer,
            200: OpenApiResponse(
                InteractionSerializer,
                description="You already liked, bookmarked or dismissed it: "
                "the existing one, unchanged.",
            ),
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request) -> Response:
        """Record that you viewed, liked, bookmarked, dismissed or clicked a document."""
        data = InteractionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kind = data.validated_data["kind"]
        created = True
        try:
            if kind in Interaction.TOGGLE_KINDS:
                interaction, created = interaction_mark(
                    user=request.user,
                    document_id=data.validated_data["document"],
                    kind=kind,
                )
            else:
                interaction = interaction_record(
                    user=request.user,
                    document_id=data.validated_data["document"],
                    kind=kind,
                    dwell_seconds=data.validated_data["dwell_seconds"],
                    query=data.validated_data["query"],
                    source=data.validated_data["source"],
                )
        except InvalidInteraction as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(
            InteractionSerializer(interaction).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        operation_id="interactions_undo",
        parameters=[InteractionUndoQuerySerializer],
        responses={204: None, 404: NOT_FOUND},
    )
    def delete(self, request: Request) -> Response:
        """Undo your like, bookmark or dismissal of a document (``?document=&kind=``).

        Undoing what you never did is not an error (204 as well).
        """
        params = InteractionUndoQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        interaction_undo(
            user=request.user,
            document_id=params.validated_data["document"],
            kind=params.validated_data["kind"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class InteractionDetailApi(GenericAPIView):
    serializer_class = InteractionSerializer

    @extend_schema(responses={204: None, 404: NOT_FOUND})
    def delete(self, request: Request, interaction_id: int) -> Response:
        """Remove one of your likes, bookmarks or dismissals by its id."""
        try:
            interaction_delete(user=request.user, interaction_id=interaction_id)
        except Interaction.DoesNotExist as exc:
            raise NotFound("No such like, bookmark or dismissal of yours.") from exc
        return Response(status=status.HTTP_204_NO_CONTENT)
