"""Choose hybrid search's fusion and keyword match rule on known-item sets.

``collect`` ingests a JSONL set once into a scratch database (kept between
runs, one space per set), embeds it with each embedder asked for, and stores
per query the keyword list (for each match rule) and the meaning list, deep
and with scores, in ``var/search-fusion/``. ``sweep`` then scores fusion
methods offline on those lists (no database). Choose on split a; report with
``evaluate_search --split b`` after changing the defaults.

    DOCSITE_DB_NAME=docsite_eval_search .venv/bin/python bench/search_fusion.py \\
        collect --data xsum_dev.jsonl --name xsum --split a [--variant typos]
    .venv/bin/python bench/search_fusion.py sweep --split a
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "search-fusion"
DEPTH = 100
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
RULES = {
    "pairs5": ("pairs", 5),
    "any5": ("any", 5),
    "any10": ("any", 10),
    "post10": ("postings", 10),
}


def django_ready() -> None:
    """Configure Django without touching a database (the arguments need the app)."""
    os.environ.setdefault("DOCSITE_DB_NAME", "docsite_eval_search")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docsite.settings.base")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def django_setup() -> None:
    django_ready()
    from docsite.db.scratch import scratch_database_prepare

    scratch_database_prepare(purpose="bench")


def corpus_get(*, name: str, records: list[dict]) -> tuple:
    """Return (space, user, ids in record order), ingesting the set the first time."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from docsite.documents.models import Document, Space
    from docsite.documents.services import document_analyze, document_create_from_text
    from interests.search_evaluation import corpus_source_key
    from interests.search_index import search_terms_refresh

    slug = f"fusion-{name}"
    space = Space.objects.filter(slug=slug).first()
    user_model = get_user_model()
    if space is None:
        group = Group.objects.create(name=slug)
        space = Space.objects.create(slug=slug, name=slug)
        space.viewer_groups.add(group)
        user = user_model.objects.create_user(username=slug)
        user.groups.add(group)
        started = time.perf_counter()
        for position, record in enumerate(records):
            result = document_create_from_text(
                space=space,
                title=str(
                    record.get("title") or f"Record {record.get('id', position)}"
                ),
                text=record["document"],
                source_key=corpus_source_key(record, position=position),
            )
            document_analyze(document_id=result.document.pk)
        search_terms_refresh()
        print(
            f"{name}: ingested {len(records)} in {time.perf_counter() - started:.0f}s"
        )
    user = user_model.objects.get(username=slug)
    by_key = dict(Document.objects.filter(space=space).values_list("source_key", "pk"))
    keys = [corpus_source_key(r, position=i) for i, r in enumerate(records)]
    if any(key not in by_key for key in keys):
        raise SystemExit(
            f"{name}: the scratch corpus {slug} holds other records (another file, or "
            "keys of an older version of this bench); collect under another --name."
        )
    ids = [by_key[key] for key in keys]
    return space, user, ids


@dataclass(frozen=True)
class CollectRun:
    """What a ``collect`` command searches with: the set's corpus and reader,
    the chosen split's queries, and the settings to run them under."""

    user: object
    ids: list[int]
    # (record index, query text, style) of the chosen split, typos applied: a
    # record's summary (style "summary") or its typed queries.
    queries: list[tuple[int, str, str]]
    filters: object
    settings: dict


def collect_run(args) -> CollectRun:
    """Ingest ``args.data`` once (``corpus_get``) and prepare its queries."""
    from interests.conf import interests_setting
    from interests.search_evaluation import corpus_records_load, record_queries
    from interests.selectors import SearchFilters
    from summaries.scoring import record_split

    records, distractors = corpus_records_load(
        data=args.data, distractors=args.distractors, limit=args.limit
    )
    space, user, ids = corpus_get(name=args.name, records=[*records, *distractors])
    queries = []
    for i, record in enumerate(records):
        if args.split != "all" and record_split(str(record.get("id", i))) != args.split:
            continue
        for query, style in record_queries(record, position=i, variant=args.variant):
            queries.append((i, query, style))
    embedders = {
        "default": {"BACKEND": args.embedder, "OPTIONS": {"similarity_floor": -1.0}}
    }
    return CollectRun(
        user=user,
        ids=ids,
        queries=queries,
        filters=SearchFilters(space=space),
        settings={
            "DOCSITE_EMBEDDERS": embedders,
            "INTERESTS_EMBEDDER": "default",
            "INTERESTS_SEARCH": {**interests_setting("SEARCH"), **args.settings},
        },
    )


