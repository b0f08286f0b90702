"""Reads of the interests app, split by concern; import from here.

Every selector that takes a user restricts documents to that user's spaces
in SQL (``document__space__in=space_ids_visible(user=...)``); vectors are
always read for one producer, ``embedding_producer_active()``.
"""

from .ann import documents_nearest  # noqa: F401
from .candidates import (  # noqa: F401
    EXCLUDED_LIMIT,
    POPULARITY_DEPTH,
    POSITIVE_KINDS,
    Candidates,
    document_popularity,
    documents_feed_response,
    documents_popular_for,
    documents_popular_ids,
    user_excluded_ids,
)
from .feed import (  # noqa: F401
    FeedItem,
    FeedPage,
    feed_features,
    feed_for,
    ranker_for_feed,
    ranker_hand,
)
from .language_vectors import (  # noqa: F401
    document_ids_in_vector_languages,
    documents_in_vector_languages,
    documents_without_language_vector,
    language_vectors_alias,
    language_vectors_cover,
    language_vectors_languages,
    meaning_producer_for,
    query_reads_language_vectors,
)
from .profile import (  # noqa: F401
    READ_KINDS,
    ActivityEntry,
    InterestCluster,
    InterestProfile,
    activity_entries_load,
    user_activity,
    user_activity_counts,
    user_activity_entries,
    user_interest_profile,
)
from .reasons import history_anchors  # noqa: F401
from .related import documents_related  # noqa: F401
from .search import (  # noqa: F401
    PreparedSearch,
    SearchFilters,
    SearchHit,
    documents_search_fused,
    documents_search_hybrid,
    documents_search_keyword,
    documents_search_semantic,
    search_prepare,
    search_run,
    search_snippets,
)
from .search_meaning import MODEL_UNAVAILABLE, query_vector_for  # noqa: F401
from .vectors import (  # noqa: F401
    StoredInterest,
    document_ids_missing_vector,
    document_ids_with_vector,
    documents_in_order,
    documents_without_vector,
    embedder_live,
    embedding_producer_active,
    embedding_producer_for,
    embedding_producer_for_alias,
    embedding_producer_live,
    user_history_events,
    user_interest_build,
    user_interest_current,
    user_interest_vectors,
    vectors_by_document,
)
from .vectors_means import vectors_mean, vectors_means  # noqa: F401
