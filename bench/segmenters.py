"""Compare sentence segmenters for summaries: sentencex against the old rule splitter.

Usage::

    nice -n 5 .venv/bin/python bench/segmenters.py \\
        --data ../shared/data/summarization/xsum_dev.jsonl \\
        --data ../shared/data/summarization/dialogsum_dev.jsonl \\
        --data bench/data/kb/manifest.jsonl --split a [--words 40] [--show 10]

For each set, every document is cut into units (``summaries.structure``)
once per segmenter, and one fixed extractive picker (the packaged MiniLM
embedder, centroid relevance, MMR against redundancy, whole units within
the word budget, ``units_join``) summarizes both ways. Only the segmenter
differs, so the paired bootstrap interval of the ROUGE difference
(sentencex minus rules) says which segmentation serves summaries better. The
bench also counts documents the two segment differently, prints a sample of
disagreements to judge by eye, and times both. The database is never
touched. Choose on ``--split a``; report on ``--split b``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEGMENTERS = ("sentencex", "rules")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, action="append", required=True)
    parser.add_argument("--split", choices=("a", "b", "all"), default="a")
    parser.add_argument("--words", type=int, default=40)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--show", type=int, default=5, help="disagreements to print")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docsite.settings.base")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import django

    django.setup()
    from docsite.ml.embedders import get_embedder
    from summaries.evaluation import evaluation_records_load
    from summaries.scoring import (
        ScriptAwareTokenizer,
        paired_bootstrap,
        records_split,
        rouge_per_document,
    )
    from summaries.structure import units_from_blocks, units_from_text
    from summaries.text import sentences_split

    embedder = get_embedder("default")
    tokenizer = ScriptAwareTokenizer()
    rng = random.Random(20261130)
    for path in args.data:
        records = records_split(evaluation_records_load(path=path), split=args.split)
        records = records[: args.limit]
        units: dict[str, list] = {}
        seconds: dict[str, float] = {}
        for name in SEGMENTERS:
            started = time.perf_counter()
            units[name] = [
                units_from_blocks(
                    record["blocks"],
                    language=record.get("language"),
                    segmenter=name,
                )
                if record.get("blocks")
                else units_from_text(record["document"], segmenter=name)
                for record in records
            ]
            seconds[name] = time.perf_counter() - started
        texts = sorted(
            {unit.text for name in SEGMENTERS for doc in units[name] for unit in doc}
        )
        vectors = dict(zip(texts, embedder.embed_batch(texts), strict=True))
        summaries = {
            name: [_pick(doc, vectors, words=args.words) for doc in units[name]]
            for name in SEGMENTERS
        }
        references = [
            record.get("summaries") or [record["summary"]] for record in records
        ]
        scores = {
            name: rouge_per_document(
                predictions=summaries[name],
                references=references,
                tokenizer=tokenizer,
                sentence_split=lambda text: [s.text for s in sentences_split(text)],
            )
            for name in SEGMENTERS
        }
        differ = [
            i
            for i in range(len(records))
            if [u.text for u in units["sentencex"][i]]
            != [u.text for u in units["rules"][i]]
        ]
        intervals = paired_bootstrap(
            {
                metric: scores["sentencex"][metric] - scores["rules"][metric]
                for metric in scores["rules"]
            }
        )
        print(f"\n== {path.name} (split {args.split}, {len(records)} documents)")
        for name in SEGMENTERS:
            count = sum(len(doc) for doc in units[name]) / max(len(records), 1)
            means = {m: round(float(v.mean()), 2) for m, v in scores[name].items()}
            print(
                f"{name:<10} units/doc {count:5.1f}  segmentation "
                f"{1000 * seconds[name] / max(len(records), 1):6.2f} ms/doc  {means}"
            )
        print(
            f"documents segmented differently: {len(differ)} of {len(records)}; "
            "sentencex - rules (95% CI): "
            + ", ".join(
                f"{m} {iv.mean:+.2f} [{iv.low:+.2f}, {iv.high:+.2f}]"
                for m, iv in intervals.items()
            )
        )
        for i in rng.sample(differ, min(args.show, len(differ))):
            left = [u.text for u in units["sentencex"][i]]
            right = [u.text for u in units["rules"][i]]
            only_left = [t for t in left if t not in right][:2]
            only_right = [t for t in right if t not in left][:2]
            print(f"-- {records[i].get('id')}")
            for text in only_left:
                print(f"   sentencex: {text[:160]}")
            for text in only_right:
                print(f"   rules:     {text[:160]}")
    return 0


def _pick(units: list, vectors: dict, *, words: int, mmr_lambda: float = 0.7) -> str:
    """Return the summary one fixed picker makes from ``units``."""
    from summaries.structure import units_join
    from summaries.text import text_word_count

    if not units:
        return ""
    matrix = np.stack([vectors[unit.text] for unit in units])
    centroid = matrix.mean(axis=0)
    relevance = matrix @ (centroid / (np.linalg.norm(centroid) or 1.0))
    picked: list[int] = []
    used = 0
    candidates = set(range(len(units)))
    while candidates:

        def gain(i: int) -> float:
            redundancy = max(
                (float(matrix[i] @ matrix[j]) for j in picked), default=0.0
            )
            return mmr_lambda * relevance[i] - (1 - mmr_lambda) * redundancy

        best = max(candidates, key=gain)
        candidates.discard(best)
        size = text_word_count(units[best].text)
        if used + size > words:
            continue
        picked.append(best)
        used += size
    return units_join([units[i] for i in picked])


if __name__ == "__main__":
    sys.exit(main())
