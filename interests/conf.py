"""Settings of the interests app (``INTERESTS_*``), with defaults; read at call time."""

from __future__ import annotations

from typing import Any

from docsite.conf import AppSettings

DEFAULTS: dict[str, Any] = {
    # Which DOCSITE_EMBEDDERS alias embeds documents, queries and interests.
    "EMBEDDER": "default",
    # Search in the languages the embedder cannot read: documents whose
    # detected language is one of LANGUAGES get a second vector from the
    # DOCSITE_EMBEDDERS alias EMBEDDER (blue/green like the first, as output
    # kind "language_embeddings"), and a query written in Chinese, Japanese or
    # Korean script searches those vectors by meaning. EMBEDDER None turns it
    # off. MiniLM reads no Chinese (typed Chinese queries, meaning MRR@10
    # 16.7 on the search hold-out); see docs/evaluation.md for the figures.
    "LANGUAGE_VECTORS": {"EMBEDDER": "multilingual", "LANGUAGES": ["zh", "ja", "ko"]},
    # What a document vector is made of:
    # - "title_lead": the title and the leading text, truncated by the model;
    # - "chunks": token chunks of title + text, embedded and mean-pooled;
    # - "title_summary": the title and the current summary (title_lead when
    #   the document has none yet).
    # Measured with evaluate_interests; see README / the issue note.
    "DOCUMENT_REPRESENTATION": "chunks",
    # Chunking: tokens per chunk (MiniLM was trained on up to 128 word pieces
    # and truncates at 256) and the most chunks pooled per document.
    "CHUNK_TOKENS": 200,
    "MAX_CHUNKS": 16,
    # Documents per embedding task (one task claims due documents up to this).
    "BATCH_SIZE": 64,
    # Interest model.
    "HISTORY_LIMIT": 200,
    "KIND_WEIGHTS": {
        "view": 1.0,
        "search_click": 1.5,
        "bookmark": 2.5,
        "like": 3.0,
        "dismiss": -3.0,
    },
    # A view's weight grows with dwell time up to this many seconds.
    "DWELL_FULL_SECONDS": 60,
    "HALF_LIFE_DAYS": 14.0,
    "SHORT_TERM_EVENTS": 5,
    "MAX_CENTROIDS": 3,
    # A view of a document the reader viewed less than this many seconds ago
    # (a tab switch fires the reading beacon again) is merged into that view.
    "VIEW_MERGE_SECONDS": 1800,
    # Seconds a refresh waits after the first event, so a burst makes one refresh.
    "REFRESH_DELAY_SECONDS": 1.0,
    # A queued refresh older than this is presumed lost and may be sent again.
    "REFRESH_STALE_SECONDS": 30,
    # Feed.
    "FEED": {
        # Interest vectors searched (one HNSW scan each) per feed request,
        # the ANN candidates they share (each at least a page) and the HNSW
        # beam of each scan (at least its share).
        # One scan, of the long-term vector (the others still rank): on MIND
        # split a, recall@10/20 of the whole-corpus feed went with the number
        # of candidates (200: -1.3 points at @20, 250: -0.2, 400: +1.1), not
        # with the vectors (one x 300 against five x 60: +0.4 at both), and
        # at 100k documents the feed takes 0.7x the time of five scans
        # (bench/_feed_knobs.py; docs/evaluation.md). With the crowd's picks
        # as candidates the scan shrank to 100: on MIND split a it lost
        # nothing without other readers' traffic and gained with it (below).
        "ANN_VECTORS": 1,
        "ANN_CANDIDATES": 100,
        "ANN_EF_SEARCH": 100,
        "FRESH_CANDIDATES": 40,
        "POPULAR_CANDIDATES": 40,
        # The documents most readers of the reader's spaces opened from their
        # feeds lately (``documents_crowd_ids``); 0 leaves them out. MIND
        # split a, recall@20 of the feed: 4.76 without, 10.61 with 100 of
        # them and a scan of 100 (split b 3.74 -> 10.33; docs/evaluation.md).
        "CROWD_CANDIDATES": 100,
        # For readers who used documents the language vectors cover, the
        # cosine of two such documents is WEIGHT x their language vectors'
        # cosine, each centred on its language's mean, plus BASE if they are
        # in one language (selectors/feed_language.py); a WEIGHT of 0 leaves
        # the language vectors out of the feed. Chosen on split a of
        # bench/feed_clusters.py (Chinese and Japanese pages; 2-8 x 0.1-0.3
        # all within 2 points of each other, 7-18 without).
        "LANGUAGE_WEIGHT": 2.0,
        "LANGUAGE_COSINE_BASE": 0.3,
        "FRESH_DAYS": 14,
        "POPULAR_DAYS": 30,
        "EF_SEARCH": 100,
        "MAX_SCAN_TUPLES": 20000,
        "DROP_READ": True,
        "DROP_DISMISSED": True,
        "MMR_LAMBDA": 0.75,
        "MAX_PAGES": 10,
        # Score weights; similarity terms are cosines in [-1, 1].
        "WEIGHTS": {
            # The aggregate vectors find candidates (ANN) and steady the
            # ranking; the nearest exemplars carry most of it: on the MIND
            # evaluation this mix gave AUC 64.4 against 64.1 with the
            # aggregates at 0.5/0.35/0.25 and 62.8 with the long-term alone.
            "long_term": 0.25,
            "centroid": 0.15,
            "short_term": 0.1,
            "negative": 0.3,
            "freshness": 0.1,
            # Per log(1 + distinct readers); it orders the cold-start feed.
            "popularity": 0.01,
            # Mean cosine to the EXEMPLAR_K nearest documents the reader used.
            "exemplar": 1.0,
            # Share of the reader's history in the candidate's space.
            "space": 0.2,
        },
        "EXEMPLAR_K": 3,
    },
    # The learned ranker (interests.learning.ranker_train): the newest share
    # of logged feed pages validates each fit, and a fit replaces the live
    # ranker only when it wins on at least this many pages with a click.
    # Training reads the feed pages of the last WINDOW_DAYS.
    "RANKER": {
        "VALIDATION_SHARE": 0.2,
        "MIN_VALIDATION_SLATES": 30,
        "C": 1.0,
        "WINDOW_DAYS": 90,
        # Feed impressions older than this are deleted daily; never fewer
        # days than WINDOW_DAYS, so training always has its whole window.
        "IMPRESSION_RETENTION_DAYS": 180,
    },
    # Hybrid search: reciprocal rank fusion constant and list depth.
    "RRF_K": 60,
    "SEARCH_DEPTH": 50,
    "SEARCH": {
        # Weights of the two lists in hybrid fusion (a keyword hit's weight is
        # also scaled by the share of the query it matches).
        "KEYWORD_WEIGHT": 1.0,
        "SEMANTIC_WEIGHT": 1.0,
        # KEYWORD_WEIGHT for a query the language vectors read (Chinese,
        # Japanese or Korean script): bigram matches beside a model that
        # reads the language. Chosen on split a of three typed sets among
        # 0.25 / 0.5 / 0.75 / 1 (bench/data/search_typed: Chinese clusters,
        # Korean, Chinese pages; hybrid MRR@10 75.3 -> 81.7, 84.0 -> 89.6,
        # 93.1 -> 94.4; docs/evaluation.md).
        "CJK_KEYWORD_WEIGHT": 0.25,
        # KEYWORD_WEIGHT for a query of at most SHORT_QUERY_TERMS terms in
        # another script (what readers type; a sentence keeps KEYWORD_WEIGHT).
        # Chosen on split a of the English typed sets (bench/data/search_typed:
        # near-topic clusters 71.5 -> 75.7, knowledge-base pages 91.5 -> 91.2;
        # sentence queries untouched) among 0.25 / 0.5 / 0.75 for at most
        # 3 / 4 / 5 / 6 / 8 / 10 terms (docs/evaluation.md).
        "SHORT_KEYWORD_WEIGHT": 0.5,
        "SHORT_QUERY_TERMS": 4,
        # A meaning hit's weight is also scaled, like a keyword hit's by its
        # match share, by ((cosine - floor) / (1 - floor)) ** this (0: off).
        # Chosen on split a (bench/search_fusion.py; powers 0.25 / 0.5 / 1):
        # MRR@10 DialogSum 93.4 -> 94.3, XSum 98.5 -> 98.6, XSum with typos
        # 93.2 -> 95.6, Chinese 100.0 unchanged (before term weights counted
        # stemmed postings; docs/evaluation.md has both).
        "SIMILARITY_POWER": 0.5,
        # Meaning search needs a word to read: a query none of whose words a
        # document holds (even respelled), the query model has as a whole
        # token or English text uses (interests/lexicon.py) finds nothing
        # ("asdf jkl"), where the model would rank pages by the shape of its
        # word pieces. Chinese, Japanese and Korean queries have the chance
        # margin instead (docs/evaluation.md).
        "MEANING_NEEDS_A_WORD": True,
        # Keyword score = matched share of term weights + this × ts_rank_cd.
        "RANK_CD_WEIGHT": 0.25,
        # Then the best BM25_DEPTH of those (hybrid's depth) are ranked by
        # BM25 ("bm25"; the textbook k1 and b, not tuned), or left in that
        # order ("match"). 100 deep ranked as well on split a, at twice the cost.
        # Chosen on split a (bench/search_features.py): keyword MRR@10 XSum
        # 95.1 -> 97.6, XSum with typos 93.8 -> 95.3, DialogSum 90.7 -> 94.0,
        # Chinese 100 unchanged; hybrid XSum 98.6 -> 99.0, DialogSum 95.2 ->
        # 95.5, the others unchanged (docs/evaluation.md).
        "KEYWORD_RANKING": "bm25",
        "BM25_K1": 1.2,
        "BM25_B": 0.75,
        "BM25_DEPTH": 50,
        # A word no document holds is respelled to corpus words at least this
        # similar (pg_trgm similarity of trigrams).
        "TYPO_SIMILARITY": 0.45,
        # Words of at least this many letters are also respelled to corpus
        # words one edit away (a letter dropped, swapped, replaced or added).
        # At most TYPO_TERMS words of a query are respelled (one query for
        # all), each to at most TYPO_ALTERNATIVES corpus words, which keyword
        # search ORs in. Meaning search embeds the respelled query
        # ("respelled") or the query as typed ("query"). Chosen on split a
        # (bench/search_fusion.py; docs/evaluation.md): XSum with typos,
        # hybrid MRR@10 95.6 -> 98.5, keyword 91.7 -> 93.8, meaning 85.3 ->
        # 91.1; clean sets and Chinese unchanged or better.
        "TYPO_EDIT_MIN": 5,
        "TYPO_TERMS": 8,
        "TYPO_ALTERNATIVES": 1,
        "MEANING_QUERY": "respelled",
        # Chinese typos by sound: a Han bigram no document holds is respelled
        # to a corpus bigram with the same pinyin, one character apart
        # (报消 -> 报销; interests.homophones).
        "CJK_HOMOPHONES": True,
        # Korean typos by key: a Hangul bigram no document holds is respelled
        # to the most frequent corpus bigram typed one keystroke apart (헌도
        # -> 한도; interests.hangul). Keyword search and the did-you-mean
        # read it; meaning search reads the query as typed.
        "HANGUL_TYPOS": True,
        # Japanese typos by sound: a Han bigram no document holds, in a query
        # with kana, is respelled to the most frequent bigram of Japanese
        # documents with the same reading (注射 -> 駐車; interests.homophones).
        "JAPANESE_HOMOPHONES": True,
        # A term in more than this share of documents still ranks but does
        # not by itself make a document match (a sentence's common words).
        "COMMON_SHARE": 0.3,
        # Which documents a sentence (3+ terms) matches, before ranking:
        # - "postings": those holding any of its MATCH_TERMS rarest terms, as
        #   many of them as are held by at most MATCH_POSTINGS documents in all
        #   (so the ranked candidates stay few at any corpus size); when not
        #   even two fit, those holding two of its 5 rarest terms;
        # - "any": any of its MATCH_TERMS rarest terms, whatever they cost;
        # - "pairs": two of its MATCH_TERMS rarest terms (strict; fastest).
        # Chosen on split a (bench/search_fusion.py): "any" of 10 beat "pairs"
        # of 5 in keyword MRR@10 by 7.8 on XSum, 7.7 on XSum with typos and 1.7
        # on DialogSum; the budget keeps API p95 in bounds at 10k documents.
        "MATCH_RULE": "postings",
        "MATCH_TERMS": 10,
        "MATCH_POSTINGS": 1000,
    },
}


interests_setting = AppSettings("INTERESTS_", DEFAULTS)
