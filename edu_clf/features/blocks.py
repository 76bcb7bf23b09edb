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

from typing import Any, Callable, NamedTuple, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer

from edu_clf.features.base import (ContextAnalyzer, Record, Records, WordAnalyzer, distinct_contexts,  # noqa: F401
                                   normalized, record_self, record_text, to_records, without_context)
from edu_clf.features.tables import CueTransform, _word_counts  # noqa: F401


class CueFeatures(CueTransform, TransformerMixin, BaseEstimator):
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
        # No "has no title / no heading" flags, and no "first / last item" flags: in training, context is
        # missing only where dropout removed all of it, so the flags learned that prior and misled on a
        # page 2 (headings, no title); an excerpt's or a page's edges are not the document's
        # (bench/results/robustness-session7-*.txt). Models fitted before keep theirs (CueTransform.dense).
        if self.neighbours:
            self.feature_names_ += [f"{side}:{g}" for side in ("preceding", "following") for g in lex.get("text", {})]
        self.n_features_in_ = 1
        return self

    def transform(self, X: Sequence[Record]) -> sp.csr_matrix:
        return sp.csr_matrix(self.dense(X))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(["cue:" + n for n in self.feature_names_], dtype=object)


def block_feature_names(union: FeatureUnion) -> list[tuple[str, np.ndarray]]:
    """(block name, its column names) for each block of a fitted union, in column order."""
    return [(name, pipeline.steps[-1][1].get_feature_names_out()) for name, pipeline in union.transformer_list]


CONTEXT_BLOCKS = ("context", "cues")   # the blocks that read titles and headings (the others: the item's text)


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
