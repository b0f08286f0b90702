"""Writes of the interests app: document vectors (``vectors``), readers'
interactions (``interactions``) and interest refreshes (``refresh``)."""

from .interactions import (
    InvalidInteraction,
    interaction_delete,
    interaction_mark,
    interaction_record,
    interaction_undo,
    interactions_import,
)
from .refresh import (
    user_interest_refresh,
    user_interest_refresh_request,
    user_interest_reset,
    user_interests_due_enqueue,
    user_interests_rederive,
)
from .vectors import (
    VectorReport,
    document_embedding_texts,
    document_vectors_compute,
    document_vectors_enqueue,
    document_vectors_prune,
    search_warm_up,
    vector_index_ensure,
    vector_index_sql,
    vectors_means_refresh,
)

__all__ = [
    "InvalidInteraction",
    "VectorReport",
    "document_embedding_texts",
    "document_vectors_compute",
    "document_vectors_enqueue",
    "document_vectors_prune",
    "interaction_delete",
    "interaction_mark",
    "interaction_record",
    "interaction_undo",
    "interactions_import",
    "search_warm_up",
    "user_interest_refresh",
    "user_interest_refresh_request",
    "user_interest_reset",
    "user_interests_due_enqueue",
    "user_interests_rederive",
    "vector_index_ensure",
    "vector_index_sql",
    "vectors_means_refresh",
]
