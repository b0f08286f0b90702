"""Deployment: docker-compose.yml, production settings and the demo set-up."""

from __future__ import annotations

import copy
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.utils import get_random_secret_key

from docsite.documents.demo import SAMPLE_DOCUMENTS_DIR
from docsite.documents.models import Document, Space
from docsite.documents.parsers import (
    MIME_DOCX,
    MIME_HTML,
    MIME_MARKDOWN,
    MIME_PDF,
    MIME_TEXT,
)
from docsite.documents.selectors import space_list_visible

REPO_ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"

REQUIRED_SERVICES = {"db", "redis", "web", "worker", "worker-ml", "beat"}
# Services that run docsite code, and so need the database and the broker.
APP_SERVICES = {"web", "worker", "worker-ml", "beat"}

# Variables a deployment must set; docker compose refuses to start without them.
REQUIRED_VARIABLE = re.compile(r"^\$\{(?P<name>[A-Z_][A-Z0-9_]*):?\?[^}]*\}$")
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|API_KEY|PRIVATE_KEY")
URL_CREDENTIALS = re.compile(r"://[^:/@\s]+:(?P<password>[^@\s]+)@")


# -- docker-compose.yml -----------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def _command(service: dict) -> list[str]:
    command = service.get("command", [])
    return (
        shlex.split(command) if isinstance(command, str) else [str(a) for a in command]
    )


def _option(argv: list[str], *names: str) -> str | None:
    """Return the value of a command-line option given as ``-x V``, ``--x V`` or ``--x=V``."""
    for index, arg in enumerate(argv):
        for name in names:
            if arg == name and index + 1 < len(argv):
                return argv[index + 1]
            if name.startswith("--") and arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def _celery_worker(service: dict) -> dict:
    argv = _command(service)
    assert argv[:4] == ["celery", "-A", "workers", "worker"], argv
    queues = _option(argv, "-Q", "--queues")
    assert queues, f"{argv}: a worker must name its queues"
    return {
        "queues": set(queues.split(",")),
        "concurrency": _option(argv, "-c", "--concurrency"),
        "prefetch": _option(argv, "--prefetch-multiplier"),
    }


def _environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def _depends_on(service: dict) -> dict[str, str]:
    depends = service.get("depends_on") or {}
    if isinstance(depends, list):
        return dict.fromkeys(depends, "service_started")
    return {
        name: (spec or {}).get("condition", "service_started")
        for name, spec in depends.items()
    }


def test_compose_defines_the_production_services(compose):
    assert set(compose["services"]) >= REQUIRED_SERVICES
    assert compose["services"]["db"]["image"].startswith("pgvector/pgvector:pg17")
    assert compose["services"]["redis"]["image"].startswith("redis:7")


def test_compose_services_are_healthchecked_or_wait_for_healthy_ones(compose):
    services = compose["services"]
    for name, service in services.items():
        depends = _depends_on(service)
        for target, condition in depends.items():
            assert target in services, f"{name} depends on unknown service {target}"
            if condition == "service_healthy":
                assert "healthcheck" in services[target], (
                    f"{name} waits for {target} to be healthy, which has no healthcheck"
                )
        healthy_deps = [t for t, c in depends.items() if c == "service_healthy"]
        assert "healthcheck" in service or healthy_deps, (
            f"{name} has no healthcheck and waits for no healthy service"
        )
        assert service.get("restart") in {
            "always",
            "unless-stopped",
            "on-failure",
            "no",
        }

    for name in APP_SERVICES:
        depends = _depends_on(services[name])
        assert depends.get("db") == "service_healthy", name
        assert depends.get("redis") == "service_healthy", name
        assert services[name].get("restart") in {"always", "unless-stopped"}, name
        # Migrations run before the code that needs them, if a one-shot does it.
        if "migrate" in services:
            assert depends.get("migrate") == "service_completed_successfully", name

    for name in ("db", "redis", "web", "worker", "worker-ml"):
        assert "healthcheck" in services[name], name


def test_compose_web_runs_gunicorn_with_production_settings(compose):
    web = compose["services"]["web"]
    argv = _command(web)
    assert argv[0] == "gunicorn" and "docsite.wsgi:application" in argv
    env = _environment(web)
    assert env["DJANGO_SETTINGS_MODULE"] == "docsite.settings.production"
    for variable in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS"):
        assert env.get(variable), f"web lacks {variable}"
    migrate = compose["services"].get("migrate")
    if migrate is not None:
        assert _command(migrate)[1:3] == ["manage.py", "migrate"]
    else:
        assert "migrate" in " ".join(argv), "web must migrate before it serves"


