"""How a summary budget becomes a prompt, a generation limit and a trimmed answer."""

from __future__ import annotations

import math

from summaries.text import (
    Sentence,
    sentences_join,
    sentences_split,
    text_word_count,
    truncate_to_budget,
)

from ..base import SummaryBudget

# Generation budget per requested word. English averages about 1.3-1.6 tokens
# a word; the headroom lets the model finish its last sentence, and the
# result is trimmed to the budget afterwards.
TOKENS_PER_WORD = 2.0
# For a character budget: about 4 characters per token in English, less in
# other scripts, so 3 keeps headroom.
CHARS_PER_TOKEN = 3.0
CHARS_PER_WORD = 6

# What a model's answer may end with when its last sentence is complete.
TERMINAL_PUNCTUATION = tuple(".!?…。！？；\"'”’)」』")


def budget_words(budget: SummaryBudget) -> int:
    """Return the budget in words, for the prompt's ``{words}``."""
    if budget.unit == "chars":
        return max(1, budget.size // CHARS_PER_WORD)
    return max(1, budget.size)


def budget_tokens(budget: SummaryBudget) -> int:
    """Return how many tokens to let the model generate for ``budget``."""
    if budget.unit == "chars":
        return max(8, math.ceil(budget.size / CHARS_PER_TOKEN))
    return max(8, math.ceil(budget.size * TOKENS_PER_WORD))


def budget_length(text: str, budget: SummaryBudget) -> int:
    return len(text) if budget.unit == "chars" else text_word_count(text)


def complete_sentences(text: str, *, hit_limit: bool) -> str:
    """Drop a trailing sentence fragment left when generation hit its token limit."""
    text = text.strip()
    if not hit_limit or text.endswith(TERMINAL_PUNCTUATION):
        return text
    units = sentences_split(text)
    if len(units) < 2:
        return text
    return sentences_join(units[:-1])


def budget_trim(text: str, budget: SummaryBudget) -> str:
    """Return ``text`` cut to ``budget``: whole sentences when any fit, else cut between words with an ellipsis."""
    if budget_length(text, budget) <= budget.size:
        return text
    units = sentences_split(text)
    kept: list[Sentence] = []
    for unit in units:
        if budget_length(sentences_join([*kept, unit]), budget) > budget.size:
            break
        kept.append(unit)
    if kept:
        return sentences_join(kept)
    return truncate_to_budget(text, budget)
