"""Extractive summaries: a document's most central sentences, picked against redundancy.

For a batch of texts:

1. Read each text into units (``summaries.structure``): from the document's
   blocks when the parser stored them, else from the plain text read the way
   the text parser reads it. Units are sentences, list items and the
   sentences of dialogue turns, each written with its speaker ("#Person2#:
   I got caught cheating."), so the telling sentence of a long turn is
   picked without the rest of it; headings only name sections, tables and
   code give no units.
2. Embed the units of every text of the batch in one ``embed_batch`` call, so
   the embedder batches (sorted by length) across documents. At most
   ``max_sentences`` units per text are embedded: a longer text is sampled
   evenly from start to end, so a 20-page PDF's summary can draw on its last
   pages as well as its first.
3. Score each unit (``method``):

   - ``learned`` (default): a document with two or more headed sections (a
     handbook page, a runbook, a policy) is scored by the learned sentence
     scorer (``summaries.sentence_scorer``: logistic regression over
     position, centrality, length and number features, fitted on split a of
     the knowledge-base set); any other text (news copy, a transcript, plain
     text) as ``directed`` with the position prior below.
   - ``directed``: directed centrality (PacSum, Zheng & Lapata
     2019). A unit scores by its similarity to the units after it, plus
     ``backward_weight`` (negative) times its similarity to the units before
     it: sentences that introduce what follows win over ones that repeat
     what came before. Similarities below ``edge_threshold`` of the way from
     the document's lowest to its highest count zero, and units only link
     within their section, so a long document with headings is scored
     section by section and its summary draws from sections across the
     whole document. A long text without headings is cut into sections at
     paragraph starts (``section_units``).
   - ``centroid``: cosine similarity to the mean of the document's units.
   - ``textrank``: LexRank, PageRank by power iteration on the graph of
     positive cosine similarities.
   - ``combined``: the mean of ``centroid`` and ``textrank`` (each scaled to
     0-1).

   ``position_weight`` blends in a prior of 1/sqrt(1 + position in the
   section): relevance = (1 - w) x centrality + w x prior. Where the opening
   carries the point (news, a paper's abstract, a section's first sentence)
   the prior keeps it; centrality reorders neighbours and passes over an
   opening that says little (a greeting, a quote).

   A transcript (at least half of its units are turns) opens with small
   talk more often than with its point, and its topic is what both speakers
   keep coming back to: its centrality is blended with its recurring topic
   words (``topic_weight``, ``scoring.topic_word_scores``) and the prior
   weighs ``transcript_position_weight`` (0.5) instead.
4. Pick units by maximal marginal relevance (``mmr_lambda`` relevance
   against ``1 - mmr_lambda`` similarity to what is already picked, except
   that a unit stating a number the picked one lacks does not repeat it:
   embedders barely see numbers, and "8 weeks" beside "20 weeks" is a fact
   of its own; near
   duplicates are never picked twice) until the summary reaches
   ``length_ratio`` of the document's length, never past the budget
   (``length_ratio=0`` fills the budget). Only whole units are picked, so
   every summary ends a sentence. A sentence that introduces a list ("You
   need:") is picked together with its items or not at all, and an item
   that is no sentence by itself is never picked alone.
5. Join the picked units in document order (``summaries.structure.units_join``).

Chinese, Japanese and Korean text is measured in characters, not words: a
word budget of N allows ``CJK_CHARS_PER_WORD`` x N characters, about the
same content as N English words.

``variant`` (per call) asks for an alternative: variant k leaves out the
opening pick of variants 0..k-1, so an editor who regenerates gets the
next-best selection rather than the same text.

``tokens_in`` counts the embedder's tokens of the units embedded and
``tokens_out`` those of the summary. ``seconds`` is the batch's time, shared
between its texts in proportion to ``tokens_in``.

The default configuration (learned scorer for sectioned documents;
transcripts: directed centrality and topic words, prior 0.5; anything else:
directed centrality with ``position_weight`` 0.9) was chosen on ``--split a``
of the news (XSum), dialogue (DialogSum) and knowledge-base dev sets
(``bench/summaries_scorer.py``); the figures on the other half
(``--split b``) are in docs/summaries-evaluation.md.
"""

from .planning import CJK_CHARS_PER_WORD
from .scoring import fact_aware
from .summarizer import METHODS, ExtractiveSummarizer

__all__ = ["CJK_CHARS_PER_WORD", "METHODS", "ExtractiveSummarizer", "fact_aware"]
