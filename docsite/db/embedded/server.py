"""Start, find and stop the embedded PostgreSQL server."""

from __future__ import annotations

import contextlib
import logging
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer

logger = logging.getLogger(__name__)

_servers: dict[Path, PostgresServer] = {}
_created_databases: set[tuple[Path, str]] = set()
_lock = threading.Lock()


def _import_pgserver():
    # platformdirs warns on import when XDG_RUNTIME_DIR is unset (containers,
    # CI); the fallback it picks is fine.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    return pgserver


def embedded_server_socket_dir(*, pgdata: str | Path, database: str) -> str:
    """Return the socket directory of a running server for ``pgdata``.

    Start the server if none runs, and create ``database`` if it is missing.
    """
    path = Path(pgdata).expanduser().resolve()
    with _lock:
        server = _servers.get(path)
        if server is None or not server.get_postmaster_info().is_running():
            path.parent.mkdir(parents=True, exist_ok=True)
            pgserver = _import_pgserver()
            # A previous handle whose postmaster died must not be reused.
            pgserver.PostgresServer._instances.pop(path, None)
            server = pgserver.get_server(path, cleanup_mode=None)
            _servers[path] = server
            logger.info("embedded PostgreSQL running in %s", path)
        socket_dir = str(server.get_postmaster_info().socket_dir)
        if (path, database) not in _created_databases:
            _database_ensure(socket_dir=socket_dir, database=database)
            _created_databases.add((path, database))
    return socket_dir


def _database_ensure(*, socket_dir: str, database: str) -> None:
    with psycopg.connect(
        host=socket_dir, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database]
        ).fetchone()
        if not exists:
            # Another process may create it between the check and here; two
            # concurrent CREATEs fail on pg_database's unique index instead.
            with contextlib.suppress(
                psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation
            ):
                conn.execute(
                    sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database))
                )


def embedded_server_running_socket_dir(*, pgdata: str | Path) -> str | None:
    """Return the socket directory of the running server, or None; start nothing."""
    _import_pgserver()
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(Path(pgdata).expanduser().resolve())
    if info is None or not info.is_running():
        return None
    return str(info.socket_dir)


def embedded_server_stop(*, pgdata: str | Path) -> bool:
    """Stop the server for ``pgdata``; return False if none was running."""
    path = Path(pgdata).expanduser().resolve()
    pgserver = _import_pgserver()
    from pgserver._commands import pg_ctl
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(path)
    if info is None or not info.is_running():
        return False
    server = pgserver.get_server(path, cleanup_mode=None)
    pg_ctl(["-w", "stop"], pgdata=path, user=server.system_user)
    with _lock:
        # pgserver's own exit hook forgets its handle; only drop ours.
        _servers.pop(path, None)
    return True
