"""How often the faithfulness flags fire: on an LLM's summaries, on extractive ones, on references.

Usage::

    nice -n 5 .venv/bin/python bench/summaries_faithfulness.py \\
        --data ../shared/data/summarization/dialogsum_dev.jsonl \\
        --data ../shared/data/summarization/xsum_dev.jsonl \\
        --split b --limit 10 [--backend smollm2] [--cache /tmp/llm.jsonl]

For the first ``--limit`` records of the split of each set, the bench checks
(``summaries.faithfulness``) three kinds of summary sentences against their
document and prints the share flagged:

- ``--backend``'s summaries (an LLM alias: the flags are meant for these);
- the default extractive summarizer's (it copies sentences, so every flag on
  it is a false alarm);
- the reference summaries (human paraphrases: mostly faithful on DialogSum;
  XSum's references are known to add outside facts).

LLM generation is slow on a CPU (minutes a document on a loaded 2-core
machine); ``--cache`` keeps generated summaries in a JSONL file, so a run can
be resumed or repeated with another threshold. Calibrate ``--threshold`` on
``--split a``, report on ``--split b``. The database is never touched.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, action="append", required=True)
    parser.add_argument("--split", choices=("a", "b", "all"), default="b")
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--backend", default="smollm2")
    parser.add_argument("--cache", type=Path, help="JSONL of generated summaries.")
    parser.add_argument(
        "--cached-only",
        action="store_true",
        help="Check only records whose LLM summary is in --cache.",
    )
    parser.add_argument("--threshold", type=float)
    parser.add_argument("--words", type=int, default=60)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docsite.settings.base")
    import django

    django.setup()
    from docsite.ml.embedders import get_embedder
    from summaries.backends import get_summarizer
    from summaries.backends.base import SummaryBudget
    from summaries.backends.extractive import ExtractiveSummarizer
    from summaries.evaluation import evaluation_records_load
    from summaries.faithfulness import SUPPORT_THRESHOLD, faithfulness_check_batch
    from summaries.scoring import records_split

    threshold = SUPPORT_THRESHOLD if args.threshold is None else args.threshold
    budget = SummaryBudget(args.words)
    embedder = get_embedder()
    cache: dict[str, str] = {}
    if args.cache and args.cache.exists():
        for line in args.cache.read_text().splitlines():
            row = json.loads(line)
            cache[row["id"]] = row["summary"]

    rows = []
    for path in args.data:
        records = records_split(evaluation_records_load(path=path), split=args.split)
        if args.cached_only:
            records = [record for record in records if record["id"] in cache]
        records = records[: args.limit]
        documents = [record["document"] for record in records]
        generated = []
        for record in records:
            if record["id"] not in cache:
                llm = get_summarizer(args.backend)
                text = llm.summarize_batch([record["document"]], budget=budget)[0].text
                cache[record["id"]] = text
                if args.cache:
                    with args.cache.open("a") as handle:
                        handle.write(
                            json.dumps({"id": record["id"], "summary": text}) + "\n"
                        )
            generated.append(cache[record["id"]])
        extractive = [
            result.text
            for result in ExtractiveSummarizer(embedder=embedder).summarize_batch(
                documents, budget=budget
            )
        ]
        references = [record["summary"] for record in records]
        for kind, summaries in (
            (args.backend, generated),
            ("extractive", extractive),
            ("reference", references),
        ):
            flags = faithfulness_check_batch(
                summaries=summaries,
                sources=documents,
                embedder=embedder,
                threshold=threshold,
            )
            sentences = [flag for per_summary in flags for flag in per_summary]
            support = np.array([flag.support for flag in sentences] or [0.0])
            rows.append(
                {
                    "set": path.stem,
                    "split": args.split,
                    "summaries": kind,
                    "documents": len(summaries),
                    "sentences": len(sentences),
                    "flagged_pct": round(
                        100 * np.mean([flag.flagged for flag in sentences] or [0]), 1
                    ),
                    "low_support_pct": round(100 * np.mean(support < threshold), 1),
                    "missing_facts_pct": round(
                        100
                        * np.mean([bool(flag.missing) for flag in sentences] or [0]),
                        1,
                    ),
                    "summaries_needing_attention_pct": round(
                        100
                        * np.mean(
                            [any(flag.flagged for flag in fs) for fs in flags] or [0]
                        ),
                        1,
                    ),
                    "median_support": round(float(np.median(support)), 3),
                }
            )
    print(json.dumps({"threshold": threshold, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
