"""Parse a search box query (web-search syntax) into what every search mode honours.

Pure Python, no database: ``query_parse`` splits a query into ranked terms,
required quoted phrases and ``-exclusions``. Postgres turns each piece into a
``tsquery`` later (``websearch_to_tsquery`` per language configuration).

Chinese, Japanese and Korean are written without spaces, and the index holds
their character bigrams (``docsite_cjk_bigrams``); so a CJK run in a query is
rewritten into its bigrams inside quotes, a phrase that matches the run
anywhere inside a longer one ("门禁卡" → ``"门禁 禁卡"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# The same ranges as the docsite_cjk_bigrams SQL function (documents 0004):
# kana, CJK extension A, unified ideographs, compatibility ideographs, Hangul.
CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
CJK_RUN = re.compile(f"[{CJK_CHARS}]+")
LATIN_WORD = re.compile(r"[^\W_]+(?:[_.'-][^\W_]+)*", re.UNICODE)

# A CJK run up to this long is one term (a phrase of its bigrams); a longer
# run, typically a sentence, is ranked by its bigrams one by one, so a
# document holding most of them ranks first without holding them all.
CJK_PHRASE_MAX = 6
# A query with this many words outside quotes is prose (a pasted sentence, a
# summary): its quotation marks quote someone rather than ask for a phrase,
# so quoted words rank like the others instead of being required.
PROSE_TERMS = 6
# Terms beyond this many add little to the ranking but cost a check each.
MAX_TERMS = 40

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
# Markup pasted into the box is not something to search for.
_MARKUP = re.compile(r"</?[A-Za-z][^<>]*>")
# No real word or identifier is longer; longer runs are pasted junk.
MAX_WORD = 50

STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
    ]
)


@dataclass(frozen=True)
class Term:
    """One ranked piece of the query, as Postgres ``websearch`` text.

    ``text`` is given to ``websearch_to_tsquery``; ``words`` are its plain
    words (lower case) or CJK bigrams, for term weights and highlighting.
    """

    text: str
    words: tuple[str, ...]
    cjk: bool = False


@dataclass
class ParsedQuery:
    terms: list[Term] = field(default_factory=list)
    phrases: list[Term] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)
    # The last word when the query does not end in a space: search as you type.
    prefix: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.terms or self.phrases)

    def marked_words(self) -> list[str]:
        """Return the words and CJK runs worth marking in a snippet."""
        words: list[str] = []
        for term in [*self.terms, *self.phrases]:
            if term.cjk:
                words.append(cjk_surface(term))
            else:
                words.extend(term.words)
        return [w for w in dict.fromkeys(words) if w and w not in STOP_WORDS]


def cjk_surface(term: Term) -> str:
    """Return the CJK run a bigram term was made from."""
    bigrams = term.words
    if not bigrams:
        return ""
    return bigrams[0] + "".join(b[1:] for b in bigrams[1:])


def cjk_bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def phrase_text(text: str) -> tuple[str, tuple[str, ...], bool]:
    """Return websearch text for a phrase, its words, and whether it is CJK only."""
    words: list[str] = []
    pieces: list[str] = []
    position = 0
    for run in CJK_RUN.finditer(text):
        latin = text[position : run.start()]
        pieces.append(latin)
        words.extend(w.lower() for w in LATIN_WORD.findall(latin))
        bigrams = cjk_bigrams(run.group()) if len(run.group()) > 1 else [run.group()]
        pieces.append(" " + " ".join(bigrams) + " ")
        words.extend(bigrams)
        position = run.end()
    pieces.append(text[position:])
    words.extend(w.lower() for w in LATIN_WORD.findall(text[position:]))
    cjk_only = bool(CJK_RUN.search(text)) and not LATIN_WORD.sub(
        "", CJK_RUN.sub("", text)
    ).strip("\"'-_. ")
    clean = " ".join("".join(pieces).replace('"', " ").split())
    return f'"{clean}"', tuple(words), cjk_only


def _word_terms(token: str) -> list[Term]:
    """Split a bare token into terms: Latin words as they are, CJK runs as bigrams."""
    terms: list[Term] = []
    position = 0
    for run in CJK_RUN.finditer(token):
        terms.extend(_latin_terms(token[position : run.start()]))
        text = run.group()
        if len(text) <= CJK_PHRASE_MAX:
            phrase, words, _ = phrase_text(text)
            terms.append(Term(text=phrase, words=words, cjk=True))
        else:
            terms.extend(
                Term(text=bigram, words=(bigram,), cjk=True)
                for bigram in dict.fromkeys(cjk_bigrams(text))
            )
        position = run.end()
    terms.extend(_latin_terms(token[position:]))
    return terms


def _latin_terms(text: str) -> list[Term]:
    terms = []
    for word in LATIN_WORD.findall(text):
        lower = word.lower()
        if lower in STOP_WORDS or lower == "or" or len(word) > MAX_WORD:
            continue
        parts = tuple(p for p in re.split(r"[_.'-]", lower) if p)
        terms.append(Term(text=word, words=parts or (lower,)))
    return terms


def _cjk_runs_as_bigrams(terms: list[Term]) -> list[Term]:
    """Return ``terms`` with each short CJK run (a phrase) ranked by its bigrams.

    In prose (a pasted sentence, a summary) a short run is a clause between
    commas ("服务有待改进"), not a name asked for: as a phrase a document must
    hold all of it, so a document saying the same in other words ("服务"
    and "改进" apart) matched none of it. Longer runs are bigrams already.
    """
    expanded: list[Term] = []
    seen: set[str] = set()
    for term in terms:
        pieces = (
            [Term(text=bigram, words=(bigram,), cjk=True) for bigram in term.words]
            if term.cjk and all(len(word) == 2 for word in term.words)
            else [term]
        )
        for piece in pieces:
            if piece.text.lower() not in seen:
                seen.add(piece.text.lower())
                expanded.append(piece)
    return expanded


def query_parse(query: str) -> ParsedQuery:
    """Return the ranked terms, required phrases and exclusions of ``query``.

    - ``"a phrase"`` must occur (unless the query is prose, see
      ``PROSE_TERMS``); ``-word`` and ``-"a phrase"`` must not;
    - every other word is a ranked term: a document matching more of the
      rarer terms ranks higher, and none is required alone;
    - ``or`` is accepted and ignored (terms are alternatives already);
    - stop words are dropped outside phrases.
    """
    parsed = ParsedQuery()
    seen: set[str] = set()
    query = _MARKUP.sub(" ", query)
    for match in _TOKEN.finditer(query):
        negative, quoted, bare = match.group(1), match.group(2), match.group(3)
        if quoted is not None:
            if not quoted.strip():
                continue
            text, words, cjk_only = phrase_text(quoted)
            if not words:
                continue
            target = parsed.excluded if negative else parsed.phrases
            target.append(Term(text=text, words=words, cjk=cjk_only))
            continue
        if bare.startswith("-") and len(bare) > 1:
            for term in _word_terms(bare[1:]):
                parsed.excluded.append(term)
            continue
        for term in _word_terms(bare):
            key = term.text.lower()
            if key not in seen:
                seen.add(key)
                parsed.terms.append(term)
    if len(parsed.terms) >= PROSE_TERMS and parsed.phrases:
        for phrase in parsed.phrases:
            for term in _word_terms(phrase.text.strip('"')):
                if term.text.lower() not in seen:
                    seen.add(term.text.lower())
                    parsed.terms.append(term)
        parsed.phrases = []
    if len(parsed.terms) >= PROSE_TERMS:
        parsed.terms = _cjk_runs_as_bigrams(parsed.terms)
    if parsed.terms and query and not query[-1].isspace():
        last = parsed.terms[-1].text.lower()
        typed_last = query.rstrip().lower().endswith(last)
        if (
            not parsed.terms[-1].cjk
            and re.fullmatch(r"[a-z0-9]{2,}", last)
            and typed_last
        ):
            parsed.prefix = last
    del parsed.terms[MAX_TERMS:]
    return parsed
