"""Measure the feed's ranking on MIND impressions, through the production path.

News items become Documents (ingestion service) in a private space of their
own, are embedded by the batch embedding service, histories become
Interactions of one user per impression, interests are rebuilt by the
refresh service, and candidates are scored by ``feed_score_candidates``, the
feed's own ranking. Everything is deleted afterwards unless ``--keep``.
"""

from __future__ import annotations

import contextlib
import csv
import json
import secrets
import sys
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

import numpy as np

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.test import override_settings
from django.utils import timezone

from docsite.db.scratch import NotAScratchDatabase, scratch_database_prepare
from docsite.documents.models import Document, Space
from docsite.documents.services import document_create_from_text, document_delete
from interests.conf import interests_setting
from interests.models import Interaction
from interests.selectors import (
    candidates_load,
    document_popularity,
    embedding_producer_active,
    feed_score_candidates,
    user_interest_vectors,
)
from interests.services import (
    document_vectors_compute,
    interactions_import,
    user_interest_refresh,
)

EMBED_BATCH = 256

# Ablations: which score terms are on. "full" is the configured feed.
VARIANTS = {
    "long_term": {
        "long_term": 1.0,
        "centroid": 0,
        "short_term": 0,
        "negative": 0,
        "freshness": 0,
        "popularity": 0,
        "exemplar": 0,
        "space": 0,
    },
    "+centroids": {
        "long_term": 0.5,
        "centroid": 0.35,
        "short_term": 0,
        "popularity": 0,
        "exemplar": 0,
        "space": 0,
    },
    "+short_term": {
        "long_term": 0.5,
        "centroid": 0.35,
        "short_term": 0.25,
        "popularity": 0,
        "exemplar": 0,
        "space": 0,
    },
    "+exemplars": {"popularity": 0, "space": 0},
    "+spaces": {"popularity": 0},
    "exemplars only": {
        "long_term": 0,
        "centroid": 0,
        "short_term": 0,
        "popularity": 0,
        "space": 0,
    },
    "full": {},
}


