"""The registry of output kinds: what docsite derives from documents.

An output kind (summaries, document vectors) is owned by the app that stores
it. The app describes it with an ``OutputKind`` adapter and registers one
instance when Django starts (``<app>/outputs.py``, imported by the plugin
config's ``ready()``). Everything that manages outputs in general (the
interactive batch top-up, the sweeper, reprocessing jobs, pruning, the
operator's estimate) goes through this registry, so it is written once and
never names an app.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from docsite.documents.models import Document

    from .producers import LiveProducer


@dataclass(frozen=True)
class ItemOutcome:
    """What processing did with one document.

    ``done``, ``skipped``, ``failed`` (with a readable ``error``), or ``busy``:
    another worker holds the document's output right now, so the item waits
    and is sent again.
    """

    state: str
    error: str = ""


Progress = Callable[[int, int], None]
"""``progress(done, total)``: report how far a long step has come."""


class OutputKind:
    """The adapter an app implements for one kind of output.

    Producers: a *producer key* names everything that can change an output
    (backend class and version, every output-changing option, the resolved
    dtype and device class). Rows are keyed by ``(document, content_sha256,
    producer)``. ``backend_alias`` is an alias of the app's backend setting
    (``SUMMARIES_BACKENDS``, ``DOCSITE_EMBEDDERS``).

    Methods MUST NOT load a model unless they say so: the web process calls
    ``producer_for`` and the selectors.
    """

    #: Stable name, stored in ``ActiveProducer.kind`` and ``ReprocessJob.kind``.
    name: ClassVar[str] = ""
    #: What an operator reads ("summaries", "document vectors").
    label: ClassVar[str] = ""
    #: The setting whose aliases ``backend_alias`` names.
    setting: ClassVar[str] = ""
    #: Whether readers fall back to another producer's output where the live
    #: one has none (summaries do; vectors of different models cannot mix).
    readers_fall_back: ClassVar[bool] = False
    #: Other kinds whose outputs live in the same rows (the two vector sets
    #: share a table and may share a producer): pruning one keeps what the
    #: others read or build.
    shares_rows_with: ClassVar[tuple[str, ...]] = ()

    def enabled(self) -> bool:
        """Return whether the site makes this kind at all (the sweeper skips it if not)."""
        return True

    # --- producers ---------------------------------------------------------

    def aliases(self) -> list[str]:
        """Return the configured backend aliases, the configured one first."""
        raise NotImplementedError

    def configured_alias(self) -> str:
        """Return the alias that is live while no switch was ever made."""
        raise NotImplementedError

    def producer_for(self, *, backend_alias: str) -> str:
        """Return the producer key that ``backend_alias`` writes now (no model load).

        Raise ``ImproperlyConfigured`` for an unknown or broken alias.
        """
        raise NotImplementedError

    def batch_size(self, *, backend_alias: str) -> int:
        """Return how many documents one model call should take."""
        raise NotImplementedError

    def seconds_per_document(self, *, backend_alias: str) -> tuple[float, str]:
        """Return an estimate of the seconds one document costs, and its source."""
        raise NotImplementedError

    # --- work --------------------------------------------------------------

    def documents_missing(self, *, producer: str | None) -> QuerySet[Document]:
        """Return documents whose current text has no output row from ``producer``.

        ``producer=None`` means from any producer: documents that are new or
        whose text changed since anything was made for them.
        """
        raise NotImplementedError

    def outputs_stuck(self, *, older_than: timedelta) -> dict[str, list[int]]:
        """Return ``{producer: document ids}`` of outputs left queued or running
        longer than ``older_than`` (a lost message, a killed worker).

        Kinds without a queued state return ``{}``.
        """
        return {}

    def stuck_timeout(self) -> timedelta:
        """Return how long a running output may take before its worker is surely gone."""
        return timedelta(hours=1)

    def outputs_abandon(
        self, *, document_ids: Sequence[int], producer: str, reason: str
    ) -> int:
        """Mark stuck outputs of a producer nobody builds any more as failed."""
        return 0

    def enqueue(self, *, document_ids: Sequence[int], backend_alias: str) -> None:
        """Send interactive work (queue ``ml``) for these documents after commit."""
        raise NotImplementedError

    def process(
        self, *, document_ids: Sequence[int], backend_alias: str
    ) -> dict[int, ItemOutcome]:
        """Make ``backend_alias``'s outputs for these documents now; one outcome each.

        Loads the model. Called by reprocessing jobs in a worker. Output that
        already exists for the current text is ``skipped``; failed outputs
        are retried.
        """
        raise NotImplementedError

    def prune(self, *, keep_producers: set[str], dry_run: bool) -> dict[str, int]:
        """Delete outputs of producers not in ``keep_producers``; return counts per producer."""
        raise NotImplementedError

    def on_activate(
        self, *, old: LiveProducer, new: LiveProducer, progress: Progress
    ) -> None:
        """Carry derived state over after ``new`` became live in place of ``old``.

        Contract:

        - called once per switch made by a reprocessing job, AFTER the
          switch committed (readers already use ``new``), in a worker task on
          the ``default`` queue that belongs to the job: the job stays
          running (phase "activating") until this returns, and an exception
          fails the job with the message (the switch stays);
        - MUST be idempotent: a lost task is sent again;
        - MAY call ``progress(done, total)`` as often as it likes; the job
          page shows it;
        - runs without a model loaded by the core; load what you need;
        - not called when a job re-activates the producer that is live already.

        The default does nothing.
        """


_kinds: dict[str, OutputKind] = {}


def output_kind_register(kind: OutputKind) -> OutputKind:
    """Register ``kind`` under ``kind.name`` (idempotent for the same class)."""
    if not kind.name:
        raise ValueError("An output kind needs a name.")
    existing = _kinds.get(kind.name)
    if existing is not None and type(existing) is not type(kind):
        raise ValueError(
            f"Output kind '{kind.name}' is already registered by {type(existing)}."
        )
    _kinds[kind.name] = kind
    return kind


def output_kind(name: str) -> OutputKind:
    try:
        return _kinds[name]
    except KeyError:
        raise ValueError(
            f"Unknown kind '{name}' (use {', '.join(sorted(_kinds)) or 'none registered'})."
        ) from None


def output_kinds() -> dict[str, OutputKind]:
    """Return the registered kinds by name, in registration order."""
    return dict(_kinds)
