"""Sentence segmentation of one paragraph for the summarizer's units.

Sentences are segmented with sentencex (a maintained, rule-based segmenter
for ~300 languages, Wikimedia). The older rule splitter of
``summaries.text`` is kept as ``segmenter="rules"`` for comparison; see
``bench/segmenters.py`` for how the two measure.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from docsite.documents.parsers.base import CJK_RANGES

__all__ = ["SEGMENTERS", "sentences_segment"]

_KANA = re.compile("[\u3040-\u30ff]")
_HANGUL = re.compile("[\uac00-\ud7af]")
_CJK = re.compile(f"[{CJK_RANGES}]")
# Sentences glued where a paragraph break was lost ("as amyloid and
# APOE.But through…", "in 1958.His fourth…"): a terminal mark between a word
# and a capitalised word, with no space. Two letters or digits before it keep
# initials and "U.S.Army" whole; a name followed by "." or "@" is an address.
_GLUED = re.compile(r"(?<=[A-Za-z0-9)\]\"”’%]{2})[.!?](?=[A-Z][a-z]+\b(?![.@]))")
# A menu or share bar whose labels lost their spaces when a web page became
# text ("Share this withEmailFacebookMessengerTwitterWhatsAppLinkedinCopy this
# linkResearchers found…", a fifth of the XSum articles): one token with five
# or more lower-to-upper joins (identifiers have fewer: getElementsByTagName
# has four). It ends at the next such join within a few words, where the
# text it was glued to begins.
_MENU_RUN = re.compile(r"[A-Za-z]*(?:[a-z][A-Z][a-z]+){5,}[A-Za-z]*")
_MENU_END = re.compile(r"[a-z](?=[A-Z][a-z])")
_MENU_TAIL_CHARS = 30


def _sentencex(text: str, language: str) -> list[str]:
    from sentencex import segment

    return list(segment(language, text))


def _rules(text: str, language: str) -> list[str]:
    from summaries.text import sentences_of

    return sentences_of(text, language=language)


SEGMENTERS: dict[str, Callable[[str, str], list[str]]] = {
    "sentencex": _sentencex,
    "rules": _rules,
}


def sentences_segment(
    text: str, *, language: str | None = None, segmenter: str = "sentencex"
) -> list[str]:
    """Split one paragraph of text into sentences.

    ``language`` is an ISO 639-1 code; without one, a text with kana,
    hangul or ideographs is read as Japanese, Korean or Chinese and anything
    else as English, whose rules serve most Latin-script languages. A menu
    whose labels lost their spaces (``_MENU_RUN``) is no sentence: it is cut
    from the text it was glued to and left out.
    """
    text = " ".join(text.split())
    if not text:
        return []
    split = SEGMENTERS[segmenter]
    language = _segmentation_language(text, language)
    pieces = [piece for part in _unglued(text) for piece in split(part, language)]
    return [
        piece
        for piece in (" ".join(p.split()) for p in pieces)
        if piece and not _MENU_RUN.search(piece)
    ]


def _unglued(text: str) -> list[str]:
    """Return ``text`` cut after each glued sentence end and glued menu; the text itself is unchanged."""
    cuts = [match.end() for match in _GLUED.finditer(text)]
    for menu in _MENU_RUN.finditer(text):
        end = _MENU_END.search(text, menu.end(), menu.end() + _MENU_TAIL_CHARS)
        if end:
            cuts.append(end.end())
    cuts = sorted(set(cuts))
    if not cuts:
        return [text]
    return [
        text[start:end]
        for start, end in zip([0, *cuts], [*cuts, len(text)], strict=True)
    ]


def _segmentation_language(text: str, language: str | None) -> str:
    if language:
        return language.lower()[:2]
    if _KANA.search(text):
        return "ja"
    if _HANGUL.search(text):
        return "ko"
    if _CJK.search(text):
        return "zh"
    return "en"
