"""Bounded load on a running docsite stack on loopback, while a reprocess job runs.

Starts its own stack in a fresh data folder (embedded PostgreSQL, gunicorn,
one Celery worker, a private Redis database), creates readers and documents,
starts ``manage.py reprocess --kind summaries``, then drives reader threads
for ``--seconds``: each signs in through the login form, then browses, lists,
searches (keyword and hybrid), opens documents, looks at the feed, and posts
reading events to the interactions API (paced below the per-user rate limit,
which stays on). It reports requests/s, p50/p95/p99 latency per endpoint, the
error rate, the job's progress, and checks that the interaction rows stored
equal the events the API accepted (no event lost).

locust is not installed on the benchmark machines, so the client is urllib
plus threads; each reader waits for its answer before the next request
(a closed loop), so the figures are per-reader latencies under contention.

    python bench/load_portal.py --seconds 60 --readers 8 --documents 300

Exit status 1 when any request failed or an event was lost.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PASSWORD = "bench-reader-password-1"
WORDS = [
    "budget",
    "payroll",
    "kubernetes",
    "holiday",
    "firewall",
    "roadmap",
    "invoice",
    "laptop",
    "incident",
    "deployment",
    "onboarding",
    "expenses",
    "travel",
    "security",
    "patching",
    "research",
    "model",
    "cluster",
    "release",
    "review",
    "policy",
    "training",
]
# Stay under the interactions limit (120/m per user by default).
EVENT_INTERVAL_SECONDS = 0.75


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _manage(env: dict[str, str], *args: str, check: bool = True) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if check and result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


SETUP = """
import random
from django.contrib.auth.models import Group
from docsite.documents.models import Space
from docsite.documents.services import document_create_from_text
from tests.factories import UserFactory
rng = random.Random(7)
words = {words!r}
spaces = list(Space.objects.all())
groups = list(Group.objects.all())
for i in range({readers}):
    user = UserFactory(username=f"reader{{i}}", password={password!r})
    user.groups.set(rng.sample(groups, k=rng.randint(1, len(groups))))
for i in range({documents}):
    text = " ".join(rng.choice(words) for _ in range(rng.randint(60, 400)))
    document_create_from_text(
        space=rng.choice(spaces), title=f"Bench note {{i}} " + rng.choice(words), text=text
    )
