from __future__ import annotations

from django.db.backends.postgresql import base as postgresql

from .server import embedded_server_socket_dir


class DatabaseWrapper(postgresql.DatabaseWrapper):
    """The PostgreSQL backend, pointed at the embedded server's socket."""

    def get_connection_params(self):
        params = super().get_connection_params()
        params["host"] = embedded_server_socket_dir(
            pgdata=self.settings_dict["EMBEDDED_PGDATA"],
            database=params.get("dbname") or "postgres",
        )
        params.pop("port", None)
        return params