def collect(args) -> None:
    django_setup()
    from django.test import override_settings

    from interests.conf import interests_setting
    from interests.selectors.search import _keyword_hits, _semantic_hits
    from interests.selectors.search_query import search_prepare
    from interests.services import document_vectors_compute

    run = collect_run(args)
    user, ids, filters = run.user, run.ids, run.filters
    out = []
    with override_settings(**run.settings):
        started = time.perf_counter()
        for start in range(0, len(ids), 32):
            document_vectors_compute(document_ids=ids[start : start + 32])
        print(f"vectors ready in {time.perf_counter() - started:.0f}s")
        search = interests_setting("SEARCH")
        for i, query, style in run.queries:
            prepared = search_prepare(query=query)
            row = {
                "target": ids[i],
                "query": query,
                "style": style,
                "terms": len(prepared.terms),
                "keyword": {},
            }
            for rule, (kind, terms) in RULES.items():
                with override_settings(
                    INTERESTS_SEARCH={
                        **search,
                        "MATCH_RULE": kind,
                        "MATCH_TERMS": terms,
                    }
                ):
                    t0 = time.perf_counter()
                    hits = _keyword_hits(
                        user=user, prepared=prepared, filters=filters, limit=DEPTH
                    )
                    row["keyword"][rule] = {
                        "ms": 1000 * (time.perf_counter() - t0),
                        "hits": [[h.document.pk, h.score, h.match] for h in hits],
                    }
            t0 = time.perf_counter()
            hits = _semantic_hits(
                user=user, prepared=prepared, filters=filters, limit=DEPTH
            )
            row["semantic"] = {
                "ms": 1000 * (time.perf_counter() - t0),
                "hits": [[h.document.pk, h.score] for h in hits],
            }
            out.append(row)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{args.name}-{args.split}-{args.variant}-{args.embedder}.json"
    path.write_text(json.dumps(out))
    print(f"wrote {path} ({len(out)} queries)")


# Offline fusion --------------------------------------------------------------


def rr(ranked: list[int], target: int, depth: int = 10) -> float:
    ranked = ranked[:depth]
    return 1.0 / (ranked.index(target) + 1) if target in ranked else 0.0


def fuse_rrf(kw, sem, *, k, wk, ws, scale_match, floor, similarity_power=0.0):
    """Weighted RRF as ``hits_fuse`` does it (``similarity_power``: a meaning
    hit's weight scaled by ((cosine - floor) / (1 - floor)) ** power)."""
    fused = {}
    for rank, (pk, _score, match) in enumerate(kw, start=1):
        weight = wk * (min(1.0, match) if scale_match else 1.0)
        fused[pk] = weight / (k + rank)
    sem = [h for h in sem if h[1] >= floor]
    for rank, (pk, similarity) in enumerate(sem, start=1):
        weight = ws
        if similarity_power:
            closeness = min(1.0, max(0.0, (similarity - floor) / (1.0 - floor)))
            weight *= closeness**similarity_power
        fused[pk] = fused.get(pk, 0.0) + weight / (k + rank)
    return sorted(fused, key=lambda pk: (-fused[pk], pk))


def fuse_score(kw, sem, *, alpha, floor, norm, kw_field):
    """Convex combination of normalised scores (Bruch et al., 2023)."""
    sem = [h for h in sem if h[1] >= floor]
    kscores = {pk: (match if kw_field == "match" else score) for pk, score, match in kw}
    sscores = {pk: sim for pk, sim in sem}
    if norm == "max":
        kmax = max(kscores.values(), default=1.0) or 1.0
        kn = {pk: v / kmax for pk, v in kscores.items()}
        smax = max(sscores.values(), default=1.0)
        sn = {pk: (v - floor) / ((smax - floor) or 1.0) for pk, v in sscores.items()}
    elif norm == "minmax":
        kn = _minmax(kscores)
        sn = _minmax(sscores)
    else:  # "abs": match share is already in [0, 1]; cosine from the floor to 1
        kn = kscores
        sn = {pk: (v - floor) / (1.0 - floor) for pk, v in sscores.items()}
    # A document missing from a list gets that list's lowest score, not zero.
    kmin = min(kn.values(), default=0.0)
    smin = min(sn.values(), default=0.0)
    fused = {
        pk: alpha * sn.get(pk, smin if sn else 0.0)
        + (1 - alpha) * kn.get(pk, kmin if kn else 0.0)
        for pk in set(kn) | set(sn)
    }
    return sorted(fused, key=lambda pk: (-fused[pk], pk))


