"""A PostgreSQL backend that starts an embedded server (pgserver) on first use.

Used when no ``DATABASE_URL`` is set. The server lives in
``settings_dict["EMBEDDED_PGDATA"]``, keeps its data across restarts and is
shared by every process on the machine: pgserver takes a file lock, finds a
running postmaster through ``postmaster.pid`` and only starts one if none
runs. The server is left running when a process exits, so the web server, the
worker and ``manage.py`` never stop it under each other's feet;
``manage.py embedded_postgres stop`` stops it.
"""
