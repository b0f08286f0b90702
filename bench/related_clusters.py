"""Related documents against known neighbours: the search hold-out's clusters.

The search hold-out (``bench/data/search_holdout/``) was written in clusters
of four pages on one subject (VPN setup, SSO reset, laptops, offboarding;
差旅报销, 业务招待费, 发票, 备用金...), consecutive in each file. A page's
related documents should be its three neighbours, found among every other
set we have. This scores ``documents_related`` (the portal's panel) by the
share of a page's top 3 that are its neighbours, with the language vectors
on (shipped) and off (every page by the main vectors), paired per page.

Report-only: nothing is chosen on the hold-out.

    DOCSITE_DB_NAME=docsite_eval_search .venv/bin/python bench/related_clusters.py \\
        --distractors bench/data/kb/manifest.jsonl ... [--name related1]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
HOLDOUT = ROOT / "bench" / "data" / "search_holdout"
FILES = ("en-engineering.jsonl", "en-people.jsonl", "zh.jsonl", "ja.jsonl", "ko.jsonl")
CLUSTER = 4
TOP = 3


def main() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from search_fusion import corpus_get, django_ready, django_setup

    django_ready()
    from interests.search_evaluation import corpus_arguments_add

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    corpus_arguments_add(parser, data=False)
    parser.add_argument("--name", default="related1", help="the scratch corpus's name")
    args = parser.parse_args()
    django_setup()

    from django.test import override_settings

    from docsite.documents.models import Document
    from docsite.ml.outputs import EMBEDDINGS, LANGUAGE_EMBEDDINGS
    from interests.conf import interests_setting
    from interests.search_evaluation import corpus_records_load
    from interests.selectors import documents_related
    from interests.services import document_vectors_compute
    from summaries.scoring import paired_bootstrap

    records, distractors = corpus_records_load(
        data=[HOLDOUT / name for name in FILES],
        distractors=args.distractors,
        limit=None,
    )
    _space, user, ids = corpus_get(name=args.name, records=[*records, *distractors])
    for start in range(0, len(ids), 64):
        for kind in (EMBEDDINGS, LANGUAGE_EMBEDDINGS):
            document_vectors_compute(document_ids=ids[start : start + 64], kind=kind)

    # Hold-out pages come first, file by file, each file in clusters of four.
    pages, clusters = [], []
    offset = 0
    for name in FILES:
        count = sum(1 for line in (HOLDOUT / name).open() if line.strip())
        for i in range(count):
            pages.append(ids[offset + i])
            clusters.append((name, i // CLUSTER))
        offset += count
    cluster_of = dict(zip(pages, clusters, strict=True))
    documents = Document.objects.in_bulk(pages)
    off = {**interests_setting("LANGUAGE_VECTORS"), "EMBEDDER": None}
    scores = {}
    for label, overrides in (("shipped", {}), ("main vectors only", off)):
        settings = {"INTERESTS_LANGUAGE_VECTORS": overrides} if overrides else {}
        with override_settings(**settings):
            scores[label] = np.array(
                [
                    sum(
                        cluster_of.get(d.pk) == cluster_of[pk]
                        for d in documents_related(
                            user=user, document=documents[pk], limit=TOP
                        )
                    )
                    / TOP
                    for pk in pages
                ]
            )
    print(f"{len(ids)} documents; neighbours in each page's top {TOP} related, %:")
    for name in FILES:
        rows = np.array([cluster[0] == name for cluster in clusters])
        line = [f"{label} {100 * s[rows].mean():5.1f}" for label, s in scores.items()]
        difference = paired_bootstrap(
            {"p": 100 * (scores["shipped"][rows] - scores["main vectors only"][rows])}
        )["p"].as_dict()
        print(f"  {name:<22} {rows.sum():3d} pages  " + "  ".join(line), difference)


if __name__ == "__main__":
    main()
