from __future__ import annotations

from django.core.management.base import BaseCommand

from workers.models import ReprocessJob
from workers.pruning import producers_prune

KINDS = sorted(ReprocessJob.Kind.values)


class Command(BaseCommand):
    help = (
        "Delete outputs of producers that are no longer live. Keeps the live producer, "
        "the previous one (for switching back) unless --include-previous, and every "
        "approved or human-edited summary."
    )

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=KINDS, action="append")
        parser.add_argument("--include-previous", action="store_true")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, kind, include_previous, dry_run, **options):
        for name in kind or KINDS:
            report = producers_prune(
                kind=name, include_previous=include_previous, dry_run=dry_run
            )
            verb = "would delete" if dry_run else "deleted"
            self.stdout.write(
                f"{name}: {verb} {report.deleted} rows of {len(report.producers)} "
                f"producer(s); kept {', '.join(report.kept) or 'nothing'}"
            )
            for producer, count in sorted(report.producers.items()):
                self.stdout.write(f"  {producer}: {count}")
