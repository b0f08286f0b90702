"""A tiny causal LLM for training tests, built offline in well under a second:
a word-level tokenizer trained on the test's own texts (with a ChatML chat
template, shaped like SmolLM2's) and a random 2-layer Llama from a config.
Saved to a folder, so code loads it by path, offline, as it loads a real model.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from summaries.backends.transformers import DEFAULT_PROMPT

CHATML_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' "
    "+ message['content'] + '<|im_end|>\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def tiny_tokenizer(corpus: Iterable[str]):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["[UNK]", "[PAD]", "<|im_start|>", "<|im_end|>"]
    core = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    texts = [DEFAULT_PROMPT, "user assistant system", *corpus]
    core.train_from_iterator(
        texts, trainers.WordLevelTrainer(special_tokens=specials, min_frequency=1)
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        unk_token="[UNK]",
        pad_token="[PAD]",
        eos_token="<|im_end|>",
        additional_special_tokens=["<|im_start|>"],
        model_max_length=1024,
    )
    tokenizer.chat_template = CHATML_TEMPLATE
    return tokenizer


def llama_save(
    folder: Path,
    tokenizer,
    *,
    layers: int = 2,
    max_positions: int = 1024,
    suppressed_token_ids: Iterable[int] = (),
    **config,
) -> Path:
    """Save a random tiny Llama for ``tokenizer`` (with the tokenizer) to ``folder``.

    ``suppressed_token_ids`` can never be generated, so that a random model
    does not end at once and every output has content.
    """
    import torch
    import transformers

    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=layers,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=max_positions,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=True,
        **config,
    )
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    with torch.no_grad():
        for token_id in suppressed_token_ids:
            model.get_output_embeddings().weight[token_id].zero_()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def tiny_llama_save(folder: Path, *, corpus: Iterable[str]) -> Path:
    tokenizer = tiny_tokenizer(corpus)
    return llama_save(folder, tokenizer, pad_token_id=tokenizer.pad_token_id)
