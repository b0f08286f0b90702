"""The summarizer plugin contract.

A summarizer turns a batch of texts into summaries. Backends are found through
the ``docsite.summarizers`` entry-point group and configured by
``SUMMARIES_BACKENDS`` (``CACHES`` shape). They are pure computation: they
MUST NOT touch the ORM, Celery or Django settings; options reach them through
the constructor.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from docsite.ml.runtime import device_class


@dataclass(frozen=True)
class SummaryBudget:
    """How long a summary may be: ``size`` words, or characters.

    For Chinese and Japanese a "word" is one ideograph, as word processors
    count them.
    """

    size: int = 60
    unit: Literal["words", "chars"] = "words"

    def as_dict(self) -> dict[str, Any]:
        return {"size": self.size, "unit": self.unit}


@dataclass(frozen=True)
class SummaryResult:
    text: str
    tokens_in: int
    tokens_out: int
    seconds: float


class SummarizerError(Exception):
    """Base of summarizer failures; ``transient`` says whether a retry may help."""

    transient = False


class SummarizerUnavailableError(SummarizerError):
    """The model cannot be loaded (missing files, bad path, missing extra)."""


class SummarizerTransientError(SummarizerError):
    """A passing failure (device busy, out of memory at batch size 1); retry later."""

    transient = True


class BaseSummarizer:
    """Base class for summarizer plugins.

    Subclasses set ``name`` and ``version`` and implement ``summarize_batch``.
    ``model_id`` names the model (a hub id, a path, or the backend name for
    model-free backends) and ``params`` holds every option that changes the
    output (decoding parameters included): both go into the recorded producer,
    so two configurations that could write different text never share a key.
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    # True when every summary sentence is copied from the source, so it
    # cannot say what the source does not (no faithfulness check needed).
    # A dialogue's sentence in reported speech counts as copied: only its
    # persons change ("I feel" -> "Anna feels", summaries.reported_speech).
    verbatim: ClassVar[bool] = False
    #: Whether the backend takes ``device`` and ``dtype`` options; the registry
    #: resolves their ``auto`` values before building it.
    uses_device: ClassVar[bool] = False

    def __init__(self, **options: Any) -> None:
        self.options = options

    @property
    def model_id(self) -> str:
        return self.name

    @property
    def params(self) -> dict[str, Any]:
        # A shared model passed in (an embedder) stands in the key as its own
        # producer string, never as an object repr; a device by its class.
        params = {
            key: getattr(value, "producer", value)
            for key, value in self.options.items()
        }
        if "device" in params:
            params["device"] = device_class(str(params["device"]))
        return params

    def producer_for(self, budget: SummaryBudget, *, variant: int = 0) -> str:
        """Return ``backend:model:hash``, the key of the Summary rows this makes.

        The hash covers the backend version, every output-changing option,
        the budget and a non-zero ``variant``, so two configurations that
        could write different text never share a key.
        """
        key: dict[str, Any] = {
            "version": self.version,
            "params": self.params,
            "budget": budget.as_dict(),
        }
        if variant:
            key["variant"] = int(variant)
        encoded = json.dumps(
            key,
            sort_keys=True,
            default=str,
        )
        digest = hashlib.sha256(encoded.encode()).hexdigest()[:12]
        return f"{self.name}:{self.model_id}:{digest}"[:200]

    def seconds_per_document_hint(self) -> float:
        """Return a rough cost of one document, before any was measured.

        Reprocessing jobs size their chunks from it and operators see it in
        the estimate; measured durations replace it once there are some.
        """
        return 0.05

    def describe(self) -> dict[str, Any]:
        """What is loaded, for health pages (device, dtype, batch size...)."""
        return {"backend": self.name, "model": self.model_id}

    def summarize_batch(
        self,
        texts: Sequence[str],
        *,
        budget: SummaryBudget,
        language: str | None = None,
        blocks: Sequence[Sequence[Any] | None] | None = None,
        variant: int = 0,
    ) -> list[SummaryResult]:
        """Return one result per text, in order.

        ``language`` is an ISO 639-1 code when known. ``blocks[i]``, when
        given, is the parsed structure of ``texts[i]`` (``Document.blocks``,
        possibly empty); a backend may read units from it instead of the
        plain text. ``variant`` asks for an alternative to the usual output
        (0): a backend that can give one (the next-best selection, another
        sampling seed) makes a different text for each variant, and
        ``producer_for(budget, variant=...)`` keys it apart. Raise
        ``SummarizerUnavailableError`` when the model cannot load and
        ``SummarizerTransientError`` for failures worth retrying.
        """
        raise NotImplementedError
