"""Dump what a second-stage search ranker could use, per known-item query.

``collect`` ingests a set as ``bench/search_fusion.py`` does (same scratch
database and spaces), keeps each document's chunk vectors while they are
computed (the database stores only their mean), each document's lexemes with
their counts, and per query: the prepared terms (weights, postings), the
vector meaning search embeds, and both lists 100 deep, as the code of the
tree that runs it makes them. ``compare`` scores two such folders (say, main's
lists and a change's) offline with the shipped fusion: MRR@10 per mode and
set, paired bootstrap 95% intervals. Choose on split a, report on split b.

    DOCSITE_DB_NAME=docsite_eval_search .venv/bin/python bench/search_features.py \\
        collect --data xsum_dev.jsonl --name xsum --split a [--variant typos] [--out DIR]
    .venv/bin/python bench/search_features.py compare --split b MAIN_DIR NEW_DIR
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_fusion import (
    DEPTH,
    OUT,
    collect_arguments_add,
    collect_run,
    django_setup,
)


def _chunks_capture(*, ids: list[int], path: Path) -> None:
    """Compute the corpus' document vectors, keeping each document's chunk vectors."""
    from interests.selectors.vectors import embedder_live
    from interests.services import document_vectors_compute
    from interests.services import vectors as vectors_module

    captured: dict[int, np.ndarray] = (
        pickle.loads(path.read_bytes()) if path.exists() else {}
    )
    embedder = embedder_live()
    original_texts = vectors_module.document_embedding_texts
    original_batch = embedder.embed_batch
    pending: list = []

    def texts(*, documents, embedder, representation):
        per_document = original_texts(
            documents=documents, embedder=embedder, representation=representation
        )
        pending.append(([d.pk for d in documents], [len(t) for t in per_document]))
        return per_document

    def batch(flat):
        vectors = original_batch(flat)
        pks, counts = pending.pop()
        start = 0
        for pk, count in zip(pks, counts, strict=True):
            captured[pk] = np.asarray(vectors[start : start + count], dtype=np.float32)
            start += count
        return vectors

    vectors_module.document_embedding_texts = texts
    embedder.embed_batch = batch
    try:
        missing = [pk for pk in ids if pk not in captured]
        started = time.perf_counter()
        for start in range(0, len(missing), 32):
            document_vectors_compute(
                document_ids=missing[start : start + 32], force=True
            )
        print(f"chunk vectors: {len(missing)} in {time.perf_counter() - started:.0f}s")
    finally:
        vectors_module.document_embedding_texts = original_texts
        embedder.embed_batch = original_batch
    path.write_bytes(pickle.dumps(captured))


def _lexemes(*, ids: list[int]) -> dict[int, dict]:
    from django.db import connection

    out: dict[int, dict] = {pk: {"tf": {}} for pk in ids}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT d.id, d.title, d.language, length(d.text), u.lexeme,"
            " coalesce(array_length(u.positions, 1), 1)"
            " FROM documents_document d, unnest(d.search_vector) u"
            " WHERE d.id = ANY(%s)",
            [ids],
        )
        for pk, title, language, chars, lexeme, count in cursor.fetchall():
            row = out[pk]
            row.update(title=title, language=language, chars=chars)
            row["tf"][lexeme] = count
    return out


def collect(args) -> None:
    django_setup()
    from django.test import override_settings

    from interests.selectors.search import (
        _keyword_hits,
        _semantic_hits,
        query_vector_for,
    )
    from interests.selectors.search_query import search_prepare

    run = collect_run(args)
    user, ids, filters = run.user, run.ids, run.filters
    args.out.mkdir(parents=True, exist_ok=True)
    with override_settings(**run.settings):
        chunks_path = args.out / f"chunks-{args.name}-{args.embedder}.pkl"
        _chunks_capture(ids=ids, path=chunks_path)
        docs_path = args.out / f"docs-{args.name}.json"
        if not docs_path.exists():
            docs_path.write_text(json.dumps(_lexemes(ids=ids)))
        rows = []
        for i, query, style in run.queries:
            prepared = search_prepare(query=query)
            keyword = _keyword_hits(
                user=user, prepared=prepared, filters=filters, limit=DEPTH
            )
            semantic = _semantic_hits(
                user=user, prepared=prepared, filters=filters, limit=DEPTH
            )
            rows.append(
                {
                    "target": ids[i],
                    "query": query,
                    "style": style,
                    "corpus": prepared.corpus,
                    "terms": [
                        {
                            "english": t.english,
                            "simple": t.simple,
                            "weight": t.weight,
                            "common": t.common,
                            "known": t.known,
                            "postings": t.postings,
                            "cjk": t.cjk,
                        }
                        for t in prepared.terms
                    ],
                    "vector": query_vector_for(prepared=prepared).vector.tolist(),
                    "keyword": [[h.document.pk, h.score, h.match] for h in keyword],
                    "semantic": [[h.document.pk, h.score] for h in semantic],
                }
            )
    path = args.out / f"features-{args.name}-{args.split}-{args.variant}.json"
    path.write_text(json.dumps(rows))
    print(f"wrote {path} ({len(rows)} queries)")


def _reciprocal_ranks(rows: list[dict], *, floor: float) -> dict[str, np.ndarray]:
    from search_fusion import fuse_rrf, rr

    out: dict[str, list[float]] = {"keyword": [], "semantic": [], "hybrid": []}
    for row in rows:
        target = row["target"]
        out["keyword"].append(rr([h[0] for h in row["keyword"]], target))
        meaning = [h[0] for h in row["semantic"] if h[1] >= floor]
        out["semantic"].append(rr(meaning, target))
        fused = fuse_rrf(
            row["keyword"][:50],
            row["semantic"][:50],
            k=60,
            wk=1.0,
            ws=1.0,
            scale_match=True,
            floor=floor,
            similarity_power=0.5,
        )
        out["hybrid"].append(rr(fused, target))
    return {mode: 100 * np.array(values) for mode, values in out.items()}


def compare(args) -> None:
    from summaries.scoring import paired_bootstrap

    pooled: dict[str, list] = {"before": [], "after": []}
    for path in sorted(args.before.glob(f"features-*-{args.split}-*.json")):
        before = json.loads(path.read_text())
        after = json.loads((args.after / path.name).read_text())
        assert [r["target"] for r in before] == [r["target"] for r in after]
        old = _reciprocal_ranks(before, floor=args.floor)
        new = _reciprocal_ranks(after, floor=args.floor)
        print(f"{path.stem} ({len(before)} queries)")
        for mode in old:
            interval = paired_bootstrap({mode: new[mode] - old[mode]})[mode]
            print(
                f"  {mode:<9}{old[mode].mean():6.1f} -> {new[mode].mean():5.1f}"
                f"  {interval.as_dict()}"
            )
        for mode in ("keyword", "semantic"):
            interval = paired_bootstrap({mode: new["hybrid"] - new[mode]})[mode]
            print(f"  after, hybrid - {mode}: {interval.as_dict()}")
        pooled["before"].append(old["hybrid"])
        pooled["after"].append(new["hybrid"])
    difference = np.concatenate(pooled["after"]) - np.concatenate(pooled["before"])
    print(
        "hybrid, all sets pooled:", paired_bootstrap({"h": difference})["h"].as_dict()
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    collect_arguments_add(sub.add_parser("collect"))
    m = sub.add_parser("compare")
    m.add_argument("before", type=Path)
    m.add_argument("after", type=Path)
    m.add_argument("--split", default="b")
    m.add_argument("--floor", type=float, default=0.25)
    args = parser.parse_args()
    if args.command == "compare":
        sys.path.insert(0, str(OUT.parent.parent))
        compare(args)
    else:
        collect(args)


if __name__ == "__main__":
    main()
