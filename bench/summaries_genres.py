"""Per-genre figures of the default summarizer on bench/data/genres.jsonl.

Usage::

    nice -n 10 .venv/bin/python bench/summaries_genres.py --split a [--show]

Prints, for each genre of one split, n and ROUGE-1/2/Lsum of ours, LEAD-3
and LEAD-matched (no confidence intervals: per genre n is 2-5, read them as
pointers, the whole-split figures come from ``evaluate_summarizer``).
``--show`` prints each document's summary and reference, which is how the
failures in docs/summaries-evaluation.md were found (on split a only).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docsite.settings.base")
django.setup()

from summaries.backends import get_summarizer  # noqa: E402
from summaries.backends.base import SummaryBudget  # noqa: E402
from summaries.backends.lead import LeadSummarizer  # noqa: E402
from summaries.conf import summaries_setting  # noqa: E402
from summaries.evaluation import (  # noqa: E402
    evaluation_records_load,
    lead_matched,
    summarizer_evaluate,
)
from summaries.scoring import records_split  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="bench/data/genres.jsonl")
    parser.add_argument("--split", choices=["a", "b"], default="a")
    parser.add_argument("--show", action="store_true")
    options = parser.parse_args()
    records = records_split(
        evaluation_records_load(path=Path(options.data)), split=options.split
    )
    budget = SummaryBudget(**summaries_setting("BUDGET"))
    summarizer = get_summarizer("default")
    by_genre: dict[str, list] = defaultdict(list)
    for record in records:
        by_genre[record.get("genre", "?")].append(record)
    print(f"{'genre':15} n  ours R1/R2/RLs    LEAD-3           lead_matched")
    for genre, group in sorted(by_genre.items()):
        report = summarizer_evaluate(
            records=group,
            summarizer=summarizer,
            baseline=LeadSummarizer(sentences=3),
            budget=budget,
            resamples=10,
        )
        cells = [
            "/".join(f"{part[m]:.0f}" for m in ("rouge1", "rouge2", "rougeLsum"))
            for part in (report, report["baseline"], report["lead_matched"])
        ]
        wf = report["well_formed"]["rate"]
        print(
            f"{genre:15} {len(group)}  {cells[0]:16} {cells[1]:16} {cells[2]:16} wf={wf}"
        )
    if options.show:
        for record in records:
            result = summarizer.summarize_batch([record["document"]], budget=budget)[0]
            print(json.dumps({"id": record["id"]}))
            print("OURS:", result.text)
            print("REF: ", record["summary"])
            print(
                "LEADM:",
                lead_matched(record["document"], size=len(result.text.split()))[:300],
            )
            print()


if __name__ == "__main__":
    main()
