"""EduClassifier is a proper scikit-learn estimator, and training is deterministic."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import Pipeline

from edu_clf.model.evaluate import gold_matrix
from edu_clf.model import EduClassifier
from edu_clf.model.train import build_estimator


def test_get_params_and_clone_round_trip(small_config):
    est = build_estimator(small_config)
    params = est.get_params()
    assert params["C"] == small_config.model.C and params["tokenizer"] == "rjieba"
    twin = clone(est)
    assert twin is not est and twin.get_params().keys() == params.keys()
    assert clone(est.set_params(C=0.5)).C == 0.5


def test_fit_predict_shapes(gold_items, small_config):
    est = build_estimator(small_config).fit(gold_items, gold_matrix(gold_items))
    predicted = est.predict(gold_items[:7])
    assert predicted.shape == (7, 2)
    kind_p, topic_p = est.predict_proba(gold_items[:7])
    assert kind_p.shape == (7, len(est.classes_[0])) and topic_p.shape == (7, len(est.classes_[1]))
    assert np.allclose(kind_p.sum(axis=1), 1) and np.allclose(topic_p.sum(axis=1), 1)
    assert set(predicted[:, 0]) <= set(est.classes_[0])


def test_accepts_plain_strings_and_dicts(gold_items, small_config):
    est = build_estimator(small_config).fit(gold_items, gold_matrix(gold_items))
    as_dicts = [it.to_dict() for it in gold_items[:5]]
    assert (est.predict(as_dicts) == est.predict(gold_items[:5])).all()
    assert est.predict(["下半年将继续加强教师培训。"]).shape == (1, 2)


def test_composes_with_pipeline_and_grouped_cv(gold_items, small_config):
    pipe = Pipeline([("clf", build_estimator(small_config))])
    groups = [it.doc_id for it in gold_items]
    scores = cross_val_score(pipe, gold_items, gold_matrix(gold_items), groups=groups, cv=GroupKFold(3))
    assert len(scores) == 3 and all(0 <= s <= 1 for s in scores)


def test_training_twice_gives_identical_predictions(gold_items, small_config):
    y = gold_matrix(gold_items)
    a = build_estimator(small_config).fit(gold_items, y)
    b = build_estimator(small_config).fit(gold_items, y)
    for pa, pb in zip(a.predict_proba(gold_items), b.predict_proba(gold_items)):
        assert np.array_equal(pa, pb)


def test_calibrated_svm_head_works(gold_items, small_config):
    est = build_estimator(small_config).set_params(classifier="linear_svc", C=0.5)
    est.fit(gold_items, gold_matrix(gold_items))
    assert est.predict(gold_items[:3]).shape == (3, 2)


def test_one_class_is_refused(gold_items, small_config):
    y = gold_matrix(gold_items)
    y[:, 0] = "plan"
    with pytest.raises(ValueError, match="one kind"):
        build_estimator(small_config).fit(gold_items, y)


def test_rejects_misshaped_y(gold_items, small_config):
    with pytest.raises(ValueError):
        EduClassifier().fit(gold_items, [it.kind for it in gold_items])


@pytest.mark.skipif(__import__("edu_clf.kernels", fromlist=["KERNELS"]).KERNELS is None,
                    reason="the C kernels are not built on this machine")
def test_the_kernel_scorer_gives_scikit_learns_probabilities_exactly(seed_model, gold_items):
    import pickle

    est = seed_model.estimator
    fast = est.predict_proba(gold_items)
    assert est._scorer() is not None   # the default heads are multinomial: the C path ran
    reference = est.predict_proba_matrix(est.transform(gold_items), gold_items)
    assert all(np.array_equal(a, b) for a, b in zip(fast, reference))
    assert b"_scorer_cache" not in pickle.dumps(est)   # a cache, never saved in model files


def test_binary_heads_take_scikit_learns_path(gold_items, small_config):
    y = gold_matrix(gold_items)
    y[:, 0] = np.where(y[:, 0] == "plan", "plan", "other")
    est = build_estimator(small_config).fit(gold_items, y)
    assert est._scorer() is None
    assert est.predict(gold_items[:5]).shape == (5, 2)


def test_context_dropout_copies_do_not_change_the_vocabulary(gold_items):
    """Items seen twice (with and without context) must not count twice toward a term's df."""
    from edu_clf.model import EduClassifier
    from edu_clf.model.evaluate import gold_matrix
    common = dict(cues=False, context=True, max_iter=200, normalize=True)
    plain = EduClassifier(context_dropout=0.0, **common).fit(gold_items, gold_matrix(gold_items))
    dropped = EduClassifier(context_dropout=1.0, **common).fit(gold_items, gold_matrix(gold_items))
    assert plain.n_features_ == dropped.n_features_
    # the copies without context do change the heads: an item alone leans on its text
    lone = [it.text for it in gold_items[:20]]
    assert not np.allclose(plain.predict_proba(lone)[0], dropped.predict_proba(lone)[0])


