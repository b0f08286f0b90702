from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from docsite.documents.importing import documents_import


class Command(BaseCommand):
    help = (
        "Import documents from a folder (recursively), a .zip archive or a .jsonl "
        "file of {title, text, space, metadata?, id?} rows. Re-running changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--space", default="", help="Space slug for every item.")
        parser.add_argument(
            "--by-folder",
            action="store_true",
            help="Take each file's space from its first-level folder name.",
        )
        parser.add_argument(
            "--create-spaces",
            action="store_true",
            help="Create spaces that do not exist.",
        )
        parser.add_argument(
            "--user", default="", help="Username recorded as the creator."
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(
        self,
        *args,
        path: Path,
        space: str,
        by_folder: bool,
        create_spaces: bool,
        user: str,
        no_progress: bool,
        **options,
    ):
        creator = None
        if user:
            creator = get_user_model().objects.filter(username=user).first()
            if creator is None:
                raise CommandError(f"No user named '{user}'.")

        def progress(items):
            return tqdm(
                items,
                desc="importing",
                unit="file",
                disable=no_progress,
                file=self.stderr._out,
            )

        try:
            report = documents_import(
                path=path,
                space_slug=space,
                by_folder=by_folder,
                create_spaces=create_spaces,
                user=creator,
                progress=progress,
            )
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc

        for outcome, item, reason in report.problems:
            self.stdout.write(f"  {outcome}: {item}: {reason}")
        counts = report.counts
        self.stdout.write(
            f"imported {counts['imported']}, updated {counts['updated']}, "
            f"unchanged {counts['unchanged']}, skipped {counts['skipped']}, "
            f"failed {counts['failed']}"
        )
        if report.failed:
            raise CommandError(
                f"{report.failed} item(s) failed; see the reasons above."
            )
