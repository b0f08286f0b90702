"""Document vectors, reader interactions and the interest vectors made from them."""

from __future__ import annotations

from pgvector.django import VectorField

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone

from docsite.documents.models import Document


class DocumentVector(models.Model):
    """One embedding of one version of a document's text by one producer.

    Rows are keyed by ``(document, content_sha256, producer)``; the producer
    names the embedder and the document representation, so vectors from
    different models never mix in one similarity query.

    The vector size belongs to the producer: the column is an untyped
    ``vector``, and each size in use gets its own partial HNSW index over
    ``embedding::vector(N) WHERE vector_dims(embedding) = N``
    (``interests.services.vector_index_ensure``; 384 from the migration).
    Nearest-neighbour queries use that expression, so they keep the index.
    """

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="vectors"
    )
    content_sha256 = models.CharField(max_length=64)
    producer = models.CharField(max_length=200)
    embedding = VectorField()
    chunks = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["document", "content_sha256", "producer"],
                name="docvector_unique_per_text_and_producer",
            )
        ]
        indexes = [
            models.Index(
                fields=["producer", "document"], name="docvector_producer_doc"
            ),
        ]

    def __str__(self) -> str:
        return f"vector of document {self.document_id} ({self.producer})"


class Interaction(models.Model):
    """One thing a reader did with a document: one cheap insert each."""

    class Kind(models.TextChoices):
        VIEW = "view", "View"
        LIKE = "like", "Like"
        BOOKMARK = "bookmark", "Bookmark"
        DISMISS = "dismiss", "Dismiss"
        SEARCH_CLICK = "search_click", "Search click"

    # States a reader sets and can undo (one row per reader, document and
    # kind); views and search clicks are events and repeat.
    TOGGLE_KINDS = ("like", "bookmark", "dismiss")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interactions"
    )
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="interactions"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    dwell_seconds = models.PositiveIntegerField(null=True, blank=True)
    query = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["user", "-created_at"], name="interaction_user_recent"
            ),
            models.Index(fields=["document", "kind"], name="interaction_document_kind"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "document", "kind"],
                condition=models.Q(kind__in=["like", "bookmark", "dismiss"]),
                name="interaction_one_state_per_reader",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.document_id}"


class UserInterest(models.Model):
    """A reader's interest vectors, recomputed from their recent interactions.

    Never updated incrementally: every refresh rebuilds all vectors from the
    bounded history, so a refresh is idempotent and cannot drift.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interest"
    )
    producer = models.CharField(max_length=200, blank=True)
    # Of the producer's size (see DocumentVector).
    long_term = VectorField(null=True, blank=True)
    short_term = VectorField(null=True, blank=True)
    negative = VectorField(null=True, blank=True)
    # Up to INTERESTS_MAX_CENTROIDS lists of floats, heaviest first.
    centroids = models.JSONField(default=list, blank=True)
    # The vectors of recently used documents (float32 bytes, newest first) and
    # the share of the positive history per space; see ranking.InterestVectors.
    exemplars = models.BinaryField(null=True, blank=True)
    exemplar_ids = models.JSONField(default=list, blank=True)
    exemplar_weights = models.JSONField(default=list, blank=True)
    exemplar_kinds = models.JSONField(default=list, blank=True)
    space_shares = models.JSONField(default=dict, blank=True)
    interactions_used = models.PositiveIntegerField(default=0)
    last_interaction_id = models.BigIntegerField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    # Set when a refresh is queued and cleared when it starts, so a burst of
    # events sends one refresh and an event after the start sends another.
    refresh_queued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"interests of user {self.user_id}"


class SearchTerm(models.Model):
    """One word of the corpus and how many documents hold it.

    Rebuilt as a whole by ``search_terms_refresh`` (from ``ts_stat`` over every
    document's ``simple`` words and CJK bigrams). Keyword search reads it for
    term weights (rarer words count more) and typo tolerance: Latin words
    carry their trigrams, made as pg_trgm makes them (lower case, two spaces
    before, one after), and found through a GIN index on the array. The
    embedded PostgreSQL ships no pg_trgm, so similarity is computed from these
    arrays; it equals pg_trgm's ``similarity()``.
    """

    word = models.CharField(max_length=200, primary_key=True)
    ndoc = models.PositiveIntegerField()
    # Documents whose index entry holds the word's English stem, plus those
    # holding the word itself: an upper bound of how many documents a query
    # term matches (stems join "one" and "ones"), which keeps the keyword
    # match rule's candidate budget honest.
    postings = models.PositiveIntegerField(default=0)
    trigrams = ArrayField(models.CharField(max_length=3), null=True, blank=True)
    length = models.PositiveSmallIntegerField()
    # A Han bigram's toneless pinyin ("bao xiao"): Chinese typos sound right
    # (``interests.homophones``).
    reading = models.CharField(max_length=32, blank=True, default="")
    # A Han bigram's Japanese reading in hiragana ("ちゅうしゃ"), for the
    # bigrams of Japanese documents: a slip of the input method converts a
    # word to another read alike.
    reading_ja = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        indexes = [
            GinIndex(
                fields=["trigrams"],
                name="searchterm_trigrams",
                condition=models.Q(trigrams__isnull=False),
            ),
            models.Index(
                fields=["reading"],
                name="searchterm_reading",
                condition=~models.Q(reading=""),
            ),
            models.Index(
                fields=["reading_ja"],
                name="searchterm_reading_ja",
                condition=~models.Q(reading_ja=""),
            ),
        ]

    def __str__(self) -> str:
        return self.word


class RankerVersion(models.Model):
    """One fit of the feed's ranking function, with its validation metrics.

    The feed ranks with the newest version that was ``promoted`` (it beat the
    version live at the time on the same validation slates) and was not
    rolled back; with none, with the default shipped in the code.
    """

    name = models.CharField(max_length=100, unique=True)
    algorithm = models.CharField(max_length=40)
    # LinearRanker.to_dict(): features, coefficients and standardization.
    parameters = models.JSONField()
    source = models.CharField(max_length=200, help_text="What it was trained on.")
    train_slates = models.PositiveIntegerField(default=0)
    validation_slates = models.PositiveIntegerField(default=0)
    # {"candidate": {...}, "current": {...}, "current_version": "..."}.
    metrics = models.JSONField(default=dict)
    promoted = models.BooleanField(default=False)
    rolled_back_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class FeedImpression(models.Model):
    """One item shown on one feed page, with the features it was ranked by.

    Logged when a page is served; ``clicked_at`` is set when the reader opens
    the item from the feed. Training reads these rows, so the features are
    the ones the ranker saw, not recomputed later from a changed history.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+")
    # One id per served page: the slate a click is compared within.
    page_id = models.UUIDField(db_index=True)
    position = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=300, blank=True)
    ranker_version = models.CharField(max_length=100)
    features = models.JSONField()
    shown_at = models.DateTimeField(default=timezone.now, db_index=True)
    clicked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["user", "document", "-shown_at"],
                name="feedimpression_user_doc",
            ),
            # How other readers responded to a candidate (the feed's
            # feed_clicks/feed_shown features, every request).
            models.Index(
                fields=["document", "shown_at"],
                name="feedimpression_doc_shown",
            ),
            # The crowd's picks: the few clicked rows among many shown.
            models.Index(
                fields=["clicked_at", "document", "user"],
                condition=models.Q(clicked_at__isnull=False),
                name="feedimpression_clicked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} at {self.position} for {self.user_id}"