def test_compose_workers_consume_the_queues_the_settings_route_to(compose):
    services = compose["services"]
    worker = _celery_worker(services["worker"])
    assert worker["queues"] == {"default"}  # model-free work only

    ml_services = [
        name
        for name, service in services.items()
        if "ml" in (_option(_command(service), "-Q", "--queues") or "").split(",")
    ]
    assert "worker-ml" in ml_services
    for name in ml_services:
        ml = _celery_worker(services[name])
        # Interactive model work first, reprocessing chunks when it is empty.
        assert _option(_command(services[name]), "-Q") == "ml,bulk", name
        assert ml["concurrency"] == "1", name
        assert ml["prefetch"] == "1", name

    assert _command(services["beat"])[:4] == ["celery", "-A", "workers", "beat"]

    routed = {settings.CELERY_TASK_DEFAULT_QUEUE}
    for routes in settings.CELERY_TASK_ROUTES:
        routed |= {options["queue"] for _pattern, options in routes}
    consumed = (
        worker["queues"]
        | _celery_worker(services["worker-ml"])["queues"]
        | _celery_worker(services["worker-train"])["queues"]
    )
    # Training runs last long: a process of their own, never the ML worker's.
    assert _celery_worker(services["worker-train"])["queues"] == {"train"}
    assert routed <= consumed, f"no default-profile worker consumes {routed - consumed}"


def test_compose_gpu_variant_reserves_a_gpu_behind_a_profile(compose):
    gpu = compose["services"].get("worker-ml-gpu")
    if gpu is None:
        pytest.skip("no worker-ml-gpu service")
    assert "gpu" in gpu.get("profiles", [])
    devices = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert any("gpu" in device.get("capabilities", []) for device in devices)


def test_compose_declares_every_named_volume_and_shares_media(compose):
    declared = set(compose.get("volumes") or {})
    used: dict[str, set[str]] = {}
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            if isinstance(volume, dict):
                source = (
                    volume.get("source", "") if volume.get("type") == "volume" else ""
                )
            else:
                source = volume.split(":", 1)[0] if ":" in volume else ""
            # Bind mounts start with a path; anything else names a volume.
            if source and not source.startswith((".", "/", "~", "$")):
                used.setdefault(source, set()).add(name)
    assert set(used) <= declared, f"undeclared volumes: {set(used) - declared}"
    assert "media" in used and {"web", "worker", "worker-ml"} <= used["media"]


def _secret_literals(compose: dict) -> list[str]:
    """Return what a compose file writes out that should come from the environment."""
    problems = []
    for name, service in compose["services"].items():
        env = _environment(service)
        for key, value in env.items():
            if SECRET_NAME.search(key) and not REQUIRED_VARIABLE.match(value):
                problems.append(f"{name}: {key}={value!r} is not ${{{key}:?...}}")
            credentials = URL_CREDENTIALS.search(value)
            if credentials and not REQUIRED_VARIABLE.match(credentials["password"]):
                problems.append(f"{name}: {key} carries a literal password")
        if name in APP_SERVICES:
            match = REQUIRED_VARIABLE.match(env.get("SECRET_KEY", ""))
            if not (match and match["name"] == "SECRET_KEY"):
                problems.append(
                    f"{name}: SECRET_KEY is not required from the environment"
                )
    return problems


def test_compose_contains_no_secret_literal(compose):
    assert _secret_literals(compose) == []


def test_secret_literal_check_catches_literals(compose):
    leaky = copy.deepcopy(compose)
    leaky["services"]["web"]["environment"]["SECRET_KEY"] = "hunter2"
    leaky["services"]["worker"]["environment"] = {
        **_environment(compose["services"]["worker"]),
        "DATABASE_URL": "postgres://docsite:hunter2@db:5432/docsite",
        "SECRET_KEY": "${SECRET_KEY:-fallback}",
    }
    problems = _secret_literals(leaky)
    assert any(p.startswith("web: SECRET_KEY='hunter2'") for p in problems)
    assert "worker: DATABASE_URL carries a literal password" in problems
    assert any(p.startswith("worker: SECRET_KEY=") for p in problems)


def _docker_compose_available() -> bool:
    if shutil.which("docker") is None:
        return False
    result = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, text=True, timeout=30
    )
    return result.returncode == 0


