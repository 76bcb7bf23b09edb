"""Robustness views keep labels and documents apart; ECE and temperature behave as defined."""
from __future__ import annotations

import numpy as np
import pytest

from edu_clf.model.evaluate import expected_calibration_error, held_out_groups, reliability
from edu_clf.records import Item, writer_group
from edu_clf.model import fit_temperature, scale
from edu_clf.model.views import apply_view


def _doc(doc_id, n, source="seed"):
    return [Item(doc_id, i, "某县教育局2021年工作总结", ("一、主要工作",) if i < n // 2 else ("二、存在的问题",),
                 f"第{i}项。" + "内容" * 50, kind="achievement" if i < n // 2 else "problem",
                 topic="general", source=source) for i in range(n)]


def test_views_keep_labels_and_document_order():
    items = _doc("a", 10) + _doc("b", 6)
    for view in ("traditional", "ascii_punct", "no_context"):
        viewed = apply_view(view, items)
        assert [(it.doc_id, it.item, it.kind) for it in viewed] == [(it.doc_id, it.item, it.kind) for it in items]
    assert all(not it.title and not it.headings for it in apply_view("no_context", items))
    excerpt = apply_view("excerpt", items)
    for doc in ("a", "b"):
        total = sum(len(it.text) for it in items if it.doc_id == doc)
        assert sum(len(it.text) for it in excerpt if it.doc_id == doc) == min(700, total)
    page2 = apply_view("page2", items)
    assert [it.item for it in page2 if it.doc_id == "a"][0] > 0
    assert all(not it.title for it in page2)
    first = [it for it in page2 if it.doc_id == "a"][0]
    assert "一、主要工作" not in first.headings    # the heading opened before the cut is not seen


def test_the_hard_wrapped_view_segments_the_wrapped_copy_again(gold_items):
    from edu_clf.model.views import hard_wrapped_text
    doc = [it for it in gold_items if it.doc_id == gold_items[0].doc_id]
    lines = hard_wrapped_text(doc).split("\n")
    assert max(map(len, lines)) <= 40 and len(lines) > 3 * len(doc)          # broken wherever the width falls
    viewed = apply_view("hard_wrapped", gold_items)
    assert len(viewed) >= 0.95 * len(gold_items)                              # the segmenter rejoins the lines
    gold = {(it.doc_id, it.item): it for it in gold_items}
    exact = 0
    for it in viewed:
        want = gold[(it.doc_id, it.item)]
        assert (it.kind, it.topic) == (want.kind, want.topic)
        exact += "".join(it.text.split()) == "".join(want.text.split())
    assert exact >= 0.9 * len(viewed)     # the rest differ by a line joined to them (a wrapped title, say)


def test_unknown_view():
    with pytest.raises(ValueError, match="allowed"):
        apply_view("upside_down", _doc("a", 2))


def test_writer_groups_and_held_out_parts():
    assert writer_group("w12_03") == writer_group("w12_07") == "w12"
    assert writer_group("000_a2250ef0bda6fe1b") == "000_a2250ef0bda6fe1b"
    assert writer_group("w2w3") == "w2w3" and writer_group("wx_01") == "wx_01"
    items = _doc("s1", 4) + _doc("s2", 4) + _doc("w9_01", 4, "written") + _doc("w9_02", 4, "written") \
        + _doc("w10_01", 4, "written")
    parts = held_out_groups(items)
    assert len(parts["seeds"]) == 2 and len(parts["written"]) == 2
    for test in parts["written"]:
        assert len({writer_group(items[i].doc_id) for i in test}) == 1


def test_ece_and_reliability():
    scores = np.array([0.9] * 10 + [0.6] * 10)
    correct = np.array([1] * 9 + [0] + [1] * 3 + [0] * 7)
    # bin 0.9: mean 0.9, right 0.9 → 0; bin 0.6: mean 0.6, right 0.3 → 0.3 × half
    assert expected_calibration_error(scores, correct) == pytest.approx(0.15)
    assert [(n, round(r, 2)) for _, _, n, r in reliability(scores, correct)] == [(10, 0.3), (10, 0.9)]


