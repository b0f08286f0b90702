"""Search queries prepared for Postgres: ``tsquery`` text per language, term
weights (rarity), respellings of words no document holds, words to mark.

Everything a search mode needs from the query is computed once here, so
hybrid search parses and looks up the dictionary once for both halves.
"""

from __future__ import annotations

import re
from collections.abc import Container, Sequence
from dataclasses import dataclass, field

from django.db import connection

from ..conf import interests_setting
from ..hangul import HANGUL_SYLLABLE
from ..homophones import reads_as_chinese, reads_as_japanese
from ..search_syntax import (
    CJK_RUN,
    LATIN_WORD,
    ParsedQuery,
    Term,
    cjk_bigrams,
    cjk_surface,
    phrase_text,
    query_parse,
)
from .search_terms import (
    CORPUS_ESTIMATE_SQL,
    corpus_size,
    term_document_counts,
    term_weight,
    terms_corrections,
    terms_homophones,
    terms_japanese_homophones,
    terms_mostly_japanese,
    terms_one_key_apart,
    words_unknown,
)


@dataclass(frozen=True)
class TermQuery:
    """One ranked term as ``tsquery`` text in each configuration, with its weight."""

    english: str
    simple: str
    weight: float
    common: bool
    # Whether any document holds the term (or a respelling of it).
    known: bool = True
    # How many documents hold it (the dictionary's count; 0 when unknown).
    documents: int = 0
    # How many documents its tsquery can match at most (stems included): what
    # the keyword match rule budgets.
    postings: int = 0
    # Chinese, Japanese or Korean bigrams (or a run of them).
    cjk: bool = False


@dataclass
class PreparedSearch:
    """A query parsed and turned into ``tsquery`` text, ready for every mode."""

    query: str
    parsed: ParsedQuery
    terms: list[TermQuery] = field(default_factory=list)
    required: tuple[str, str] = ("", "")
    excluded: tuple[str, str] = ("", "")
    # "Did you mean": the query with words no document holds respelled.
    suggestion: str = ""
    # What meaning search embeds when it reads respellings: the suggestion,
    # less the Korean ones.
    respelled_for_meaning: str = ""
    # Words to mark in snippets (the query's, their respellings, the prefix).
    marked: list[str] = field(default_factory=list)
    # How many documents there are (term weights and the match budget).
    corpus: int = 1

    @property
    def has_terms(self) -> bool:
        return any(t.english or t.simple for t in self.terms) or any(self.required)


def tsquery_or(parts: Sequence[str]) -> str:
    parts = [p for p in parts if p]
    return " | ".join(f"( {p} )" for p in parts)


def tsquery_and(parts: Sequence[str]) -> str:
    parts = [p for p in parts if p]
    return " & ".join(f"( {p} )" for p in parts)


