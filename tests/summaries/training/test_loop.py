"""The fine-tuning loop and the gate, on a tiny Llama built from a config."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from summaries.backends.base import SummaryBudget  # noqa: E402
from summaries.backends.transformers import (  # noqa: E402
    DEFAULT_PROMPT,
    TransformersSummarizer,
)
from summaries.training.gate import (  # noqa: E402
    GatePolicy,
    gate_evaluate,
    paired_bootstrap,
)
from summaries.training.loop import (  # noqa: E402
    CONTINUE,
    TrainConfig,
    checkpoint_progress,
    examples_encode,
    train,
    weights_digest,
)
from tests.summaries.tiny_llama import tiny_llama_save, tiny_tokenizer  # noqa: E402

pytestmark = pytest.mark.slow

PAIRS = [
    (
        f"The board met on day {i} and approved the budget for next year. " * 3,
        "Budget approved.",
    )
    for i in range(6)
]
ALL_LINEAR = (
    "q_proj",
    "k_proj",
    "v_proj",
    "o_proj",
    "gate_proj",
    "up_proj",
    "down_proj",
)
CORPUS = [document + " " + summary for document, summary in PAIRS]


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    return tiny_llama_save(tmp_path_factory.mktemp("tiny-llama-train"), corpus=CORPUS)


def config(model: Path, **overrides) -> TrainConfig:
    values = dict(
        model=str(model),
        prompt=DEFAULT_PROMPT,
        max_steps=3,
        batch_size=2,
        learning_rate=1e-2,
        warmup_steps=0,
        lora_r=8,
        target_modules=ALL_LINEAR,
        device="cpu",
        checkpoint_every=2,
    )
    return TrainConfig(**{**values, **overrides})


def test_three_steps_lower_the_loss_and_save_the_adapter(tiny_model, tmp_path):
    outcome = train(config=config(tiny_model), pairs=PAIRS, run_dir=tmp_path)

    losses = [loss for _, loss in outcome.progress.losses]
    assert outcome.state == "finished" and len(losses) == 3
    assert losses[-1] < losses[0]
    assert (outcome.output / "adapter_config.json").exists()
    assert (outcome.output / "adapter_model.safetensors").exists()
    assert not (tmp_path / "checkpoint").exists(), "a finished run keeps no checkpoint"


def test_only_summary_tokens_are_learned_and_long_documents_are_cut(tiny_model):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    long_pair = ("word " * 2000, "Budget approved.")

    encoded, dropped = examples_encode(
        tokenizer,
        [PAIRS[0], long_pair, ("", "x")],
        config=config(tiny_model, max_seq_len=128),
    )

    assert dropped == 1
    assert all(len(ids) <= 128 for ids, _ in encoded)
    for ids, labels in encoded:
        learned = [token for token in labels if token != -100]
        assert (
            tokenizer.decode(learned, skip_special_tokens=True).strip()
            == "Budget approved ."
        )
        assert ids[-len(learned) :] == learned


def test_killed_run_resumes_from_its_checkpoint_and_ends_like_an_unbroken_one(
    tiny_model, tmp_path
):
    """GIVEN a run killed after step 5 (its last checkpoint is step 4)
    WHEN it is started again
    THEN it goes on from step 4 and ends with the weights of a run never killed."""
    settings = config(tiny_model, max_steps=8, lora_dropout=0.1)

    def kill_after_five(progress):
        if progress.step == 5:
            raise KeyboardInterrupt("worker killed")
        return CONTINUE

    with pytest.raises(KeyboardInterrupt):
        train(
            config=settings,
            pairs=PAIRS,
            run_dir=tmp_path / "killed",
            control=kill_after_five,
        )
    assert checkpoint_progress(tmp_path / "killed").step == 4

    steps_seen = []
    resumed = train(
        config=settings,
        pairs=PAIRS,
        run_dir=tmp_path / "killed",
        control=lambda p: steps_seen.append(p.step) or CONTINUE,
    )
    unbroken = train(config=settings, pairs=PAIRS, run_dir=tmp_path / "unbroken")

    assert steps_seen == [5, 6, 7, 8]
    assert [s for s, _ in resumed.progress.losses] == list(range(1, 9))
    assert [loss for _, loss in resumed.progress.losses] == pytest.approx(
        [loss for _, loss in unbroken.progress.losses], abs=1e-3
    )
    assert weights_digest(resumed.output) == weights_digest(unbroken.output)


def test_trained_adapter_loads_offline_and_generates_what_it_learned(
    tiny_model, tmp_path
):
    outcome = train(
        config=config(
            tiny_model, max_steps=20, learning_rate=1e-2, checkpoint_every=100
        ),
        pairs=PAIRS,
        run_dir=tmp_path,
    )
    options = dict(model=str(tiny_model), device="cpu", max_new_tokens=8)
    tuned = TransformersSummarizer(
        **options,
        adapter=str(outcome.output),
        adapter_sha256=weights_digest(outcome.output),
    )
    base = TransformersSummarizer(**options)
    budget = SummaryBudget(size=60)

    (result,) = tuned.summarize_batch([PAIRS[0][0]], budget=budget)

    assert result.text.startswith("Budget approved")
    assert tuned.producer_for(budget) != base.producer_for(budget)


def test_paired_bootstrap_interval_brackets_the_mean_difference():
    report = paired_bootstrap([3.0, 4.0, 5.0, 6.0], [1.0, 1.0, 2.0, 2.0])

    assert report["diff"] == 3.0
    assert 0 < report["low"] <= 3.0 <= report["high"]


def test_gate_refuses_a_candidate_that_does_not_beat_the_live_producer():
    documents = ["The board approved the budget."] * 4
    references = ["Budget approved by the board."] * 4
    good = ["The board approved the budget."] * 4
    bad = ["Weather is nice."] * 4

    worse = gate_evaluate(
        documents=documents,
        references=references,
        candidates={"candidate": bad, "live": good, "base": bad},
    )
    better = gate_evaluate(
        documents=documents,
        references=references,
        candidates={"candidate": good, "live": bad},
    )
    flagged = gate_evaluate(
        documents=documents,
        references=references,
        candidates={"candidate": good, "live": bad},
        flag=lambda system, documents, summaries: [s == good[0] for s in summaries],
        policy=GatePolicy(),
    )

    assert worse["passed"] is False and "against the live producer" in worse["reason"]
    assert better["passed"] is True
    assert (
        better["systems"]["candidate"]["rougeLsum"]
        > better["systems"]["live"]["rougeLsum"]
    )
    assert flagged["passed"] is False and "flags" in flagged["reason"]


def test_gate_refuses_a_gain_inside_its_interval_unless_told_otherwise():
    documents = ["The board approved the budget."] * 6
    references = ["Budget approved by the board."] * 6
    good, bad = "The board approved the budget.", "Weather is nice."
    # Better on three documents, worse on two: a mean gain, but not one the
    # bootstrap can tell from 0.
    candidate = [good, good, good, bad, bad, good]
    live = [bad, bad, bad, good, good, good]

    strict = gate_evaluate(
        documents=documents,
        references=references,
        candidates={"candidate": candidate, "live": live},
    )
    lenient = gate_evaluate(
        documents=documents,
        references=references,
        candidates={"candidate": candidate, "live": live},
        policy=GatePolicy(require_significant=False),
    )

    assert strict["vs_live"]["rougeLsum"]["diff"] > 0
    assert strict["passed"] is False and "includes 0" in strict["reason"]
    assert lenient["passed"] is True


def test_tokenizer_built_offline_round_trips_text():
    tokenizer = tiny_tokenizer(["Budget approved."])

    assert (
        tokenizer.decode(tokenizer("Budget approved.")["input_ids"])
        == "Budget approved ."
    )


def test_gate_examples_are_where_candidate_and_live_differ_most_both_ways():
    documents = [f"Document {i}." for i in range(6)]
    references = ["The board approved the budget."] * 6
    good, bad = "The board approved the budget.", "Weather is nice today."
    candidate = [good, good, bad, good, bad, good]
    live = [bad, good, good, bad, good, good]
    report = gate_evaluate(
        documents=documents,
        references=references,
        candidates={"candidate": candidate, "live": live},
        document_ids=[10, 11, 12, 13, 14, None],
    )

    examples = report["examples"]

    # Two wins (documents 10 and 13) and two losses (12 and 14); the ties
    # (11 and the imported pair) say nothing about the candidate.
    assert len(examples) == 4
    assert sorted(e["document_id"] for e in examples[:2]) == [10, 13]
    assert sorted(e["document_id"] for e in examples[2:]) == [12, 14]
    assert all(e["candidate_score"] > e["live_score"] for e in examples[:2])
    assert all(e["candidate_score"] < e["live_score"] for e in examples[2:])
    assert examples[0]["candidate"] == good and examples[0]["live"] == bad
