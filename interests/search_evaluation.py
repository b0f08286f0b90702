"""Known-item search evaluation: does a document's own summary find it?

Each record's document is ingested (ingestion service, language analysis,
the live embedder, the term dictionary) into a space of its own; each
record's summary is then a query, run through ``search_run`` exactly as the
API runs it, and the answer is the record's own document. Reported per mode:
MRR@10, recall@1 and @10 (all ×100), p50/p95 latency, and the paired
bootstrap 95% interval of hybrid's per-query reciprocal rank minus each
other mode's. The meaning floor is calibrated from the same run: cosine of
known-item pairs against cosine of random pairs.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import override_settings

from docsite.db.scratch import scratch_database_require
from docsite.documents.models import Document, Space
from docsite.documents.services import document_analyze, document_create_from_text
from docsite.ml.embedders import get_embedder
from docsite.ml.outputs import EMBEDDINGS, LANGUAGE_EMBEDDINGS
from summaries.scoring import paired_bootstrap, record_split

from .conf import interests_setting
from .search_calibration import (
    junk_queries_search,
    meaning_floor_calibrate,
    percentile,
)
from .search_index import search_terms_refresh
from .search_syntax import CJK_RUN
from .search_variants import query_variant
from .selectors import (
    SearchFilters,
    meaning_producer_for,
    search_run,
)
from .selectors.search import hits_fuse
from .services import document_vectors_compute

MODES = ("keyword", "semantic", "hybrid")
DEPTH = 10
EMBED_BATCH = 64


# The corpus ------------------------------------------------------------------


def corpus_arguments_add(parser, *, data: bool = True) -> None:
    """Add ``--data`` (files queried together; unless ``data`` is False, for a
    bench with files of its own) and ``--distractors`` (files ingested, never
    queried): evaluate_search's and the benches'."""
    if data:
        parser.add_argument(
            "--data",
            required=True,
            type=Path,
            nargs="+",
            help="One or more JSONL files, queried together.",
        )
    parser.add_argument(
        "--distractors",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="More records for the corpus, never queried (repeatable): a "
        "harder search for a small set.",
    )


def corpus_records_load(
    *, data: Sequence, distractors: Sequence = (), limit: int | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return the records of ``data`` (the first ``limit``) and of
    ``distractors``; raise ``EvaluationDataError`` naming a bad line."""
    from summaries.evaluation import evaluation_records_load

    # Each queried record names its file ("set"), so a report scores the
    # files apart.
    records = [
        {"set": Path(path).stem, **record}
        for path in data
        for record in evaluation_records_load(path=path)
    ][:limit]
    others = [
        record for path in distractors for record in evaluation_records_load(path=path)
    ]
    return records, others


# The run ---------------------------------------------------------------------


def _corpus_create(records: Sequence[dict[str, Any]], *, log: Callable) -> tuple:
    tag = secrets.token_hex(4)
    group = Group.objects.create(name=f"eval-search-{tag}")
    space = Space.objects.create(slug=f"eval-search-{tag}", name=f"Search eval {tag}")
    space.viewer_groups.add(group)
    user = get_user_model().objects.create_user(username=f"eval-search-{tag}")
    user.groups.add(group)
    ids = []
    for position, record in enumerate(records):
        title = str(record.get("title") or f"Record {record.get('id', position)}")
        result = document_create_from_text(
            space=space,
            title=title,
            text=record["document"],
            source_key=corpus_source_key(record, position=position),
        )
        document_analyze(document_id=result.document.pk)
        ids.append(result.document.pk)
    log(f"ingested {len(ids)} documents; embedding…")
    for start in range(0, len(ids), EMBED_BATCH):
        batch = ids[start : start + EMBED_BATCH]
        # Both vector sets, as the workers make them: every document gets
        # the main vector, those in the language vectors' languages a second.
        for kind in (EMBEDDINGS, LANGUAGE_EMBEDDINGS):
            document_vectors_compute(document_ids=batch, kind=kind)
    search_terms_refresh()
    return space, user, group, ids