def _minmax(scores: dict) -> dict:
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    return {pk: (v - low) / ((high - low) or 1.0) for pk, v in scores.items()}


def sweep(args) -> None:
    sys.path.insert(0, str(ROOT))
    from summaries.scoring import paired_bootstrap

    files = sorted(args.out.glob(f"*-{args.split}-*-{args.embedder}.json"))
    sets = {f.stem: json.loads(f.read_text()) for f in files}
    floor = args.floor
    present = set.intersection(
        *[set(rows[0]["keyword"]) for rows in sets.values() if rows]
    )
    rules = [rule for rule in RULES if rule in present]
    methods = {}
    for rule in rules:
        methods[f"keyword {rule}"] = lambda row, rule=rule: [
            h[0] for h in row["keyword"][rule]["hits"]
        ]
    methods["semantic"] = lambda row: [
        h[0] for h in row["semantic"]["hits"] if h[1] >= floor
    ]
    for rule, k, wk, scale, depth, sp in itertools.product(
        rules,
        (10, 30, 60),
        (0.5, 1.0, 1.5),
        (True, False),
        (20, 50, 100),
        (0.0, 0.25, 0.5, 1.0),
    ):
        methods[f"rrf {rule} k={k} wk={wk} scale={scale} d={depth} sp={sp}"] = (
            lambda row, rule=rule, k=k, wk=wk, scale=scale, depth=depth, sp=sp: (
                fuse_rrf(
                    row["keyword"][rule]["hits"][:depth],
                    row["semantic"]["hits"][:depth],
                    k=k,
                    wk=wk,
                    ws=1.0,
                    scale_match=scale,
                    floor=floor,
                    similarity_power=sp,
                )
            )
        )
    # The shipped fusion with the keyword list weighed by the query's length:
    # a query of fewer than ``short`` terms (what readers type) trusts its
    # keyword hits in proportion, a sentence fully (rows collected before
    # "terms" was stored are sentences).
    for rule, short, wk in itertools.product(rules, (2, 3, 4, 6), (0.5, 1.0)):
        methods[f"rrf {rule} k=60 wk={wk} short={short} d=50 sp=0.5"] = (
            lambda row, rule=rule, short=short, wk=wk: fuse_rrf(
                row["keyword"][rule]["hits"][:50],
                row["semantic"]["hits"][:50],
                k=60,
                wk=wk * min(1.0, row.get("terms", 99) / short),
                ws=1.0,
                scale_match=True,
                floor=floor,
                similarity_power=0.5,
            )
        )
    # The shipped fusion with the keyword list weighed less for a query of at
    # most ``most`` terms (what readers type), fully for a longer one (a
    # sentence; rows collected before "terms" was stored are sentences).
    for rule, most, wk in itertools.product(
        rules, (3, 4, 5, 6, 8, 10), (0.25, 0.5, 0.75)
    ):
        methods[f"rrf {rule} k=60 typedwk={wk} most={most} d=50 sp=0.5"] = (
            lambda row, rule=rule, most=most, wk=wk: fuse_rrf(
                row["keyword"][rule]["hits"][:50],
                row["semantic"]["hits"][:50],
                k=60,
                wk=wk if row.get("terms", 99) <= most else 1.0,
                ws=1.0,
                scale_match=True,
                floor=floor,
                similarity_power=0.5,
            )
        )
    # The shipped fusion with a floor of its own for queries in Chinese or
    # Japanese: an English embedder places any two CJK texts closer than the
    # floor measured on English pairs.
    for rule, cjk_floor, wk, sp in itertools.product(
        rules, (0.4, 0.45, 0.5, 0.55, 0.6), (1.0, 1.5), (0.5, 1.0)
    ):
        methods[f"rrf {rule} k=60 wk={wk} cjkfloor={cjk_floor} d=50 sp={sp}"] = (
            lambda row, rule=rule, cjk_floor=cjk_floor, wk=wk, sp=sp: fuse_rrf(
                row["keyword"][rule]["hits"][:50],
                row["semantic"]["hits"][:50],
                k=60,
                wk=wk,
                ws=1.0,
                scale_match=True,
                floor=cjk_floor if _CJK.search(row["query"]) else floor,
                similarity_power=sp,
            )
        )
    for rule, alpha, norm, field, depth in itertools.product(
        rules,
        (0.3, 0.4, 0.5, 0.6, 0.7),
        ("max", "minmax", "abs"),
        ("match", "score"),
        (20, 50, 100),
    ):
        methods[f"cc {rule} a={alpha} {norm} {field} d={depth}"] = (
            lambda row, rule=rule, alpha=alpha, norm=norm, field=field, depth=depth: (
                fuse_score(
                    row["keyword"][rule]["hits"][:depth],
                    row["semantic"]["hits"][:depth],
                    alpha=alpha,
                    floor=floor,
                    norm=norm,
                    kw_field=field,
                )
            )
        )
    table = {}
    for name, rows in sets.items():
        table[name] = {
            method: np.array([rr(fn(row), row["target"]) for row in rows])
            for method, fn in methods.items()
        }
    # Rank methods by their worst set's margin over the better single mode,
    # then by mean MRR: hybrid must beat both modes everywhere.
    summary = []
    for method in methods:
        per_set, margins = [], []
        for name in sets:
            scores = table[name]
            rule = method.split()[1] if method.split()[0] in ("rrf", "cc") else None
            best_single = max(
                scores["semantic"].mean(),
                scores[f"keyword {rule}"].mean() if rule else 0,
            )
            value = scores[method].mean()
            per_set.append(100 * value)
            margins.append(100 * (value - best_single))
        summary.append((min(margins), float(np.mean(per_set)), method, per_set))
    summary.sort(key=lambda row: -row[1])
    names = list(sets)
    print("sets:", names)
    for rule in rules:
        print(
            f"keyword {rule}:",
            [round(100 * table[n][f"keyword {rule}"].mean(), 1) for n in names],
            "ms p95",
            [
                round(
                    float(
                        np.percentile([r["keyword"][rule]["ms"] for r in sets[n]], 95)
                    ),
                    1,
                )
                for n in names
            ],
        )
    print("semantic:", [round(100 * table[n]["semantic"].mean(), 1) for n in names])
    for label, method in (
        ("previous default", "rrf post10 k=60 wk=1.0 scale=True d=50 sp=0.5"),
        ("current default", "rrf post10 k=60 typedwk=0.5 most=4 d=50 sp=0.5"),
    ):
        if method in table[names[0]]:
            print(
                f"{label} ({method}):",
                [round(100 * table[n][method].mean(), 1) for n in names],
            )
    print("\nbest by mean MRR@10 (worst margin over best single mode, mean, per set):")
    listed = [row for row in summary if any(g in row[2] for g in args.grep or [""])]
    for worst, mean, method, per_set in listed[: args.top]:
        print(
            f"{worst:+6.1f} {mean:6.1f}  {method:<45} {[round(v, 1) for v in per_set]}"
        )
    print("\nbest by worst margin:")
    for worst, mean, method, per_set in sorted(summary, key=lambda r: (-r[0], -r[1]))[
        : args.top
    ]:
        print(
            f"{worst:+6.1f} {mean:6.1f}  {method:<45} {[round(v, 1) for v in per_set]}"
        )
    for method in args.show or []:
        for name in names:
            diff = {
                "vs_sem": 100 * (table[name][method] - table[name]["semantic"]),
            }
            print(method, name, paired_bootstrap(diff)["vs_sem"].as_dict())


