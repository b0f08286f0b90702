"""evaluate_interests: its own database only, and scoring through feed_for."""

from __future__ import annotations

import json

import numpy as np
import pytest

from django.core.management import CommandError, call_command

from interests.evaluation import split_of
from interests.models import FeedImpression, RankerVersion

pytestmark = pytest.mark.django_db

TOPICS = {
    "sports": ["football match goal", "tennis open final", "football league table"],
    "finance": ["stock market rally", "bank interest rates", "stock earnings report"],
}


def _mind_files(tmp_path):
    news, rows = [], []
    for category, titles in TOPICS.items():
        for i, title in enumerate(titles * 4):
            news.append(
                f"N{category}{i}\t{category}\tsub\t{title} {i}\tabout {title} {i}"
            )
    for n in range(24):
        likes = "sports" if n % 2 else "finance"
        other = "finance" if likes == "sports" else "sports"
        rows.append(
            {
                "impression_id": str(100 + n),
                "history": [f"N{likes}{i}" for i in range(4)],
                "candidates": [
                    f"N{likes}{6 + n % 5}",
                    f"N{other}{6 + n % 5}",
                    f"N{other}{7}",
                ],
                "clicked": [f"N{likes}{6 + n % 5}"],
            }
        )
    (tmp_path / "news.tsv").write_text("\n".join(news) + "\n")
    (tmp_path / "imp.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return tmp_path / "news.tsv", tmp_path / "imp.jsonl"


def test_refuses_any_database_not_made_for_evaluation(monkeypatch):
    from docsite.db import scratch

    monkeypatch.setattr(scratch, "_marked", lambda using: False)
    with pytest.raises(CommandError, match="database of its own"):
        call_command("evaluate_interests", "--news", "x", "--impressions", "y")


def test_splits_are_deterministic_halves():
    ids = [str(i) for i in range(2000)]
    a = [i for i in ids if split_of(i) == "a"]
    assert 900 < len(a) < 1100 and a == [i for i in ids if split_of(i) == "a"]


@pytest.mark.slow
def test_ranks_through_the_feed_trains_and_reports_cis(tmp_path, settings, capsys):
    settings.DATA_DIR = tmp_path
    news, impressions = _mind_files(tmp_path)
    out = tmp_path / "ranker.json"
    call_command(
        "evaluate_interests",
        "--news",
        str(news),
        "--impressions",
        str(impressions),
        "--mode",
        "both",
        "--k",
        "3",
        "--ranker",
        "hand",
        "--train-default",
        str(out),
        "--resamples",
        "200",
        "--json",
    )
    report = json.loads(capsys.readouterr().out)
    rank = report["rank"]["variants"]
    assert report["rank"]["n"] == 24
    feed = rank["feed (hand)"]
    # Readers of one topic are shown that topic's clicked item first.
    assert feed["auc"] > 90 and feed["auc"] >= rank["popularity"]["auc"]
    low, high = feed["vs_popularity"]["auc"][1:]
    assert low <= feed["vs_popularity"]["auc"][0] <= high
    assert set(report["recall"]["variants"]["feed (hand)"]["recall"]) == {"3"}
    # The same training path as live traffic: logged impressions, a version.
    assert FeedImpression.objects.filter(clicked_at__isnull=False).count() == 24
    assert RankerVersion.objects.count() == 1
    assert json.loads(out.read_text())["features"]
    # The vectors were cached for the next run.
    assert list((tmp_path / "eval-cache").glob("*.npz"))


def test_the_replay_shows_each_impression_only_the_traffic_before_it(
    tmp_path, settings
):
    """Crowd features (other readers' impressions and clicks) never look ahead."""
    from interests.evaluation import MindData, mind_replay, mind_world_build
    from interests.ranker import FEATURES
    from interests.selectors import feed_for, ranker_hand

    settings.DATA_DIR = tmp_path
    news, impressions = _mind_files(tmp_path)
    data = MindData.load(news=news, impressions=impressions, split="a")
    world = mind_world_build(data=data, log=lambda message: None)
    news_of = {pk: n for n, pk in world.document_of.items()}
    chosen = {r["impression_id"] for r in data.impressions}
    served = []

    def serve(impression, user, ids):
        page = feed_for(
            user=user, page_size=len(ids), within_ids=ids, ranker=ranker_hand()
        )
        served.append((impression["impression_id"], page))
        return page

    mind_replay(world=world, data=data, serve=serve)
    assert [i for i, _ in served] == sorted(chosen, key=int)
    earlier = sorted(data.all_impressions, key=lambda r: int(r["impression_id"]))
    shown_col, clicks_col = FEATURES.index("feed_shown"), FEATURES.index("feed_clicks")
    for impression_id, page in served:
        before = [r for r in earlier if int(r["impression_id"]) < int(impression_id)]
        for item in page.items:
            news_id = news_of[item.document.pk]
            shown = sum(news_id in r["candidates"] for r in before)
            clicked = sum(news_id in r["clicked"] for r in before)
            assert round(float(np.expm1(item.features[shown_col]))) == shown
            assert round(float(np.expm1(item.features[clicks_col]))) == clicked
    # Both halves are traffic; only the split's pages carry features to train on.
    logged = FeedImpression.objects.exclude(features=[])
    assert logged.count() == sum(len(page.items) for _, page in served)
    assert FeedImpression.objects.filter(features=[]).exists()


def test_without_traffic_no_other_reader_is_visible_when_serving(tmp_path, settings):
    """--no-traffic (MIND's protocol): each impression is served with no other
    reader's feed impressions in the database, so crowd features are zero."""
    from interests.evaluation import MindData, mind_replay, mind_world_build
    from interests.ranker import FEATURES
    from interests.selectors import feed_for, ranker_hand

    settings.DATA_DIR = tmp_path
    news, impressions = _mind_files(tmp_path)
    data = MindData.load(news=news, impressions=impressions, split="a")
    world = mind_world_build(data=data, log=lambda message: None)

    def serve(impression, user, ids):
        page = feed_for(
            user=user, page_size=len(ids), within_ids=ids, ranker=ranker_hand()
        )
        served.append((FeedImpression.objects.exclude(user=user).count(), page))
        return page

    # A run with traffic first leaves its rows behind; the next must not see them.
    served: list = []
    mind_replay(world=world, data=data, serve=serve)
    assert any(others for others, _ in served)
    served = []
    mind_replay(world=world, data=data, serve=serve, traffic=False)
    assert len(served) == len(data.impressions)
    crowd = [FEATURES.index("feed_shown"), FEATURES.index("feed_clicks")]
    assert all(others == 0 for others, _ in served)
    assert all(
        item.features[column] == 0
        for _, page in served
        for item in page.items
        for column in crowd
    )


def test_without_traffic_refuses_a_database_holding_other_readers_rows(
    tmp_path, settings, django_user_model
):
    from interests.evaluation import MindData, mind_replay, mind_world_build

    settings.DATA_DIR = tmp_path
    news, impressions = _mind_files(tmp_path)
    data = MindData.load(news=news, impressions=impressions, split="a")
    world = mind_world_build(data=data, log=lambda message: None)
    stranger = django_user_model.objects.create(username="not-a-mind-reader")
    FeedImpression.objects.create(
        user=stranger,
        document_id=next(iter(world.document_of.values())),
        page_id="00000000-0000-0000-0000-000000000001",
        position=1,
        ranker_version="live",
        features=[],
    )
    with pytest.raises(RuntimeError, match="Other readers"):
        mind_replay(world=world, data=data, serve=lambda *a: None, traffic=False)


def test_feed_variants_are_paired_with_the_feed_as_configured(
    tmp_path, settings, capsys
):
    """--feed-variant serves every impression again with INTERESTS_FEED
    options and compares it impression by impression with the feed as
    configured: a variant equal to the configuration differs by exactly 0,
    one that shows readers what they already read loses recall."""
    from interests.conf import interests_setting

    settings.DATA_DIR = tmp_path
    news, impressions = _mind_files(tmp_path)
    same = interests_setting("FEED")["ANN_VECTORS"]
    call_command(
        "evaluate_interests",
        "--news",
        str(news),
        "--impressions",
        str(impressions),
        "--mode",
        "both",
        "--k",
        "1",
        "--ranker",
        "hand",
        "--feed-variant",
        f"ann_vectors={same}",
        "--feed-variant",
        "DROP_READ=0,ANN_VECTORS=1",
        "--resamples",
        "200",
        "--json",
    )
    report = json.loads(capsys.readouterr().out)
    rank, recall = report["rank"]["variants"], report["recall"]["variants"]
    unchanged = f"feed (hand) ANN_VECTORS={same}"
    assert rank[unchanged]["vs_feed"]["auc"] == [0.0, 0.0, 0.0]
    assert recall[unchanged]["vs_feed"]["1"] == [0.0, 0.0, 0.0]
    rereading = "feed (hand) ANN_VECTORS=1,DROP_READ=0"
    assert recall[rereading]["recall"]["1"] < recall["feed (hand)"]["recall"]["1"]
    assert recall[rereading]["vs_feed"]["1"][2] < 0