def _tsqueries(
    texts: Sequence[str], *, prefix: str = ""
) -> tuple[list[tuple[str, str]], int]:
    """Return ``(english, simple)`` tsquery text of each websearch text, and the
    planner's estimate of the corpus size, in one round trip.

    With ``prefix``, the pair for ``prefix:*`` is appended.
    """
    prefix_sql = ""
    params: list = [list(texts)]
    if prefix:
        prefix_sql = (
            " UNION ALL SELECT to_tsquery('english', %s)::text,"
            " to_tsquery('simple', %s)::text, 2147483647"
        )
        params += [f"{prefix}:*", f"{prefix}:*"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT en, simple, {CORPUS_ESTIMATE_SQL} FROM ("
            " SELECT websearch_to_tsquery('english', t)::text AS en,"
            " websearch_to_tsquery('simple', t)::text AS simple, i"
            " FROM unnest(%s::text[]) WITH ORDINALITY AS u(t, i)"
            f"{prefix_sql}) q ORDER BY i",
            params,
        )
        rows = cursor.fetchall()
    if not rows:
        return [], corpus_size()
    return [(en, simple) for en, simple, _ in rows], rows[0][2]


def _term_text(term: Term) -> str:
    if term.cjk and len(term.words) == 1 and len(term.words[0]) == 1:
        return term.words[0]  # one character: matched as a prefix below
    return term.text


def query_respelled(
    *,
    query: str,
    corrections: dict[str, list[str]],
    runs: dict[str, str] | None = None,
) -> str:
    """Return ``query`` with each corrected word replaced by its best respelling,
    punctuation and capitals kept ("Kuberntes," -> "Kubernetes,"), and each
    Chinese run in ``runs`` by its respelling ("报消" -> "报销")."""
    if runs:
        query = CJK_RUN.sub(lambda m: runs.get(m.group(), m.group()), query)

    def respell(match: re.Match) -> str:
        word = match.group()
        found = corrections.get(word.lower())
        if not found:
            return word
        if word[0].isupper():
            return (
                found[0].upper()
                if word.isupper() and len(word) > 1
                else found[0].capitalize()
            )
        return found[0]

    return LATIN_WORD.sub(respell, query)


def _cjk_runs_respelled(
    *,
    parsed: ParsedQuery,
    counts: dict[str, tuple[int, int]],
    homophones: bool,
    keystrokes: bool,
    japanese: bool | None = False,
) -> dict[str, str]:
    """Return ``{run: respelling}`` for the query's CJK runs (or bigram terms)
    holding a bigram no document holds, where the corpus has a bigram one
    character apart that is read alike (Chinese, ``homophones``: "差旅报消" ->
    "差旅报销") or typed one keystroke apart (Korean, ``keystrokes``: "출장
    헌도" -> "출장 한도"), or a bigram of Japanese documents read alike
    (``japanese``: "通勤 注射" -> "通勤 駐車"); one query for each kind.

    ``japanese`` None: the query is Han characters only, Chinese or Japanese;
    it is read as Japanese when most of its known bigrams are Japanese
    documents' ("年休 繰越 執行"), and then not by pinyin."""
    surfaces = [cjk_surface(t) for t in parsed.terms if t.cjk]
    bigrams = [bigram for run in surfaces for bigram in cjk_bigrams(run)]
    unknown = list(dict.fromkeys(b for b in bigrams if b not in counts))
    if not unknown:
        return {}
    if japanese is None:
        japanese = terms_mostly_japanese(bigrams=[b for b in bigrams if b in counts])
    homophones = homophones and not japanese
    alike = {
        **(terms_homophones(bigrams=unknown) if homophones else {}),
        **(terms_one_key_apart(bigrams=unknown) if keystrokes else {}),
        **(terms_japanese_homophones(bigrams=unknown) if japanese else {}),
    }
    runs = {}
    for run in surfaces:
        respelled = run_respelled(run=run, alike=alike, known=counts)
        if respelled != run:
            runs[run] = respelled
    return runs


def run_respelled(
    *, run: str, alike: dict[str, list[str]], known: Container[str]
) -> str:
    """Return ``run`` with each unknown bigram's differing characters replaced
    by those of the bigram ``alike`` gives it (a homophone, a neighbour by one
    keystroke), left to right: a character changes once, and never where its
    other bigram in the run is ``known`` (the slip is elsewhere)."""
    chars = list(run)
    changed: set[int] = set()
    for i in range(len(run) - 1):
        bigram = run[i : i + 2]
        if bigram not in alike:
            continue
        respelled = alike[bigram][0]
        differ = [j for j in (i, i + 1) if respelled[j - i] != run[j]]
        if any(j in changed or _other_bigram(run, at=j, of=i) in known for j in differ):
            continue
        for j in differ:
            chars[j] = respelled[j - i]
            changed.add(j)
    return "".join(chars)


def _other_bigram(run: str, *, at: int, of: int) -> str:
    """Return the bigram of ``run`` other than the one at ``of`` that holds
    character ``at`` ("" at either end)."""
    start = at - 1 if at == of else at
    return run[start : start + 2] if start >= 0 and start + 2 <= len(run) else ""


def search_prepare(*, query: str) -> PreparedSearch:
    """Parse ``query`` and build its ``tsquery`` pieces, weights and respellings.

    Costs one query for the terms' document counts, one for the ``tsquery``
    text (and the corpus size) and, when some words are in no document, one
    for their respellings (at most ``SEARCH["TYPO_TERMS"]`` words), one for
    the homophones of Chinese bigrams no document holds (or of Japanese
    ones, with one more to tell a kanji-only query's language), one for the
    neighbours by one keystroke of Korean ones, and one for the respellings'
    counts.
    """
    search = interests_setting("SEARCH")
    parsed = query_parse(query)
    prepared = PreparedSearch(query=query, parsed=parsed)
    if parsed.is_empty:
        return prepared
    words = {w for term in [*parsed.terms, *parsed.phrases] for w in term.words}
    counts = term_document_counts(words=words)
    unknown = words_unknown(
        words=[t.text.lower() for t in parsed.terms if len(t.words) == 1]
        + [w for phrase in parsed.phrases if not phrase.cjk for w in phrase.words],
        counts=counts,
    )
    respellings = terms_corrections(
        words=unknown[: search["TYPO_TERMS"]],
        threshold=search["TYPO_SIMILARITY"],
        limit=search["TYPO_ALTERNATIVES"],
        edit_min=search["TYPO_EDIT_MIN"],
    )
    corrections = {**respellings.inflections, **respellings.typos}
    # Han characters alone may be Chinese or Japanese (decided by the corpus).
    han_only = reads_as_chinese(query)
    runs = _cjk_runs_respelled(
        parsed=parsed,
        counts=counts,
        homophones=search["CJK_HOMOPHONES"] and han_only,
        keystrokes=search["HANGUL_TYPOS"],
        japanese=search["JAPANESE_HOMOPHONES"]
        and (None if han_only else reads_as_japanese(query)),
    )
    # A respelled CJK run is an alternative of its term, as a phrase of
    # its bigrams (words: those bigrams), like a respelled word is of its word.
    alternatives_of: dict[str, list[tuple[str, tuple[str, ...]]]] = {
        key: [(word, (word,)) for word in words] for key, words in corrections.items()
    }
    for term in parsed.terms:
        respelled = runs.get(cjk_surface(term)) if term.cjk else None
        if respelled:
            text, words, _ = phrase_text(respelled)
            alternatives_of[term.text.lower()] = [(text, words)]
    counts.update(
        term_document_counts(
            words=[w for alts in alternatives_of.values() for _, ws in alts for w in ws]
        )
    )
    texts = []
    for term in parsed.terms:
        alternatives = [text for text, _ in alternatives_of.get(term.text.lower(), [])]
        texts.append(" or ".join([_term_text(term), *alternatives]))
    single_cjk = [
        i
        for i, t in enumerate(parsed.terms)
        if t.cjk and len(t.words) == 1 and len(t.words[0]) == 1
    ]
    # A required phrase holding a word no document holds matches nothing:
    # it is searched respelled ('"smoek suite"' finds the smoke suite).
    texts += [
        query_respelled(query=p.text, corrections=respellings.typos)
        for p in parsed.phrases
    ]
    texts += [e.text for e in parsed.excluded]
    prefix = parsed.prefix if parsed.prefix not in corrections else ""
    pairs, estimate = _tsqueries(texts, prefix=prefix)
    n_terms, n_phrases = len(parsed.terms), len(parsed.phrases)
    term_pairs = pairs[:n_terms]
    for i in single_cjk:
        char = parsed.terms[i].words[0]
        term_pairs[i] = (f"'{char}':*", f"'{char}':*")
    if prefix:
        term_pairs[-1] = pairs[-1]
    phrase_pairs = pairs[n_terms : n_terms + n_phrases]
    excluded_pairs = pairs[n_terms + n_phrases : len(texts)]
    corpus = prepared.corpus = corpus_size(estimate=estimate)
    for term, (english, simple) in zip(parsed.terms, term_pairs, strict=True):
        spellings = [
            term.words,
            *[words for _, words in alternatives_of.get(term.text.lower(), [])],
        ]
        # A phrase of words (or bigrams) is as rare as its rarest word; a
        # respelled term matches any of its spellings.
        document_count = max(
            min((counts.get(w, (0, 0))[0] for w in words_), default=0)
            for words_ in spellings
        )
        postings = sum(
            min((counts.get(w, (0, 0))[1] for w in words_), default=0)
            for words_ in spellings
        )
        # A term weighs by the documents it matches: English ones by stem, so
        # "ones" weighs no more than "one" (split a, keyword MRR@10: DialogSum
        # 88.0 -> 90.5, XSum 93.4 -> 95.3, XSum typos 89.1 -> 91.7).
        matched = max(document_count, postings)
        prepared.terms.append(
            TermQuery(
                english=english,
                simple=simple,
                weight=term_weight(document_count=matched, corpus=corpus),
                common=document_count > search["COMMON_SHARE"] * corpus,
                known=document_count > 0,
                documents=document_count,
                postings=postings,
                cjk=term.cjk,
            )
        )
    prepared.required = (
        tsquery_and([en for en, _ in phrase_pairs]),
        tsquery_and([s for _, s in phrase_pairs]),
    )
    prepared.excluded = (
        tsquery_or([en for en, _ in excluded_pairs]),
        tsquery_or([s for _, s in excluded_pairs]),
    )
    if respellings.typos or runs:
        prepared.suggestion = query_respelled(
            query=query, corrections=respellings.typos, runs=runs
        )
        # A Korean word one keystroke from a corpus word is often a word of
        # its own (도장 and 고장): the multilingual model reads the query as
        # typed (split a, Korean keywords and questions: meaning MRR@10 86.3
        # and 83.2 as typed, 83.0 and 75.2 respelled).
        prepared.respelled_for_meaning = query_respelled(
            query=query,
            corrections=respellings.typos,
            runs={r: s for r, s in runs.items() if not HANGUL_SYLLABLE.search(r)},
        )
    marked = parsed.marked_words()
    marked += [w for ws in corrections.values() for w in ws]
    marked += list(runs.values())
    if prefix:
        marked.append(prefix + "*")
    prepared.marked = list(dict.fromkeys(marked))
    return prepared
