"""Chinese words of a long query run, for keyword search.

Documents are indexed by character bigrams, so a Chinese query run is
searched by bigrams too. A short run (a word or two, "门禁卡") is one phrase
of its bigrams; a long run is a sentence ("报销一般多久能到账"), and its
overlapping bigrams include ones that straddle two words (销一, 久能): rare
in the corpus, so weighted high, and matched by unrelated pages. Its words
(报销, 一般, 多久) are what the reader asked about.

Words come from ``rjieba`` (jieba's dictionary and model, in Rust), imported
on first use. Single characters between words are mostly particles (能, 的)
and are left out; consecutive single characters are kept together as one
run, since that is where jieba leaves a word it does not know, a mistyped
one included (报消 stays one run and is respelled by its reading).
"""

from __future__ import annotations

import functools


@functools.cache
def _cut():
    import rjieba

    return rjieba.cut


def chinese_words(run: str) -> list[str]:
    """Return the words of a Chinese ``run`` of two or more characters each,
    in order, consecutive single characters joined."""
    words: list[str] = []
    singles = ""
    for token in _cut()(run):
        if len(token) == 1:
            singles += token
            continue
        if len(singles) > 1:
            words.append(singles)
        singles = ""
        words.append(token)
    if len(singles) > 1:
        words.append(singles)
    return words
