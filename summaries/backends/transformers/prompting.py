"""Fitting a document into the model's window: the rendered prompt, token counts and chunks for map-reduce."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

from summaries.text import (
    Sentence,
    sentences_join,
    sentences_split,
)

from ..base import SummarizerUnavailableError

logger = logging.getLogger(__name__)


# Below this many tokens left for the document the prompt leaves no room.
MIN_TEXT_TOKENS = 16


class PromptFitting:
    """Render prompts and cut documents so that every part fits the input window."""

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
