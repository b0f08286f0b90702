"""The summarizer backend itself: options, producer identity and map-reduce over documents."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from django.core.exceptions import ImproperlyConfigured

from docsite.ml.runtime import (
    describe_device,
    device_class,
)

from ..base import (
    BaseSummarizer,
    SummaryBudget,
    SummaryResult,
)

if TYPE_CHECKING:
    import torch

from .budget import (
    TOKENS_PER_WORD,
    budget_tokens,
    budget_trim,
    budget_words,
    complete_sentences,
)
from .generating import Generated, Generation
from .loading import ModelLoading
from .prompting import PromptFitting

logger = logging.getLogger(__name__)

DEFAULT_PROMPT = (
    "Summarize the following document in at most {words} words. "
    "Keep only facts stated in the text.\n\n{text}"
)
# Reduce rounds after the map step; each round shrinks the text by about
# chunk size / budget, so three rounds cover far more than any real document.
MAX_REDUCE_DEPTH = 3
# Options that change how fast the output comes, not what it says; they stay
# out of the producer key. The device is in the key as its class (cuda, cpu),
# with the resolved dtype: bf16 on a GPU and fp32 on a CPU write different text.
OPERATIONAL_OPTIONS = frozenset({"batch_size", "local_files_only"})


@dataclass
class _DocumentProgress:
    """What has been spent on one document across map and reduce rounds."""

    tokens_in: int = 0
    tokens_out: int = 0
    seconds: float = 0.0
    text: str = ""
    done: bool = False
    chunks: list[str] = field(default_factory=list)


class TransformersSummarizer(ModelLoading, PromptFitting, Generation, BaseSummarizer):
    """Summarize with a Hugging Face seq2seq or causal model.

    Options (keyword-only):

    - ``model``: hub id or local folder (required). With ``gguf_file``, the
      folder that holds that GGUF file.
    - ``kind``: ``auto`` (from ``config.is_encoder_decoder``), ``seq2seq`` or
      ``causal``.
    - ``device``, ``dtype``: ``auto`` resolves in the process that runs the
      model (cuda, then mps, then cpu; bf16/fp16 on CUDA, fp32 elsewhere).
    - ``batch_size``: sequences per ``generate()`` call, default 4. On CUDA
      out-of-memory the batch is halved and retried; after
      ``OOM_RECOVERY_BATCHES`` successful batches at the lowered size it is
      doubled again, up to this value.
    - ``max_input_tokens``: the input window; default the model's context
      (``model_max_length`` / ``max_position_embeddings``) capped at 4096 for
      causal models (minus ``max_new_tokens``) and 1024 for seq2seq ones.
    - ``max_new_tokens``: ceiling on generated tokens per call, default 128.
      The budget lowers it further: about 2 tokens per word asked for.
    - decoding: ``num_beams`` (1), ``do_sample`` (False), ``temperature``,
      ``top_p``, ``repetition_penalty``, ``no_repeat_ngram_size``. ``None``
      leaves the model's own generation config in force.
    - ``prompt``: causal models only; ``{words}`` and ``{text}`` are filled in.
      Wrapped in the tokenizer's chat template when it has one.
    - ``gguf_file``: a GGUF file name inside ``model``; transformers
      dequantizes it on every load (slow), so prefer a folder converted once
      with ``summaries.backends.gguf.gguf_to_hf_folder``.
    - ``adapter``: a folder holding a LoRA adapter (peft) trained on
      ``model``; it is merged into the weights once, at load. A promoted
      training run sets it, with ``adapter_sha256`` naming the weights, so
      the run's summaries get a producer key of their own.
    - ``local_files_only`` (True), ``trust_remote_code`` (False).

    Every option but ``batch_size`` and ``local_files_only`` is part of
    ``params``, so of the producer key; the device counts by its class
    (``cuda:1`` and ``cuda:0`` share a key). Built through
    ``get_summarizer``, ``auto`` device and dtype arrive resolved
    (``DOCSITE_ACCELERATOR``), so the key names the precision that runs.
    """

    name = "transformers"
    version = "1"
    uses_device = True

    def __init__(
        self,
        *,
        model: str,
        kind: Literal["auto", "seq2seq", "causal"] = "auto",
        device: str = "auto",
        dtype: str = "auto",
        batch_size: int = 4,
        max_input_tokens: int | None = None,
        max_new_tokens: int = 128,
        num_beams: int = 1,
        do_sample: bool = False,
        temperature: float | None = None,
        top_p: float | None = None,
        repetition_penalty: float | None = None,
        no_repeat_ngram_size: int | None = None,
        prompt: str = DEFAULT_PROMPT,
        gguf_file: str | None = None,
        local_files_only: bool = True,
        trust_remote_code: bool = False,
        cache_dir: str = "",
        adapter: str | None = None,
        adapter_sha256: str = "",
    ) -> None:
        if not model:
            raise ImproperlyConfigured(
                "TransformersSummarizer needs the 'model' option."
            )
        if kind not in {"auto", "seq2seq", "causal"}:
            raise ImproperlyConfigured(
                f"Unknown kind '{kind}' for model '{model}' (use auto, seq2seq or causal)."
            )
        if "{text}" not in prompt:
            raise ImproperlyConfigured(
                "The summarization prompt must contain '{text}'."
            )
        if int(batch_size) < 1 or int(max_new_tokens) < 1:
            raise ImproperlyConfigured(
                "batch_size and max_new_tokens must be at least 1."
            )
        super().__init__(
            model=model,
            kind=kind,
            device=device,
            dtype=dtype,
            batch_size=batch_size,
            max_input_tokens=max_input_tokens,
            max_new_tokens=max_new_tokens,
            num_beams=num_beams,
            do_sample=do_sample,
            temperature=temperature,
            top_p=top_p,
            repetition_penalty=repetition_penalty,
            no_repeat_ngram_size=no_repeat_ngram_size,
            prompt=prompt,
            gguf_file=gguf_file,
            local_files_only=local_files_only,
            trust_remote_code=trust_remote_code,
            **(
                {"adapter": adapter, "adapter_sha256": adapter_sha256}
                if adapter
                else {}
            ),
        )
        self._model_name = str(model)
        self.adapter = adapter
        self._kind_preference = kind
        self._device_preference = device
        self._dtype_preference = dtype
        self.batch_size = int(batch_size)
        self._configured_batch_size = int(batch_size)
        self._batches_since_oom = 0
        self._max_input_tokens_option = max_input_tokens
        self.max_new_tokens = int(max_new_tokens)
        self.num_beams = int(num_beams)
        self.do_sample = bool(do_sample)
        self.temperature = temperature
        self.top_p = top_p
        self.repetition_penalty = repetition_penalty
        self.no_repeat_ngram_size = no_repeat_ngram_size
        self.prompt = prompt
        self.gguf_file = gguf_file
        self.local_files_only = local_files_only
        self.trust_remote_code = trust_remote_code
        # Where packaged models are converted; not part of the producer key.
        self.cache_dir = cache_dir

        self._load_lock = threading.Lock()
        self._model = None
        self._tokenizer = None
        self.kind: str = ""
        self.device = ""
        self.dtype: torch.dtype | None = None
        self.max_input_tokens = 0
        self.load_seconds = 0.0
        self._text_prefix = ""
        self._chat = False

    @property
    def model_id(self) -> str:
        return self._model_name

    def seconds_per_document_hint(self) -> float:
        # A small LLM writes a summary in 20-40 s on a few CPU cores and in
        # about a second on a GPU.
        return 1.0 if device_class(self._device_preference) == "cuda" else 30.0

    @property
    def params(self) -> dict[str, Any]:
        return {
            key: value
            for key, value in super().params.items()
            if key not in OPERATIONAL_OPTIONS
        }

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "backend": self.name,
            "model": self.model_id,
            "loaded": self._model is not None,
            "device": self.device or None,
            "dtype": None,
            "batch_size": self.batch_size,
        }
        if self._model is not None:
            info.update(
                describe_device(self.device, self.dtype),
                kind=self.kind,
                max_input_tokens=self.max_input_tokens,
                load_seconds=round(self.load_seconds, 2),
            )
        return info

    # Summarizing -------------------------------------------------------------

    def summarize_batch(
        self,
        texts: Sequence[str],
        *,
        budget: SummaryBudget,
        language: str | None = None,
        blocks: Sequence[Sequence[Any] | None] | None = None,
        variant: int = 0,
    ) -> list[SummaryResult]:
        """Return one result per text, in input order.

        All chunks of all texts share batched ``generate()`` calls per round
        (map, then reduce rounds). ``seconds`` is each text's share of this
        call's wall time, model loading excluded. ``language`` only helps
        sentence splitting (abbreviations); the prompt names no language, and
        models answer in the input's.
        """
        self._ensure_loaded()
        started = time.perf_counter()
        words = budget_words(budget)
        final_tokens = min(self.max_new_tokens, budget_tokens(budget))
        text_window = self._text_window(words=words)
        # A partial summary must be much shorter than the chunk it came from,
        # or reduce rounds would not shrink the text; with real windows (1k+
        # tokens) this cap is above the budget and changes nothing.
        partial_tokens = min(final_tokens, max(text_window // 3, 8))
        partial_words = min(words, max(1, int(partial_tokens / TOKENS_PER_WORD)))

        documents = [_DocumentProgress() for _ in texts]
        for document, text in zip(documents, texts, strict=True):
            if text.strip():
                document.chunks = self._chunks(
                    text.strip(), window=text_window, language=language
                )
            else:
                document.done = True

        for depth in range(MAX_REDUCE_DEPTH + 1):
            pending = [document for document in documents if not document.done]
            if not pending:
                break
            jobs: list[tuple[_DocumentProgress, str, int]] = []
            for document in pending:
                final = len(document.chunks) == 1
                job_words, job_tokens = (
                    (words, final_tokens) if final else (partial_words, partial_tokens)
                )
                jobs.extend(
                    (document, self._render_fitted(chunk, words=job_words), job_tokens)
                    for chunk in document.chunks
                )
            generated = self._generate_jobs(
                [(text, tokens) for _, text, tokens in jobs], variant=variant
            )
            partials: dict[int, list[str]] = {}
            for (document, _, _), output in zip(jobs, generated, strict=True):
                document.tokens_in += output.tokens_in
                document.tokens_out += output.tokens_out
                document.seconds += output.seconds
                partials.setdefault(id(document), []).append(
                    complete_sentences(output.text, hit_limit=output.hit_limit)
                )
            for document in pending:
                outputs = [part for part in partials[id(document)] if part]
                if len(document.chunks) == 1 or not outputs:
                    document.text, document.done = (outputs or [""])[0], True
                    continue
                chunks = self._chunks(
                    "\n\n".join(outputs), window=text_window, language=language
                )
                if len(chunks) > 1 and depth + 1 >= MAX_REDUCE_DEPTH:
                    logger.warning(
                        "partial summaries still exceed the input window after %d "
                        "rounds; each is shortened to an equal share of it",
                        depth + 1,
                    )
                    chunks = [self._squeeze(outputs, window=text_window)]
                document.chunks = chunks

        elapsed = time.perf_counter() - started
        spent = sum(document.seconds for document in documents)
        results = []
        for document in documents:
            share = (
                elapsed * document.seconds / spent
                if spent
                else elapsed / max(len(documents), 1)
            )
            results.append(
                SummaryResult(
                    text=budget_trim(document.text.strip(), budget),
                    tokens_in=document.tokens_in,
                    tokens_out=document.tokens_out,
                    seconds=share,
                )
            )
        return results

    def _squeeze(self, parts: list[str], *, window: int) -> str:
        """Return ``parts`` joined, each cut to an equal share of ``window`` tokens.

        The last resort when reduce rounds run out: every part stays
        represented, which plain truncation of the joined text would not do.
        """
        share = max(window // max(len(parts), 1) - 2, 1)
        return "\n\n".join(self._chunks(part, window=share)[0] for part in parts)

    def _generate_jobs(
        self, jobs: Sequence[tuple[str, int]], *, variant: int = 0
    ) -> list[Generated]:
        """Return one generation per ``(input, max_new_tokens)`` job, in order.

        Jobs with the same token limit share batched ``generate()`` calls.
        """
        results: list[Generated | None] = [None] * len(jobs)
        for limit in sorted({tokens for _, tokens in jobs}):
            indices = [i for i, (_, tokens) in enumerate(jobs) if tokens == limit]
            outputs = self._generate(
                [jobs[i][0] for i in indices], max_new_tokens=limit, variant=variant
            )
            for index, output in zip(indices, outputs, strict=True):
                results[index] = output
        return [result for result in results if result is not None]
