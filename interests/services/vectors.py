"""Document vectors: chunked embedding, storage, the HNSW index per size, pruning; and the query runtime warm-up.

Model inference runs outside any transaction; results are written in short
ones. Vector rows are keyed by ``(document, content_sha256, producer)``, so
running the same work twice writes nothing twice."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F, Q

from docsite.documents.models import Document
from docsite.ml.embedders import get_embedder
from docsite.ml.embedders.base import BaseEmbedder
from docsite.ml.outputs import (
    EMBEDDINGS,
    LANGUAGE_EMBEDDINGS,
    output_kind,
    producer_live,
    producer_rows_delete,
)
from docsite.tasking import task_enqueue_on_commit

from ..conf import interests_setting
from ..models import DocumentVector
from ..ranking import unit
from ..selectors import (
    MODEL_UNAVAILABLE,
    document_ids_in_vector_languages,
    embedder_live,
    embedding_producer_for,
    embedding_producer_live,
    language_vectors_alias,
    language_vectors_languages,
    search_prepare,
    vectors_mean,
    vectors_means,
)
from ..tasks import document_vectors_compute as document_vectors_compute_task

logger = logging.getLogger(__name__)

# Characters of text tokenized for chunking; beyond MAX_CHUNKS × CHUNK_TOKENS
# nothing is embedded, so tokenizing a 2 MB text whole would be wasted work.
CHARS_PER_TOKEN_BOUND = 8


@dataclass(frozen=True)
class VectorReport:
    computed: int = 0
    skipped: int = 0
    chunks: int = 0


def _chunks_by_tokens(
    *, text: str, embedder: BaseEmbedder, chunk_tokens: int, max_chunks: int
) -> list[str]:
    """Split ``text`` into pieces of at most ``chunk_tokens`` model tokens."""
    text = text[: chunk_tokens * max_chunks * CHARS_PER_TOKEN_BOUND]
    tokenizer = getattr(embedder, "tokenizer", None)
    if tokenizer is None:
        # Embedders without a tokenizer: about three words per four tokens.
        words = text.split()
        step = max(1, chunk_tokens * 3 // 4)
        return [" ".join(words[i : i + step]) for i in range(0, len(words), step)][
            :max_chunks
        ]
    offsets = tokenizer(
        text, add_special_tokens=False, return_offsets_mapping=True, truncation=False
    )["offset_mapping"]
    chunks = []
    for start in range(0, len(offsets), chunk_tokens):
        window = offsets[start : start + chunk_tokens]
        chunks.append(text[window[0][0] : window[-1][1]])
        if len(chunks) == max_chunks:
            break
    return chunks


def document_embedding_texts(
    *, documents: Sequence[Document], embedder: BaseEmbedder, representation: str
) -> list[list[str]]:
    """Return, per document, the texts whose pooled embedding is its vector."""
    summaries: dict[int, object] = {}
    if representation == "title_summary":
        from summaries.selectors import summaries_current_for

        summaries = summaries_current_for(document_ids=[d.pk for d in documents])
    texts = []
    for document in documents:
        title = document.title.strip()
        body = re.sub(r"\s+", " ", document.text).strip()
        if representation == "title_summary" and document.pk in summaries:
            texts.append([f"{title}. {summaries[document.pk].text}"])
        elif representation == "chunks":
            chunks = _chunks_by_tokens(
                text=body,
                embedder=embedder,
                chunk_tokens=interests_setting("CHUNK_TOKENS"),
                max_chunks=interests_setting("MAX_CHUNKS"),
            )
            # The title goes with every chunk: it says what each piece is about.
            texts.append([f"{title}. {chunk}" for chunk in chunks] or [title])
        else:
            texts.append([f"{title}. {body[:4000]}"])
    return texts


def document_vectors_compute(
    *,
    document_ids: Sequence[int],
    force: bool = False,
    embedder_alias: str | None = None,
    kind: str = EMBEDDINGS,
) -> VectorReport:
    """Embed the current text of these documents in one batched model call.

    ``kind`` is the vector set: ``EMBEDDINGS`` (every document) or
    ``LANGUAGE_EMBEDDINGS`` (only the documents in its languages; the others
    are skipped). ``embedder_alias`` (default: the kind's live one) names the
    ``DOCSITE_EMBEDDERS`` entry to use. Documents that already have a vector
    for their current text from that producer are skipped, unless ``force``.
    A document's older vectors from the same producer are removed.
    """
    left_out = 0
    if kind == LANGUAGE_EMBEDDINGS:
        covered = document_ids_in_vector_languages(document_ids=document_ids)
        left_out = len(set(document_ids)) - len(covered)
        if not covered:
            return VectorReport(skipped=left_out)
        document_ids = covered
        embedder_alias = embedder_alias or producer_live(kind=kind).backend_alias
    if embedder_alias is None:
        embedder_alias = embedding_producer_live().backend_alias
    embedder = get_embedder(embedder_alias)
    representation = interests_setting("DOCUMENT_REPRESENTATION")
    producer = embedding_producer_for(embedder=embedder, representation=representation)
    documents = Document.objects.filter(pk__in=list(document_ids)).only(
        "pk", "title", "text", "content_sha256"
    )
    if not force:
        documents = documents.exclude(
            pk__in=DocumentVector.objects.filter(
                producer=producer, document_id__in=list(document_ids)
            )
            .filter(content_sha256=F("document__content_sha256"))
            .values("document_id")
        )
    documents = list(documents)
    skipped = len(set(document_ids)) - len(documents) + left_out
    if not documents:
        return VectorReport(skipped=skipped)

    per_document = document_embedding_texts(
        documents=documents, embedder=embedder, representation=representation
    )
    flat = [text for texts in per_document for text in texts]
    chunk_vectors = embedder.embed_batch(flat)
    rows, start = [], 0
    for document, texts in zip(documents, per_document, strict=True):
        pooled = unit(chunk_vectors[start : start + len(texts)].mean(axis=0))
        start += len(texts)
        if pooled is None:
            continue
        rows.append(
            DocumentVector(
                document_id=document.pk,
                content_sha256=document.content_sha256,
                producer=producer,
                embedding=pooled,
                chunks=len(texts),
            )
        )
    if rows:
        vector_index_ensure(dimension=len(rows[0].embedding))
    with transaction.atomic():
        if force:
            DocumentVector.objects.filter(
                producer=producer, document_id__in=[r.document_id for r in rows]
            ).delete()
        DocumentVector.objects.bulk_create(rows, ignore_conflicts=True)
        stale = Q()
        for row in rows:
            stale |= Q(document_id=row.document_id) & ~Q(
                content_sha256=row.content_sha256
            )
        if rows:
            DocumentVector.objects.filter(stale, producer=producer).delete()
    logger.info(
        "embedded %d documents (%d chunks) with %s", len(rows), len(flat), producer
    )
    return VectorReport(computed=len(rows), skipped=skipped, chunks=len(flat))


_indexed_sizes: set[int] = set()


def vector_index_sql(dimension: int) -> tuple[str, str]:
    """Return the SQL creating and dropping the HNSW index of ``dimension``-sized vectors."""
    dimension = int(dimension)
    name = f"docvector_hnsw_{dimension}d"
    create = (
        f"CREATE INDEX IF NOT EXISTS {name} ON interests_documentvector "
        f"USING hnsw ((embedding::vector({dimension})) vector_cosine_ops) "
        f"WITH (m = 16, ef_construction = 64) "
        f"WHERE vector_dims(embedding) = {dimension}"
    )
    return create, f"DROP INDEX IF EXISTS {name}"


def vector_index_ensure(*, dimension: int) -> None:
    """Create the HNSW index for vectors of ``dimension`` unless it exists.

    Each size in use has its own partial index (an HNSW index needs a fixed
    size; the column has none). A new embedder's first vectors create theirs,
    once per process; ``IF NOT EXISTS`` makes a race harmless.
    """
    if dimension in _indexed_sizes:
        return
    create, _drop = vector_index_sql(dimension)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_indexes WHERE tablename = 'interests_documentvector' "
            "AND indexname = %s",
            [f"docvector_hnsw_{int(dimension)}d"],
        )
        if cursor.fetchone() is None:
            if connection.in_atomic_block:
                # CREATE INDEX refuses a table with deferred foreign-key
                # checks pending in this transaction; run them now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(create)
    if not connection.in_atomic_block:
        # Only once committed: a rolled-back transaction takes the index along.
        _indexed_sizes.add(dimension)


def document_vectors_enqueue(
    *,
    document_ids: Sequence[int],
    embedder_alias: str | None = None,
    kind: str = EMBEDDINGS,
) -> None:
    """Send the documents to the ``ml`` queue once the transaction commits."""
    task_enqueue_on_commit(
        document_vectors_compute_task,
        document_ids=list(document_ids),
        embedder_alias=embedder_alias,
        kind=kind,
    )


def document_vectors_prune(
    *, keep_producers: set[str], dry_run: bool = False
) -> dict[str, int]:
    """Delete vectors of producers not in ``keep_producers``; return counts per producer."""
    doomed = DocumentVector.objects.exclude(producer__in=keep_producers)
    return producer_rows_delete(rows=doomed, dry_run=dry_run)


# Interactions -------------------------------------------------------------


def search_warm_up() -> float:
    """Load what the first search needs (URLconf, query model, term weights,
    word list); return seconds.

    For a web worker after it forks (gunicorn's ``post_worker_init``), so the
    first reader's search does not pay for it. Loads no torch.
    """
    import time

    from django.urls import get_resolver

    started = time.perf_counter()
    get_resolver().url_patterns  # noqa: B018  (imports every view module)
    embedder_live().embed_queries(["warm up"])
    language_alias = language_vectors_alias()
    if language_alias is not None:
        try:
            language_embedder = get_embedder(language_alias)
            language_embedder.embed_queries(["预热"])
            # The chance level its searches are judged by: read (or counted
            # once, when beat has not yet) before the first reader's search.
            if language_embedder.chance_margin is not None:
                vectors_mean(producer=producer_live(kind=LANGUAGE_EMBEDDINGS).producer)
        except MODEL_UNAVAILABLE:
            # Searches fall back to the main vectors (query_vector_for); a
            # worker that cannot load the multilingual model still serves.
            logger.exception("The language vectors' embedder failed to load.")
    if interests_setting("SEARCH")["JAPANESE_HOMOPHONES"]:
        from ..homophones import japanese_reading

        japanese_reading("予熱")  # its dictionary takes a second to load
    if interests_setting("SEARCH")["MEANING_NEEDS_A_WORD"]:
        from ..lexicon import english_word

        # The word list a query of words no page holds is checked against
        # (0.1 s): "sabbatical" must not be the search that loads it.
        english_word("warm")
    search_prepare(query="warm up")
    return time.perf_counter() - started


def vectors_means_refresh() -> list[str]:
    """Count again the mean vectors that requests read, so that none pays for
    them; return them as producers (``producer|language`` for a language's).

    Those of each live vector set whose embedder judges chance by it
    (``chance_margin``, search), and the language vectors' mean for each of
    their languages (the feed centres them on it, ``feed_language``). Celery
    beat runs it more often than the cache expires.
    """
    refreshed = []
    for kind in (EMBEDDINGS, LANGUAGE_EMBEDDINGS):
        output = output_kind(kind)
        if not output.enabled():
            continue
        live = producer_live(kind=kind)
        if get_embedder(live.backend_alias).chance_margin is not None:
            vectors_mean(producer=live.producer, fresh=True)
            refreshed.append(live.producer)
        if (
            kind == LANGUAGE_EMBEDDINGS
            and interests_setting("FEED")["LANGUAGE_WEIGHT"] > 0
        ):
            languages = language_vectors_languages()
            vectors_means(producer=live.producer, languages=languages, fresh=True)
            refreshed += [f"{live.producer}|{language}" for language in languages]
    return refreshed
