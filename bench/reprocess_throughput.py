"""Documents/s of a full re-embed job beside the bare embedder on the same texts.

    python bench/reprocess_throughput.py [--n 10000] [--chunk-size 128]

The job runs for real: a Celery worker process on the ``ml`` and ``bulk``
queues, chunks claimed and recorded in PostgreSQL, progress and the blue/green
switch at the end. The bare figure is the same embedder embedding the same
texts in one process with no database or broker. The ratio is the job
machinery's overhead (target: the job keeps at least 90% of the bare rate).

Uses its own data folder (/tmp/docsite-bench-reprocess) and Redis database 12.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time

os.environ.setdefault("DOCSITE_DATA_DIR", "/tmp/docsite-bench-reprocess")
os.environ.setdefault("REDIS_URL", "redis://localhost:6379/12")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from interests_common import django_setup

TOPICS = [
    "database backups and restore drills",
    "on-call rotations and paging",
    "expense reports and receipts",
    "GPU cluster scheduling",
    "onboarding checklists",
    "API versioning and deprecation",
    "travel booking rules",
    "incident postmortems",
]


def make_documents(n: int) -> list[int]:
    from docsite.documents.models import Document, Space

    space, _ = Space.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    Document.objects.filter(space=space).delete()
    rows = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        text = (
            f"Note {i} on {topic}. " * (1 + i % 5)
            + f"It explains step {i % 17} and who to ask about {topic}."
        )
        rows.append(
            Document(
                space=space,
                title=f"{topic.title()} #{i}",
                text=text,
                mime_type="text/plain",
                content_sha256=hashlib.sha256(text.encode()).hexdigest(),
                analyzed_sha256=hashlib.sha256(text.encode()).hexdigest(),
            )
        )
    # Bench fixtures go in directly: ingestion would also queue summaries.
    created = Document.objects.bulk_create(rows, batch_size=2000)
    return [document.pk for document in created]


def bare_rate(document_ids: list[int], *, chunk_size: int) -> float:
    from docsite.documents.models import Document
    from docsite.ml.embedders import get_embedder
    from interests.conf import interests_setting
    from interests.services import document_embedding_texts

    embedder = get_embedder()
    embedder.embed_batch(["warm up"])
    documents = list(Document.objects.filter(pk__in=document_ids).order_by("pk"))
    started = time.perf_counter()
    for start in range(0, len(documents), chunk_size):
        batch = documents[start : start + chunk_size]
        texts = document_embedding_texts(
            documents=batch,
            embedder=embedder,
            representation=interests_setting("DOCUMENT_REPRESENTATION"),
        )
        embedder.embed_batch([text for per_document in texts for text in per_document])
    return len(documents) / (time.perf_counter() - started)


def job_rate(*, chunk_size: int) -> tuple[float, dict]:
    from interests.models import DocumentVector
    from workers.celery import app
    from workers.models import ReprocessJob
    from workers.services import reprocess_job_start

    DocumentVector.objects.all().delete()
    app.control.purge()
    env = {
        **os.environ,
        "DOCSITE_TORCH_THREADS": os.environ.get("DOCSITE_TORCH_THREADS", "2"),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "workers",
            "worker",
            "-Q",
            "ml,default,bulk",
            "-P",
            "solo",
            "--without-mingle",
            "--without-gossip",
            "--loglevel",
            "WARNING",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Warm-up: the worker loads the model on its first chunk, as it does
        # once per process in production; that load is not job overhead.
        from docsite.documents.models import Document

        first = Document.objects.order_by("pk").values_list("pk", flat=True)[0]
        warm = reprocess_job_start(
            kind="embeddings",
            selection="documents",
            document_ids=[first],
            activate_on_success=False,
            chunk_size=chunk_size,
        )
        while ReprocessJob.objects.get(pk=warm.pk).state == "running":
            time.sleep(0.2)
        DocumentVector.objects.all().delete()
        started = time.perf_counter()
        job = reprocess_job_start(kind="embeddings", chunk_size=chunk_size)
        while True:
            job.refresh_from_db()
            if job.state not in ReprocessJob.ACTIVE_STATES:
                break
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        return job.total / seconds, {
            "state": job.state,
            "done": job.done_count,
            "failed": job.failed_count,
            "vectors": DocumentVector.objects.filter(producer=job.producer).count(),
        }
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--chunk-size", type=int, default=128)
    args = parser.parse_args()
    django_setup()
    import torch

    from docsite.ml.runtime import torch_threads_apply

    torch_threads_apply(int(os.environ.get("DOCSITE_TORCH_THREADS", "2")))
    ids = make_documents(args.n)
    print(
        f"{len(ids)} documents; torch threads {torch.get_num_threads()}; "
        f"chunk size {args.chunk_size}"
    )
    bare = bare_rate(ids, chunk_size=args.chunk_size)
    job, outcome = job_rate(chunk_size=args.chunk_size)
    print(f"bare embedder: {bare:.1f} docs/s")
    print(f"re-embed job:  {job:.1f} docs/s  ({outcome})")
    print(f"job / bare:    {job / bare:.2f}")


if __name__ == "__main__":
    main()
