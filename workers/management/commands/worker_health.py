from __future__ import annotations

import json as jsonlib

from django.core.management.base import BaseCommand, CommandError

from workers.selectors import queue_depths, workers_status


class Command(BaseCommand):
    help = "Show queue depths, the running workers and which models each has loaded."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, json: bool = False, **options):
        depths = queue_depths()
        workers = workers_status()
        if json:
            self.stdout.write(_json_dumps({"queues": depths, "workers": workers}))
        else:
            self.stdout.write(
                "queues: "
                + ", ".join(
                    f"{name}={'unreachable' if n is None else n}"
                    for name, n in depths.items()
                )
            )
            if not workers:
                self.stdout.write("workers: none answered")
            for name, info in workers.items():
                self.stdout.write(
                    f"{name}: queues {','.join(info['queues'])}, "
                    f"running {', '.join(info['active_tasks']) or 'nothing'}"
                )
                for group, backends in info["loaded"].items():
                    for alias, description in backends.items():
                        self.stdout.write(f"  {group[:-1]} {alias}: {description}")
        if any(n is None for n in depths.values()):
            raise CommandError("The broker is unreachable.")


def _json_dumps(value) -> str:
    return jsonlib.dumps(value, indent=2, default=str)