def test_temperature_fixes_overconfidence():
    rng = np.random.default_rng(0)
    n = 4000
    gold = rng.integers(0, 3, n)
    logits = rng.normal(0, 1, (n, 3))
    logits[np.arange(n), gold] += 1.0
    true = scale(np.exp(logits) / np.exp(logits).sum(1, keepdims=True), 1.0)
    overconfident = scale(true, 0.3)
    t = fit_temperature(overconfident, gold)
    assert 2.5 < t < 4.5      # undoes the sharpening by 1/0.3
    before = expected_calibration_error(overconfident.max(1), overconfident.argmax(1) == gold)
    after_p = scale(overconfident, t)
    after = expected_calibration_error(after_p.max(1), after_p.argmax(1) == gold)
    assert after < 0.03 < before


def _robustness_bench():
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "robustness", Path(__file__).resolve().parent.parent / "bench" / "robustness.py")
    robustness = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(robustness)
    return robustness


def test_robustness_gives_the_clean_views_figures_on_a_views_own_items(gold_items):
    """bench/robustness.py's "(clean)" columns: the clean view's ECE on the items a view holds, matched by
    (doc_id, item), so that a view's ECE can be told from its mix of items."""
    from edu_clf.model.evaluate import evaluate_predictions
    robustness = _robustness_bench()
    items = gold_items[:40]
    predicted = np.array([[it.kind, it.topic] for it in items], dtype=object)
    predicted[::4, 0] = "plan"
    rng = np.random.default_rng(0)
    scores = rng.uniform(0.4, 1.0, (40, 2))
    clean = evaluate_predictions(items, predicted, "held-out", 1, scores)
    later = list(range(25, 40))   # a page 2: the later items, its own scores
    viewed = evaluate_predictions([items[i] for i in later], predicted[later], "held-out", 1, scores[later] * 0.9)
    same = robustness._clean_on_same_items({("seeds", "clean"): clean, ("seeds", "page2"): viewed}, "seeds", "page2")
    direct = evaluate_predictions([items[i] for i in later], predicted[later], "held-out", 1, scores[later])
    assert same.ece("kind") == direct.ece("kind") and same.ece("topic") == direct.ece("topic")
    assert same.ece("kind") != clean.ece("kind") and same.ece("kind") != viewed.ece("kind")
    assert same.tasks["kind"].macro_f1 == direct.tasks["kind"].macro_f1
    assert robustness._clean_on_same_items({("seeds", "page2"): viewed}, "seeds", "page2") is None


def test_robustness_error_listing_holds_every_wrong_item_and_only_those(tmp_path, gold_items):
    """bench/robustness.py --errors: one CSV row per item a view gets wrong (kind or topic), with its
    scores, in a file a spreadsheet opens (UTF-8 with a byte-order mark)."""
    import csv

    from edu_clf.model.evaluate import evaluate_predictions
    robustness = _robustness_bench()
    items = gold_items[:30]
    predicted = np.array([[it.kind, it.topic] for it in items], dtype=object)
    predicted[3, 0] = "plan" if items[3].kind != "plan" else "problem"
    predicted[7, 1] = "general" if items[7].topic != "general" else "safety"
    scores = np.full((30, 2), 0.5)
    results = {("seeds", "clean"): evaluate_predictions(items, predicted, "held-out", 1, scores),
               ("seeds", "excerpt"): evaluate_predictions(items[:5], predicted[:5], "held-out", 1, scores[:5])}
    path = tmp_path / "errors.csv"
    robustness.write_errors(path, results, ["clean", "excerpt"])
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["view"], r["doc_id"], int(r["item"])) for r in rows] == [
        ("clean", items[3].doc_id, items[3].item), ("clean", items[7].doc_id, items[7].item),
        ("excerpt", items[3].doc_id, items[3].item)]
    assert rows[0]["predicted_kind"] == predicted[3, 0] and rows[0]["kind"] == items[3].kind
    assert rows[1]["text"] == items[7].text and rows[0]["kind_score"] == "0.5"
    assert list(rows[0]) == robustness.ERROR_COLUMNS
