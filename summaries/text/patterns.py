"""The patterns and word lists the text rules read."""

from __future__ import annotations

import re

from docsite.documents.parsers.base import CJK_RANGES

# Same definition as the documents app's word count, so budgets and the
# stored ``Document.word_count`` agree: each CJK ideograph is a word, also
# right after digits or Latin letters (a run of word characters would
# otherwise swallow the ideographs after "2025" or "iPhone").
WORD = re.compile(
    r"[\u3400-\u9fff\uf900-\ufaff]"
    r"|[^\W_\u3400-\u9fff\uf900-\ufaff]+(?:['’][^\W_\u3400-\u9fff\uf900-\ufaff]+)*"
)
CJK = CJK_RANGES
CJK_CHAR = re.compile(f"[{CJK}]")

ATX_HEADING = re.compile(r"^\s{0,3}#{1,6}[ \t]+(\S.*)$")
SETEXT_UNDERLINE = re.compile(r"^\s{0,3}(?:=+|-+)[ \t]*$")
LIST_ITEM = re.compile(r"^\s*(?:[-*+•●▪‣◦]|\(?\d{1,3}[.)]|[a-zA-Z][.)])[ \t]+(\S.*)$")
THEMATIC_BREAK = re.compile(
    r"^\s{0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$"
)

# Candidate ends of a Latin-script sentence: terminators, then closing
# quotes/brackets, then whitespace. Whether it really ends is decided by
# looking at the words on both sides.
LATIN_END = re.compile(r"([.!?…]+)([\"'”’»)\]]*)(\s+)")
# Ends of a CJK sentence: no space follows, so the terminator itself decides.
CJK_END = re.compile(r"([。！？；]+|…{1,2}|\.{3,6}|[!?]+)([”’」』）)】》〉\"']*)")
CJK_FULLWIDTH_END = re.compile(r"[。！？；]")
# A quote that ends a sentence, then who said it: “……。”李阿姨说。 is one
# sentence, as '"Why?" she asked.' is in English; the attribution alone says
# nothing. A short clause (no comma, no quote) ending in a verb of saying.
CJK_ATTRIBUTION = re.compile(
    r"[^。！？；，,“”「」『』\n]{1,24}?"
    r"(?:说|说道|道|表示|称|解释|介绍|回忆|坦言|感叹|强调|指出|问|答|告诉记者)"
    r"[。！？]"
)
CJK_CLOSERS = tuple("。！？；…”’」』）】》〉")

SENTENCE_PUNCTUATION = tuple(".!?…。！？；:：\"'”’)」』")
TITLE_MAX_WORDS = 12

# Abbreviations after which a period never ends a sentence: titles and words
# always followed by more of the sentence.
NEVER_FINAL = {
    "mr", "mrs", "ms", "mx", "dr", "prof", "sr", "jr", "st", "mt", "rev",
    "hon", "gen", "col", "lt", "capt", "cpt", "sgt", "cmdr", "adm", "maj", "gov",
    "sen", "rep", "pres", "supt", "insp", "det", "messrs", "mme", "mlle",
    "e.g", "i.e", "eg", "ie", "cf", "vs", "v", "viz", "approx", "ca", "al",
    "fig", "figs", "vol", "vols", "ch", "chap", "sec", "pp", "p", "para",
    "dept", "univ", "assn", "ave", "blvd", "rd", "hwy", "tues", "thurs",
}  # fmt: skip
# Words that are abbreviations only before a number ("No. 5", "Jan. 3") and
# ordinary words at the end of a sentence otherwise ("The answer is no.").
BEFORE_NUMBER = {
    "no", "nos", "art", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec",
}  # fmt: skip
# Abbreviations that often end a sentence too: a period after them ends one
# only when the next word usually starts a sentence.
MAYBE_FINAL = {
    "etc", "inc", "ltd", "co", "corp", "llc", "plc", "bros", "ft",
    "a.m", "p.m", "u.s", "u.k", "u.n", "e.u", "d.c", "u.s.a", "ph.d",
    "b.a", "m.a", "b.sc", "m.sc", "a.d", "b.c",
}  # fmt: skip
LANGUAGE_ABBREVIATIONS = {
    "de": {"z.b", "bzw", "usw", "ggf", "vgl", "d.h", "u.a", "s", "nr", "hr", "fr",
           "dipl", "ing", "evtl", "inkl", "zzgl", "ca", "bspw", "u.ä", "o.ä"},
    "fr": {"mm", "mme", "mlle", "env", "p.ex", "av", "bd", "cf", "chap"},
    "es": {"sr", "sra", "srta", "ud", "uds", "dña", "p.ej", "pág", "núm", "av"},
    "it": {"sig", "sig.ra", "dott", "ing", "avv", "pag", "ecc"},
    "nl": {"dhr", "mevr", "bijv", "blz", "o.a", "d.w.z", "m.b.t", "t.a.v", "nr"},
    "pt": {"sr", "sra", "dr", "dra", "pág", "av", "nº"},
}  # fmt: skip
ALL_LANGUAGE_ABBREVIATIONS = set().union(*LANGUAGE_ABBREVIATIONS.values())
# Words that start sentences far more often than they follow "U.S." or "Inc.".
SENTENCE_STARTERS = {
    "a", "an", "the", "he", "she", "it", "they", "we", "i", "you", "this", "that",
    "these", "those", "there", "his", "her", "its", "their", "our", "my", "but",
    "and", "so", "yet", "however", "in", "on", "at", "for", "if", "when", "while",
    "after", "before", "as", "what", "why", "how", "who", "where", "some", "many",
    "most", "all", "both", "each", "one", "no", "not", "then", "also", "meanwhile",
}  # fmt: skip
