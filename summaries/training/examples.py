"""Training examples as the model sees them: the summarizer's own prompt,
the summary tokens as the only labels, and a deterministic order of batches
that a resumed run continues exactly."""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING

from docsite.ml.runtime import import_torch

if TYPE_CHECKING:
    from .loop import TrainConfig

IGNORE_INDEX = -100


class TrainingDataError(ValueError):
    """No usable example: a dataset without positives, or pairs all empty or too long."""


def prompt_render(tokenizer, *, prompt: str, text: str, words: int) -> str:
    """Return the model input for ``text``, as ``TransformersSummarizer._render`` builds it."""
    filled = prompt.replace("{words}", str(words)).replace("{text}", text)
    if not getattr(tokenizer, "chat_template", None):
        return filled
    return tokenizer.apply_chat_template(
        [{"role": "user", "content": filled}],
        add_generation_prompt=True,
        tokenize=False,
    )


def examples_encode(
    tokenizer, pairs: Sequence[tuple[str, str]], *, config: TrainConfig
) -> tuple[list[tuple[list[int], list[int]]], int]:
    """Return ``(input_ids, labels)`` per pair and how many pairs were dropped.

    Only the summary tokens (and the end-of-sequence token) are learned: the
    prompt is masked. A document too long for ``max_seq_len`` is cut at the
    end, never the summary; a pair whose summary alone does not fit is dropped.
    """
    chat = bool(getattr(tokenizer, "chat_template", None))
    eos = tokenizer.eos_token_id
    encoded: list[tuple[list[int], list[int]]] = []
    dropped = 0
    for document, summary in pairs:
        document, summary = document.strip(), summary.strip()
        target = tokenizer(summary, add_special_tokens=False)["input_ids"]
        if eos is not None:
            target = [*target, eos]
        overhead = len(_prompt_ids(tokenizer, config, "", chat))
        room = config.max_seq_len - overhead - len(target)
        if not document or not summary or room < 16:
            dropped += 1
            continue
        text_ids = tokenizer(document, add_special_tokens=False)["input_ids"]
        if len(text_ids) > room:
            document = tokenizer.decode(text_ids[:room], skip_special_tokens=True)
        prompt_ids = _prompt_ids(tokenizer, config, document, chat)
        # Decoding and re-encoding can shift a few tokens; trim the prompt end.
        prompt_ids = prompt_ids[: config.max_seq_len - len(target)]
        encoded.append(
            ([*prompt_ids, *target], [IGNORE_INDEX] * len(prompt_ids) + target)
        )
    return encoded, dropped


def _prompt_ids(tokenizer, config: TrainConfig, text: str, chat: bool) -> list[int]:
    rendered = prompt_render(
        tokenizer, prompt=config.prompt, text=text, words=config.budget_words
    )
    return tokenizer(rendered, add_special_tokens=not chat)["input_ids"]


def batch_tensors(rows, *, pad_id: int, device: str):
    torch = import_torch()
    width = max(len(ids) for ids, _ in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), width), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, (ids, target) in enumerate(rows):
        input_ids[i, : len(ids)] = torch.tensor(ids)
        labels[i, : len(target)] = torch.tensor(target)
        mask[i, : len(ids)] = 1
    return {
        "input_ids": input_ids.to(device),
        "labels": labels.to(device),
        "attention_mask": mask.to(device),
    }


@functools.lru_cache(maxsize=8)
def _order(count: int, *, seed: int, epoch: int) -> tuple[int, ...]:
    """Return the example order of one epoch: deterministic, so a resume continues it."""
    order = list(range(count))
    random.Random(f"{seed}:{epoch}").shuffle(order)
    return tuple(order)


def rows_for_step(encoded, *, step: int, batch_size: int, seed: int):
    """Return the examples of optimizer step ``step`` (0-based) in the run's data order."""
    rows = []
    count = len(encoded)
    for position in range(step * batch_size, (step + 1) * batch_size):
        epoch, index = divmod(position, count)
        rows.append(encoded[_order(count, seed=seed, epoch=epoch)[index]])
    return rows
