"""What each training method trains, on which backends, with which options.

- ``lora`` and ``full`` fine-tune a ``transformers`` alias's causal LLM
  (``loop.py``; GPU workers in production);
- ``scorer`` fits an ``extractive`` alias's sentence scorer (``scorer.py``),
  so the CPU default learns from the editors too.

``runs.py`` owns a run's life (queue, progress, pause, gate, promotion);
this module only turns a run into the call that trains it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..backends import summarizer_options, summary_budget
from ..conf import training_setting
from .models import TrainingRun

Method = TrainingRun.Method

# The backend each method trains.
METHOD_BACKENDS = {
    Method.LORA: "transformers",
    Method.FULL: "transformers",
    Method.SCORER: "extractive",
}
# Keys of TrainConfig an operator may set for an LLM; the rest come from the
# base alias.
LLM_TUNABLE = frozenset(
    {
        "max_steps",
        "batch_size",
        "learning_rate",
        "warmup_steps",
        "weight_decay",
        "max_seq_len",
        "lora_r",
        "lora_alpha",
        "lora_dropout",
        "target_modules",
        "lora_top_layers",
        "seed",
        "dtype",
        "checkpoint_every",
    }
)


class MethodError(ValueError):
    """Options a method does not take, or out of range (readable for operators)."""


def method_hyperparameters(
    *, method: str, values: dict[str, Any] | None
) -> dict[str, Any]:
    """Return the run's validated hyper-parameters: the method's defaults merged
    with ``values``. Raise ``MethodError`` on unknown keys or bad values."""
    if method == Method.SCORER:
        from .scorer import ScorerConfig

        try:
            return ScorerConfig.from_dict(values or {}).as_dict()
        except (TypeError, ValueError) as exc:
            raise MethodError(str(exc)) from exc
    from .loop import TrainConfig

    merged = {**training_setting("HYPERPARAMETERS"), **(values or {})}
    unknown = set(merged) - LLM_TUNABLE
    if unknown:
        raise MethodError(f"Unknown hyper-parameters: {', '.join(sorted(unknown))}.")
    # Validates types by building the config the worker will build.
    config = TrainConfig.from_dict({"model": "-", **merged})
    if config.max_steps < 1 or config.batch_size < 1 or config.learning_rate <= 0:
        raise MethodError("max_steps, batch_size and learning_rate must be positive.")
    return {key: value for key, value in config.as_dict().items() if key in merged}


def method_total_steps(
    *, method: str, hyperparameters: dict, train_examples: int
) -> int:
    """The steps a run will count: optimizer steps, or examples featurized."""
    if method == Method.SCORER:
        return train_examples
    return int(hyperparameters.get("max_steps", 0))


def llm_train(
    run: TrainingRun, *, examples: list, folder: Path, control: Callable
) -> Any:
    from ..backends.transformers import DEFAULT_PROMPT, budget_words
    from .loop import TrainConfig, train

    cls, options = summarizer_options(run.base_alias)
    config = TrainConfig.from_dict(
        {
            **run.hyperparameters,
            "model": cls(**options).model_folder(),
            "method": run.method,
            "prompt": options.get("prompt", DEFAULT_PROMPT),
            "budget_words": budget_words(summary_budget()),
            "device": training_setting("DEVICE"),
        }
    )
    pairs = [(example.document, example.summary) for example in examples]
    return train(config=config, pairs=pairs, run_dir=folder, control=control)


def scorer_run_train(
    run: TrainingRun, *, examples: list, folder: Path, control: Callable
) -> Any:
    from ..backends import summarizer_build
    from ..scoring import ScriptAwareTokenizer
    from .scorer import ScorerConfig, scorer_train

    return scorer_train(
        # The base alias as configured, so units and features are the ones it
        # summarizes with.
        summarizer=summarizer_build(run.base_alias),
        examples=examples,
        budget=summary_budget(),
        tokenizer=ScriptAwareTokenizer(),
        config=ScorerConfig.from_dict(run.hyperparameters),
        run_dir=folder,
        control=control,
    )


METHOD_TRAINERS = {
    Method.LORA: llm_train,
    Method.FULL: llm_train,
    Method.SCORER: scorer_run_train,
}
