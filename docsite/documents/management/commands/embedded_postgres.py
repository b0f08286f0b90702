from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from docsite.db.embedded.server import (
    embedded_server_running_socket_dir,
    embedded_server_socket_dir,
    embedded_server_stop,
)


class Command(BaseCommand):
    help = "Start, show or stop the embedded PostgreSQL server (used when DATABASE_URL is unset)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["start", "status", "stop"])

    def handle(self, *args, action: str, **options):
        settings_dict = connections["default"].settings_dict
        pgdata = settings_dict.get("EMBEDDED_PGDATA")
        if not pgdata:
            raise CommandError(
                "DATABASE_URL is set: there is no embedded server to manage."
            )
        if action == "stop":
            stopped = embedded_server_stop(pgdata=pgdata)
            self.stdout.write("stopped" if stopped else "not running")
            return
        if action == "status":
            socket_dir = embedded_server_running_socket_dir(pgdata=pgdata)
            if socket_dir is None:
                self.stdout.write(f"not running (data {pgdata})")
                return
        else:
            socket_dir = embedded_server_socket_dir(
                pgdata=pgdata, database=settings_dict["NAME"]
            )
        self.stdout.write(f"running: data {pgdata}, socket {socket_dir}")