def _by_group(
    *, groups: Sequence[str], reciprocal: dict[str, np.ndarray]
) -> dict[str, Any]:
    """MRR@10 of each mode in each group of queries (a style, a script, a
    file), hybrid minus each other mode there and, with a baseline, each mode
    minus its baseline (paired bootstrap 95% intervals)."""
    out: dict[str, Any] = {}
    for group in dict.fromkeys(groups):
        rows = np.array([g == group for g in groups])
        entry: dict[str, Any] = {
            "queries": int(rows.sum()),
            "mrr@10": {
                mode: round(100 * float(rr[rows].mean()), 1)
                for mode, rr in reciprocal.items()
            },
        }
        if "hybrid" in reciprocal:
            entry["hybrid_minus"] = {
                mode: paired_bootstrap(
                    {"mrr@10": 100 * (reciprocal["hybrid"][rows] - rr[rows])}
                )["mrr@10"].as_dict()
                for mode, rr in reciprocal.items()
                if mode != "hybrid"
            }
        baselines = {
            mode: f"{mode}_baseline"
            for mode in reciprocal
            if f"{mode}_baseline" in reciprocal
        }
        if baselines:
            entry["baseline_minus"] = {
                mode: paired_bootstrap(
                    {"mrr@10": 100 * (reciprocal[mode][rows] - reciprocal[base][rows])}
                )["mrr@10"].as_dict()
                for mode, base in baselines.items()
            }
        out[group] = entry
    return out


def _fusion_sweep(*, user, queries, targets, filters) -> list[dict[str, Any]]:
    """Return hybrid MRR@10 for a grid of fusion settings, best first (choose on split a)."""
    depth = interests_setting("SEARCH_DEPTH")
    lists = []
    for query in queries:
        keyword, _ = search_run(
            user=user, query=query, mode="keyword", limit=depth, filters=filters
        )
        semantic, _ = search_run(
            user=user, query=query, mode="semantic", limit=depth, filters=filters
        )
        floor = get_embedder(
            meaning_producer_for(query=query).backend_alias
        ).similarity_floor
        lists.append((keyword, semantic, floor))
    results = []
    for k in (10, 30, 60):
        for keyword_weight in (0.5, 1.0, 1.5, 2.0, 3.0):
            reciprocal = []
            for (keyword, semantic, floor), target in zip(lists, targets, strict=True):
                fused = hits_fuse(
                    keyword=keyword,
                    semantic=semantic,
                    k=k,
                    keyword_weight=keyword_weight,
                    semantic_weight=1.0,
                    similarity_power=interests_setting("SEARCH")["SIMILARITY_POWER"],
                    floor=floor,
                    limit=DEPTH,
                )
                found = [hit.document.pk for hit in fused]
                reciprocal.append(
                    1.0 / (found.index(target) + 1) if target in found else 0.0
                )
            results.append(
                {
                    "rrf_k": k,
                    "keyword_weight": keyword_weight,
                    "mrr@10": round(100 * float(np.mean(reciprocal)), 1),
                }
            )
    return sorted(results, key=lambda row: -row["mrr@10"])


def record_queries(
    record: dict[str, Any], *, position: int, variant: str = ""
) -> list[tuple[str, str]]:
    """A record's ``(query, style)`` pairs: its ``queries`` (``[{text, style}]``:
    what readers type, e.g. keywords, a question, a typo) when it has them, else
    its summary (style ``summary``); with ``variant`` "typos", each respelled
    (``query_variant``, keyed by the record's id, or ``position`` without one)."""
    if record.get("queries"):
        pairs = [
            (str(q["text"]), str(q.get("style") or "query")) for q in record["queries"]
        ]
    else:
        pairs = [(str(record["summary"]), "summary")]
    if variant != "typos":
        return pairs
    # A summary's key is its record's, as before styles.
    key = str(record.get("id", position))
    return [
        (
            query_variant(query, key=key if style == "summary" else f"{key}:{style}"),
            style,
        )
        for query, style in pairs
    ]


def corpus_source_key(record: dict[str, Any], *, position: int) -> str:
    """The source key a corpus record is ingested under: by position too, since
    ingestion treats a known key as a new version of that document, and two
    files may share an id."""
    return f"eval:{position}:{record.get('id', position)}"