def metrics_for(scores: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Return AUC, MRR, nDCG@5 and nDCG@10 of one impression (MIND definitions)."""
    order = np.argsort(-scores, kind="stable")
    ranked = labels[order]
    positives, negatives = scores[labels == 1], scores[labels == 0]
    auc = float(
        np.mean(
            [(p > negatives).mean() + 0.5 * (p == negatives).mean() for p in positives]
        )
    )
    ranks = np.nonzero(ranked)[0] + 1
    mrr = float(np.sum(1.0 / ranks) / len(ranks))

    def ndcg(k: int) -> float:
        gains = ranked[:k] / np.log2(np.arange(2, min(k, len(ranked)) + 2))
        ideal = np.sort(labels)[::-1][:k] / np.log2(
            np.arange(2, min(k, len(labels)) + 2)
        )
        return float(gains.sum() / ideal.sum())

    return {"auc": auc, "mrr": mrr, "ndcg5": ndcg(5), "ndcg10": ndcg(10)}


def averaged(rows: list[dict[str, float]]) -> dict[str, float]:
    return {
        key: round(100 * float(np.mean([r[key] for r in rows])), 2)
        for key in ("auc", "mrr", "ndcg5", "ndcg10")
    }


@contextlib.contextmanager
def broker_muted():
    """Keep thousands of ingests from sending tasks to a shared broker.

    The command embeds the documents itself, through the same batch service
    the ``ml`` task runs; summaries and analysis are not needed here.
    """
    with mock.patch("docsite.documents.dispatch.task_enqueue", return_value=False):
        yield


class Command(BaseCommand):
    help = "Evaluate the feed ranking on MIND impressions (AUC, MRR, nDCG@5/10)."

    def add_arguments(self, parser):
        parser.add_argument("--news", required=True, type=Path)
        parser.add_argument("--impressions", required=True, type=Path)
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--limit", type=int, default=0, help="first N impressions only"
        )
        parser.add_argument(
            "--keep", action="store_true", help="keep the evaluation data"
        )
        parser.add_argument(
            "--representation",
            default="",
            help="override INTERESTS_DOCUMENT_REPRESENTATION",
        )
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, **options):
        try:
            scratch_database_prepare(purpose="evaluate_interests")
        except NotAScratchDatabase as exc:
            raise CommandError(str(exc)) from exc
        for name in ("news", "impressions"):
            if not options[name].is_file():
                raise CommandError(f"--{name}: no such file {options[name]}")
        overrides = {}
        if options["representation"]:
            overrides["INTERESTS_DOCUMENT_REPRESENTATION"] = options["representation"]
        with override_settings(**overrides):
            self._run(options)

    def _log(self, options, message: str) -> None:
        if not options["json"]:
            self.stdout.write(message)
        else:
            print(message, file=sys.stderr)

    def _run(self, options) -> None:
        impressions = [
            json.loads(line) for line in options["impressions"].open() if line.strip()
        ]
        if options["limit"]:
            impressions = impressions[: options["limit"]]
        news = {}
        with options["news"].open(newline="") as handle:
            for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                news[row[0]] = (row[3].strip(), row[4].strip(), row[1].strip())
        needed = {
            n for imp in impressions for n in (*imp["history"], *imp["candidates"])
        }
        needed &= set(news)

        tag = secrets.token_hex(3)
        group = Group.objects.create(name=f"eval-news-{tag}")
        # One space per news category, as a knowledge base keeps topics on
        # their own shelves; the feed's space affinity sees them like any space.
        spaces: dict[str, Space] = {}
        for category in sorted({news[n][2] or "news" for n in needed}):
            space = Space.objects.create(
                slug=f"eval-news-{tag}-{category}"[:50],
                name=f"Evaluation news {tag}: {category}",
            )
            space.viewer_groups.add(group)
            spaces[category] = space
        users = []
        try:
            started = time.perf_counter()
            document_of: dict[str, int] = {}
            with broker_muted():
                for news_id in sorted(needed):
                    title, abstract, category = news[news_id]
                    result = document_create_from_text(
                        space=spaces[category or "news"],
                        title=title or news_id,
                        text=abstract or title or news_id,
                        source_key=news_id,
                    )
                    document_of[news_id] = result.document.pk
            self._log(
                options,
                f"ingested {len(document_of)} news in "
                f"{time.perf_counter() - started:.0f}s",
            )
            started = time.perf_counter()
            ids = sorted(set(document_of.values()))
            for start in range(0, len(ids), EMBED_BATCH):
                document_vectors_compute(document_ids=ids[start : start + EMBED_BATCH])
            seconds = time.perf_counter() - started
            self._log(
                options,
                f"embedded {len(ids)} documents in {seconds:.0f}s "
                f"({len(ids) / max(seconds, 1e-9):.0f}/s), "
                f"producer {embedding_producer_active()}",
            )

            users = self._users(tag=tag, count=len(impressions), group=group)
            now = timezone.now()
            rows = []
            for user, impression in zip(users, impressions, strict=True):
                history = [n for n in impression["history"] if n in document_of]
                for position, news_id in enumerate(history):
                    # History is in click order; older clicks are further back.
                    rows.append(
                        Interaction(
                            user=user,
                            document_id=document_of[news_id],
                            kind="view",
                            created_at=now - timedelta(minutes=len(history) - position),
                        )
                    )
            interactions_import(rows=rows)
            report = self._score(
                options, impressions=impressions, users=users, document_of=document_of
            )
        finally:
            if not options["keep"]:
                self._cleanup(spaces=list(spaces.values()), group=group, users=users)
        if options["json"]:
            extras = {k: report.pop(k) for k in ("ablations", "representation")}
            self.stdout.write(json.dumps(report))
            print(json.dumps(extras), file=sys.stderr)
        else:
            self._print(report)

    def _users(self, *, tag: str, count: int, group: Group) -> list:
        User = get_user_model()
        users = User.objects.bulk_create(
            [User(username=f"eval-{tag}-{i}", is_active=True) for i in range(count)]
        )
        group.user_set.add(*users)
        return users

    def _score(self, options, *, impressions, users, document_of) -> dict:
        producer = embedding_producer_active()
        feed = interests_setting("FEED")
        popularity = document_popularity(
            document_ids=sorted(set(document_of.values())), days=feed["POPULAR_DAYS"]
        )
        rng = np.random.default_rng(options["seed"])
        results: dict[str, list] = {name: [] for name in VARIANTS}
        results["random"], results["popularity"] = [], []
        for user, impression in zip(users, impressions, strict=True):
            candidate_ids = [document_of.get(n, -1) for n in impression["candidates"]]
            labels = np.array(
                [n in impression["clicked"] for n in impression["candidates"]],
                dtype=np.int32,
            )
            if labels.sum() == 0 or labels.sum() == len(labels):
                continue
            user_interest_refresh(user_id=user.pk)
            interest = user_interest_vectors(user=user, producer=producer)
            candidates = candidates_load(
                document_ids=candidate_ids,
                producer=producer,
                popularity_days=feed["POPULAR_DAYS"],
                popularity=popularity,
            )
            # candidates_load keeps ids unique; duplicates within one impression
            # are mapped back by position.
            index = {pk: i for i, pk in enumerate(candidates.document_ids)}
            positions = [index[pk] for pk in candidate_ids]
            for name, change in VARIANTS.items():
                weights = {**feed["WEIGHTS"]}
                weights.update(
                    {
                        k: (feed["WEIGHTS"][k] if v is None else v)
                        for k, v in change.items()
                    }
                )
                with override_settings(INTERESTS_FEED={**feed, "WEIGHTS": weights}):
                    parts = feed_score_candidates(
                        interest=interest, candidates=candidates
                    )
                results[name].append(metrics_for(parts.total[positions], labels))
            results["random"].append(metrics_for(rng.random(len(labels)), labels))
            results["popularity"].append(
                metrics_for(
                    candidates.popularity[positions] + 1e-6 * rng.random(len(labels)),
                    labels,
                )
            )
        full = averaged(results["full"])
        return {
            **full,
            "n": len(results["full"]),
            "baselines": {
                "random": averaged(results["random"]),
                "popularity": averaged(results["popularity"]),
            },
            "ablations": {name: averaged(results[name]) for name in VARIANTS},
            "representation": interests_setting("DOCUMENT_REPRESENTATION"),
        }

    def _cleanup(self, *, spaces: list[Space], group: Group, users: list) -> None:
        with broker_muted():
            for document in Document.objects.filter(space__in=spaces).only(
                "pk", "source_file", "space_id"
            ):
                document_delete(document=document)
        get_user_model().objects.filter(pk__in=[u.pk for u in users]).delete()
        for space in spaces:
            space.delete()
        group.delete()

    def _print(self, report: dict) -> None:
        header = f"{'':14}{'AUC':>8}{'MRR':>8}{'nDCG@5':>8}{'nDCG@10':>9}"
        self.stdout.write(
            f"impressions: {report['n']}, representation: {report['representation']}"
        )
        self.stdout.write(header)
        lines = [
            ("feed (full)", report),
            *report["baselines"].items(),
            *((f"ablation {k}", v) for k, v in report["ablations"].items()),
        ]
        for name, row in lines:
            self.stdout.write(
                f"{name:14}{row['auc']:8.1f}{row['mrr']:8.1f}"
                f"{row['ndcg5']:8.1f}{row['ndcg10']:9.1f}"
            )