def collect_arguments_add(parser: argparse.ArgumentParser) -> None:
    """The ``collect`` command's arguments (``search_features.py`` collects alike)."""
    django_ready()
    from interests.search_evaluation import corpus_arguments_add

    corpus_arguments_add(parser)
    parser.add_argument("--name", required=True)
    parser.add_argument("--split", default="a")
    parser.add_argument("--variant", default="plain")
    parser.add_argument("--embedder", default="transformer")
    parser.add_argument("--limit", type=int)
    parser.add_argument(
        "--settings",
        type=json.loads,
        default={},
        help="JSON overriding INTERESTS_SEARCH keys, e.g. '{\"TYPO_EDIT_MIN\": 99}'",
    )
    parser.add_argument("--out", type=Path, default=OUT, help="folder of the lists")


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    collect_arguments_add(sub.add_parser("collect"))
    s = sub.add_parser("sweep")
    s.add_argument("--split", default="a")
    s.add_argument("--embedder", default="transformer")
    s.add_argument("--floor", type=float, default=0.25)
    s.add_argument("--top", type=int, default=15)
    s.add_argument("--show", nargs="*")
    s.add_argument(
        "--grep", nargs="*", help="list only methods whose name holds one of these"
    )
    s.add_argument("--out", type=Path, default=OUT, help="folder of the lists")
    args = parser.parse_args()
    collect(args) if args.command == "collect" else sweep(args)


if __name__ == "__main__":
    main()
