"""The feed against known neighbours: readers of one page of a cluster.

The typed dev sets ``zh-clusters``, ``ja-kb`` and ``en-clusters``
(``bench/data/search_typed/``) and the search hold-out
(``bench/data/search_holdout/``) were written in clusters of four pages on
one subject, consecutive in each file. A reader who liked one page of a
cluster should find its three neighbours in the first page of the "For you"
feed. This scores ``feed_for`` (what readers get: candidates, ranking, MMR)
by the share of those neighbours in the feed's first ``--top`` items, one
reader per page, among every other page of the committed sets.

Clusters split into halves by a hash of their file and number
(``--split a`` chooses, ``--split b`` reports; the hold-out is report-only).
``--variant NAME=JSON`` adds a variant run with settings overrides, scored
paired against the shipped feed.

    DOCSITE_DB_NAME=docsite_eval_feed .venv/bin/python bench/feed_clusters.py \\
        --split a [--variant 'off={"INTERESTS_FEED": {...}}']
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
DEV = (
    "search_typed/zh-clusters.jsonl",
    "search_typed/ja-kb.jsonl",
    "search_typed/en-clusters.jsonl",
)
HOLDOUT = (
    "search_holdout/zh.jsonl",
    "search_holdout/ja.jsonl",
    "search_holdout/ko.jsonl",
    "search_holdout/en-engineering.jsonl",
    "search_holdout/en-people.jsonl",
)
# Pages in the corpus that belong to no cluster.
OTHERS = (
    "search_typed/kb-1.jsonl",
    "search_typed/kb-2.jsonl",
    "search_typed/zh-kb.jsonl",
    "search_typed/ko-kb.jsonl",
    "genres.jsonl",
    "zh_news.jsonl",
)
CLUSTER = 4


def main() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from search_fusion import corpus_get, django_ready, django_setup

    django_ready()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("a", "b", "holdout"), required=True)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--name", default="feedclusters1")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=JSON")
    parser.add_argument(
        "--mixed",
        action="store_true",
        help="readers who liked one Chinese, Japanese or Korean page and one English"
        " page (of another cluster); each page's neighbours are scored apart",
    )
    args = parser.parse_args()
    django_setup()

    from django.contrib.auth import get_user_model
    from django.test import override_settings
    from django.utils import timezone

    from docsite.documents.models import Document
    from docsite.ml.outputs import EMBEDDINGS, LANGUAGE_EMBEDDINGS
    from interests.models import Interaction
    from interests.selectors import documents_related, feed_for
    from interests.services import document_vectors_compute, user_interest_refresh
    from summaries.evaluation import evaluation_records_load
    from summaries.scoring import paired_bootstrap, record_split

    files = [*DEV, *HOLDOUT, *OTHERS]
    records, origin = [], []
    for name in files:
        for index, record in enumerate(evaluation_records_load(path=DATA / name)):
            records.append(record)
            origin.append((name, index))
    _space, reader, ids = corpus_get(name=args.name, records=records)
    for start in range(0, len(ids), 64):
        for kind in (EMBEDDINGS, LANGUAGE_EMBEDDINGS):
            document_vectors_compute(document_ids=ids[start : start + 64], kind=kind)

    chosen = DEV if args.split in ("a", "b") else HOLDOUT
    clusters: dict[tuple[str, int], list[int]] = {}
    for pk, (name, index) in zip(ids, origin, strict=True):
        if name in chosen:
            key = (name, index // CLUSTER)
            if (
                args.split == "holdout"
                or record_split(f"{name}:{key[1]}") == args.split
            ):
                clusters.setdefault(key, []).append(pk)

    # One reader per page, who liked that page and did nothing else (with
    # --mixed, that page and an English one), two months ago: outside the
    # popularity window, so that readers of one cluster do not make its
    # pages popular with each other.
    users = get_user_model().objects
    long_ago = timezone.now() - timedelta(days=60)
    pages = [
        (key, pk, set(members) - {pk})
        for key, members in sorted(clusters.items())
        for pk in members
    ]
    if args.mixed:
        english = [page for page in pages if "/en-" in page[0][0]]
        others = [page for page in pages if "/en-" not in page[0][0]]
        liked_pages = [
            [page, english[i % len(english)]] for i, page in enumerate(others)
        ]
    else:
        liked_pages = [[page] for page in pages]
    readers = []
    for liked in liked_pages:
        username = f"{args.name}-reader-" + "-".join(str(pk) for _k, pk, _n in liked)
        user = users.filter(username=username).first()
        if user is None:
            user = users.create_user(username=username)
            user.groups.set(reader.groups.all())
            for _key, pk, _neighbours in liked:
                Interaction.objects.create(user=user, document_id=pk, kind="like")
        Interaction.objects.filter(user=user).update(created_at=long_ago)
        user_interest_refresh(user_id=user.pk)
        for key, pk, neighbours in liked:
            readers.append((key, user, neighbours, pk))

    variants = {"shipped": {}}
    for item in args.variant:
        label, _, overrides = item.partition("=")
        variants[label] = json.loads(overrides)

    def share(neighbours: set[int], shown: list) -> float:
        return 100 * len(neighbours & {d.pk for d in shown}) / len(neighbours)

    scores = {}
    for label, overrides in variants.items():
        with override_settings(**overrides):
            scores[label] = np.array(
                [
                    share(
                        neighbours,
                        [
                            i.document
                            for i in feed_for(user=user, page_size=args.top).items
                        ],
                    )
                    for _key, user, neighbours, _liked in readers
                ]
            )
    if not args.mixed:
        # Not personalized, the simplest strong baseline: the liked page's
        # related documents (its nearest neighbours, by its language's vectors).
        documents = Document.objects.in_bulk([liked for *_, liked in readers])
        scores["related panel"] = np.array(
            [
                share(
                    neighbours,
                    documents_related(
                        user=user, document=documents[liked], limit=args.top
                    ),
                )
                for _key, user, neighbours, liked in readers
            ]
        )
    print(
        f"{len(ids)} documents, split {args.split}: neighbours in the feed's first "
        f"{args.top}, % (readers who liked one page of a cluster of {CLUSTER}"
        + (", and one English page of another" if args.mixed else "")
        + ")"
    )
    for name in chosen:
        rows = np.array([key[0] == name for key, *_ in readers])
        if not rows.any():
            continue
        line = [f"{label} {s[rows].mean():5.1f}" for label, s in scores.items()]
        print(f"  {name:<36} {rows.sum():3d} readers  " + "  ".join(line))
        for label in list(scores)[1:]:
            difference = paired_bootstrap(
                {"d": scores["shipped"][rows] - scores[label][rows]}
            )["d"].as_dict()
            print(f"    shipped - {label}: {difference}")


if __name__ == "__main__":
    main()
