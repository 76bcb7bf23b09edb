"""The fast TF-IDF engine gives the reference engine's columns and values, hence its predictions."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from edu_clf.model.evaluate import gold_matrix
from edu_clf.features import ContextAnalyzer, Record, WordAnalyzer, to_records
from edu_clf.model.train import build_estimator
from edu_clf import kernels
from edu_clf.features.vectorize import FastTfidf

COMMON = dict(lowercase=False, sublinear_tf=True)


def reference(analyzer: str, min_df: int):
    if analyzer == "chars":
        return TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=min_df, **COMMON)
    if analyzer == "words":
        return TfidfVectorizer(analyzer=WordAnalyzer("rjieba", False, 2), min_df=min_df, **COMMON)
    return TfidfVectorizer(analyzer=ContextAnalyzer("rjieba", False), min_df=min_df, **COMMON)


@pytest.mark.parametrize("analyzer", ["chars", "words", "context"])
@pytest.mark.parametrize("min_df", [1, 2])
def test_same_vocabulary_and_values_as_scikit_learn(gold_items, analyzer, min_df, inner_loops):
    records = to_records(gold_items)
    X = records if analyzer == "context" else [r.text for r in records]
    train, test = X[:90], X[90:]
    ref = reference(analyzer, min_df).fit(train)
    fast = FastTfidf(analyzer, 3 if analyzer == "chars" else 2, min_df=min_df).fit(train)
    assert fast.vocabulary_ == ref.vocabulary_
    assert np.allclose(fast.idf_, ref.idf_)
    for part in (train, test):
        assert abs(fast.transform(part) - ref.transform(part)).max() < 1e-12


def test_odd_texts(gold_items, inner_loops):
    texts = ["", " ", "a\x00b", "\U0001F600一二三", "  多个   空格\n\n换行", "x"]
    ref = reference("chars", 1).fit(texts)
    fast = FastTfidf("chars", 3, min_df=1).fit(texts)
    assert fast.vocabulary_ == ref.vocabulary_
    assert abs(fast.transform(texts) - ref.transform(texts)).max() < 1e-12


def test_fast_and_reference_engines_predict_the_same(gold_items, small_config, inner_loops):
    y = gold_matrix(gold_items)
    fast = build_estimator(small_config).set_params(engine="fast").fit(gold_items, y)
    ref = build_estimator(small_config).set_params(engine="reference").fit(gold_items, y)
    assert (fast.predict(gold_items) == ref.predict(gold_items)).all()
    for a, b in zip(fast.predict_proba(gold_items), ref.predict_proba(gold_items)):
        assert np.allclose(a, b, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=2**62), max_size=300),
       st.lists(st.integers(min_value=-5, max_value=2**62), max_size=300))
def test_key_table_is_a_dict(keys, extra_queries):
    from edu_clf.features.vectorize import KeyTable
    keys = sorted(keys)
    values = list(range(len(keys)))
    table = KeyTable(np.array(keys, dtype=np.int64), np.array(values, dtype=np.int64))
    queries = np.array(keys + extra_queries, dtype=np.int64)
    expected = [dict(zip(keys, values)).get(q, -1) for q in queries.tolist()]
    assert table.lookup(queries).tolist() == expected


def assert_c_equals_numpy(fast: FastTfidf, X) -> None:
    """The fitted vectorizer gives the same matrix of X through the C kernels and the numpy path."""
    with_c = fast.transform(X)
    compiled, kernels.KERNELS = kernels.KERNELS, None
    try:
        with_numpy = fast.transform(X)
    finally:
        kernels.KERNELS = compiled
    assert with_c.shape == with_numpy.shape
    assert (with_c != with_numpy).nnz == 0


_ODD_TEXT = st.text(st.sampled_from(list("教育工作学校 \t\n\u3000\u00a0，。1a") + ["\U0001F600", "\x00"]), max_size=40)


@pytest.mark.skipif(kernels.KERNELS is None, reason="the C kernels are not built on this machine")
@settings(max_examples=80, deadline=None)
@given(st.lists(_ODD_TEXT, min_size=2, max_size=12), st.lists(_ODD_TEXT, max_size=12), st.sampled_from([1, 2, 3]))
def test_c_kernels_equal_the_numpy_path(train, test, n):
    """Whitespace runs, astral characters, unknown n-grams, empty rows: the same matrix either way."""
    for analyzer in ("chars", "words"):
        fast = FastTfidf(analyzer, n if analyzer == "chars" else min(n, 2), min_df=1)
        try:
            fast.fit(train)
        except ValueError:  # nothing to learn from (all texts empty)
            continue
        assert_c_equals_numpy(fast, test)


_CONTEXT = st.builds(lambda title, headings: Record("", title, tuple(headings)),
                    _ODD_TEXT, st.lists(_ODD_TEXT, max_size=3))


@pytest.mark.skipif(kernels.KERNELS is None, reason="the C kernels are not built on this machine")
@settings(max_examples=80, deadline=None)
@given(st.lists(_CONTEXT, min_size=2, max_size=10), st.lists(_CONTEXT, max_size=10))
def test_c_context_rows_equal_the_numpy_path(train, test):
    """No title, no headings, shared and empty headings: the same context rows either way."""
    assert_c_equals_numpy(FastTfidf("context", 1, min_df=1).fit(train + test[:1]), test)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=6), unique=True, max_size=40))
def test_packed_terms_round_trip(terms):
    """Term dicts are stored as code points + ends; any str (spaces, astral, lone surrogates) survives."""
    from edu_clf.features.vectorize import _pack_terms, _unpack_terms
    numbered = {t: i for i, t in enumerate(terms)}
    assert _unpack_terms(*_pack_terms(numbered)) == numbered


def test_state_is_packed_and_old_dict_state_still_loads(gold_items):
    import pickle
    fitted = FastTfidf("words", 2).fit([it.text for it in gold_items])
    expected = fitted.transform([it.text for it in gold_items[:20]])
    state = fitted.__getstate__()
    assert isinstance(state["vocabulary_"], tuple) and "_table" not in state
    assert isinstance(fitted.vocabulary_, dict)  # packing works on a copy
    again = pickle.loads(pickle.dumps(fitted))
    assert again.vocabulary_ == fitted.vocabulary_ and again.word_index_ == fitted.word_index_
    old = FastTfidf.__new__(FastTfidf)  # a format-1 model file: plain dicts
    old.__setstate__(dict(fitted.__dict__))
    for model in (again, old):
        assert (model.transform([it.text for it in gold_items[:20]]) != expected).nnz == 0