def test_outer_dropout_copies_lose_the_title_and_the_outermost_heading_only(gold_items):
    """A page-2 copy shows an item without the title and the heading opened on the page before; only
    items under two or more headings keep one when the outermost goes."""
    from edu_clf.features.base import outer_removed, to_records, without_outer
    records = to_records(gold_items)
    chosen = without_outer(records, 1.0, 0)
    assert chosen and all(len(records[i].headings) >= 2 for i in chosen)
    assert len(chosen) == sum(len(r.headings) >= 2 for r in records)
    half = without_outer(records, 0.5, 0)
    assert set(half) < set(chosen) and abs(len(half) - len(chosen) / 2) <= 1
    for i, copy in zip(chosen, outer_removed(records[i] for i in chosen)):
        r = records[i]
        assert (copy.title, copy.headings, copy.text) == ("", r.headings[1:], r.text)
        assert (copy.preceding, copy.following) == (r.preceding, r.following)


def test_copies_without_context_train_only_the_heads_that_read_context(gold_items):
    """A head that reads text blocks only would see a copy without title or headings as the same row
    again: the copies train the kind head (context, cues) and leave the text-only topic head as it is."""
    from edu_clf.model import EduClassifier
    from edu_clf.model.evaluate import gold_matrix
    common = dict(cues=True, context=True, max_iter=300, normalize=True, topic_blocks=("words", "chars"))
    plain = EduClassifier(**common).fit(gold_items, gold_matrix(gold_items))
    copied = EduClassifier(context_dropout=1.0, outer_dropout=1.0, **common).fit(gold_items, gold_matrix(gold_items))
    assert np.array_equal(plain.heads_[1].coef_, copied.heads_[1].coef_)
    assert not np.allclose(plain.heads_[0].coef_, copied.heads_[0].coef_)


def test_sequence_proba_is_the_fitted_regressions_predict_proba():
    """The runtime's sequence stage is scikit-learn's multinomial predict_proba over sequence_features:
    an item's own log-probabilities, then each neighbour's probabilities, in one place where it sits
    under the same headings and in another where it does not, the item after a document's opening (no
    item before it, under a title) in a third (zeros where there is none). A stage fitted before the
    opening slot (one slot fewer) still scores with its own layout."""
    from sklearn.linear_model import LogisticRegression

    from edu_clf.features import Record, Records
    from edu_clf.runtime import sequence_features, sequence_proba
    texts = [f"第{i}项" for i in range(60)]
    records = Records()
    for i in range(60):   # two documents of 30 items: the first titled, its opening (0), then 一、 (1-14) and
        start, end = (0, 30) if i < 30 else (30, 60)   # 二、 (15-29); the second untitled, no headings
        headings = () if i == 0 or i >= 30 else ("一、",) if i < 15 else ("二、",)
        records.append(Record(texts[i], "甲" if i < 30 else "", headings,
                              texts[i - 1] if i > start else "", texts[i + 1] if i + 1 < end else ""))
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(3), size=60)
    X = sequence_features(proba, records)
    assert X.shape == (60, 18) and np.allclose(X[:, :3], np.log(proba))
    assert np.array_equal(X[5, 3:6], proba[4]) and not X[5, 6:9].any()        # before it, same section
    assert np.array_equal(X[15, 6:9], proba[14]) and not X[15, 3:6].any()      # before it, another section
    assert np.array_equal(X[5, 9:12], proba[6]) and np.array_equal(X[14, 12:15], proba[15])
    assert np.array_equal(X[0, 15:18], proba[1]) and not X[0, 9:15].any()      # after the opening
    assert np.array_equal(X[30, 9:12], proba[31]) and not X[30, 12:].any()     # first, but no title
    assert not X[1:, 15:].any()
    assert not X[0, 3:9].any() and not X[30, 3:9].any() and not X[29, 9:].any() and not X[59, 9:].any()
    labels = rng.choice(["a", "b", "c"], size=60)
    stage = LogisticRegression(C=1.0, max_iter=1000).fit(X, labels)
    np.testing.assert_allclose(sequence_proba(proba, records, stage.coef_, stage.intercept_),
                               stage.predict_proba(X), rtol=0, atol=1e-12)
    old = sequence_features(proba, records, opening=False)
    assert old.shape == (60, 15) and np.array_equal(old[:, 12:], X[:, 12:15] + X[:, 15:])
    stage = LogisticRegression(C=1.0, max_iter=1000).fit(old, labels)
    np.testing.assert_allclose(sequence_proba(proba, records, stage.coef_, stage.intercept_),
                               stage.predict_proba(old), rtol=0, atol=1e-12)


def test_kind_scores_read_the_neighbours_and_topic_scores_do_not(seed_model, gold_items):
    """configs/default.toml gives the kind head a sequence stage: an item scored with the items around it
    differs from the same record scored alone (its neighbours' texts still in its cues); topic does not."""
    from edu_clf.features import Records, to_records
    est = seed_model.estimator
    assert [task for task, _, _ in est.sequence_] == [0]
    doc = [it for it in gold_items if it.doc_id == gold_items[0].doc_id]
    together = est.predict_proba(doc)
    alone = [est.predict_proba(Records([r])) for r in to_records(doc)]
    np.testing.assert_allclose(np.vstack([a[1] for a in alone]), together[1], rtol=0, atol=1e-12)
    assert np.abs(np.vstack([a[0] for a in alone]) - together[0]).max() > 1e-3
    assert np.allclose(together[0].sum(axis=1), 1.0)