def search_evaluate(
    *,
    records: Sequence[dict[str, Any]],
    distractors: Sequence[dict[str, Any]] = (),
    split: str = "all",
    variant: str = "",
    modes: Sequence[str] = MODES,
    keep: bool = False,
    sweep: bool = False,
    baseline: dict[str, Any] | None = None,
    log: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Ingest every record, query with the summaries of ``split``; return the report.

    ``baseline`` (setting names and values, e.g. ``{"INTERESTS_SEARCH":
    {"SIMILARITY_POWER": 0}}``) also runs every mode under those settings, as
    mode ``<mode>_baseline``, so a change is compared with what it replaces
    on the same corpus and queries (``baseline_minus``: paired intervals).

    The whole file is the corpus (a harder search than one half), with the
    ``distractors`` (ingested, never queried); queries come from one half
    (``a`` to choose settings, ``b`` to report) by a hash of the record id,
    or from ``all``. A record with ``queries`` is queried by each of them,
    and the report adds MRR@10 by query style (``styles``).
    """
    scratch_database_require(purpose="evaluate_search")
    space, user, group, ids = _corpus_create([*records, *distractors], log=log)
    try:
        chosen = [
            (i, record)
            for i, record in enumerate(records)
            if split == "all" or record_split(str(record.get("id", i))) == split
        ]
        queries, styles, sets, targets = [], [], [], []
        for i, record in chosen:
            for query, style in record_queries(record, position=i, variant=variant):
                queries.append(query)
                styles.append(style)
                sets.append(str(record.get("set", "")))
                targets.append(ids[i])
        filters = SearchFilters(space=space)
        reciprocal: dict[str, np.ndarray] = {}
        report: dict[str, Any] = {
            "documents": len(ids),
            "queries": len(queries),
            "split": split,
            "variant": variant or "plain",
            "modes": {},
        }
        runs = [(mode, mode, {}) for mode in modes]
        if baseline:
            runs += [(f"{mode}_baseline", mode, baseline) for mode in modes]
        for mode, runner, overrides in runs:
            ranks, seconds = [], []
            with override_settings(**overrides):
                for query, target in zip(queries, targets, strict=True):
                    started = time.perf_counter()
                    hits, _ = search_run(
                        user=user,
                        query=query,
                        mode=runner,
                        limit=DEPTH,
                        filters=filters,
                    )
                    seconds.append(time.perf_counter() - started)
                    found = [hit.document.pk for hit in hits]
                    ranks.append(found.index(target) + 1 if target in found else 0)
            rr = np.array([1.0 / r if r else 0.0 for r in ranks])
            reciprocal[mode] = rr
            report["modes"][mode] = {
                "mrr@10": round(100 * float(rr.mean()), 1),
                "recall@1": round(100 * float(np.mean([r == 1 for r in ranks])), 1),
                "recall@10": round(100 * float(np.mean([r > 0 for r in ranks])), 1),
                "p50_ms": round(1000 * percentile(seconds, 50), 1),
                "p95_ms": round(1000 * percentile(seconds, 95), 1),
            }
            log(f"{mode}: {report['modes'][mode]}")
        if "hybrid" in reciprocal:
            report["hybrid_minus"] = {
                mode: paired_bootstrap(
                    {"mrr@10": 100 * (reciprocal["hybrid"] - reciprocal[mode])}
                )["mrr@10"].as_dict()
                for mode in reciprocal
                if mode != "hybrid"
            }
        if baseline:
            report["baseline_minus"] = {
                mode: paired_bootstrap(
                    {
                        "mrr@10": 100
                        * (reciprocal[mode] - reciprocal[f"{mode}_baseline"])
                    }
                )["mrr@10"].as_dict()
                for mode in modes
            }
        if set(styles) != {"summary"}:
            report["styles"] = _by_group(groups=styles, reciprocal=reciprocal)
        if len(set(sets)) > 1:
            report["sets"] = _by_group(groups=sets, reciprocal=reciprocal)
        # Chinese, Japanese and Korean queries apart from the others: they are
        # searched by meaning with the language vectors.
        scripts = ["cjk" if CJK_RUN.search(q) else "other" for q in queries]
        if len(set(scripts)) > 1:
            report["scripts"] = _by_group(groups=scripts, reciprocal=reciprocal)
        if sweep:
            report["fusion_sweep"] = _fusion_sweep(
                user=user, queries=queries, targets=targets, filters=filters
            )
            log(f"fusion sweep: {report['fusion_sweep'][:5]}")
        if "semantic" in modes and queries:
            report["calibration"] = meaning_floor_calibrate(
                queries=queries, document_ids=targets, log=log
            )
        report["junk"] = junk_queries_search(
            user=user, filters=filters, runs=runs, log=log
        )
        return report
    finally:
        if not keep:
            Document.objects.filter(space=space).delete()
            space.delete()
            user.delete()
            group.delete()
            search_terms_refresh()
