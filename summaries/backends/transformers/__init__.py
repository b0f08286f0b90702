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

from .budget import budget_trim, budget_words
from .generating import OOM_RECOVERY_BATCHES
from .summarizer import DEFAULT_PROMPT, TransformersSummarizer

__all__ = [
    "DEFAULT_PROMPT",
    "OOM_RECOVERY_BATCHES",
    "TransformersSummarizer",
    "budget_trim",
    "budget_words",
]