print("ok")
"""


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.events_sent = 0
        self.events_accepted = 0

    def record(self, name: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.latencies[name].append(seconds)
            if error:
                self.errors[name].append(error)


class Reader(threading.Thread):
    def __init__(
        self, *, base: str, username: str, stats: Stats, until: float, seed: int
    ):
        super().__init__(daemon=True)
        self.base, self.username, self.stats, self.until = base, username, stats, until
        self.rng = random.Random(seed)
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies),
            _NoRedirect,
        )
        self.document_ids: list[int] = []
        self.last_event = 0.0

    def request(self, name: str, path: str, data: dict | None = None, *, expect=(200,)):
        body = (
            urllib.parse.urlencode(data, doseq=True).encode()
            if data is not None
            else None
        )
        request = urllib.request.Request(self.base + path, data=body)
        if data is not None:
            request.add_header("X-CSRFToken", self.csrf_token())
        started = time.perf_counter()
        error, text, status = None, "", 0
        try:
            with self.opener.open(request, timeout=30) as response:
                status = response.status
                text = response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            status = exc.code
            text = exc.read().decode("utf-8", "replace")
        except OSError as exc:
            error = f"{type(exc).__name__}: {exc}"
        if error is None and status not in expect:
            error = f"HTTP {status}"
        self.stats.record(name, time.perf_counter() - started, error)
        return status, text

    def csrf_token(self) -> str:
        return next((c.value for c in self.cookies if c.name == "csrftoken"), "")

    def login(self) -> None:
        self.request("login form", "/accounts/login/")
        status, _ = self.request(
            "login",
            "/accounts/login/",
            {
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.csrf_token(),
            },
            expect=(302,),
        )
        if status != 302:
            raise RuntimeError(f"{self.username} could not sign in ({status})")

    def run(self) -> None:
        try:
            self.login()
        except RuntimeError as exc:
            self.stats.record("login", 0.0, str(exc))
            return
        while time.monotonic() < self.until:
            action = self.rng.random()
            if action < 0.15:
                self.request("home", "/")
            elif action < 0.35:
                _, page = self.request(
                    "list", f"/documents/?page={self.rng.randint(1, 5)}"
                )
                self._collect(page)
            elif action < 0.55:
                _, page = self.request(
                    "keyword search", f"/documents/?q={self.rng.choice(WORDS)}"
                )
                self._collect(page)
            elif action < 0.65:
                _, page = self.request(
                    "hybrid search", f"/search/?q={self.rng.choice(WORDS)}&mode=hybrid"
                )
                self._collect(page)
            elif action < 0.72:
                _, page = self.request("feed", "/for-you/")
                self._collect(page)
            elif self.document_ids:
                document_id = self.rng.choice(self.document_ids)
                self.request("document", f"/documents/{document_id}/")
                self.request("summary fragment", f"/documents/{document_id}/summary/")
                self._event(document_id)

    def _collect(self, page: str) -> None:
        found = [int(pk) for pk in re.findall(r'href="/documents/(\d+)/"', page)]
        self.document_ids = list(dict.fromkeys(self.document_ids + found))[-200:]

    def _event(self, document_id: int) -> None:
        if time.monotonic() - self.last_event < EVENT_INTERVAL_SECONDS:
            return
        self.last_event = time.monotonic()
        kind = self.rng.choice(["view", "view", "view", "like", "bookmark"])
        data = {
            "document": document_id,
            "kind": kind,
            "csrfmiddlewaretoken": self.csrf_token(),
        }
        if kind == "view":
            data["dwell_seconds"] = self.rng.randint(1, 120)
        with self.stats.lock:
            self.stats.events_sent += 1
        status, _ = self.request("event", "/api/interactions/", data, expect=(201,))
        if status == 201:
            with self.stats.lock:
                self.stats.events_accepted += 1


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {timeout} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--documents", type=int, default=300)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument(
        "--redis-db", type=int, default=13, help="kept apart from dev and tests"
    )
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="docsite-bench-"))
    port = _free_port()
    # Never a DATABASE_URL from the shell: the bench's own embedded server.
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "DJANGO_SETTINGS_MODULE": "docsite.settings.base",
        "DOCSITE_DATA_DIR": str(data_dir),
        "REDIS_URL": f"redis://localhost:6379/{args.redis_db}",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONPATH": str(REPO),
    }
    processes: list[subprocess.Popen] = []
    try:
        print(f"data folder {data_dir}; setting up ...", flush=True)
        _manage(
            env,
            "shell",
            "-c",
            "from docsite.db.scratch import scratch_database_prepare; "
            "scratch_database_prepare(purpose='bench')",
        )
        _manage(env, "demo_setup", "--password", "bench-admin-password-1")
        print(
            _manage(
                env,
                "shell",
                "-c",
                SETUP.format(
                    words=WORDS,
                    readers=args.readers,
                    documents=args.documents,
                    password=PASSWORD,
                ),
            ).strip(),
            flush=True,
        )
        subprocess.run(
            ["redis-cli", "-n", str(args.redis_db), "flushdb"],
            check=False,
            capture_output=True,
        )
        log = open(data_dir / "stack.log", "ab")  # noqa: SIM115 (closed at exit)
        processes.append(
            subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "celery",
                    "-A",
                    "workers",
                    "worker",
                    "-Q",
                    "ml,default,bulk",
                    "-P",
                    "solo",
                    "-c",
                    "1",
                    "--without-mingle",
                    "--without-gossip",
                    "-n",
                    f"bench-{os.getpid()}@localhost",
                    "--loglevel",
                    "WARNING",
                ],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=log,
            )
        )
        processes.append(
            subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "gunicorn",
                    "docsite.wsgi:application",
                    "-b",
                    f"127.0.0.1:{port}",
                    "-w",
                    str(args.web_workers),
                    "--threads",
                    "4",
                    "--log-level",
                    "warning",
                ],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=log,
            )
        )
        base = f"http://127.0.0.1:{port}"
        _wait_http(base + "/healthz", 60)
        # Work for the job: the documents were saved without a worker, so their
        # summaries and vectors are due; the sweeper (beat's job) sends them.
        _manage(
            env,
            "shell",
            "-c",
            "from workers.sweeper import due_work_enqueue; due_work_enqueue()",
        )
        print(
            _manage(
                env,
                "reprocess",
                "--kind",
                "summaries",
                "--producer",
                "default",
                check=False,
            ).strip()[-300:],
            flush=True,
        )

        stats = Stats()
        until = time.monotonic() + args.seconds
        readers = [
            Reader(base=base, username=f"reader{i}", stats=stats, until=until, seed=i)
            for i in range(args.readers)
        ]
        started = time.monotonic()
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(args.seconds + 60)
        elapsed = time.monotonic() - started

        rows = int(
            _manage(
                env,
                "shell",
                "-c",
                "from interests.models import Interaction; "
                "print(Interaction.objects.filter(user__username__startswith='reader').count())",
            ).split()[-1]
        )
        job = (
            _manage(
                env,
                "shell",
                "-c",
                "from workers.models import ReprocessJob; j = ReprocessJob.objects.latest('pk'); "
                "print(f'job #{j.pk} {j.state}: {j.done_count}/{j.total} done, {j.failed_count} failed')",
                check=False,
            )
            .strip()
            .splitlines()[-1]
        )
        return _report(stats, elapsed, rows, job, args)
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        _manage(env, "embedded_postgres", "stop", check=False)
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


def _report(stats: Stats, elapsed: float, rows: int, job: str, args) -> int:
    total = sum(len(v) for v in stats.latencies.values())
    errors = sum(len(v) for v in stats.errors.values())
    print(
        f"\n{args.readers} readers, {elapsed:.0f} s, {args.documents} documents, "
        f"reprocess job running"
    )
    print(
        f"{'endpoint':<18}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}"
    )
    for name, values in sorted(stats.latencies.items()):
        ms = [v * 1000 for v in values]
        print(
            f"{name:<18}{len(values):>9}{len(values) / elapsed:>8.1f}"
            f"{_percentile(ms, 50):>9.0f}{_percentile(ms, 95):>9.0f}{_percentile(ms, 99):>9.0f}"
            f"{len(stats.errors.get(name, [])):>8}"
        )
    print(f"{'all':<18}{total:>9}{total / elapsed:>8.1f}")
    print(job)
    print(f"error rate {errors / max(total, 1):.2%} ({errors} of {total})")
    for name, messages in stats.errors.items():
        print(f"  {name}: {sorted(set(messages))[:5]}")
    print(
        f"events sent {stats.events_sent}, accepted {stats.events_accepted}, "
        f"interaction rows {rows}"
    )
    lost = stats.events_accepted - rows
    print("no event lost" if lost == 0 else f"LOST {lost} events")
    return 1 if errors or lost or stats.events_sent != rows else 0


if __name__ == "__main__":
    sys.exit(main())
