"""Batched generation with out-of-memory recovery and sampled variants."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from docsite.ml.runtime import (
    cuda_cache_clear,
    import_torch,
    is_out_of_memory,
)

from ..base import SummarizerTransientError

logger = logging.getLogger(__name__)


# After an out-of-memory lowered the batch size, this many batches in a row
# that succeed at the lower size double it again, up to the configured size:
# the pressure (a long mix, another tenant) passes.
OOM_RECOVERY_BATCHES = 4
# A variant (an editor's "regenerate") samples instead of decoding greedily.
VARIANT_TEMPERATURE = 0.8
VARIANT_TOP_P = 0.95


@dataclass
class Generated:
    """One model output: the decoded text and what it cost."""

    text: str
    tokens_in: int
    tokens_out: int
    seconds: float
    hit_limit: bool


class Generation:
    """Run the model on prompts in batches, lowering and recovering the batch size."""

    def _generate(
        self, inputs: Sequence[str], *, max_new_tokens: int, variant: int = 0
    ) -> list[Generated]:
        """Return one generation per input, in input order, batched longest first.

        Inputs come from ``_render_fitted``, so they fit the window; a
        seq2seq input (no template to protect) is still cut to it. On
        out-of-memory the batch is halved and retried; at batch size 1 the
        failure is transient for the caller. A lowered batch size doubles
        again after ``OOM_RECOVERY_BATCHES`` good batches.
        """
        if not inputs:
            return []
        seq2seq = self.kind == "seq2seq"
        encoded = self._tokenizer(
            list(inputs),
            add_special_tokens=self._add_special_tokens,
            truncation=seq2seq,
            **({"max_length": self.max_input_tokens} if seq2seq else {}),
        )["input_ids"]
        # Longest first: similar lengths share a batch (less padding), and an
        # out-of-memory shows up on the first batch rather than the last.
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]), reverse=True)
        results: list[Generated | None] = [None] * len(encoded)
        start = 0
        while start < len(order):
            indices = order[start : start + self.batch_size]
            try:
                outputs = self._generate_batch(
                    [encoded[i] for i in indices],
                    max_new_tokens=max_new_tokens,
                    variant=variant,
                )
            except Exception as exc:
                if not is_out_of_memory(exc):
                    raise
                cuda_cache_clear()
                if len(indices) == 1:
                    raise SummarizerTransientError(
                        f"Out of memory summarizing with '{self.model_id}' at batch size 1 "
                        f"({len(encoded[indices[0]])} input tokens)."
                    ) from exc
                self.batch_size = max(1, len(indices) // 2)
                self._batches_since_oom = 0
                logger.warning(
                    "out of memory on %s; summarizer batch size lowered to %d",
                    self.device,
                    self.batch_size,
                )
                continue
            for index, output in zip(indices, outputs, strict=True):
                results[index] = output
            start += len(indices)
            self._recover_batch_size()
        return [result for result in results if result is not None]

    def _recover_batch_size(self) -> None:
        """Count a good batch; after enough of them, double a lowered batch size."""
        if self.batch_size >= self._configured_batch_size:
            return
        self._batches_since_oom += 1
        if self._batches_since_oom >= OOM_RECOVERY_BATCHES:
            self.batch_size = min(self._configured_batch_size, self.batch_size * 2)
            self._batches_since_oom = 0
            logger.info("summarizer batch size raised again to %d", self.batch_size)

    def _generation_kwargs(
        self, *, max_new_tokens: int, variant: int = 0
    ) -> dict[str, Any]:
        sample = self.do_sample or variant > 0
        kwargs: dict[str, Any] = {
            "max_new_tokens": max_new_tokens,
            "num_beams": self.num_beams,
            "do_sample": sample,
            "pad_token_id": self._tokenizer.pad_token_id,
        }
        optional = {
            "repetition_penalty": self.repetition_penalty,
            "no_repeat_ngram_size": self.no_repeat_ngram_size,
        }
        if sample:
            optional.update(
                temperature=self.temperature
                if self.temperature is not None
                else (VARIANT_TEMPERATURE if variant else None),
                top_p=self.top_p
                if self.top_p is not None
                else (VARIANT_TOP_P if variant else None),
            )
        kwargs.update(
            {key: value for key, value in optional.items() if value is not None}
        )
        return kwargs

    def _stop_token_ids(self) -> set[int]:
        stops = {self._tokenizer.pad_token_id, self._tokenizer.eos_token_id}
        configured = getattr(self._model.generation_config, "eos_token_id", None)
        if isinstance(configured, int):
            stops.add(configured)
        elif configured:
            stops.update(configured)
        return {token for token in stops if token is not None}

    def _generate_batch(
        self, rows: list[list[int]], *, max_new_tokens: int, variant: int = 0
    ) -> list[Generated]:
        """Run one ``generate()`` over ``rows`` (token ids, unpadded); return a result per row.

        ``torch.inference_mode`` is entered here rather than as a decorator
        because torch is imported lazily.
        """
        torch = import_torch()
        started = time.perf_counter()
        features = self._tokenizer.pad(
            {"input_ids": rows}, padding=True, return_tensors="pt"
        )
        features = {key: value.to(self.device) for key, value in features.items()}
        if variant:
            # The same variant of the same input gives the same text again.
            torch.manual_seed(variant)
        with torch.inference_mode():
            sequences = self._model.generate(
                **features,
                **self._generation_kwargs(
                    max_new_tokens=max_new_tokens, variant=variant
                ),
            )
        sequences = sequences.cpu()
        # A decoder-only model returns prompt + answer; a seq2seq model returns
        # the decoder start token + answer.
        skip = features["input_ids"].shape[1] if self.kind == "causal" else 1
        new_tokens = sequences[:, skip:].tolist()
        stops = self._stop_token_ids()
        answers = []
        for tokens in new_tokens:
            length = next((i for i, token in enumerate(tokens) if token in stops), None)
            answers.append((tokens if length is None else tokens[:length], length))
        texts = self._tokenizer.batch_decode(
            [tokens for tokens, _ in answers], skip_special_tokens=True
        )
        seconds = time.perf_counter() - started
        weights = [
            len(row) + len(tokens)
            for row, (tokens, _) in zip(rows, answers, strict=True)
        ]
        total = sum(weights) or 1
        return [
            Generated(
                text=text.strip(),
                tokens_in=len(row),
                tokens_out=len(tokens),
                seconds=seconds * weight / total,
                hit_limit=stopped_at is None and len(tokens) >= max_new_tokens,
            )
            for text, row, (tokens, stopped_at), weight in zip(
                texts, rows, answers, weights, strict=True
            )
        ]
