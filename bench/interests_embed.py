"""Embeddings per second: the batch path against a one-at-a-time loop (MiniLM, CPU).

    .venv/bin/python bench/interests_embed.py [--texts 512] [--news ../shared/data/mind/news.tsv]

Without ``--news`` the texts are synthetic sentences of mixed length.
"""

from __future__ import annotations

import argparse
import csv
import time

import numpy as np
from interests_common import django_setup


def synthetic_texts(count: int) -> list[str]:
    rng = np.random.default_rng(0)
    words = [
        "backup",
        "restore",
        "cluster",
        "policy",
        "holiday",
        "payroll",
        "deploy",
        "canary",
        "review",
        "budget",
        "laptop",
        "security",
        "incident",
        "meeting",
        "roadmap",
        "onboarding",
        "handbook",
        "travel",
    ]
    return [
        " ".join(rng.choice(words, size=int(rng.integers(8, 60)))) for _ in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=512)
    parser.add_argument("--loop", type=int, default=128, help="texts for the slow loop")
    parser.add_argument("--news", default="")
    args = parser.parse_args()
    django_setup()
    from docsite.ml.embedders import get_embedder

    if args.news:
        with open(args.news, newline="") as handle:
            rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
        texts = [f"{r[3]}. {r[4]}" for r in rows[: args.texts]]
    else:
        texts = synthetic_texts(args.texts)
    embedder = get_embedder()
    embedder.embed_batch(texts[:8])  # load the model and warm up

    started = time.perf_counter()
    batched = embedder.embed_batch(texts)
    batch_rate = len(texts) / (time.perf_counter() - started)

    sample = texts[: args.loop]
    started = time.perf_counter()
    looped = np.concatenate([embedder.embed_batch([text]) for text in sample])
    loop_rate = len(sample) / (time.perf_counter() - started)
    assert np.allclose(batched[: len(sample)], looped, atol=1e-4)
    print(
        f"batch ({embedder.batch_size}/call, sorted by length): {batch_rate:.0f} texts/s; "
        f"one at a time: {loop_rate:.0f} texts/s; speed-up {batch_rate / loop_rate:.1f}x"
    )


if __name__ == "__main__":
    main()
