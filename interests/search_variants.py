"""Known-item queries as readers mistype them: a deterministic typo in about
one word in four and common words paraphrased (``evaluate_search --variant
typos`` and the benches)."""

from __future__ import annotations

import hashlib
import random

PARAPHRASES = {
    "said": "stated",
    "says": "states",
    "people": "persons",
    "government": "administration",
    "company": "firm",
    "police": "officers",
    "man": "person",
    "woman": "lady",
    "children": "kids",
    "new": "fresh",
    "first": "initial",
    "killed": "slain",
    "died": "passed away",
    "found": "discovered",
    "car": "vehicle",
    "help": "assist",
    "buy": "purchase",
    "wants": "would like",
    "asks": "requests",
    "tells": "informs",
    "talk": "chat",
    "job": "position",
    "money": "cash",
    "home": "house",
    "big": "large",
    "small": "little",
    "start": "begin",
    "end": "finish",
    "plans": "intends",
    "shows": "demonstrates",
    "because": "since",
}


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:  # drop a letter
        return word[:i] + word[i + 1 :]
    if kind == 1:  # swap two neighbours
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]  # double a letter


def query_variant(query: str, *, key: str) -> str:
    """Return ``query`` with a typo in about one word in four (of 5+ letters) and
    common words paraphrased; the same ``key`` always gives the same variant."""
    rng = random.Random(hashlib.sha256(key.encode()).digest())
    words = []
    for word in query.split():
        core = word.strip(".,;:!?\"'").lower()
        if core in PARAPHRASES:
            word = word.lower().replace(core, PARAPHRASES[core])
        elif len(core) >= 5 and core.isalpha() and rng.random() < 0.25:
            word = word.replace(word.strip(".,;:!?\"'"), _typo(core, rng))
        words.append(word)
    return " ".join(words)
