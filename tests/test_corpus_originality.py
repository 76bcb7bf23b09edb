"""The written corpus is original: no near-duplicate items, no seed sentences."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from edu_clf.io.corpus import read_labeled

ROOT = Path(__file__).resolve().parent.parent
WRITTEN = sorted((ROOT / "corpus" / "labels").glob("*.jsonl"))


@pytest.fixture(scope="module")
def written(schema):
    items = read_labeled(WRITTEN, schema)
    assert items and all(it.source == "written" for it in items)
    return items


def five_grams(text: str) -> set[str]:
    return {text[i:i + 5] for i in range(len(text) - 4)}


def test_no_two_written_items_share_more_than_half_their_5grams(written):
    grams = [five_grams(it.text) for it in written]
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for row, gs in enumerate(grams):
        for g in gs:
            rows.append(row)
            cols.append(vocab.setdefault(g, len(vocab)))
    m = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(grams), len(vocab)))
    shared = (m @ m.T).tocoo()
    sizes = np.array([max(len(g), 1) for g in grams])
    off = shared.row < shared.col
    share = shared.data[off] / np.minimum(sizes[shared.row[off]], sizes[shared.col[off]])
    worst = np.argsort(-share)[:3]
    pairs = [(written[shared.row[off][i]].doc_id, written[shared.row[off][i]].item,
              written[shared.col[off][i]].doc_id, written[shared.col[off][i]].item, round(float(share[i]), 2))
             for i in worst]
    assert (share <= 0.5).all(), f"near-duplicate written items: {pairs}"


def test_no_written_item_contains_a_seed_sentence(written):
    seeds = "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt")))
    sentences = {s.strip() for s in re.split(r"[。！？；\n]", seeds) if len(s.strip()) >= 20}
    assert len(sentences) > 100
    hits = [(it.doc_id, it.item, s[:30]) for it in written for s in sentences if s in it.text]
    assert not hits, f"seed sentences in written items: {hits[:5]}"


def test_every_written_report_is_labeled(written):
    reports = {p.stem for p in (ROOT / "corpus" / "written").glob("*.txt")}
    labeled = {it.doc_id.split(".p")[0] for it in written}
    assert reports == labeled
    assert len(reports) >= 60


def test_coverage_floors(schema, written):
    from edu_clf.report.stats import corpus_stats
    gold = read_labeled([ROOT / "seeds" / "labels.jsonl"], schema)
    stats = corpus_stats(gold + written, schema)
    assert stats["n_items"] >= 2000 and stats["min_cell"] >= 15 and stats["min_topic"] >= 80


def test_seed_gold_covers_every_seed_item(gold_items, seed_paths):
    from edu_clf.pipeline import load_documents
    segmented = [(it.doc_id, it.item, it.text) for p in seed_paths for d in load_documents(p) for it in d.items]
    assert [(it.doc_id, it.item, it.text) for it in gold_items] == segmented
    assert {it.source for it in gold_items} == {"seed"}


def test_written_labels_match_the_segmenter(written):
    from edu_clf.pipeline import load_documents
    paths = sorted((ROOT / "corpus" / "written").glob("*.txt"))
    segmented = {(it.doc_id, it.item): (it.headings, it.text) for p in paths for d in load_documents(p) for it in d.items}
    labeled = {(it.doc_id, it.item): (it.headings, it.text) for it in written}
    assert labeled == segmented
