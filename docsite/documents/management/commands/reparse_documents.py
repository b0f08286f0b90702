from __future__ import annotations

from collections import Counter

from tqdm import tqdm

from django.core.management.base import BaseCommand, CommandError

from docsite.documents.exceptions import DocumentRejectedError
from docsite.documents.models import Document, Space
from docsite.documents.services import document_reparse


class Command(BaseCommand):
    help = (
        "Parse stored documents again with the current parsers. By default only "
        "documents without blocks (parsed before parsers emitted structure); "
        "--all for every document. A document whose text is unchanged only gets "
        "its blocks; one whose text changed is updated and re-summarized."
    )

    def add_arguments(self, parser):
        parser.add_argument("--space", default="", help="Only this space (slug).")
        parser.add_argument(
            "--all",
            action="store_true",
            dest="every",
            help="Re-parse every document, not only those without blocks.",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, space: str, every: bool, no_progress: bool, **options):
        documents = Document.objects.order_by("pk")
        if space:
            if not Space.objects.filter(slug=space).exists():
                raise CommandError(f"No space with the slug '{space}'.")
            documents = documents.filter(space__slug=space)
        if not every:
            documents = documents.filter(blocks=[])
        document_ids = list(documents.values_list("pk", flat=True))

        counts: Counter[str] = Counter()
        for document_id in tqdm(
            document_ids,
            desc="re-parsing",
            unit="doc",
            disable=no_progress,
            file=self.stderr._out,
        ):
            try:
                counts[document_reparse(document_id=document_id)] += 1
            except Document.DoesNotExist:
                counts["gone"] += 1
            except DocumentRejectedError as error:
                counts["failed"] += 1
                self.stdout.write(f"  failed: document {document_id}: {error}")
        self.stdout.write(
            f"re-parsed {len(document_ids)} documents: "
            f"{counts['blocks']} got new blocks, "
            f"{counts['text']} changed text (summaries and vectors follow), "
            f"{counts['unchanged']} unchanged, {counts['failed']} failed"
            + (f", {counts['gone']} deleted meanwhile" if counts["gone"] else "")
            + "."
        )
