"""Measure what readers get from the feed on MIND impressions, through ``feed_for``.

Runs only in a database made for evaluations (``docsite.db.scratch``, e.g.
``DOCSITE_DB_NAME=docsite_eval``). News items become Documents (ingestion service),
one space per news category, embedded by the batch embedding service (vectors
cached in ``DATA_DIR/eval-cache``); each impression's reader is a user whose
history becomes view Interactions, and the refresh service builds their
interests. Then:

- ``rank``: each impression's candidates are ranked by ``feed_for`` restricted
  to them (HNSW candidate search, exclusions, ranker and MMR), MIND style;
- ``recall``: recall@k of the clicked items in the reader's whole-corpus feed.

All impressions of the file (both halves) are replayed in impression-id order
as portal traffic (shown items and clicks from the feed), so the feed's crowd
features know earlier readers only (``interests.evaluation.mind_replay``).

Every variant is compared, impression by impression, with the zero-training
baseline (cosine to the mean of the history's vectors), with popularity
(distinct readers) and, in rank mode, with ``clicks so far`` (earlier
readers' click rate), with paired bootstrap 95% CIs. ``--no-traffic`` serves
the split's impressions with no replayed traffic at all (MIND's protocol:
only the history is the reader's past), so the crowd features are zero. ``--split a|b`` picks a
deterministic half by a hash of the impression id: choose on a, report on b.
``--train-default PATH`` logs the split's impressions as feed impressions,
trains a ranker on them through ``ranker_train`` and writes it to PATH.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from docsite.db.scratch import NotAScratchDatabase, scratch_database_prepare
from interests.evaluation import MindData

METRIC_NAMES = ("auc", "mrr", "ndcg5", "ndcg10")


class Command(BaseCommand):
    help = "Evaluate the feed on MIND impressions through feed_for (AUC, MRR, nDCG, recall@k)."

    def add_arguments(self, parser):
        parser.add_argument("--news", required=True, type=Path)
        parser.add_argument("--impressions", required=True, type=Path)
        parser.add_argument("--split", choices=["a", "b", "all"], default="all")
        parser.add_argument(
            "--mode", choices=["rank", "recall", "both"], default="rank"
        )
        parser.add_argument("--k", type=int, nargs="+", default=[10, 50])
        parser.add_argument(
            "--ranker",
            action="append",
            default=[],
            help="live (default), hand, default, or a ranker JSON file; repeatable",
        )
        parser.add_argument(
            "--train-default",
            type=Path,
            default=None,
            help="train a ranker on this split's impressions and write it here",
        )
        parser.add_argument(
            "--mmr-lambda",
            type=float,
            default=None,
            help="override INTERESTS_FEED['MMR_LAMBDA'] (1.0: no diversification)",
        )
        parser.add_argument(
            "--ann-vectors",
            type=int,
            default=0,
            help="override INTERESTS_FEED['ANN_VECTORS'] (HNSW scans per request)",
        )
        parser.add_argument(
            "--feed-variant",
            action="append",
            default=[],
            metavar="KEY=INT[,KEY=INT]",
            type=_feed_options,
            help="also serve every impression with these INTERESTS_FEED options"
            " (e.g. ANN_VECTORS=2,ANN_CANDIDATES=120), each compared with the"
            " feed as configured, impression by impression; repeatable",
        )
        parser.add_argument(
            "--no-traffic",
            action="store_true",
            help="replay no other readers' traffic: history only, crowd features zero",
        )
        parser.add_argument("--limit", type=int, default=0)
        parser.add_argument("--resamples", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options):
        try:
            # A database made for evaluations only (marked, then migrated).
            scratch_database_prepare(purpose="evaluate_interests")
        except NotAScratchDatabase as exc:
            raise CommandError(str(exc)) from exc
        for name in ("news", "impressions"):
            if not options[name].is_file():
                raise CommandError(f"--{name}: no such file {options[name]}")
        if options["no_traffic"] and options["train_default"]:
            raise CommandError(
                "--train-default learns from traffic; drop --no-traffic."
            )
        if options["mmr_lambda"] is not None or options["ann_vectors"]:
            from django.test import override_settings

            from interests.conf import interests_setting

            feed = {**interests_setting("FEED")}
            if options["mmr_lambda"] is not None:
                feed["MMR_LAMBDA"] = options["mmr_lambda"]
            if options["ann_vectors"]:
                feed["ANN_VECTORS"] = options["ann_vectors"]
            with override_settings(INTERESTS_FEED=feed):
                return self._run(options)
        return self._run(options)

    def _run(self, options):
        from interests import evaluation
        from interests.conf import interests_setting

        log = (
            (lambda m: print(m, file=sys.stderr))
            if options["json"]
            else self.stdout.write
        )
        data = MindData.load(
            news=options["news"],
            impressions=options["impressions"],
            split=options["split"],
            limit=options["limit"],
        )
        world = evaluation.mind_world_build(data=data, log=log)
        report: dict = {
            "split": options["split"],
            "impressions": len(data.impressions),
            "producer": world.producer,
            "mmr_lambda": interests_setting("FEED")["MMR_LAMBDA"],
            "ann_vectors": interests_setting("FEED")["ANN_VECTORS"],
            "traffic": not options["no_traffic"],
        }
        if options["train_default"]:
            version = evaluation.mind_ranker_train(world=world, data=data, log=log)
            options["train_default"].write_text(
                json.dumps(version.parameters, indent=1) + "\n"
            )
            report["trained"] = {
                "version": version.name,
                "validation": version.metrics,
                "written_to": str(options["train_default"]),
            }
        rankers = evaluation.rankers_named(options["ranker"] or ["live"])
        if options["mode"] in ("rank", "both"):
            report["rank"] = evaluation.evaluate_rank(
                world=world,
                data=data,
                rankers=rankers,
                resamples=options["resamples"],
                seed=options["seed"],
                traffic=not options["no_traffic"],
                options=options["feed_variant"],
            )
        if options["mode"] in ("recall", "both"):
            report["recall"] = evaluation.evaluate_recall(
                world=world,
                data=data,
                rankers=rankers,
                ks=sorted(set(options["k"])),
                resamples=options["resamples"],
                seed=options["seed"],
                traffic=not options["no_traffic"],
                options=options["feed_variant"],
            )
        if options["json"]:
            self.stdout.write(json.dumps(report))
        else:
            self._print(report)

    def _print(self, report: dict) -> None:
        self.stdout.write(
            f"split {report['split']}, {report['impressions']} impressions, "
            f"producer {report['producer']}"
            + ("" if report["traffic"] else ", no replayed traffic")
        )
        if "trained" in report:
            trained = report["trained"]
            self.stdout.write(
                f"trained {trained['version']}: validation "
                f"{trained['validation']['candidate']} -> {trained['written_to']}"
            )
        if "rank" in report:
            rank = report["rank"]
            self.stdout.write(
                f"rank mode ({rank['n']} impressions with clicks and skips)"
            )
            self.stdout.write(
                f"{'variant':34}{'AUC':>7}{'MRR':>7}{'nDCG5':>7}{'nDCG10':>7}"
                "   ΔAUC vs baseline [95% CI]   ΔAUC vs popularity [95% CI]"
            )
            for name, row in rank["variants"].items():
                line = f"{name:34}" + "".join(f"{row[m]:7.2f}" for m in METRIC_NAMES)
                for other in ("baseline", "popularity"):
                    ci = row.get(f"vs_{other}", {}).get("auc")
                    line += (
                        f"   {ci[0]:+6.2f} [{ci[1]:+6.2f}, {ci[2]:+6.2f}]" if ci else ""
                    )
                ci = row.get("vs_feed", {}).get("auc")
                if ci:
                    line += (
                        f"   vs as configured {ci[0]:+.2f} [{ci[1]:+.2f}, {ci[2]:+.2f}]"
                    )
                self.stdout.write(line)
        if "recall" in report:
            recall = report["recall"]
            self.stdout.write(f"recall mode ({recall['n']} impressions)")
            for name, row in recall["variants"].items():
                parts = []
                for k, value in row["recall"].items():
                    # Against the feed as configured where this is a variant
                    # of it, else against the baseline.
                    label, ci = "Δ feed", row.get("vs_feed", {}).get(k)
                    if not ci:
                        label, ci = "Δ", row.get("vs_baseline", {}).get(k)
                    extra = (
                        f" ({label} {ci[0]:+.2f} [{ci[1]:+.2f}, {ci[2]:+.2f}])"
                        if ci
                        else ""
                    )
                    parts.append(f"R@{k} {value:6.2f}{extra}")
                self.stdout.write(f"{name:34}" + "  ".join(parts))


def _feed_options(value: str) -> dict[str, int]:
    """``KEY=INT[,KEY=INT]`` as INTERESTS_FEED overrides."""
    from argparse import ArgumentTypeError

    options = {}
    for item in value.split(","):
        key, _, number = item.partition("=")
        try:
            options[key.strip().upper()] = int(number)
        except ValueError:
            raise ArgumentTypeError(f"{item!r}: expected KEY=INT") from None
    return options
