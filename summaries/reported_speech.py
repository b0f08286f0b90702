"""Dialogue turns in reported speech: "#Person2#: I feel itchy!" becomes
"#Person2# feels itchy!".

A summary of a conversation says who did what; a first-person line lifted
out of it ("I got caught.") leaves the reader to work out who "I" is, and
human summaries of dialogues name the speaker instead (DialogSum,
SAMSum). Only the persons change: "I" and "me" become the speaker's name,
"my" their possessive, "you" the other speaker's name when the dialogue
has exactly two, and the verb after the new subject agrees with it
(``lemminflect``'s English inflection tables). Nothing else is reworded,
so no fact is added.

A sentence is rewritten only when that is safe; otherwise it stays as said,
with its speaker label, as before:

- it opens with "I", "I'm", "I've", "I'll", "I'd" or "My", maybe after short
  interjections or a form of address ("Oh, Steven, I made a mistake.");
- it is no question, and says nothing of "we", "us" or "our";
- every verb that must agree with the new subject is known: a word after
  "I" that is no verb (to the inflection tables), a verb after "you" whose
  form would change, or a verb after "and" / "or" / "but" that might share
  the subject ("I eat and go to bed") leaves the sentence as said.

English only: a sentence in another language has no "I".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

from .structure import Unit

logger = logging.getLogger(__name__)

_MODAL_WORDS = """
    can could will would shall should may might must cannot can't couldn't
    won't wouldn't shan't shouldn't mightn't mustn't
"""
MODALS = frozenset(_MODAL_WORDS.split())
# Words that may stand between a subject and its verb ("I really like it").
_ADVERB_WORDS = """
    also just really never always still already only even usually often
    actually certainly definitely probably totally completely hardly rarely
    sometimes truly simply
