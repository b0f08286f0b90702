"""REST API of the interests app: the feed, related documents, search, and
recording interactions. Every result passes through the selectors, which keep
to the reader's spaces in SQL.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from docsite.documents.selectors import document_get_visible
from docsite.documents.serializers import (
    DocumentSerializer,
    ErrorSerializer,
    snippets_context,
)
from docsite.ratelimit import rate_for, ratelimit_hit, user_or_ip

from . import selectors
from .serializers import (
    FeedQuerySerializer,
    FeedSerializer,
    InteractionCreateSerializer,
    InteractionSerializer,
    RelatedQuerySerializer,
    SearchHitSerializer,
    SearchQuerySerializer,
)
from .services import InvalidInteraction, interaction_record

NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Missing, or hidden from you.")
SEARCHES = {
    "hybrid": selectors.documents_search_hybrid,
    "semantic": selectors.documents_search_semantic,
    "keyword": selectors.documents_search_keyword,
}


class InteractionsThrottle(BaseThrottle):
    """The ``interactions`` limit of ``DOCSITE_RATELIMITS``, counted per user.

    It shares its counters with the portal's limiter, so a reader has one
    budget whichever route the events take.
    """

    scope = "interactions"

    def allow_request(self, request: Request, view) -> bool:
        rate = rate_for(self.scope)
        if rate is None or request.method != "POST":
            return True
        decision = ratelimit_hit(scope=self.scope, key=user_or_ip(request), rate=rate)
        self.retry_after = decision.retry_after
        return decision.allowed

    def wait(self) -> float | None:
        return getattr(self, "retry_after", None)


class FeedApi(GenericAPIView):
    serializer_class = FeedSerializer

    @extend_schema(parameters=[FeedQuerySerializer], responses=FeedSerializer)
    def get(self, request: Request) -> Response:
        """Return one page of your "For you" feed; each item says why it is there."""
        params = FeedQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        feed = selectors.feed_for(user=request.user, page=params.validated_data["page"])
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
    pagination_class = None  # ranked hits, sized by ``limit``

    @extend_schema(
        parameters=[SearchQuerySerializer], responses=SearchHitSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        """Search your documents by keyword, meaning, or both fused (``hybrid``)."""
        params = SearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        search = SEARCHES[params.validated_data["mode"]]
        hits = search(
            user=request.user,
            query=params.validated_data["q"],
            limit=params.validated_data["limit"],
        )
        context = snippets_context(
            documents=[hit.document for hit in hits], request=request
        )
        return Response(SearchHitSerializer(hits, many=True, context=context).data)


class InteractionCreateApi(GenericAPIView):
    """Also served at the portal's ``/api/interactions/`` (its reading beacon)."""

    serializer_class = InteractionSerializer
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    throttle_classes = [InteractionsThrottle]

    @extend_schema(
        request=InteractionCreateSerializer,
        responses={201: InteractionSerializer, 404: NOT_FOUND},
    )
    def post(self, request: Request) -> Response:
        """Record that you viewed, liked, bookmarked, dismissed or clicked a document."""
        data = InteractionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            interaction = interaction_record(
                user=request.user,
                document_id=data.validated_data["document"],
                kind=data.validated_data["kind"],
                dwell_seconds=data.validated_data["dwell_seconds"],
                query=data.validated_data["query"],
            )
        except InvalidInteraction as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(
            InteractionSerializer(interaction).data, status=status.HTTP_201_CREATED
        )
