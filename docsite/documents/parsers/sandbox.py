"""Run one parse in a forked child process under hard limits.

A hostile file must neither hold its caller past a deadline nor keep burning
CPU or memory after it was refused. A thread cannot be stopped, and
``signal.alarm`` cannot interrupt C code (lxml, nh3, zlib), which is where
pathological files spend their time. A child process can be killed, and the
kernel enforces its limits:

- ``RLIMIT_CPU``: the kernel stops the child after that much CPU time;
- ``RLIMIT_AS``: allocations past the budget fail (``MemoryError``), counted
  on top of the address space the child inherited from its parent;
- a wall-clock deadline kept by the parent, which then sends ``SIGKILL``
  (a parse stuck waiting, or slowed by a loaded machine).

``os.fork`` rather than a fresh interpreter: the child starts with the
parsers already imported and built, so a parse costs a few milliseconds of
process start instead of the ~0.5 s of importing lxml, pypdf and python-docx
again; imports of thousands of files and the test suite go through here. The
child touches no database connection, logs nothing itself and leaves with
``os._exit``, so nothing it inherited is flushed or closed twice.

Linux (and other POSIX systems with ``fork``) only, like the deployment.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import resource
import select
import signal
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

_Result = TypeVar("_Result")

_READ_CHUNK = 1 << 16


class SandboxError(Exception):
    """The child did not return a result."""


class SandboxTimeout(SandboxError):
    """The child ran past its wall-clock or CPU limit and was stopped."""


class SandboxMemoryError(SandboxError):
    """The child ran out of its memory budget."""


class SandboxCrash(SandboxError):
    """The child raised an unexpected exception or died; ``details`` says how."""

    def __init__(self, details: str) -> None:
        super().__init__(details)
        self.details = details


@dataclass(frozen=True)
class Limits:
    """Hard limits of one child; ``None`` leaves that resource unlimited."""

    wall_seconds: float | None = 60
    cpu_seconds: float | None = 60
    memory_bytes: int | None = 1 << 30


def run_limited(
    func: Callable[[], _Result],
    *,
    limits: Limits,
    expected: tuple[type[BaseException], ...] = (),
) -> _Result:
    """Return ``func()`` computed in a child process under ``limits``.

    Exceptions of the ``expected`` types are raised again here as they were
    (they must pickle); anything else the child raises becomes a
    ``SandboxCrash`` carrying its traceback. Over a time limit the child is
    killed and ``SandboxTimeout`` raised; out of memory, ``SandboxMemoryError``.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(func, write_end=write_end, limits=limits, expected=expected)
    os.close(write_end)
    try:
        payload, timed_out = _read_until(read_end, limits.wall_seconds)
    finally:
        os.close(read_end)
    if timed_out:
        _kill(pid)
        raise SandboxTimeout(f"stopped after {limits.wall_seconds} seconds")
    _, status = os.waitpid(pid, 0)
    return _result(payload, status=status, expected=expected)


def _result(
    payload: bytes, *, status: int, expected: tuple[type[BaseException], ...]
) -> _Result:
    if payload:
        kind, value = pickle.loads(payload)
        if kind == "ok":
            return value
        if kind == "expected" and isinstance(value, expected):
            raise value
        if kind == "memory":
            raise SandboxMemoryError(value)
        raise SandboxCrash(value)
    if os.WIFSIGNALED(status):
        stopped_by = os.WTERMSIG(status)
        if stopped_by in (signal.SIGXCPU, signal.SIGKILL):
            raise SandboxTimeout(f"stopped by {signal.Signals(stopped_by).name}")
        raise SandboxCrash(f"died of {signal.Signals(stopped_by).name}")
    raise SandboxCrash(f"exited with status {os.WEXITSTATUS(status)} and no result")


def _read_until(fd: int, wall_seconds: float | None) -> tuple[bytes, bool]:
    """Read ``fd`` to its end; return (data, whether the deadline passed first)."""
    deadline = None if wall_seconds is None else time.monotonic() + wall_seconds
    chunks: list[bytes] = []
    while True:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            return b"", True
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue  # the loop sees the deadline
        chunk = os.read(fd, _READ_CHUNK)
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def _child(
    func: Callable[[], _Result],
    *,
    write_end: int,
    limits: Limits,
    expected: tuple[type[BaseException], ...],
) -> None:
    code = 0
    try:
        # Signal handlers of the parent (a web server's, Celery's) have no
        # business in the child: an interrupt just ends it.
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, signal.SIG_DFL)
        # Other threads of the parent may be forking children of their own:
        # holding their pipes open would keep them from seeing their end.
        # Closing sockets here does not touch the parent's connections.
        os.closerange(3, write_end)
        os.closerange(write_end + 1, _max_fd())
        # Handlers may write to files whose descriptors were just closed.
        logging.disable(logging.CRITICAL)
        _apply_limits(limits)
        try:
            outcome = ("ok", func())
        except expected as error:
            outcome = ("expected", error)
        except MemoryError:
            outcome = ("memory", "ran out of its memory budget")
        except BaseException:  # reported to the parent, which logs it
            outcome = ("crash", traceback.format_exc())
        try:
            payload = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            payload = pickle.dumps(("memory", "ran out of its memory budget"))
        except Exception:
            payload = pickle.dumps(("crash", traceback.format_exc()))
        view = memoryview(payload)
        while view:
            written = os.write(write_end, view)
            view = view[written:]
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _max_fd() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


def _apply_limits(limits: Limits) -> None:
    if limits.cpu_seconds is not None:
        seconds = max(1, int(limits.cpu_seconds + 0.999))
        # SIGXCPU at the soft limit, SIGKILL one second later.
        _lower_limit(resource.RLIMIT_CPU, seconds, seconds + 1)
    if limits.memory_bytes is not None:
        # The child inherits its parent's address space (a worker may hold a
        # model); the budget is what the parse may add on top of it.
        budget = _address_space_bytes() + limits.memory_bytes
        _lower_limit(resource.RLIMIT_AS, budget, budget)


def _lower_limit(which: int, soft: int, hard: int) -> None:
    _, current_hard = resource.getrlimit(which)
    if current_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, current_hard), min(hard, current_hard)
    resource.setrlimit(which, (soft, hard))


def _address_space_bytes() -> int:
    with open("/proc/self/statm", "rb") as statm:
        pages = int(statm.read().split()[0])
    return pages * os.sysconf("SC_PAGE_SIZE")
