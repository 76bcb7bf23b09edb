"""Prediction: one result per item, in order; streaming and worker processes change nothing."""
from __future__ import annotations

import numpy as np

from edu_clf.records import Document
from edu_clf.runtime.predict import text_item
from edu_clf.pipeline import iter_chunks, predict_items, predict_stream


def docs_of(items):
    out = {}
    for it in items:
        out.setdefault(it.doc_id, []).append(it)
    return [Document(doc_id, group[0].title, tuple(group)) for doc_id, group in out.items()]


def test_one_prediction_per_item_in_order(seed_model, gold_items):
    predictions = predict_items(seed_model, gold_items)
    assert [(p.doc_id, p.item) for p in predictions] == [(it.doc_id, it.item) for it in gold_items]
    assert all(0 < p.kind_score <= 1 and 0 < p.topic_score <= 1 for p in predictions)


def test_stream_equals_batch_for_any_chunk_size(seed_model, gold_items):
    batch = predict_items(seed_model, gold_items)
    for size in (1, 7, 10_000):
        assert list(predict_stream(seed_model, docs_of(gold_items), chunk_size=size)) == batch


def test_worker_processes_give_the_same_answers(seed_model, gold_items):
    batch = predict_items(seed_model, gold_items)
    assert list(predict_stream(seed_model, docs_of(gold_items), chunk_size=20, jobs=2)) == batch


def test_chunks_never_split_a_document(gold_items):
    for chunk in iter_chunks(docs_of(gold_items), 5):
        ids = [it.doc_id for it in chunk]
        assert ids == sorted(ids, key=ids.index)


def test_scores_are_the_argmax_probabilities(seed_model, gold_items):
    [p] = predict_items(seed_model, gold_items[:1], top_k=12)
    assert p.kind_top[0] == (p.kind, p.kind_score)
    assert np.isclose(sum(score for _, score in p.topic_top), 1.0)


def test_text_item_and_empty_input(seed_model):
    [p] = predict_items(seed_model, [text_item("下一步，我们将继续加强校园安全隐患排查。")])
    assert p.doc_id == "text" and p.kind in seed_model.kinds
    assert predict_items(seed_model, []) == []


def test_explanations_name_terms_that_support_the_label(seed_model, gold_items):
    [p] = predict_items(seed_model, gold_items[:1], explain=5)
    assert set(p.explanation) == {"kind", "topic"}
    for terms in p.explanation.values():
        assert len(terms) <= 5
        assert all(weight > 0 for _, weight in terms)
        assert [w for _, w in terms] == sorted((w for _, w in terms), reverse=True)


def test_workers_can_render_the_predictions(seed_model, seed_paths):
    from edu_clf.config import load_segment_config
    from edu_clf.pipeline import jsonl_of, predict_files
    paths = [str(p) for p in seed_paths[:2]]
    plain = list(predict_files(seed_model, paths, load_segment_config(), jobs=2, files_per_task=1))
    rendered = list(predict_files(seed_model, paths, load_segment_config(), jobs=2, render=jsonl_of))
    assert rendered == [jsonl_of(p) for p in plain] and len(rendered) > 10
