"""What evaluate_search says about the meaning floor on the corpus it built:
cosines of known-item pairs against random pairs (and, for a model with a
chance margin, how far each sits above the query's chance level), how the
query runtime agrees with the document embedder, and which junk queries
list pages anyway."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from django.test import override_settings

from docsite.ml.embedders import get_embedder

from .models import DocumentVector
from .selectors import meaning_producer_for, search_run, vectors_by_document
from .selectors.vectors_means import vectors_mean

# Queries that should find nothing in any corpus: keyboard mash, markup,
# symbols and nonsense in Chinese script and kana. The report counts those
# that list pages anyway, in this corpus, in each mode.
JUNK_QUERIES = (
    "asdf jkl",
    "hjkl",
    "jdjdjdjd",
    "zxcvbnm",
    "qwertyuiop",
    "sdkjfhsdkjf",
    "&&||!!",
    "<script>",
    "a" * 600,
    "龘靐齉爩",
    "ああああ",
)


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else 0.0


def meaning_floor_calibrate(
    *, queries: Sequence[str], document_ids: Sequence[int], log: Callable
) -> dict[str, Any]:
    """Return cosine percentiles of known-item pairs and of random pairs, and the
    agreement of the query runtime with the document embedder on the queries."""
    # The vector set most of the queries read (a Chinese set's, the language
    # vectors), with its documents.
    routes = [meaning_producer_for(query=query) for query in queries]
    live = max(set(routes), key=routes.count)
    pairs = [
        (query, pk)
        for query, pk, route in zip(queries, document_ids, routes, strict=True)
        if route == live
    ]
    stored = vectors_by_document(
        DocumentVector.objects.filter(
            document_id__in=[pk for _, pk in pairs], producer=live.producer
        )
    )
    pairs = [(query, pk) for query, pk in pairs if pk in stored]
    if len(pairs) < 2:
        return {}
    queries = [query for query, _ in pairs]
    embedder = get_embedder(live.backend_alias)
    query_vectors = embedder.embed_queries(queries)
    matrix = np.stack([stored[pk] for _, pk in pairs])
    similarities = query_vectors @ matrix.T
    known = np.diag(similarities)
    rng = np.random.default_rng(0)
    shifted = (
        np.arange(len(queries)) + rng.integers(1, len(queries), len(queries))
    ) % len(queries)
    random_pairs = similarities[np.arange(len(queries)), shifted]
    report = {
        "known_item_cosine": {
            f"p{q}": round(percentile(known, q), 3) for q in (1, 5, 50)
        },
        "random_pair_cosine": {
            f"p{q}": round(percentile(random_pairs, q), 3) for q in (50, 95, 99)
        },
        "floor": embedder.similarity_floor,
    }
    means = (
        vectors_mean(producer=live.producer)
        if embedder.chance_margin is not None
        else None
    )
    if means is not None:
        # How far each pair is above the query's average cosine with the
        # other documents: what the chance margin is calibrated on.
        def above_chance(row: int, cosine: float) -> float:
            return cosine - means.chance(query=query_vectors[row], cosine=cosine)

        rows = range(len(queries))
        known_above = [above_chance(i, known[i]) for i in rows]
        random_above = [above_chance(i, random_pairs[i]) for i in rows]
        report["above_chance"] = {
            "known_item": {
                f"p{q}": round(percentile(known_above, q), 3) for q in (1, 5, 50)
            },
            "random_pair": {
                f"p{q}": round(percentile(random_above, q), 3) for q in (50, 95, 99)
            },
            "margin": embedder.chance_margin,
        }
    document_vectors = getattr(embedder, "embed_batch", None)
    if (
        document_vectors is not None
        and getattr(embedder, "query_runtime", "") == "onnx"
    ):
        reference = embedder.embed_batch(list(queries))
        agreement = (reference * query_vectors).sum(axis=1)
        report["query_runtime_agreement"] = {
            "runtime": "onnx int8 vs torch fp32",
            "mean": round(float(agreement.mean()), 4),
            "p1": round(percentile(agreement, 1), 4),
            "min": round(float(agreement.min()), 4),
        }
    log(f"calibration: {report}")
    return report


def junk_queries_search(*, user, filters, runs: Sequence[tuple], log: Callable) -> dict:
    """Return, for each mode run, the junk queries that list any page."""
    listed = {}
    for mode, runner, overrides in runs:
        with override_settings(**overrides):
            listed[mode] = [
                query[:20]
                for query in JUNK_QUERIES
                if search_run(user=user, query=query, mode=runner, filters=filters)[0]
            ]
    log(f"junk queries listing pages (of {len(JUNK_QUERIES)}): {listed}")
    return {"queries": len(JUNK_QUERIES), "listing_pages": listed}
