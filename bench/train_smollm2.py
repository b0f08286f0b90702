"""Proof of the training loop on CPU: LoRA on SmolLM2-135M-Instruct with DialogSum.

Trains on split ``a`` of a JSONL file of ``{id, document, summary}`` records and
reports on split ``b`` (by a hash of ``id``, ``summaries.training.splits``):
ROUGE-1/2/Lsum of the base model, the fine-tuned one and LEAD-3, with paired
bootstrap 95% intervals, and the wall time. Uses the same code as a
``TrainingRun``: ``summaries.training.loop.train`` and the transformers backend
with the saved adapter. No database.

    nice -n 5 .venv/bin/python bench/train_smollm2.py \
        --data /work/shared/data/summarization/dialogsum_dev.jsonl --out /tmp/train-proof
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--max-seq-len", type=int, default=512)
    parser.add_argument("--eval", type=int, default=60)
    parser.add_argument("--budget-words", type=int, default=60)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--top-layers", type=int, default=15)
    parser.add_argument(
        "--adapter", type=Path, help="Evaluate this adapter folder instead of training."
    )
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docsite.settings.base")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import torch

    from django.conf import settings

    from summaries.backends.base import SummaryBudget
    from summaries.backends.gguf import smollm2_model_folder
    from summaries.backends.lead import LeadSummarizer
    from summaries.backends.transformers import DEFAULT_PROMPT, TransformersSummarizer
    from summaries.scoring import record_split as split_of
    from summaries.training.gate import gate_evaluate, summaries_predict
    from summaries.training.loop import TrainConfig, train

    torch.set_num_threads(args.threads)
    records = [json.loads(line) for line in args.data.open() if line.strip()]
    train_pairs = [
        (r["document"], r["summary"]) for r in records if split_of(r["id"]) == "a"
    ]
    held_out = [r for r in records if split_of(r["id"]) == "b"][: args.eval]
    print(
        f"train {len(train_pairs)} pairs (split a); evaluate {len(held_out)} (split b)"
    )

    started = time.perf_counter()
    folder = smollm2_model_folder(Path(settings.DATA_DIR))
    print(f"model folder {folder} ready in {time.perf_counter() - started:.0f}s")
    config = TrainConfig(
        model=str(folder),
        prompt=DEFAULT_PROMPT,
        budget_words=args.budget_words,
        max_steps=args.steps,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        max_seq_len=args.max_seq_len,
        lora_r=16,
        lora_alpha=32,
        target_modules=(
            "q_proj",
            "k_proj",
            "v_proj",
            "o_proj",
            "gate_proj",
            "up_proj",
            "down_proj",
        ),
        lora_top_layers=args.top_layers,
        checkpoint_every=25,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    train_started = time.perf_counter()
    adapter = args.adapter or args.out / "adapter"
    if not args.adapter:
        last = [time.perf_counter()]

        def control(progress):
            if progress.step % 5 == 0 or progress.step == 1:
                now = time.perf_counter()
                print(
                    f"step {progress.step}/{progress.total_steps} "
                    f"loss {progress.losses[-1][1]:.3f} ({now - last[0]:.0f}s)",
                    flush=True,
                )
                last[0] = now
            return "continue"

        outcome = train(
            config=config, pairs=train_pairs, run_dir=args.out, control=control
        )
        train_seconds = time.perf_counter() - train_started
        losses = outcome.progress.losses
        print(
            f"trained {outcome.progress.step} steps in {train_seconds:.0f}s; "
            f"{outcome.progress.examples} examples, {outcome.progress.dropped} dropped"
        )
    else:
        train_seconds, losses = 0.0, []

    options = dict(
        model=str(folder),
        device="cpu",
        batch_size=4,
        max_new_tokens=args.max_new_tokens,
        max_input_tokens=1536,
        repetition_penalty=1.2,
    )
    budget = SummaryBudget(size=args.budget_words)
    documents = [r["document"] for r in held_out]
    references = [r["summary"] for r in held_out]
    predictions = {}
    timings = {}
    for name, summarizer in (
        ("lead3", LeadSummarizer(sentences=3)),
        ("base", TransformersSummarizer(**options)),
        (
            "candidate",
            TransformersSummarizer(
                **options, adapter=str(adapter), adapter_sha256="proof"
            ),
        ),
    ):
        t0 = time.perf_counter()
        predictions[name] = summaries_predict(summarizer, documents, budget=budget)
        timings[name] = round(time.perf_counter() - t0, 1)
        print(f"{name}: {timings[name]}s", flush=True)
    # LEAD-3 stands in for the live producer: the strongest simple baseline.
    report = gate_evaluate(
        documents=documents,
        references=references,
        candidates={
            "candidate": predictions["candidate"],
            "live": predictions["lead3"],
            "base": predictions["base"],
        },
    )
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    report.update(
        train_seconds=round(train_seconds, 1),
        eval_seconds=timings,
        cpu_seconds=round(usage.ru_utime + usage.ru_stime, 1),
        adapter=str(adapter),
        total_seconds=round(time.perf_counter() - started, 1),
        config=config.as_dict(),
        losses=losses,
        threads=args.threads,
    )
    (args.out / "report.json").write_text(json.dumps(report, indent=2))
    (args.out / "predictions.json").write_text(
        json.dumps(
            {
                "ids": [r["id"] for r in held_out],
                "references": references,
                **predictions,
            },
            indent=1,
        )
    )
    print(
        json.dumps(
            {
                k: report[k]
                for k in (
                    "n",
                    "systems",
                    "vs_live",
                    "vs_base",
                    "train_seconds",
                    "total_seconds",
                )
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
