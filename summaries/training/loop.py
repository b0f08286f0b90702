"""The fine-tuning loop: LoRA (peft) or a full fine-tune of a causal LLM on
(document, summary) pairs, with checkpoints a killed run resumes from.

Pure computation, like the backends: no ORM, no Celery, no settings. The
caller passes a ``control`` callback that sees every step's progress and
answers whether to go on, pause or cancel.

A plain torch loop rather than ``transformers.Trainer``: the run needs an exact
resume point (step, data order, optimizer and scheduler state), a pause that
saves and returns, and progress reported to the database after every step;
the loop is shorter than the Trainer callbacks and arguments that would do the
same. The prompt is the summarizer backend's own (``_render``), so the model
learns exactly the input it will see when it summarizes.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from docsite.ml.runtime import device_resolve, dtype_resolve, import_torch

from .examples import (
    TrainingDataError,
    batch_tensors,
    examples_encode,
    rows_for_step,
)

logger = logging.getLogger(__name__)

CHECKPOINT = "checkpoint"
ADAPTER = "adapter"
MODEL = "model"
STATE_FILE = "state.json"

Control = Callable[["Progress"], str]
CONTINUE, PAUSE, CANCEL = "continue", "pause", "cancel"


@dataclass(frozen=True)
class TrainConfig:
    """What to train and how. Everything here is recorded on the run."""

    model: str
    method: Literal["lora", "full"] = "lora"
    prompt: str = ""
    budget_words: int = 60
    max_steps: int = 200
    batch_size: int = 4
    learning_rate: float = 2e-4
    warmup_steps: int = 10
    weight_decay: float = 0.0
    max_seq_len: int = 512
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    # Adapt only the top N layers (0: all). The backward pass then stops at
    # the lowest adapted layer, which roughly halves a CPU step for N = L/2.
    lora_top_layers: int = 0
    seed: int = 0
    device: str = "auto"
    dtype: str = "auto"
    checkpoint_every: int = 25

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["target_modules"] = list(self.target_modules)
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        known = {name for name in cls.__dataclass_fields__}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"Unknown training options: {', '.join(sorted(unknown))}.")
        values = dict(values)
        if "target_modules" in values:
            values["target_modules"] = tuple(values["target_modules"])
        return cls(**values)


@dataclass
class Progress:
    """Where a run stands; ``losses`` holds ``[step, loss]`` pairs."""

    step: int = 0
    total_steps: int = 0
    losses: list[list[float]] = field(default_factory=list)
    examples: int = 0
    dropped: int = 0
    device: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class TrainOutcome:
    """``state`` is ``finished``, ``paused`` or ``cancelled``; ``output`` the saved
    adapter (LoRA) or model (full) folder when finished."""

    state: str
    progress: Progress
    output: Path | None = None


def _lr_lambda(config: TrainConfig) -> Callable[[int], float]:
    warmup = max(0, min(config.warmup_steps, config.max_steps - 1))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        remaining = config.max_steps - step
        return max(0.0, remaining / max(1, config.max_steps - warmup))

    return factor


def _load(config: TrainConfig, *, device: str, checkpoint: Path | None):
    import transformers

    torch = import_torch()
    dtype = dtype_resolve(device, config.dtype)
    common = {"local_files_only": True}
    tokenizer = transformers.AutoTokenizer.from_pretrained(config.model, **common)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if config.method == "full":
        source = checkpoint / MODEL if checkpoint else config.model
        model = transformers.AutoModelForCausalLM.from_pretrained(
            source, dtype=dtype, **common
        )
    else:
        from peft import LoraConfig, PeftModel, get_peft_model

        base = transformers.AutoModelForCausalLM.from_pretrained(
            config.model, dtype=dtype, **common
        )
        if checkpoint:
            model = PeftModel.from_pretrained(
                base, checkpoint / ADAPTER, is_trainable=True
            )
        else:
            # Adapter weights start from the seed, so two runs of one config match.
            torch.manual_seed(config.seed)
            layers = int(getattr(base.config, "num_hidden_layers", 0) or 0)
            top = config.lora_top_layers
            model = get_peft_model(
                base,
                LoraConfig(
                    r=config.lora_r,
                    lora_alpha=config.lora_alpha,
                    lora_dropout=config.lora_dropout,
                    target_modules=list(config.target_modules),
                    task_type="CAUSAL_LM",
                    layers_to_transform=(
                        list(range(layers - top, layers)) if 0 < top < layers else None
                    ),
                ),
            )
    model.to(device)
    model.train()
    return tokenizer, model


def _save_weights(model, tokenizer, folder: Path, *, method: str) -> None:
    target = folder / (MODEL if method == "full" else ADAPTER)
    model.save_pretrained(target)
    tokenizer.save_pretrained(target)


def _checkpoint_save(
    run_dir: Path, *, model, tokenizer, optimizer, scheduler, progress, config
) -> None:
    """Write the checkpoint next to the old one, then swap: a kill leaves one whole."""
    torch = import_torch()
    fresh = run_dir / f"{CHECKPOINT}.new"
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    _save_weights(model, tokenizer, fresh, method=config.method)
    torch.save(
        {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()},
        fresh / "optimizer.pt",
    )
    (fresh / STATE_FILE).write_text(
        json.dumps({"progress": asdict(progress), "config": config.as_dict()})
    )
    current = run_dir / CHECKPOINT
    old = run_dir / f"{CHECKPOINT}.old"
    shutil.rmtree(old, ignore_errors=True)
    if current.exists():
        current.rename(old)
    fresh.rename(current)
    shutil.rmtree(old, ignore_errors=True)


def checkpoint_progress(run_dir: Path) -> Progress | None:
    """Return the progress saved in ``run_dir``'s checkpoint, if there is one."""
    state = Path(run_dir) / CHECKPOINT / STATE_FILE
    if not state.exists():
        # A kill between the two renames leaves only the old one.
        state = Path(run_dir) / f"{CHECKPOINT}.old" / STATE_FILE
        if not state.exists():
            return None
        (Path(run_dir) / f"{CHECKPOINT}.old").rename(Path(run_dir) / CHECKPOINT)
        state = Path(run_dir) / CHECKPOINT / STATE_FILE
    return Progress(**json.loads(state.read_text())["progress"])


