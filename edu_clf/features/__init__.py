"""Feature blocks for the classifier, composed as a scikit-learn FeatureUnion.

Blocks (each can be switched off in configs/default.toml):
- words:   TF-IDF on jieba word 1..n-grams of the item text;
- chars:   TF-IDF on character 1..n-grams of the item text;
- context: TF-IDF on the words of the title (T:), every heading (H:) and the
           nearest heading (N:) — the strongest evidence for kind;
- cues:    lexicon cues from configs/cues.toml (plan / problem / achievement
           words in the nearest heading, any heading, the title, the text).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer

from edu_clf import kernels
from edu_clf.features.base import (ContextAnalyzer, Record, Records, WordAnalyzer, distinct_contexts,  # noqa: F401
                                   normalized, record_self, record_text, to_records, without_context)


class CueFeatures(TransformerMixin, BaseEstimator):
    """Lexicon cues: which plan / problem / achievement words the context and text carry.

    `lexicons` is the dict form of configs/cues.toml: {"heading": {group: words},
    "title": {...}, "text": {...}}. Stateless: fit learns nothing.
    """

    def __init__(self, lexicons: dict[str, dict[str, list[str]]] | None = None, neighbours: bool = False) -> None:
        self.lexicons = lexicons
        self.neighbours = neighbours

    def fit(self, X: Sequence[Record], y: Any = None) -> "CueFeatures":
        lex = self.lexicons or {}
        self.feature_names_ = self._names(lex)
        if self.neighbours:
            self.feature_names_ += [f"{side}:{g}" for side in ("preceding", "following") for g in lex.get("text", {})]
            self.feature_names_ += ["no_preceding", "no_following"]
        self.n_features_in_ = 1
        return self

    @staticmethod
    def _names(lex: dict[str, dict[str, list[str]]]) -> list[str]:
        names = []
        for group in lex.get("heading", {}):
            names += [f"nearest_heading:{group}", f"any_heading:{group}"]
        names += [f"title:{g}" for g in lex.get("title", {})]
        names += [f"text:{g}" for g in lex.get("text", {})]
        names += ["no_heading", "no_title", "text_length"]
        return names

    def transform(self, X: Sequence[Record]) -> sp.csr_matrix:
        lex = self.lexicons or {}
        X = to_records(X)
        context = self._context_columns(X, lex)
        groups = list(lex.get("text", {}).values())
        texts = [r.text for r in X]
        counts = _word_counts(texts, groups)
        text = np.log1p(counts) / 3.0
        tail = np.empty((len(X), 3), dtype=np.float64)
        tail[:, 0] = np.fromiter((not r.headings for r in X), dtype=bool, count=len(X))
        tail[:, 1] = np.fromiter((not r.title for r in X), dtype=bool, count=len(X))
        tail[:, 2] = np.minimum(np.fromiter(map(len, texts), dtype=np.float64, count=len(X)), 1000.0) / 1000.0
        blocks = [context, text, tail]
        if getattr(self, "neighbours", False):
            for side in ("preceding", "following"):
                blocks.append(np.log1p(_word_counts([getattr(r, side) for r in X], groups)) / 3.0)
            blocks.append(np.column_stack([[not r.preceding for r in X], [not r.following for r in X]]).astype(float))
        return sp.csr_matrix(np.hstack(blocks))

    @staticmethod
    def _context_columns(X: Sequence[Record], lex: dict[str, dict[str, list[str]]]) -> np.ndarray:
        """Per heading group: in the nearest heading, in any heading; per title group: in the title.

        Computed once per distinct (title, headings), which all items of a document section
        share; a group is present where its words' occurrence count is not zero.
        """
        contexts, which = distinct_contexts(X)
        heading_groups = list(lex.get("heading", {}).values())
        title_groups = list(lex.get("title", {}).values())
        nearest = _word_counts([h[-1] if h else "" for _, h in contexts], heading_groups) > 0
        anywhere = _word_counts([" ".join(h) for _, h in contexts], heading_groups) > 0
        title = _word_counts([t for t, _ in contexts], title_groups) > 0
        columns = np.empty((len(contexts), 2 * len(heading_groups) + len(title_groups)), dtype=np.float64)
        columns[:, 0:2 * len(heading_groups):2] = nearest
        columns[:, 1:2 * len(heading_groups):2] = anywhere
        columns[:, 2 * len(heading_groups):] = title
        return columns[which]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(["cue:" + n for n in self.feature_names_], dtype=object)


def _self_overlapping(word: str) -> bool:
    return any(word[:k] == word[-k:] for k in range(1, len(word)))


def _word_counts(texts: Sequence[str], groups: Sequence[Sequence[str]]) -> np.ndarray:
    """(n_texts, n_groups): per text, the summed occurrence counts of each group's words.

    Equal to `sum(text.count(w) for w in words)`, computed for all texts at once:
    words of up to 4 BMP characters become 64-bit keys of 16-bit code points,
    matched against the keys of every text position with numpy. Other words
    (longer, outside the BMP, or overlapping themselves, where str.count and
    position matching differ) are counted with str.count.
    """
    if not texts or not groups:
        return np.zeros((len(texts), len(groups)), dtype=np.float64)
    if kernels.KERNELS is not None:
        return _kernel_word_counts(list(texts), tuple(map(tuple, groups)))
    out = np.zeros((len(texts), len(groups)), dtype=np.float64)
    fast: dict[tuple[int, int], set[int]] = {}   # (group, length) → word keys
    for g, words in enumerate(groups):
        for w in dict.fromkeys(words):
            if 0 < len(w) <= 4 and all(ord(c) < 0xFFFF for c in w) and not _self_overlapping(w):
                key = 0
                for c in w:
                    key = (key << 16) | ord(c)
                fast.setdefault((g, len(w)), set()).add(key)
            else:
                out[:, g] += [t.count(w) for t in texts]
    if fast:
        joined = "\x00".join(texts)
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        codes[codes >= 0xFFFF] = 0xFFFF  # outside the BMP: never part of a fast word
        starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
        keys_by_length: dict[int, np.ndarray] = {}
        for (g, length), table in sorted(fast.items()):
            if length not in keys_by_length:
                m = max(len(codes) - length + 1, 0)
                key = codes[:m].copy()
                for k in range(1, length):
                    key = (key << np.uint64(16)) | codes[k:m + k]
                keys_by_length[length] = key
            hit = np.flatnonzero(np.isin(keys_by_length[length], np.fromiter(table, dtype=np.uint64)))
            docs = np.searchsorted(starts, hit, side="right") - 1
            out[:, g] += np.bincount(docs, minlength=len(texts))
    return out


@lru_cache(maxsize=8)
def _cue_table(groups: tuple[tuple[str, ...], ...]) -> tuple[Any, bytes, list[tuple[int, str]]]:
    """Words of up to 3 characters as char_tfidf-style keys → bit mask of their groups, a bitmap
    of their first characters; the other words listed."""
    from edu_clf.features.vectorize import KeyTable

    masks: dict[int, int] = {}
    starts = bytearray(0x10000 // 8)
    slow = []
    for g, words in enumerate(groups):
        for w in dict.fromkeys(words):
            if 0 < len(w) <= 3 and not _self_overlapping(w):
                key = 0
                for c in w:
                    key = (key << 21) | (ord(c) + 1)
                masks[key] = masks.get(key, 0) | (1 << g)
                if ord(w[0]) < 0x10000:
                    starts[ord(w[0]) >> 3] |= 1 << (ord(w[0]) & 7)
            else:
                slow.append((g, w))
    keys = np.fromiter(masks, dtype=np.int64, count=len(masks))
    return KeyTable(keys, np.fromiter(masks.values(), dtype=np.int64, count=len(masks))), bytes(starts), slow


def _kernel_word_counts(texts: list[str], groups: tuple[tuple[str, ...], ...]) -> np.ndarray:
    table, starts, slow = _cue_table(groups)
    counts = kernels.KERNELS.gram_counts(texts, 3, table.pairs(), len(groups), starts)
    out = np.frombuffer(counts, dtype=np.float64).reshape(len(texts), len(groups))
    for g, w in slow:
        out[:, g] += [t.count(w) for t in texts]
    return out


def block_feature_names(union: FeatureUnion) -> list[tuple[str, np.ndarray]]:
    """(block name, its column names) for each block of a fitted union, in column order."""
    return [(name, pipeline.steps[-1][1].get_feature_names_out()) for name, pipeline in union.transformer_list]


def build_features(tokenizer: str, hmm: bool, text_words: bool, word_ngram_max: int, text_chars: bool,
                   char_ngram_max: int, context: bool, cues: bool, min_df: int, max_df: float,
                   sublinear_tf: bool, context_weight: float, cue_weight: float,
                   cue_lexicons: dict | None, engine: str = "fast", neighbours: bool = False) -> FeatureUnion:
    """The feature union for the given switches (an unfitted scikit-learn object).

    engine "reference" uses scikit-learn's TfidfVectorizer with Python analyzers;
    "fast" uses edu_clf.features.vectorize.FastTfidf, which gives the same columns and
    values several times faster.
    """
    if engine not in ("fast", "reference"):
        raise ValueError(f"engine={engine!r}; allowed: fast, reference")
    tfidf = _fast_block if engine == "fast" else _reference_block
    common = dict(tokenizer=tokenizer, hmm=hmm, max_df=max_df, sublinear_tf=sublinear_tf)
    blocks: list[tuple[str, Any]] = []
    weights: dict[str, float] = {}
    if text_words:
        blocks.append(("words", tfidf("words", word_ngram_max, min_df=min_df, **common)))
    if text_chars:
        blocks.append(("chars", tfidf("chars", char_ngram_max, min_df=min_df, **common)))
    if context:
        blocks.append(("context", tfidf("context", 1, min_df=1, **common)))
        weights["context"] = context_weight
    if cues:
        blocks.append(("cues", Pipeline([("cues", CueFeatures(cue_lexicons, neighbours))])))
        weights["cues"] = cue_weight
    return FeatureUnion(blocks, transformer_weights=weights or None)


def _fast_block(analyzer: str, ngram_max: int, **options: Any) -> Pipeline:
    from edu_clf.features.vectorize import FastTfidf

    return Pipeline([("tfidf", FastTfidf(analyzer, ngram_max, **options))])


def _reference_block(analyzer: str, ngram_max: int, tokenizer: str, hmm: bool, min_df: int, max_df: float,
                     sublinear_tf: bool) -> Pipeline:
    """The same block with scikit-learn's TfidfVectorizer and Python analyzers."""
    common = dict(lowercase=False, min_df=min_df, max_df=max_df, sublinear_tf=sublinear_tf, dtype=np.float64)
    if analyzer == "words":
        select, vectorizer = record_text, TfidfVectorizer(analyzer=WordAnalyzer(tokenizer, hmm, ngram_max), **common)
    elif analyzer == "chars":
        select, vectorizer = record_text, TfidfVectorizer(analyzer="char", ngram_range=(1, ngram_max), **common)
    else:
        select, vectorizer = record_self, TfidfVectorizer(analyzer=ContextAnalyzer(tokenizer, hmm), **common)
    return Pipeline([("select", FunctionTransformer(select)), ("tfidf", vectorizer)])
