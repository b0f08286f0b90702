"""Settings of the summaries app, with defaults; read at call time."""

from __future__ import annotations

from typing import Any

from docsite.conf import AppSettings

DEFAULTS: dict[str, Any] = {
    "BACKENDS": {
        "default": {
            "BACKEND": "extractive",
            "OPTIONS": {"embedder": "default"},
        },
    },
    # Length of generated summaries.
    "BUDGET": {"size": 60, "unit": "words"},
    # Faithfulness flags of generated (not verbatim) summaries: the embedder
    # alias that scores support, and the support below which a sentence is
    # flagged (None: summaries.faithfulness.SUPPORT_THRESHOLD).
    "FAITHFULNESS": {"EMBEDDER": "default", "THRESHOLD": None},
    # Documents per generation batch (one task claims up to this many).
    "BATCH_SIZE": 16,
    # Show a summary to readers only once an editor approved it.
    "REQUIRE_APPROVAL": False,
    # A row still "running" after this long was left by a worker that died (the
    # generation task's hard time limit is shorter), so it may be claimed again.
    "RUNNING_TIMEOUT_SECONDS": 2000,
    # Fine-tuning summarizers on reviews (summaries.training); keys missing
    # from the setting take these values.
    "TRAINING": {
        # Where runs train: auto (cuda, mps, cpu), or an explicit device.
        "DEVICE": "auto",
        "VALIDATION_FRACTION": 0.2,
        # Defaults of a run's hyper-parameters (summaries.training.loop.TrainConfig).
        "HYPERPARAMETERS": {
            "max_steps": 200,
            "batch_size": 4,
            "learning_rate": 2e-4,
            "max_seq_len": 512,
            "lora_r": 8,
            "lora_alpha": 16,
            "checkpoint_every": 25,
        },
        # What a run must show on the validation split to be promotable.
        "GATE": {
            "metric": "rougeLsum",
            "min_gain": 0.0,
            "require_significant": True,
            "max_flag_rate_increase": 0.0,
        },
        # Validation documents the gate summarizes (three systems each).
        "GATE_MAX_EXAMPLES": 200,
        # A run whose worker reported nothing for this long was lost (killed
        # worker); the recovery task queues it again, from its checkpoint.
        "STALE_SECONDS": 900,
    },
}


summaries_setting = AppSettings("SUMMARIES_", DEFAULTS, replaced=("BACKENDS",))


def training_setting(name: str) -> Any:
    """Return ``SUMMARIES_TRAINING[name]``, or its default."""
    return summaries_setting("TRAINING")[name]