def train(
    *,
    config: TrainConfig,
    pairs: Sequence[tuple[str, str]],
    run_dir: Path,
    control: Control = lambda progress: CONTINUE,
) -> TrainOutcome:
    """Fine-tune ``config.model`` on ``pairs`` and save the result under ``run_dir``.

    Resumes from ``run_dir/checkpoint`` when one exists (same data order,
    optimizer and scheduler state). ``control(progress)`` is called after
    every step; ``pause`` saves a checkpoint and returns, ``cancel`` returns
    without saving. A finished run writes ``run_dir/adapter`` (LoRA) or
    ``run_dir/model`` (full) with the tokenizer.
    """
    torch = import_torch()
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    device = device_resolve(config.device)
    progress = checkpoint_progress(run_dir)
    checkpoint = run_dir / CHECKPOINT if progress else None
    tokenizer, model = _load(config, device=device, checkpoint=checkpoint)
    encoded, dropped = examples_encode(tokenizer, pairs, config=config)
    if not encoded:
        raise TrainingDataError(
            f"No usable training example among {len(pairs)} pairs "
            f"(max_seq_len={config.max_seq_len})."
        )
    if progress is None:
        progress = Progress(total_steps=config.max_steps)
    progress.examples, progress.dropped, progress.device = len(encoded), dropped, device
    progress.total_steps = config.max_steps

    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        parameters, lr=config.learning_rate, weight_decay=config.weight_decay
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_lambda(config))
    if checkpoint:
        states = torch.load(checkpoint / "optimizer.pt", map_location=device)
        optimizer.load_state_dict(states["optimizer"])
        scheduler.load_state_dict(states["scheduler"])
        logger.info("resuming %s at step %d", run_dir, progress.step)

    def save() -> None:
        _checkpoint_save(
            run_dir,
            model=model,
            tokenizer=tokenizer,
            optimizer=optimizer,
            scheduler=scheduler,
            progress=progress,
            config=config,
        )

    pad_id = tokenizer.pad_token_id
    while progress.step < config.max_steps:
        started = time.perf_counter()
        rows = rows_for_step(
            encoded, step=progress.step, batch_size=config.batch_size, seed=config.seed
        )
        # Dropout masks depend on the step, not on how many steps ran in this process.
        torch.manual_seed(config.seed * 1_000_003 + progress.step)
        loss = model(**batch_tensors(rows, pad_id=pad_id, device=device)).loss
        if not math.isfinite(loss.item()):
            raise FloatingPointError(
                f"The loss is {loss.item()} at step {progress.step}."
            )
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        progress.step += 1
        progress.losses.append([progress.step, round(float(loss.item()), 4)])
        progress.seconds += time.perf_counter() - started

        decision = control(progress)
        if decision == CANCEL:
            return TrainOutcome(state="cancelled", progress=progress)
        if decision == PAUSE:
            save()
            return TrainOutcome(state="paused", progress=progress)
        if progress.step % max(1, config.checkpoint_every) == 0:
            save()

    model.eval()
    _save_weights(model, tokenizer, run_dir, method=config.method)
    shutil.rmtree(run_dir / CHECKPOINT, ignore_errors=True)
    output = run_dir / (MODEL if config.method == "full" else ADAPTER)
    return TrainOutcome(state="finished", progress=progress, output=output)


def weights_digest(folder: Path) -> str:
    """Return a sha256 over the weight files in ``folder`` (the identity of an
    adapter, a model or a trained sentence scorer)."""
    import hashlib

    from summaries.sentence_scorer import SCORER_FILE

    digest = hashlib.sha256()
    for path in sorted(Path(folder).iterdir()):
        if path.suffix in {".safetensors", ".bin"} or path.name == SCORER_FILE:
            digest.update(path.name.encode())
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()
