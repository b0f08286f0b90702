"""Offline evaluation of the feed on MIND impressions, through ``feed_for``.

Used by the ``evaluate_interests`` command. It writes documents, users and
interactions, so it runs only in a database made for evaluations
(``docsite.db.scratch``); what it builds there is kept between runs and
topped up, and document vectors are cached in a file keyed by producer
and text, so a second run embeds nothing.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from unittest import mock

import numpy as np

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from docsite.documents.models import Document, Space

from .models import DocumentVector, Interaction
from .ranker import LinearRanker, ranker_default

if TYPE_CHECKING:
    pass

SPACE_PREFIX = "mind-"
USER_PREFIX = "mind-"
EMBED_BATCH = 256


def split_of(impression_id: str) -> str:
    """The deterministic half ('a' or 'b') an impression belongs to."""
    return "a" if hashlib.sha256(impression_id.encode()).digest()[0] % 2 == 0 else "b"


@dataclass
class MindData:
    news: dict[str, tuple[str, str, str]]  # id -> (title, abstract, category)
    all_impressions: list[dict]
    impressions: list[dict]  # the split's, in time (impression id) order

    @classmethod
    def load(
        cls, *, news: Path, impressions: Path, split: str, limit: int = 0
    ) -> MindData:
        rows = [json.loads(line) for line in impressions.open() if line.strip()]
        if limit:
            rows = rows[:limit]
        table = {}
        with news.open(newline="") as handle:
            for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                table[row[0]] = (row[3].strip(), row[4].strip(), row[1].strip())
        chosen = [
            r for r in rows if split == "all" or split_of(r["impression_id"]) == split
        ]
        chosen.sort(
            key=lambda r: int(r["impression_id"]) if r["impression_id"].isdigit() else 0
        )
        return cls(news=table, all_impressions=rows, impressions=chosen)


class CachedEmbedder:
    """Wraps an embedder; vectors are kept in an .npz file keyed by producer and text."""

    def __init__(self, embedder, path: Path) -> None:
        self._embedder = embedder
        self._path = path
        self._vectors: dict[str, np.ndarray] = {}
        if path.is_file():
            with np.load(path) as stored:
                self._vectors = dict(
                    zip(stored["keys"], stored["vectors"], strict=True)
                )
        self.hits = self.misses = 0

    def __getattr__(self, name):
        return getattr(self._embedder, name)

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self._embedder.producer}\0{text}".encode()).hexdigest()

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        keys = [self._key(text) for text in texts]
        missing = [i for i, key in enumerate(keys) if key not in self._vectors]
        if missing:
            computed = self._embedder.embed_batch([texts[i] for i in missing])
            for i, vector in zip(missing, computed, strict=True):
                self._vectors[keys[i]] = np.asarray(vector, dtype=np.float32)
        self.hits += len(keys) - len(missing)
        self.misses += len(missing)
        return np.stack([self._vectors[key] for key in keys])

    def save(self) -> None:
        if not self.misses:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self._vectors), dtype="U64")
        np.savez(self._path, keys=keys, vectors=np.stack(list(self._vectors.values())))


@contextlib.contextmanager
def broker_muted():
    """Keep thousands of ingests from sending tasks: this module embeds itself."""
    with mock.patch("docsite.tasking.task_enqueue", return_value=False):
        yield


@dataclass
class MindWorld:
    producer: str
    document_of: dict[str, int]
    users: dict[str, object]  # impression id -> user
    vectors: dict[int, np.ndarray] = field(default_factory=dict)
    readers: dict[int, int] = field(default_factory=dict)


def mind_world_build(*, data: MindData, log: Callable[[str], None]) -> MindWorld:
    """Create (or top up) the news documents, readers and histories; refresh interests."""
    from docsite.documents.services import document_create_from_text

    from .selectors import document_popularity, embedding_producer_active
    from .services import (
        document_vectors_compute,
        interactions_import,
        user_interest_refresh,
    )

    needed = {
        n for imp in data.all_impressions for n in (*imp["history"], *imp["candidates"])
    } & set(data.news)
    group, _ = Group.objects.get_or_create(name="mind-readers")
    spaces: dict[str, Space] = {}
    for category in sorted({data.news[n][2] or "news" for n in needed}):
        space, _ = Space.objects.get_or_create(
            slug=f"{SPACE_PREFIX}{category}"[:50],
            defaults={"name": f"MIND {category}"},
        )
        space.viewer_groups.add(group)
        spaces[category] = space
    document_of = dict(
        Document.objects.filter(space__in=spaces.values()).values_list(
            "source_key", "pk"
        )
    )
    started = time.perf_counter()
    with broker_muted():
        for news_id in sorted(needed - set(document_of)):
            title, abstract, category = data.news[news_id]
            document_of[news_id] = document_create_from_text(
                space=spaces[category or "news"],
                title=title or news_id,
                text=abstract or title or news_id,
                source_key=news_id,
            ).document.pk
    log(f"{len(document_of)} news documents ({time.perf_counter() - started:.0f}s)")

    producer = embedding_producer_active()
    ids = sorted(set(document_of.values()))
    have = set(
        DocumentVector.objects.filter(
            producer=producer, document_id__in=ids
        ).values_list("document_id", flat=True)
    )
    missing = [pk for pk in ids if pk not in have]
    if missing:
        from docsite.ml.embedders import get_embedder

        cache_file = (
            Path(settings.DATA_DIR)
            / "eval-cache"
            / f"{hashlib.sha256(producer.encode()).hexdigest()[:16]}.npz"
        )
        cached = CachedEmbedder(get_embedder("default"), cache_file)
        started = time.perf_counter()
        with mock.patch("interests.services.vectors.get_embedder", return_value=cached):
            for start in range(0, len(missing), EMBED_BATCH):
                document_vectors_compute(
                    document_ids=missing[start : start + EMBED_BATCH]
                )
        cached.save()
        log(
            f"embedded {len(missing)} documents in {time.perf_counter() - started:.0f}s "
            f"({cached.hits} cached texts, {cached.misses} computed), producer {producer}"
        )

    User = get_user_model()
    usernames = {
        f"{USER_PREFIX}{imp['impression_id']}": imp for imp in data.all_impressions
    }
    existing = {
        u.username: u for u in User.objects.filter(username__in=list(usernames))
    }
    created = User.objects.bulk_create(
        [
            User(username=name, is_active=True)
            for name in usernames
            if name not in existing
        ]
    )
    existing.update({u.username: u for u in created})
    group.user_set.add(*created)
    readers = list(existing.values())
    # Histories are rebuilt every run: cheap, and never stale.
    Interaction.objects.filter(user__in=readers).delete()
    now = timezone.now()
    rows = []
    for name, impression in usernames.items():
        history = [n for n in impression["history"] if n in document_of]
        for position, news_id in enumerate(history):
            # History is in click order; older clicks are further back.
            rows.append(
                Interaction(
                    user=existing[name],
                    document_id=document_of[news_id],
                    kind="view",
                    created_at=now - timedelta(minutes=len(history) - position),
                )
            )
    interactions_import(rows=rows)
    # Every impression's reader: the other half's readers are replayed as
    # portal traffic (what they were shown and clicked), not measured.
    users = {
        imp["impression_id"]: existing[f"{USER_PREFIX}{imp['impression_id']}"]
        for imp in data.all_impressions
    }
    started = time.perf_counter()
    for impression in data.impressions:
        user_interest_refresh(
            user_id=users[impression["impression_id"]].pk, producer=producer
        )
    log(
        f"refreshed {len(data.impressions)} readers' interests "
        f"in {time.perf_counter() - started:.0f}s"
    )

    from .selectors import vectors_by_document

    vectors = vectors_by_document(
        DocumentVector.objects.filter(producer=producer, document_id__in=ids)
    )
    readers_count = document_popularity(document_ids=ids, days=3650)
    return MindWorld(
        producer=producer,
        document_of=document_of,
        users=users,
        vectors=vectors,
        readers=readers_count,
    )


def rankers_named(names: Sequence[str]) -> list[LinearRanker]:
    """The rankers to compare, once each (``live`` may be ``hand`` too)."""
    from .selectors import ranker_for_feed, ranker_hand

    rankers: list[LinearRanker] = []
    for name in names:
        if name == "live":
            rankers.append(ranker_for_feed())
        elif name == "hand":
            rankers.append(ranker_hand())
        elif name == "default":
            ranker = ranker_default()
            if ranker is None:
                raise ValueError("No default ranker file is shipped.")
            rankers.append(ranker)
        else:
            rankers.append(LinearRanker.from_dict(json.loads(Path(name).read_text())))
    unique = {}
    for ranker in rankers:
        unique.setdefault(ranker.version, ranker)
    return list(unique.values())


def _baseline_scores(world: MindWorld, impression: dict, ids: list[int | None]):
    history = [
        world.vectors[world.document_of[n]]
        for n in impression["history"]
        if world.document_of.get(n) in world.vectors
    ]
    mean = np.mean(history, axis=0) if history else None
    baseline = np.array(
        [
            float(world.vectors[pk] @ mean)
            if mean is not None and pk in world.vectors
            else -1.0
            for pk in ids
        ]
    )
    popularity = np.array([float(world.readers.get(pk, 0)) for pk in ids])
    return baseline, popularity


@dataclass(frozen=True)
class FeedVariant:
    """One way of serving the feed: a ranker, and ``INTERESTS_FEED`` options
    overriding the settings (none: the feed as configured)."""

    ranker: LinearRanker
    options: tuple[tuple[str, int], ...] = ()

    @property
    def name(self) -> str:
        name = f"feed ({self.ranker.version})"
        if self.options:
            name += " " + ",".join(f"{key}={value}" for key, value in self.options)
        return name

    @contextlib.contextmanager
    def applied(self) -> Iterator[None]:
        if not self.options:
            yield
            return
        from django.test import override_settings

        from .conf import interests_setting

        with override_settings(
            INTERESTS_FEED={**interests_setting("FEED"), **dict(self.options)}
        ):
            yield


def feed_variants(
    *, rankers: Sequence[LinearRanker], options: Sequence[dict[str, int]] = ()
) -> list[FeedVariant]:
    """Each ranker as configured, then with each set of ``options`` (each
    compared, impression by impression, with the same ranker as configured)."""
    return [
        FeedVariant(ranker=ranker, options=tuple(sorted(overrides.items())))
        for ranker in rankers
        for overrides in ({}, *options)
    ]


# The replay, training and scoring live in their own module (size); the
# command and tests import them from here too.
from .evaluation_replay import (  # noqa: E402
    MIND_UNLEARNABLE,
    evaluate_rank,
    evaluate_recall,
    mind_ranker_train,
    mind_replay,
)

__all__ = [
    "MIND_UNLEARNABLE",
    "CachedEmbedder",
    "FeedVariant",
    "MindData",
    "MindWorld",
    "evaluate_rank",
    "evaluate_recall",
    "feed_variants",
    "mind_ranker_train",
    "mind_replay",
    "mind_world_build",
    "rankers_named",
    "split_of",
]
