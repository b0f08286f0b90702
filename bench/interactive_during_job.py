"""Interactive work during a reprocessing job (issue 13): how long an upload's
summary and vector and a like's way into the feed take while a job of 500
summaries runs, against the same with no job, measured side by side.

The summarizers are slow dummies (1 s a document, bench/settings_interactive.py)
so the figures are about scheduling; vectors use the real MiniLM. Workers are
real processes laid out as in production and the demo: an ML worker
(-Q ml,bulk) and a model-free one (-Q default); ``--one-worker`` runs a single
worker on -Q ml,default,bulk instead. Its own data folder and database
(DOCSITE_DATA_DIR, default /tmp/docsite-bench-interactive) and Redis database.

    .venv/bin/python bench/interactive_during_job.py [--uploads 8] [--likes 12]

Pass: during the job, upload p95 within 2x of idle p95 for summary and
vector, and like-to-feed p95 within 2 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
os.environ.setdefault("DOCSITE_DATA_DIR", "/tmp/docsite-bench-interactive")
os.environ.setdefault("REDIS_URL", "redis://localhost:6379/11")
os.environ["DJANGO_SETTINGS_MODULE"] = "settings_interactive"
os.environ.setdefault("DOCSITE_TORCH_THREADS", "1")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.pop("DATABASE_URL", None)  # never anything but the bench's own server
sys.path[:0] = [str(BENCH), str(ROOT)]

from interests_common import percentile  # noqa: E402

CORPUS = 500
TOPICS = [
    "kernel scheduler threads latency",
    "garden roses tulips soil",
    "invoice tax payment ledger",
    "holiday travel leave policy",
    "database index vacuum replication",
]


def setup_corpus(space) -> list[int]:
    """500 documents with their live summaries and vectors already made."""
    import hashlib

    import numpy as np

    from docsite.documents.models import Document
    from docsite.ml.outputs import EMBEDDINGS, SUMMARIES, producer_live
    from interests.models import DocumentVector
    from summaries.models import Summary

    rows = []
    for i in range(CORPUS):
        text = f"Corpus note {i} about {TOPICS[i % len(TOPICS)]}. " * 5
        sha = hashlib.sha256(text.encode()).hexdigest()
        rows.append(
            Document(
                space=space,
                title=f"Corpus note {i}",
                text=text,
                content_sha256=sha,
                analyzed_sha256=sha,
                language="en",
            )
        )
    documents = Document.objects.bulk_create(rows)
    summaries = producer_live(kind=SUMMARIES).producer
    vectors = producer_live(kind=EMBEDDINGS).producer
    rng = np.random.default_rng(0)
    Summary.objects.bulk_create(
        Summary(
            document=d,
            content_sha256=d.content_sha256,
            producer=summaries,
            backend="dummy",
            text=d.text[:80],
            status="generated",
        )
        for d in documents
    )
    embeddings = rng.standard_normal((len(documents), 384)).astype(np.float32)
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    DocumentVector.objects.bulk_create(
        DocumentVector(
            document=d,
            content_sha256=d.content_sha256,
            producer=vectors,
            embedding=embeddings[i],
        )
        for i, d in enumerate(documents)
    )
    return [d.pk for d in documents]


def start_workers(one_worker: bool, log_dir: Path) -> list[subprocess.Popen]:
    env = {**os.environ, "PYTHONPATH": f"{BENCH}:{ROOT}"}
    layouts = (
        [("all", "ml,default,bulk")]
        if one_worker
        else [("ml", "ml,bulk"), ("default", "default")]
    )
    workers = []
    for name, queues in layouts:
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "workers",
                    "worker",
                    "-Q",
                    queues,
                    "-c",
                    "1",
                    "-P",
                    "solo",
                    "--prefetch-multiplier",
                    "1",
                    "--without-mingle",
                    "--without-gossip",
                    "-n",
                    f"bench-{name}@%h",
                    "--loglevel",
                    "WARNING",
                ],
                env=env,
                stdout=open(log_dir / f"worker-{name}.log", "ab"),  # noqa: SIM115
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        )
    return workers


def wait(condition, *, timeout: float = 120.0, poll: float = 0.05) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if condition():
            return time.perf_counter() - started
        time.sleep(poll)
    raise TimeoutError("the bench waited too long; see the worker logs")


def upload_times(space, n: int, label: str) -> tuple[list[float], list[float]]:
    """Save ``n`` documents one after another; seconds until summary / vector."""
    from docsite.documents.services import document_create_from_text
    from docsite.ml.outputs import EMBEDDINGS, SUMMARIES, producer_live
    from interests.models import DocumentVector
    from summaries.models import Summary

    summary_producer = producer_live(kind=SUMMARIES).producer
    vector_producer = producer_live(kind=EMBEDDINGS).producer
    to_summary, to_vector = [], []
    for i in range(n):
        started = time.perf_counter()
        document = document_create_from_text(
            space=space,
            title=f"{label} upload {i}",
            text=f"{label} upload {i} about {TOPICS[i % len(TOPICS)]} and more.",
        ).document
        summary = vector = None
        while summary is None or vector is None:
            now = time.perf_counter() - started
            if (
                summary is None
                and Summary.objects.filter(
                    document=document, producer=summary_producer, status="generated"
                ).exists()
            ):
                summary = now
            if (
                vector is None
                and DocumentVector.objects.filter(
                    document=document, producer=vector_producer
                ).exists()
            ):
                vector = now
            if now > 120:
                raise TimeoutError(f"upload {document.pk} not served in 120 s")
            time.sleep(0.05)
        to_summary.append(summary)
        to_vector.append(vector)
        time.sleep(0.5)
    return to_summary, to_vector


def like_times(reader, document_ids: list[int], n: int) -> list[float]:
    """Like ``n`` documents (never liked before: a like is a state, a second
    one changes nothing) one after another; seconds until the reader's
    interests (what the feed reads) include the like."""
    from interests.models import UserInterest
    from interests.services import interaction_record

    times = []
    for i in range(n):
        started = time.perf_counter()
        like = interaction_record(user=reader, document_id=document_ids[i], kind="like")
        wait(
            lambda like=like: UserInterest.objects.filter(
                user=reader, last_interaction_id__gte=like.pk
            ).exists()
        )
        times.append(time.perf_counter() - started)
        time.sleep(0.3)
    return times


def summary_line(name: str, values: list[float]) -> str:
    return (
        f"{name:<28} p50 {percentile(values, 50):6.2f} s   "
        f"p95 {percentile(values, 95):6.2f} s   max {max(values):6.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=8)
    parser.add_argument("--likes", type=int, default=12)
    parser.add_argument("--one-worker", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from docsite.db.scratch import scratch_database_prepare

    scratch_database_prepare(purpose="bench")

    from django.contrib.auth import get_user_model

    from docsite.documents.models import Document, Space
    from interests.models import Interaction, UserInterest
    from workers.celery import app
    from workers.models import ReprocessJob
    from workers.services import reprocess_job_cancel, reprocess_job_start

    # A previous run's data (bench database), documents first: a space
    # protects its documents, and a failed run leaves them behind.
    Document.objects.all().delete()
    Space.objects.all().delete()
    ReprocessJob.objects.all().delete()
    space = Space.objects.create(slug="bench", name="Bench", is_public=True)
    uploads = Space.objects.create(slug="uploads", name="Uploads", is_public=True)
    reader, _ = get_user_model().objects.get_or_create(username="bench-reader")
    Interaction.objects.filter(user=reader).delete()
    UserInterest.objects.filter(user=reader).delete()
    corpus = setup_corpus(space)
    app.control.purge()

    log_dir = Path(os.environ["DOCSITE_DATA_DIR"]) / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    workers = start_workers(args.one_worker, log_dir)
    try:
        # Warm-up: each worker loads what it needs once (the ML worker MiniLM).
        upload_times(uploads, 1, "Warm-up")
        like_times(reader, corpus[:1], 1)

        idle_summary, idle_vector = upload_times(uploads, args.uploads, "Idle")
        idle_likes = like_times(reader, corpus[1:], args.likes)

        job = reprocess_job_start(
            kind="summaries", selection="space", space=space, backend_alias="slow"
        )
        wait(lambda: ReprocessJob.objects.get(pk=job.pk).done_count >= 2)
        busy_summary, busy_vector = upload_times(uploads, args.uploads, "Busy")
        busy_likes = like_times(reader, corpus[1 + args.likes :], args.likes)
        job = ReprocessJob.objects.get(pk=job.pk)
        still_running = job.state == "running"
        done_during = job.done_count
        reprocess_job_cancel(job=job)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)

    layout = (
        "one worker -Q ml,default,bulk"
        if args.one_worker
        else ("ML worker -Q ml,bulk + worker -Q default")
    )
    print(
        f"\ninteractive work during a job ({layout}; slow dummy summarizers, 1 s/doc)"
    )
    print(
        f"job: summaries of {job.total} documents, chunks of {job.chunk_size}; "
        f"{done_during} done while measuring; still running at the end: {still_running}"
    )
    rows = [
        ("upload -> summary", idle_summary, busy_summary),
        ("upload -> vector", idle_vector, busy_vector),
        ("like -> feed (interests)", idle_likes, busy_likes),
    ]
    for name, idle, busy in rows:
        print(summary_line(f"{name}, idle", idle))
        print(summary_line(f"{name}, job", busy))
        print(
            f"{'':<28} p95 ratio job/idle {percentile(busy, 95) / percentile(idle, 95):.2f}"
        )
    verdict = (
        percentile(busy_summary, 95) <= 2 * percentile(idle_summary, 95)
        and percentile(busy_vector, 95) <= 2 * percentile(idle_vector, 95)
        and percentile(busy_likes, 95) <= 2.0
        and still_running
    )
    print("PASS" if verdict else "FAIL")
    Document.objects.filter(space__in=[space, uploads]).delete()


if __name__ == "__main__":
    main()
