"""The MIND replay: impressions served in time order as portal traffic,
the ranker trained on the logged pages, and the rank and recall scores.

Split from ``interests.evaluation`` (which re-exports it) for size.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np

from django.utils import timezone

from .evaluation import (
    FeedVariant,
    MindData,
    MindWorld,
    _baseline_scores,
    feed_variants,
)
from .metrics import METRICS, impression_metrics, metrics_mean, paired_bootstrap
from .models import FeedImpression, RankerVersion
from .ranker import FEATURES

if TYPE_CHECKING:
    from .selectors import FeedPage


def _impression_order(impression: dict) -> int:
    value = impression["impression_id"]
    return int(value) if value.isdigit() else 0


def mind_replay(
    *,
    world: MindWorld,
    data: MindData,
    serve: Callable[[dict, object, list[int]], FeedPage | None],
    traffic: bool = True,
) -> None:
    """Replay every impression of the file as portal traffic, in time order.

    MIND's impressions carry no times here, so impression-id order stands
    for time: impression i is shown one second after impression i-1. Each
    impression of the chosen split is first served (``serve(impression,
    user, candidate ids)``, which may measure the page) with only the
    traffic before it in the database; then its page is logged as feed
    impressions and its clicks as clicks from the feed. Impressions of the
    other split (and those ``serve`` returns no page for) are logged as
    traffic only: no features, so never trained on.
    Nothing later than an impression exists when it is served, so the
    feed's click features cannot look ahead.

    With ``traffic=False`` (MIND's own protocol: only the history is the
    reader's past) the split's impressions are served in the same order but
    nothing is logged: no other reader's feed impression exists when one is
    served, so the crowd features are zero for every candidate.
    """
    from .learning import feed_click_record, feed_impressions_log

    FeedImpression.objects.filter(user__in=list(world.users.values())).delete()
    if not traffic:
        _serve_without_traffic(world=world, data=data, serve=serve)
        return
    chosen = {impression["impression_id"] for impression in data.impressions}
    start = timezone.now() - timedelta(days=1)
    ordered = sorted(data.all_impressions, key=_impression_order)
    for index, impression in enumerate(ordered):
        user = world.users[impression["impression_id"]]
        ids = list(
            dict.fromkeys(
                world.document_of[n]
                for n in impression["candidates"]
                if n in world.document_of
            )
        )
        shown_at = start + timedelta(seconds=index)
        page = (
            serve(impression, user, ids)
            if impression["impression_id"] in chosen
            else None
        )
        if page is not None and page.items:
            feed_impressions_log(user=user, page=page, shown_at=shown_at)
        else:
            page_id = uuid.uuid4()
            FeedImpression.objects.bulk_create(
                [
                    FeedImpression(
                        user=user,
                        document_id=pk,
                        page_id=page_id,
                        position=position,
                        ranker_version="mind-replay",
                        features=[],
                        shown_at=shown_at,
                    )
                    for position, pk in enumerate(ids, start=1)
                ]
            )
        for news_id in impression["clicked"]:
            if news_id in world.document_of:
                feed_click_record(
                    user=user, document_id=world.document_of[news_id], at=shown_at
                )


def _serve_without_traffic(*, world: MindWorld, data: MindData, serve) -> None:
    for impression in sorted(data.impressions, key=_impression_order):
        user = world.users[impression["impression_id"]]
        # Any reader's rows left in this database (another tool's run) would
        # be crowd traffic the protocol does not have: refuse rather than leak.
        if FeedImpression.objects.exclude(user=user).exists():
            raise RuntimeError(
                "Other readers' feed impressions are in the evaluation database; "
                "a run without traffic needs none."
            )
        ids = list(
            dict.fromkeys(
                world.document_of[n]
                for n in impression["candidates"]
                if n in world.document_of
            )
        )
        serve(impression, user, ids)


# What MIND cannot teach: it has no publication times (every candidate is
# equally fresh here), and its candidates are new articles no history read.
# Both are left to the portal's own traffic.
MIND_UNLEARNABLE = ("freshness", "popularity")


def mind_ranker_train(*, world: MindWorld, data: MindData, log) -> RankerVersion:
    """Replay the impressions as traffic, the split's served by ``feed_for``
    restricted to their candidates (so the logged features are the feed's);
    train on the split's logged pages through ``ranker_train``, which splits
    them by time.
    """
    from .learning import ranker_train
    from .selectors import feed_for, ranker_hand

    hand = ranker_hand()

    def serve(impression, user, ids):
        return feed_for(user=user, page_size=len(ids), within_ids=ids, ranker=hand)

    mind_replay(world=world, data=data, serve=serve)
    version = ranker_train(
        source=f"MIND impressions ({len(data.impressions)})",
        features=[f for f in FEATURES if f not in MIND_UNLEARNABLE],
    )
    log(f"trained {version.name}: {version.metrics}")
    return version


def _deltas(
    values: list[dict], baseline: list[dict], names: Sequence[str], *, resamples, seed
) -> dict[str, list[float]]:
    """Paired bootstrap of each metric against ``baseline``, in percent."""
    return {
        metric: [
            round(100 * v, 2)
            for v in paired_bootstrap(
                [r[metric] for r in values],
                [r[metric] for r in baseline],
                resamples=resamples,
                seed=seed,
            )
        ]
        for metric in names
    }


def _compare(
    rows: dict[str, list[dict]],
    names: Sequence[str],
    *,
    resamples,
    seed,
    references: dict[str, str],
):
    """Each variant's means, with paired bootstrap CIs against the baselines
    and, for a feed variant with options, ``vs_feed``: against its
    ``references`` entry (the same ranker as configured)."""
    variants = {}
    for name, values in rows.items():
        summary = metrics_mean(values)
        for other in ("baseline", "popularity", "clicks so far"):
            if name == other or other not in rows:
                continue
            summary[f"vs_{other}"] = _deltas(
                values, rows[other], names, resamples=resamples, seed=seed
            )
        reference = references.get(name)
        if reference is not None:
            summary["vs_feed"] = _deltas(
                values, rows[reference], names, resamples=resamples, seed=seed
            )
        variants[name] = summary
    return variants


def _references(variants: Sequence[FeedVariant]) -> dict[str, str]:
    return {
        variant.name: FeedVariant(ranker=variant.ranker).name
        for variant in variants
        if variant.options
    }


def evaluate_rank(
    *,
    world: MindWorld,
    data: MindData,
    rankers,
    resamples: int,
    seed: int,
    traffic: bool = True,
    options: Sequence[dict[str, int]] = (),
) -> dict:
    """Rank each impression's candidates through ``feed_for``; MIND metrics per variant.

    Variants: each ranker as configured, and with each set of ``options``
    (``INTERESTS_FEED`` overrides, see ``feed_variants``).

    The impressions are replayed in time order (``mind_replay``), so the
    feed knows how earlier readers responded to a candidate and nothing of
    later ones. ``clicks so far`` ranks by that alone (Laplace-smoothed
    click rate among earlier readers shown the item). With ``traffic=False``
    no other reader's response exists (see ``mind_replay``).
    """
    from .selectors import feed_for

    rng = np.random.default_rng(seed)
    rows: dict[str, list[dict]] = {
        "baseline": [],
        "popularity": [],
        "clicks so far": [],
    }
    variants = feed_variants(rankers=rankers, options=options)
    for variant in variants:
        rows[variant.name] = []
    clicks_column = FEATURES.index("feed_clicks")
    shown_column = FEATURES.index("feed_shown")

    def serve(impression, user, present):
        labels = np.array(
            [n in impression["clicked"] for n in impression["candidates"]],
            dtype=np.int32,
        )
        measured = 0 < labels.sum() < len(labels)
        ids = [world.document_of.get(n) for n in impression["candidates"]]
        jitter = 1e-7 * rng.random(len(ids))  # breaks ties at random, the same for all
        logged = None
        pages = []
        for variant in variants:
            with variant.applied():
                page = feed_for(
                    user=user,
                    page_size=len(present),
                    within_ids=present,
                    ranker=variant.ranker,
                )
            pages.append(page)
            logged = logged or page
        if not measured:
            return logged
        baseline, popularity = _baseline_scores(world, impression, ids)
        rows["baseline"].append(impression_metrics(baseline + jitter, labels))
        rows["popularity"].append(impression_metrics(popularity + jitter, labels))
        response = {
            item.document.pk: np.expm1(
                [item.features[clicks_column], item.features[shown_column]]
            )
            for item in logged.items
        }
        rate = np.array(
            [
                (response[pk][0] + 1) / (response[pk][1] + 2) if pk in response else 0.0
                for pk in ids
            ]
        )
        rows["clicks so far"].append(impression_metrics(rate + jitter, labels))
        for variant, page in zip(variants, pages, strict=True):
            position = {item.document.pk: i for i, item in enumerate(page.items)}
            # Left out by the feed (already read): ranked last.
            scores = np.array(
                [-position.get(pk, 10_000) for pk in ids], dtype=np.float64
            )
            rows[variant.name].append(impression_metrics(scores + jitter, labels))
        return logged

    mind_replay(world=world, data=data, serve=serve, traffic=traffic)
    return {
        "n": len(rows["baseline"]),
        "variants": _compare(
            rows,
            METRICS,
            resamples=resamples,
            seed=seed,
            references=_references(variants),
        ),
    }


def evaluate_recall(
    *,
    world: MindWorld,
    data: MindData,
    rankers,
    ks: Sequence[int],
    resamples: int,
    seed: int,
    traffic: bool = True,
    options: Sequence[dict[str, int]] = (),
) -> dict:
    """Recall@k of the clicked items in each reader's feed over the whole corpus.

    Variants as in ``evaluate_rank``: this is the mode that exercises the
    feed's candidate generation (HNSW scans over the whole corpus)."""
    from .selectors import feed_for

    top = max(ks)
    all_ids = np.array(sorted(world.vectors))
    matrix = np.stack([world.vectors[pk] for pk in all_ids])
    by_popularity = sorted(world.readers, key=lambda pk: (-world.readers[pk], pk))
    rows: dict[str, list[dict]] = {"baseline": [], "popularity": []}
    variants = feed_variants(rankers=rankers, options=options)
    for variant in variants:
        rows[variant.name] = []

    def recall(ranked: Sequence[int], clicked: set[int]) -> dict[str, float]:
        return {str(k): len(clicked & set(ranked[:k])) / len(clicked) for k in ks}

    def serve(impression, user, ids):
        clicked = {
            world.document_of[n]
            for n in impression["clicked"]
            if n in world.document_of
        }
        history = {
            world.document_of[n]
            for n in impression["history"]
            if n in world.document_of
        }
        clicked -= history
        if not clicked:
            return None
        vectors = [world.vectors[pk] for pk in history if pk in world.vectors]
        if vectors:
            similarity = matrix @ np.mean(vectors, axis=0)
            order = [
                int(pk) for pk in all_ids[np.argsort(-similarity)] if pk not in history
            ]
        else:
            order = []
        rows["baseline"].append(recall(order[:top], clicked))
        popular = [pk for pk in by_popularity if pk not in history][:top]
        rows["popularity"].append(recall(popular, clicked))
        for variant in variants:
            with variant.applied():
                page = feed_for(user=user, page_size=top, ranker=variant.ranker)
            rows[variant.name].append(
                recall([item.document.pk for item in page.items], clicked)
            )
        return None

    # Replayed so that the crowd features know earlier readers only.
    mind_replay(world=world, data=data, serve=serve, traffic=traffic)
    names = [str(k) for k in ks]
    references = _references(variants)
    summaries = {}
    for name, values in rows.items():
        summary = {
            "recall": {
                k: round(100 * float(np.mean([r[k] for r in values])), 2) for k in names
            }
        }
        for other in ("baseline", "popularity"):
            if name != other:
                summary[f"vs_{other}"] = _deltas(
                    values, rows[other], names, resamples=resamples, seed=seed
                )
        reference = references.get(name)
        if reference is not None:
            summary["vs_feed"] = _deltas(
                values, rows[reference], names, resamples=resamples, seed=seed
            )
        summaries[name] = summary
    return {"n": len(rows["baseline"]), "variants": summaries}
