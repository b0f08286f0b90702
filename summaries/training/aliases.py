"""Promotion: a run that passed its gate becomes a summarizer alias, which the
backend registry resolves like a settings alias."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from ..signals import summarizer_promoted
from .models import SummarizerAlias, TrainingRun
from .runs import TrainingRunError

State = TrainingRun.State


def promoted_alias_name(*, base_alias: str, run_id: int) -> str:
    return f"{base_alias}-run{run_id}"


def promoted_alias_config(
    alias: str, *, configured: dict[str, Any]
) -> dict[str, Any] | None:
    """Return the ``SUMMARIES_BACKENDS``-shaped config of a promoted alias, or None.

    The backend and options are those of the settings alias the run tuned,
    plus ``adapter`` and ``adapter_sha256``: the weights are part of the
    producer key, so the run's summaries are versioned apart.
    """
    row = SummarizerAlias.objects.filter(name=alias).first()
    if row is None or row.base_alias not in configured:
        return None
    base = configured[row.base_alias]
    return {
        "BACKEND": base["BACKEND"],
        "OPTIONS": {
            **base.get("OPTIONS", {}),
            "adapter": row.adapter_path,
            "adapter_sha256": row.adapter_sha256,
        },
    }


def promoted_alias_names() -> list[str]:
    return list(SummarizerAlias.objects.values_list("name", flat=True))


def training_run_promote(
    *, run: TrainingRun, actor: AbstractBaseUser | None = None
) -> SummarizerAlias:
    """Register the run's weights as a summarizer alias; refuse a run that failed its gate.

    Sends ``summarizer_promoted`` after commit; the workers app answers it
    with a blue/green reprocessing job, so readers keep the old summaries
    until the new ones are complete.
    """
    from .loop import weights_digest

    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().get(pk=run.pk)
        if run.state != State.PASSED or run.gate_passed is not True:
            raise TrainingRunError(
                f"Run #{run.pk} cannot be promoted: it is {run.get_state_display().lower()}"
                + (f" ({run.gate_reason})" if run.gate_reason else "")
                + "."
            )
        adapter = Path(run.adapter_path)
        if not adapter.is_dir() or weights_digest(adapter) != run.adapter_sha256:
            raise TrainingRunError(
                f"Run #{run.pk}'s weights at {adapter} are missing or changed since the gate."
            )
        alias = SummarizerAlias.objects.create(
            name=promoted_alias_name(base_alias=run.base_alias, run_id=run.pk),
            base_alias=run.base_alias,
            run=run,
            adapter_path=run.adapter_path,
            adapter_sha256=run.adapter_sha256,
            promoted_by=actor,
        )
        run.state = State.PROMOTED
        run.save(update_fields=["state", "updated_at"])
        actor_id = getattr(actor, "pk", None)
        transaction.on_commit(
            lambda: summarizer_promoted.send(
                sender=SummarizerAlias,
                alias=alias.name,
                run_id=run.pk,
                actor_id=actor_id,
            )
        )
    return alias


def training_run_rollout_request(
    *, run: TrainingRun, actor: AbstractBaseUser | None = None
) -> SummarizerAlias:
    """Ask again for the roll-out of a promoted run (e.g. the broker was down at
    promotion); the workers app starts its job once, so asking twice is harmless."""
    alias = SummarizerAlias.objects.filter(run=run).first()
    if run.state != State.PROMOTED or alias is None:
        raise TrainingRunError(f"Run #{run.pk} is not promoted.")
    summarizer_promoted.send(
        sender=SummarizerAlias,
        alias=alias.name,
        run_id=run.pk,
        actor_id=getattr(actor, "pk", None),
    )
    return alias