"""
ADVERBS = frozenset(_ADVERB_WORDS.split())
# The verb forms after "I" whose third person is not the inflection tables'
# (auxiliaries and their negations).
AUXILIARIES = {
    "am": "is",
    "was": "was",
    "wasn't": "wasn't",
    "have": "has",
    "haven't": "hasn't",
    "do": "does",
    "don't": "doesn't",
    "ain't": "isn't",
}
# "I'm" and kin; "I'd" is decided by the word after it.
FIRST_CONTRACTIONS = {"I'm": "is", "I've": "has", "I'll": "will"}
SECOND_CONTRACTIONS = {"you're": "is", "you've": "has", "you'll": "will"}

_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")
_OPENS_FIRST_PERSON = re.compile(r"^(?:I|I['’](?:m|ve|ll|d)|My)\b")
# Short interjections and forms of address before the "I" that opens what
# was said: "Oh, Steven, I made ...", "Well, no, I ...".
_LEADING = re.compile(r"^(?:[A-Za-z]+(?:\s+[A-Za-z]+)?,\s+){1,3}(?=(?:I|My)\b)")
_FIRST_PLURAL = re.compile(r"\b(?:we|us|our|ours|ourselves)\b|\bwe['’]", re.IGNORECASE)
_COORDINATORS = frozenset(["and", "or", "but"])


def units_reported(units: Sequence[Unit], *, language: str | None = None) -> list[Unit]:
    """Return ``units`` with each dialogue sentence's reported form
    (``Unit.reported``) where it can be given; other units are unchanged.

    "You" is the other speaker only in a dialogue of two speakers.
    """
    speakers = sorted({_name(unit.speaker) for unit in units if unit.speaker})
    if not speakers or (language and language != "en"):
        return list(units)
    try:
        import lemminflect  # noqa: F401
    except ImportError:
        # A broken install must not stop dialogues being summarized.
        logger.warning("lemminflect is not installed; dialogue turns stay as said")
        return list(units)
    reported = []
    for unit in units:
        if not unit.speaker:
            reported.append(unit)
            continue
        speaker = _name(unit.speaker)
        others = [name for name in speakers if name != speaker]
        said = sentence_reported(
            unit.said,
            speaker=speaker,
            listener=others[0] if len(others) == 1 else None,
        )
        reported.append(replace(unit, reported=said or ""))
    return reported


def sentence_reported(
    sentence: str, *, speaker: str, listener: str | None
) -> str | None:
    """Return ``sentence``, said by ``speaker`` to ``listener``, in the third
    person ("I feel itchy!" -> "Anna feels itchy!"), or None where that
    cannot be done safely (see the module docstring)."""
    text = " ".join(sentence.split())
    leading = _LEADING.match(text)
    if leading:
        text = text[leading.end() :]
    if (
        not _OPENS_FIRST_PERSON.match(text)
        or text.endswith("?")
        or _FIRST_PLURAL.search(text)
    ):
        return None
    words = [
        (match.group(), match.start(), match.end()) for match in _WORD.finditer(text)
    ]
    pieces: list[str] = []
    written_to = 0
    # Whether a verb after "and" might have to agree with the last subject
    # ("I eat and go to bed", "I'm tired and want ...").
    and_may_agree = False
    index = 0
    while index < len(words):
        word, start, end = words[index]
        replacement, used = None, 1
        plain = word.replace("’", "'")
        if plain in FIRST_CONTRACTIONS:
            replacement = f"{speaker} {FIRST_CONTRACTIONS[plain]}"
            and_may_agree = plain != "I'll"  # "I'm tired and want ..."
        elif plain == "I'd":
            after = words[index + 1][0].lower() if index + 1 < len(words) else ""
            replacement = f"{speaker} {'had' if _had_after(after) else 'would'}"
            and_may_agree = False
        elif word == "I":
            verb_at = index + 1
            while verb_at < len(words) and words[verb_at][0].lower() in ADVERBS:
                verb_at += 1
            if verb_at == len(words):
                return None
            verb = words[verb_at][0]
            agreed = verb_third_person(verb)
            if agreed is None:
                return None
            # After a modal a verb keeps its form ("can swim and do yoga");
            # after any other, one that would change may share the subject.
            and_may_agree = verb.lower() not in MODALS
            replacement = f"{speaker}{text[end : words[verb_at][1]]}{agreed}"
            end, used = words[verb_at][2], verb_at - index + 1
        elif word in ("me", "myself"):
            replacement = speaker if word == "me" else "themselves"
        elif word in ("my", "My", "mine"):
            replacement = f"{speaker}'s"
        elif plain.lower() in ("you", "your", "yours", "yourself") or (
            plain.lower() in SECOND_CONTRACTIONS
        ):
            if listener is None:
                return None
            replacement = _second_person(plain, words, index, listener)
            if replacement is None:
                return None
        elif word.lower() in _COORDINATORS and and_may_agree:
            following = index + 1
            while following < len(words) and words[following][0].lower() in ADVERBS:
                following += 1
            if following < len(words) and _changes_in_third_person(words[following][0]):
                return None  # "I eat and go": "go" may share the subject
        if replacement is not None:
            pieces += [text[written_to:start], replacement]
            written_to = end
        index += used
    pieces.append(text[written_to:])
    return "".join(pieces)


@lru_cache(maxsize=8192)
def verb_third_person(word: str) -> str | None:
    """The form of verb ``word`` after "he" or "she" where it followed "I"
    ("feel" -> "feels", "made" -> "made", "am" -> "is"); None for a word the
    inflection tables do not know as a verb."""
    low = word.lower().replace("’", "'")
    if low in AUXILIARIES:
        return AUXILIARIES[low]
    if low in MODALS or low.endswith("n't"):
        return word
    forms = _verb_forms(low)
    if forms is None:
        return None
    if low in forms.get("VBD", ()) or low in forms.get("VBN", ()):
        return word  # the past is the same for every person
    if low in forms.get("VBP", ()) or low in forms.get("VB", ()):
        third = forms.get("VBZ")
        return third[0] if third else None
    return None


def _changes_in_third_person(word: str) -> bool:
    agreed = verb_third_person(word)
    return agreed is not None and agreed != word


def _verb_forms(word: str) -> dict[str, tuple[str, ...]] | None:
    # Imported on first use: only summarizing a dialogue needs the tables.
    import lemminflect

    lemmas = lemminflect.getAllLemmas(word, upos="VERB").get("VERB")
    if not lemmas:
        return None
    return lemminflect.getAllInflections(lemmas[0], upos="VERB")


def _had_after(word: str) -> bool:
    """Whether "I'd" before ``word`` is "I had" ("I'd better", "I'd been",
    "I'd forgotten"), not "I would" ("I'd like")."""
    if word in ("better", "been", "had"):
        return True
    forms = _verb_forms(word) or {}
    return word in forms.get("VBN", ()) and word not in forms.get("VBP", ())


def _second_person(
    word: str, words: list[tuple[str, int, int]], index: int, listener: str
) -> str | None:
    """What "you" (or "your", "you're", ...) at ``index`` becomes, or None
    where "you" is the subject of a verb that would have to agree."""
    low = word.lower()
    if low in ("your", "yours"):
        return f"{listener}'s"
    if low == "yourself":
        return "themselves"
    if low in SECOND_CONTRACTIONS:
        return f"{listener} {SECOND_CONTRACTIONS[low]}"
    following = words[index + 1][0] if index + 1 < len(words) else ""
    if following.lower() in ("are", "were", "have", "do", "don't", "haven't", "aren't"):
        return None
    if following and _changes_in_third_person(following):
        return None  # "you look", or "call you back": cannot tell, keep as said
    return listener


def _name(label: str) -> str:
    """The speaker's name in a turn's label ("#Person1#: " -> "#Person1#")."""
    return label.strip().rstrip(":：").strip()
