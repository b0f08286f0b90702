"""``manage.py demo_setup``: a ready-to-browse demo of docsite.

Creates the groups ``engineering``, ``hr`` and ``research``; four spaces
(``engineering``, ``people`` and ``research``, each restricted to its group,
and ``handbook``, public to every signed-in user and edited by engineering and
hr); the users ``admin`` (superuser), ``ada`` (engineering and research) and
``hal`` (hr); then imports the sample documents. Running it again changes
nothing except resetting the demo users' passwords.

The sample documents (``docsite/documents/sample_documents/<space slug>/``)
are 40 short knowledge-base articles of a fictional company, Northwind Labs,
which sells a demand-forecasting product called Tally. They were written for
docsite and may be redistributed with it. Topics are chosen so that a "For
you" feed and "related documents" have something to find: on-call, incidents
and deployment; security across spaces (patching, secrets, passwords and MFA,
security awareness); money and travel (expenses, travel, learning budget);
onboarding; and the research team's ML practice. Formats are mixed: Markdown,
plain text, HTML (the IT help desk FAQ carries inline ``<script>`` blocks and
an ``onload`` handler that the HTML parser must strip), PDF (4) and DOCX (4).
Two articles are in Chinese: the Shanghai office guide (handbook) and the
Kubernetes autoscaling notes (engineering).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from docsite.documents.demo import demo_logins, demo_world_create

DEFAULT_PASSWORD = "docsite-demo"


class Command(BaseCommand):
    help = (
        "Create demo groups, spaces and users (admin, ada, hal) and import the "
        "sample documents. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=f"Password of every demo user (default: {DEFAULT_PASSWORD}).",
        )
        parser.add_argument(
            "--no-documents",
            action="store_true",
            help="Create groups, spaces and users only.",
        )
        parser.add_argument(
            "--print-logins",
            action="store_true",
            help="Only print the demo logins and what each user may see; change nothing.",
        )

    def handle(
        self, *args, password: str, no_documents: bool, print_logins: bool, **options
    ):
        if print_logins:
            self._print_logins(password)
            return
        if not settings.DEBUG and password == DEFAULT_PASSWORD:
            # A superuser with a published password must not reach a real site.
            raise CommandError(
                "DEBUG is off: pass --password to choose the demo users' password."
            )
        try:
            world = demo_world_create(password=password)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc

        if not no_documents:
            call_command(
                "import_documents",
                str(world["sample_dir"]),
                "--by-folder",
                "--user",
                "admin",
                "--no-progress",
                stdout=self.stdout,
                stderr=self.stderr,
            )

        self.stdout.write(self.style.SUCCESS("Demo ready."))
        self._print_logins(password)

    def _print_logins(self, password: str) -> None:
        # The one banner of logins: .ci/demo prints it again once it runs.
        self.stdout.write(f"  Sign in as (password {password!r}):")
        for username, sees in demo_logins():
            self.stdout.write(f"    {username:<6} {sees}")
