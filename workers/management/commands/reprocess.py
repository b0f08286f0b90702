from __future__ import annotations

import time

from tqdm import tqdm

from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from docsite.documents.models import Space
from workers.models import ReprocessJob
from workers.selectors import reprocess_job_failures, reprocess_job_progress
from workers.services import (
    reprocess_job_estimate,
    reprocess_job_retry_failed,
    reprocess_job_start,
)


class Command(BaseCommand):
    help = (
        "Start a reprocessing job (re-summarize or re-embed) and optionally follow it "
        "with a live progress bar. Exits non-zero if the followed job fails."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--kind", choices=sorted(ReprocessJob.Kind.values), required=False
        )
        parser.add_argument("--space", help="Only documents of this space (slug).")
        parser.add_argument(
            "--stale",
            action="store_true",
            help="Only documents without output from the target producer.",
        )
        parser.add_argument(
            "--producer",
            default="default",
            help="Configured alias of the target producer (SUMMARIES_BACKENDS for "
            "summaries, DOCSITE_EMBEDDERS for embeddings); an unknown one lists them.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Show what would run (documents, producer, estimated time) and stop.",
        )
        parser.add_argument("--documents", help="Comma-separated document ids.")
        parser.add_argument(
            "--no-switch",
            action="store_true",
            help="Do not make the producer live when the job completes.",
        )
        parser.add_argument(
            "--follow", action="store_true", help="Show progress until it ends."
        )
        parser.add_argument(
            "--job", type=int, help="Follow (or retry) an existing job instead."
        )
        parser.add_argument(
            "--retry-failed",
            action="store_true",
            help="With --job: send its failed documents again.",
        )
        parser.add_argument(
            "--user", default="", help="Username recorded as who started it."
        )

    def handle(self, *args, **options):
        if options["job"]:
            job = ReprocessJob.objects.filter(pk=options["job"]).first()
            if job is None:
                raise CommandError(f"No job #{options['job']}.")
            if options["retry_failed"]:
                try:
                    job = reprocess_job_retry_failed(job=job)
                except ValueError as exc:
                    raise CommandError(str(exc)) from exc
        else:
            job = self._start(options)
            if job is None:
                return
        self.stdout.write(
            f"job #{job.pk}: {job.kind} of {job.total} documents with {job.producer} ({job.state})"
        )
        if options["follow"] or options["job"]:
            job = self._follow(job)
            for failure in reprocess_job_failures(job=job, limit=20):
                self.stdout.write(
                    f"  failed: document {failure['document_id']}: {failure['error']}"
                )
            if job.state != ReprocessJob.State.DONE:
                raise CommandError(f"job #{job.pk} ended {job.state}: {job.error}")

    def _start(self, options) -> ReprocessJob | None:
        if not options["kind"]:
            raise CommandError("--kind is required to start a job.")
        space = None
        if options["space"]:
            space = Space.objects.filter(slug=options["space"]).first()
            if space is None:
                raise CommandError(f"No space '{options['space']}'.")
        document_ids = (
            [int(x) for x in options["documents"].split(",")]
            if options["documents"]
            else None
        )
        selection = (
            ReprocessJob.Selection.STALE
            if options["stale"]
            else ReprocessJob.Selection.DOCUMENTS
            if document_ids
            else ReprocessJob.Selection.SPACE
            if space
            else ReprocessJob.Selection.ALL
        )
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
        chosen = {
            "kind": options["kind"],
            "selection": selection,
            "backend_alias": options["producer"],
            "space": space,
            "document_ids": document_ids,
        }
        try:
            estimate = reprocess_job_estimate(**chosen)
            self.stdout.write(
                ("would run: " if options["dry_run"] else "") + estimate.describe()
            )
            if options["dry_run"]:
                return None
            return reprocess_job_start(
                **chosen, actor=actor, activate_on_success=not options["no_switch"]
            )
        except (ValueError, LookupError, ImproperlyConfigured) as exc:
            raise CommandError(str(exc)) from exc

    def _follow(self, job: ReprocessJob) -> ReprocessJob:
        bar = tqdm(
            total=job.total,
            unit="doc",
            desc=f"job #{job.pk}",
            file=self.stderr._out,
            dynamic_ncols=True,
        )
        shown = 0
        while True:
            job.refresh_from_db()
            progress = reprocess_job_progress(job=job)
            bar.update(progress.processed - shown)
            shown = progress.processed
            eta = (
                f"{progress.eta_seconds:.0f}s"
                if progress.eta_seconds is not None
                else "-"
            )
            bar.set_postfix_str(
                f"{progress.docs_per_second:.1f} doc/s, ETA {eta}, failed {progress.failed}, "
                f"{progress.state}"
            )
            if job.state not in ReprocessJob.ACTIVE_STATES:
                bar.close()
                return job
            time.sleep(0.5)
