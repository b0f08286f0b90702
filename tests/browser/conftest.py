"""Browser tests: Playwright (Python) driving Debian's Chromium against a live
server with a real Celery worker.

The browser comes from Debian's ``chromium`` package, installed here with
apt-get when it is missing (``.ci/lib.sh`` ``ensure_chromium`` does the same
for CI). Playwright's own browser download is never used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.conftest import celery_worker_real  # noqa: F401  (shared fixture)
from tests.interests.conftest import HASHING

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = (
    Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "screenshots"
)
PASSWORD = "correct horse battery staple"


def _ensure_chromium() -> str | None:
    """Install Debian's chromium when missing; return why it is unavailable, or None."""
    if CHROMIUM.exists():
        return None
    if shutil.which("apt-get") is None:
        return "/usr/bin/chromium is missing and apt-get is not available to install it"
    if os.geteuid() != 0:
        return "/usr/bin/chromium is missing and installing it needs root (apt-get install chromium)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "chromium"],
    ):
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip()[-300:]
            return f"could not install Debian's chromium ({' '.join(command)}): {tail}"
    return (
        None
        if CHROMIUM.exists()
        else "apt-get installed chromium but /usr/bin/chromium is absent"
    )


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="playwright is not installed: pip install -e '.[dev]'",
    )
    reason = _ensure_chromium()
    if reason:
        pytest.skip(f"no browser for the browser tests: {reason}")
    # Playwright's sync API runs an event loop in the test's thread; the
    # tests' own ORM calls there are still synchronous and safe. Allowed only
    # while the browser runs, so other tests keep Django's async-safety checks.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shoot():
    """Save a full-page screenshot as ``var/test-artifacts/screenshots/<name>.png``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def save(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def portal(settings, celery_worker_real, live_server):  # noqa: F811
    """The portal on a live server with a worker, the fake embedder and quick refreshes."""
    from django.core.cache import cache

    from docsite.ml.embedders import reset_embedders

    settings.DOCSITE_EMBEDDERS = HASHING
    settings.INTERESTS_REFRESH_DELAY_SECONDS = 0.2
    reset_embedders()
    cache.clear()
    yield live_server
    reset_embedders()


def login(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def reader_actions_ready(page) -> None:
    """Wait until reader.js has wired the page's Like / Bookmark buttons.

    The script is deferred: a click that lands before it ran does nothing,
    which a loaded machine makes likely.
    """
    from playwright.sync_api import expect

    expect(page.locator(".reader-actions[data-wired]").first).to_be_attached()


def editor_with_generated_summary(world, *, title: str, text: str):
    """Sign-up-free setup shared by the review tests: the reviewer "erin", who
    may review summaries in Engineering, and a document there whose machine
    summary has been generated by the real worker. Returns (editor, summary)."""
    from django.contrib.auth.models import Permission

    from docsite.documents.services import document_create_from_text
    from summaries.models import Summary
    from tests.factories import UserFactory
    from tests.integration.conftest import wait_for

    editor = UserFactory(username="erin", is_staff=True, groups=[])
    editor.user_permissions.add(
        Permission.objects.get(codename="review_summary"),
        Permission.objects.get(codename="view_summary"),
    )
    world.engineering.viewer_groups.first().user_set.add(editor)
    document = document_create_from_text(
        space=world.engineering, title=title, text=text
    ).document
    assert wait_for(
        lambda: Summary.objects.filter(document=document, status="generated").exists(),
        timeout=30,
    )
    return editor, Summary.objects.get(document=document, status="generated")
