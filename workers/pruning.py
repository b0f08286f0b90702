"""Removing old producers' outputs: explicit, never automatic."""

from __future__ import annotations

from dataclasses import dataclass, field

from docsite.ml.outputs import output_kind, producer_live, producer_previous

from .models import ReprocessJob


@dataclass
class PruneReport:
    kept: list[str] = field(default_factory=list)
    producers: dict[str, int] = field(default_factory=dict)

    @property
    def deleted(self) -> int:
        return sum(self.producers.values())


def producers_prune(
    *, kind: str, include_previous: bool = False, dry_run: bool = False
) -> PruneReport:
    """Delete ``kind`` outputs of every producer that is not live, previous or being built."""
    output = output_kind(kind)
    keep = _producers_in_use(kind=kind, include_previous=include_previous)
    for sibling in output.shares_rows_with:
        # Rows another kind reads or builds are not this kind's to delete.
        keep |= _producers_in_use(kind=sibling, include_previous=False)
    counts = output.prune(keep_producers=keep, dry_run=dry_run)
    return PruneReport(kept=sorted(keep), producers=counts)


def _producers_in_use(*, kind: str, include_previous: bool) -> set[str]:
    """Return ``kind``'s live producer, its previous one unless ``include_previous``
    (doomed too), and the producers its active jobs build."""
    keep = {producer_live(kind=kind).producer}
    previous = producer_previous(kind=kind)
    if previous is not None and not include_previous:
        keep.add(previous.producer)
    keep |= set(
        ReprocessJob.objects.filter(
            kind=kind, state__in=ReprocessJob.ACTIVE_STATES
        ).values_list("producer", flat=True)
    )
    return keep
