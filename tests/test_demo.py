"""The demo's process handling (.ci/lib.sh demo_serve, which .ci/demo runs):
one Ctrl-C stops the web server and both workers within 10 s, logs are
appended, and the banner agrees with the demo world. Runs against a data
folder of its own, never the developer's database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from docsite.documents.demo import DEMO_SPACES, DEMO_USERS, demo_logins

pytestmark = [pytest.mark.slow, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[1]


def _signals_as_in_a_terminal() -> None:
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT):
        signal.signal(number, signal.SIG_DFL)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _demo_processes(data_dir: Path) -> list:
    """The demo's processes: everything started with our data folder, but the database."""
    import psutil

    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        try:
            if process.environ().get("DOCSITE_DATA_DIR") != str(data_dir):
                continue
            if "postgres" in (process.info["name"] or ""):
                continue
            found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def _wait(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
            return True
    except Exception:
        return False


def test_one_ctrl_c_stops_the_web_server_and_both_workers(tmp_path):
    pytest.importorskip("psutil")
    data_dir = tmp_path / "data"
    log_dir = data_dir / "log"
    log_dir.mkdir(parents=True)
    (log_dir / "web.log").write_text("a line from an earlier run\n")
    port = _free_port()
    # The demo's workers use the suite's broker database: tasks that earlier
    # tests left queued there would reach them, against a database that has
    # never heard of their documents.
    from workers.celery import app

    app.control.purge()
    env = {
        **os.environ,
        "DOCSITE_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "docsite.settings.base",
        "REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://localhost:6379/15"),
    }
    # As .ci/demo runs it (strict mode), with the repository's .venv.
    script = 'set -euo pipefail; source .ci/lib.sh; demo_serve "$0" "$1"'
    demo = subprocess.Popen(
        ["bash", "-c", script, str(port), str(log_dir)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # A terminal's Ctrl-C goes to the foreground process group: this one.
        start_new_session=True,
        # And a terminal starts the demo with no signal blocked or ignored. A
        # suite launched as a background job of a script (`bash .ci/test &`,
        # a CI runner) runs with SIGINT ignored, the demo's bash inherited
        # that, and bash cannot trap a signal ignored on entry: its Ctrl-C
        # trap never ran.
        preexec_fn=_signals_as_in_a_terminal,
    )
    try:
        assert _wait(lambda: _healthy(port), timeout=120), (
            "the web server never answered"
        )
        assert _wait(
            lambda: all(
                "ready." in (log_dir / name).read_text()
                for name in ("worker.log", "worker-ml.log")
            ),
            timeout=120,
        ), "the workers never became ready"
        running = _demo_processes(data_dir)
        assert len(running) >= 3

        started = time.monotonic()
        os.killpg(demo.pid, signal.SIGINT)
        output, _ = demo.communicate(timeout=20)
        elapsed = time.monotonic() - started
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
        for process in _demo_processes(data_dir):
            process.kill()
        subprocess.run(
            [sys.executable, "manage.py", "embedded_postgres", "stop"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=60,
        )

    assert elapsed < 10, f"stopping took {elapsed:.1f} s"
    assert not [p for p in running if p.is_running() and p.status() != "zombie"]
    assert "stopped in" in output
    web_log = (log_dir / "web.log").read_text()
    assert web_log.startswith("a line from an earlier run\n")  # appended
    assert "===== demo started" in web_log
    # The running banner says what the setup banner says, from the same specs.
    for username, sees in demo_logins():
        assert f"{username:<6} {sees}" in output
    ada = next(spec for spec in DEMO_USERS if spec.username == "ada")
    public = [space.name for space in DEMO_SPACES if space.is_public]
    assert all(name in dict(demo_logins())[ada.username] for name in public)