def test_docker_compose_config_accepts_the_file():
    if not _docker_compose_available():
        pytest.skip(
            "the docker compose CLI plugin is not installed (`docker compose version` "
            "fails), so the file was checked by the YAML tests only"
        )
    env = {
        **os.environ,
        "SECRET_KEY": get_random_secret_key(),
        "POSTGRES_PASSWORD": "0123456789abcdef",
    }
    for extra in ([], ["--profile", "gpu"]):
        result = subprocess.run(
            ["docker", "compose", "-f", str(COMPOSE_FILE), *extra, "config", "-q"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr

    del env["SECRET_KEY"]
    result = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


# -- production settings ----------------------------------------------------


def _production_env(**overrides: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "docsite.settings.production",
        "SECRET_KEY": get_random_secret_key(),
        "ALLOWED_HOSTS": "docs.example.com",
        "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/x",
    }
    # Variables that would weaken the settings under test.
    for name in (
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    ):
        env.pop(name, None)
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checks():
    """The checks need no database: the URL's credentials are wrong, so any
    connection attempt would fail the command."""
    env = _production_env()
    assert len(env["SECRET_KEY"]) == 50
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("secret_key", [None, ""], ids=["unset", "empty"])
def test_production_settings_refuse_to_load_without_secret_key(secret_key):
    result = _manage("check", env=_production_env(SECRET_KEY=secret_key))
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


# -- demo_setup ---------------------------------------------------------------

DEMO_PASSWORD = "demo-test-password"
ALL_MIME_TYPES = {MIME_TEXT, MIME_MARKDOWN, MIME_HTML, MIME_PDF, MIME_DOCX}


def _visible(username: str) -> set[str]:
    user = get_user_model().objects.get(username=username)
    return set(space_list_visible(user=user).values_list("slug", flat=True))


def _counts() -> tuple[int, int, int]:
    return (
        get_user_model().objects.count(),
        Space.objects.count(),
        Document.objects.count(),
    )


@pytest.mark.django_db
def test_demo_setup_builds_the_demo_world_and_is_idempotent(capsys):
    call_command("demo_setup", "--password", DEMO_PASSWORD)
    first = _counts()
    out = capsys.readouterr().out
    assert "ada" in out and "hal" in out and DEMO_PASSWORD in out

    call_command("demo_setup", "--password", DEMO_PASSWORD + "-2")
    assert _counts() == first
    assert "imported 0" in capsys.readouterr().out

    # Every sample file became a document of the space its folder names.
    sample_files = [p for p in SAMPLE_DOCUMENTS_DIR.rglob("*") if p.is_file()]
    assert len(sample_files) >= 36
    assert Document.objects.count() == len(sample_files)
    for folder in SAMPLE_DOCUMENTS_DIR.iterdir():
        expected = sum(1 for p in folder.iterdir() if p.is_file())
        assert Document.objects.filter(space__slug=folder.name).count() == expected
    assert set(Document.objects.values_list("mime_type", flat=True)) >= ALL_MIME_TYPES

    assert set(Space.objects.values_list("slug", flat=True)) == {
        "engineering",
        "people",
        "research",
        "handbook",
    }
    assert Space.objects.get(slug="handbook").is_public
    assert _visible("hal") == {"people", "handbook"}
    assert _visible("ada") == {"engineering", "research", "handbook"}
    assert _visible("admin") == {"engineering", "people", "research", "handbook"}
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff

    # The second run reset the passwords to the one it was given.
    assert authenticate(username="hal", password=DEMO_PASSWORD) is None
    assert authenticate(username="hal", password=DEMO_PASSWORD + "-2") is not None

    # The help desk page's inline scripts and handlers are gone after parsing.
    faq = Document.objects.get(
        space__slug="handbook", original_filename="it-help-desk-faq.html"
    )
    assert "VPN" in faq.text
    for leftover in ("intranet-tracker", "addEventListener", "faqVersion", "onload"):
        assert leftover not in faq.text
        assert leftover not in faq.html

    chinese = Document.objects.get(original_filename="office-guide-shanghai.md")
    assert "上海办公室指南" in chinese.title + chinese.text


def test_demo_setup_refuses_the_default_password_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--password"):
        call_command("demo_setup")


def test_demo_database_settings_cannot_exhaust_the_embedded_server(monkeypatch):
    """Finding: CONN_MAX_AGE with runserver leaked a connection per overlapping
    request until the embedded server answered "too many clients"."""
    import importlib

    monkeypatch.delenv("DATABASE_URL", raising=False)
    base = importlib.reload(importlib.import_module("docsite.settings.base"))
    assert base.DATABASES["default"]["ENGINE"] == "docsite.db.embedded"
    assert base.DATABASES["default"]["CONN_MAX_AGE"] == 0
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db:5432/docsite")
    base = importlib.reload(base)  # gunicorn's sync workers reuse theirs
    assert base.DATABASES["default"]["CONN_MAX_AGE"] == 60
    monkeypatch.delenv("DATABASE_URL")
    importlib.reload(base)


@pytest.mark.parametrize("module", ["docsite.wsgi", "docsite.asgi"])
def test_web_workers_run_numpy_on_one_blas_thread_unless_the_operator_says(module):
    """A feed request multiplies small matrices: a BLAS thread pool only
    spins against the other workers. An operator's own setting is kept."""
    script = (
        f"import os, {module}; "
        "print(os.environ['OPENBLAS_NUM_THREADS'], os.environ['OMP_NUM_THREADS'])"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"}
    }
    default = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert default.stdout.split() == ["1", "1"]
    chosen = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env={**env, "OPENBLAS_NUM_THREADS": "4"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert chosen.stdout.split() == ["4", "1"]
