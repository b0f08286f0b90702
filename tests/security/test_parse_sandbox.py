"""The parse sandbox: a hostile file is stopped at its limits and leaves nothing running.

The finding: a 30 KB Markdown file (``[`` repeated) held a web worker for
60 s, and its parsing thread kept burning CPU for minutes after the refusal.
Python-Markdown needs about 5 minutes for that file; the child process that
parses it is killed at the limit.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from docsite.documents.exceptions import EmptyDocumentError, FileTooLargeError
from docsite.documents.parsers import parse_document
from docsite.documents.parsers.sandbox import (
    Limits,
    SandboxCrash,
    SandboxMemoryError,
    SandboxTimeout,
    run_limited,
)

HOSTILE_MARKDOWN = b"[" * 30_000


def our_children() -> list[int]:
    """Pids of live (not zombie) child processes of this process."""
    me, children = os.getpid(), []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, parent = fields[0], int(fields[1])
        if parent == me and state != "Z":
            children.append(int(stat.parent.name))
    return children


def test_hostile_markdown_is_refused_at_the_limit_and_its_process_is_gone(settings):
    settings.DOCSITE_PARSE_TIMEOUT_SECONDS = 1
    before = set(our_children())
    threads_before = set(threading.enumerate())
    cpu_before = os.times()

    started = time.monotonic()
    with pytest.raises(FileTooLargeError, match=r"took longer than 1 seconds"):
        parse_document(HOSTILE_MARKDOWN, filename="brackets.md")
    elapsed = time.monotonic() - started

    assert elapsed < 2.5
    assert set(our_children()) <= before, "the parse outlived its refusal"
    assert set(threading.enumerate()) <= threads_before, "a parse thread lives on"
    # Nothing keeps burning CPU afterwards: not a thread of ours (the old
    # design's daemon thread ran on for minutes), not a child.
    own_before = os.times()
    time.sleep(1)
    cpu_after = os.times()
    own_cpu = (cpu_after.user + cpu_after.system) - (
        own_before.user + own_before.system
    )
    assert own_cpu < 0.5, f"{own_cpu:.2f} s of CPU burnt after the refusal"
    children_cpu = (cpu_after.children_user + cpu_after.children_system) - (
        cpu_before.children_user + cpu_before.children_system
    )
    assert children_cpu < 2.5


def test_cpu_limit_stops_a_child_even_without_a_wall_clock_deadline():
    def spin() -> None:
        while True:
            pass

    # Without a working CPU limit this would spin until the test times out;
    # the kernel's SIGXCPU (or SIGKILL at the hard limit) is what stops it.
    with pytest.raises(SandboxTimeout, match=r"SIGXCPU|SIGKILL"):
        run_limited(spin, limits=Limits(wall_seconds=None, cpu_seconds=1))


def test_memory_limit_stops_an_allocation_past_the_budget():
    def hog() -> int:
        return len(bytearray(1 << 30))

    with pytest.raises(SandboxMemoryError):
        run_limited(hog, limits=Limits(memory_bytes=256 << 20))


def test_results_and_expected_refusals_cross_back_unchanged():
    assert run_limited(lambda: {"text": "ok" * 100_000}, limits=Limits()) == {
        "text": "ok" * 100_000
    }

    def refuse() -> None:
        raise EmptyDocumentError("notes.txt is empty.")

    with pytest.raises(EmptyDocumentError, match=r"notes\.txt is empty"):
        run_limited(refuse, limits=Limits(), expected=(EmptyDocumentError,))


def test_an_unexpected_error_reports_its_traceback_and_a_dead_child_its_signal():
    def explode() -> None:
        raise RuntimeError("pointer 0xdeadbeef")

    with pytest.raises(SandboxCrash, match="0xdeadbeef"):
        run_limited(explode, limits=Limits())

    def die() -> None:
        os.abort()

    with pytest.raises(SandboxCrash, match="SIGABRT"):
        run_limited(die, limits=Limits())
