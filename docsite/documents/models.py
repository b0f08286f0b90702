from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models


class Space(models.Model):
    """A shelf of documents; groups decide who may read it and who may add to it.

    Staff with the ``documents.view_all_spaces`` permission and superusers see
    every space. Everyone else sees a space when it is public or when one of
    their groups is among its viewer or editor groups.
    """

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_public = models.BooleanField(
        default=False, help_text="Every signed-in user may read this space."
    )
    viewer_groups = models.ManyToManyField(
        Group, blank=True, related_name="viewable_spaces"
    )
    editor_groups = models.ManyToManyField(
        Group, blank=True, related_name="editable_spaces"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        permissions = [("view_all_spaces", "Can view documents in every space")]

    def __str__(self) -> str:
        return self.name


class DocumentSearchVector(models.Func):
    """The indexed text of a document, by its detected language.

    English documents (and those not analysed yet) are stemmed with the
    ``english`` configuration, others are indexed word for word (``simple``).
    Chinese, Japanese and Korean runs carry no spaces, so the parser would see
    a whole run as one word; their character bigrams (``docsite_cjk_bigrams``,
    migration 0004) are indexed beside it, so a word inside a longer run
    matches as a phrase of bigrams. Titles weigh A, text B; ``to_tsvector``
    fails above 1 MB, so long texts are indexed by their first 300,000
    characters (bigrams by the first 100,000).
    """

    arity = 0
    output_field = SearchVectorField()

    def as_sql(self, compiler, connection, **extra_context):
        return SEARCH_VECTOR_SQL, []


ENGLISH_LANGUAGE_SQL = "(\"language\" = '' OR left(\"language\", 2) = 'en')"
SEARCH_VECTOR_SQL = (
    f"(CASE WHEN {ENGLISH_LANGUAGE_SQL} THEN"
    " setweight(to_tsvector('english'::regconfig, \"title\"), 'A')"
    " || setweight(to_tsvector('english'::regconfig, left(\"text\", 300000)), 'B')"
    " ELSE setweight(to_tsvector('simple'::regconfig, \"title\"), 'A')"
    " || setweight(to_tsvector('simple'::regconfig, left(\"text\", 300000)), 'B')"
    " END"
    " || setweight(to_tsvector('simple'::regconfig,"
    " docsite_cjk_bigrams(\"title\")), 'A')"
    " || setweight(to_tsvector('simple'::regconfig,"
    " docsite_cjk_bigrams(left(\"text\", 100000))), 'B'))"
)


def document_upload_to(instance: Document, filename: str) -> str:
    return f"documents/{instance.space_id}/{instance.content_sha256[:2]}/{filename}"


class Document(models.Model):
    space = models.ForeignKey(Space, on_delete=models.PROTECT, related_name="documents")
    title = models.CharField(max_length=300)
    source_file = models.FileField(
        upload_to=document_upload_to, max_length=500, blank=True
    )
    original_filename = models.CharField(max_length=255, blank=True)
    # Identifies where an import took the document from (a relative path or a
    # JSONL id), so re-running an import updates it rather than adding a copy.
    source_key = models.CharField(max_length=500, blank=True)
    mime_type = models.CharField(max_length=100)
    text = models.TextField()
    # Cleaned HTML rendition for reading (Markdown, HTML, DOCX); empty for
    # formats that read best as plain text.
    html = models.TextField(blank=True)
    language = models.CharField(max_length=16, blank=True)
    word_count = models.PositiveIntegerField(default=0)
    # sha256 of the extracted text: two files with the same text are the same
    # document, and the apps key what they derive from it by this hash.
    content_sha256 = models.CharField(max_length=64)
    # The hash that document_analyze last ran on; differs from content_sha256
    # while analysis is due.
    analyzed_sha256 = models.CharField(max_length=64, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # The parsed structure (``parsers.base.Block.as_dict()`` values, in reading
    # order); empty for documents parsed before parsers emitted blocks.
    blocks = models.JSONField(default=list, blank=True)
    search_vector = models.GeneratedField(
        expression=DocumentSearchVector(),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["space", "content_sha256"],
                name="document_unique_content_per_space",
            ),
            models.UniqueConstraint(
                fields=["space", "source_key"],
                condition=~models.Q(source_key=""),
                name="document_unique_source_key_per_space",
            ),
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="document_search_gin"),
            models.Index(fields=["space", "-updated_at"], name="document_space_recent"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def analysis_due(self) -> bool:
        return self.analyzed_sha256 != self.content_sha256


class DocumentEvent(models.Model):
    """The audit trail of a document: who did what to it, when, and what changed.

    Rows outlive their document (a deletion is itself an event), so they keep
    its id and title rather than cascading away.
    """

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        RENAMED = "renamed", "Title changed"
        REPLACED = "replaced", "File replaced"
        MOVED = "moved", "Moved"
        DELETED = "deleted", "Deleted"

    document = models.ForeignKey(
        Document,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    document_key = models.PositiveBigIntegerField(
        db_index=True, help_text="The document's id, kept after it is deleted."
    )
    title = models.CharField(max_length=300, help_text="The title at the time.")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    # {"field": [before, after], ...}; for a replaced file also "text_changed".
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.title}"


def upload_stored_to(instance: DocumentUpload, filename: str) -> str:
    return f"uploads/{instance.space_id}/{filename}"


class DocumentUpload(models.Model):
    """A file received by the portal or the API, parsed later by a worker.

    The request only checks what is cheap (size, name, a first look at the
    bytes), stores the file and answers; a ``default``-queue task parses it
    under hard limits and records the outcome here. The stored file is
    deleted once the upload is finished, whatever the outcome.
    """

    class State(models.TextChoices):
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        REFUSED = "refused", "Refused"

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="+")
    # The new document once ready, or the document a replacement file is for.
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replaces_document = models.BooleanField(default=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(max_length=300, blank=True)
    filename = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    stored_file = models.FileField(upload_to=upload_stored_to, max_length=500)
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.PROCESSING
    )
    outcome = models.CharField(max_length=16, blank=True)
    reason = models.TextField(blank=True)
    reason_code = models.CharField(max_length=32, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="upload_user_recent"),
            models.Index(
                fields=["created_at"],
                condition=models.Q(state="processing"),
                name="upload_processing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.state})"
