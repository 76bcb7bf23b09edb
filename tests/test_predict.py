"""Prediction: one result per item, in order; streaming and worker processes change nothing."""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


def _items_file(tmp_path, items, extra: bytes = b""):
    import json
    lines = [json.dumps({"doc_id": it.doc_id, "item": it.item, "title": it.title, "headings": list(it.headings),
                         "text": it.text}, ensure_ascii=False).encode() for it in items]
    lines.insert(len(lines) // 2, b"   ")            # a blank line inside a document
    path = tmp_path / "items.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n" + extra)
    return str(path)


def test_jsonl_chunks_label_as_the_whole_file_does(seed_model, gold_items, tmp_path):
    """Chunks of raw lines may split a document: its neighbours across the cut still count."""
    from edu_clf.pipeline import predict_jsonl
    from edu_clf.records import json_line
    items = gold_items[:300]
    assert seed_model.estimator.neighbours   # the case where a cut could change a label
    batch = predict_items(seed_model, items)
    path = _items_file(tmp_path, items)
    for size, jobs in ((1, 1), (7, 1), (10_000, 1), (13, 2)):
        assert list(predict_jsonl(seed_model, [path], jobs=jobs, chunk_size=size)) == batch, (size, jobs)
    lines = b"".join(predict_jsonl(seed_model, [path], jobs=2, chunk_size=50, render=True)).decode()
    assert lines == "".join(json_line(p.to_dict()) for p in batch)
    first = {}
    for p in batch:
        first.setdefault(p.doc_id, p.text[:6])
    for size, jobs in ((7, 1), (13, 2)):   # every row ends with its document's metadata, across the cuts too
        rendered = b"".join(predict_jsonl(seed_model, [path], jobs=jobs, chunk_size=size, render=True,
                                          meta_of=lambda doc_id, title, text: {"first": text[:6]})).decode()
        assert rendered == "".join(json_line({**p.to_dict(), "first": first[p.doc_id]}) for p in batch)


def test_a_bad_line_stops_the_jsonl_run_at_its_chunk(seed_model, gold_items, tmp_path):
    import pytest
    from edu_clf.errors import DataError
    from edu_clf.pipeline import predict_jsonl
    items = gold_items[:40]
    path = _items_file(tmp_path, items, extra=b'{"doc_id": "x", "item": 1, "text": NaN}\n')
    got = []
    with pytest.raises(DataError) as caught:
        for p in predict_jsonl(seed_model, [path], jobs=2, chunk_size=8):
            got.append(p)
    batch = predict_items(seed_model, items)
    assert got == batch[:len(got)] and 0 < len(batch) - len(got) < 8   # the rows of the chunks before it
    assert "items.jsonl:42" in str(caught.value) and "NaN is not JSON" in str(caught.value)


def test_workers_by_default_only_for_large_inputs(tmp_path, monkeypatch):
    import os
    from edu_clf import pipeline
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    small, big = tmp_path / "small.jsonl", tmp_path / "big.jsonl"
    small.write_text("{}\n", encoding="utf-8")
    with open(big, "wb") as handle:
        handle.truncate(pipeline.AUTO_JOBS_BYTES + 1)
    reports = [str(tmp_path / f"r{n}.txt") for n in range(pipeline.AUTO_JOBS_FILES + 1)]
    assert pipeline.auto_jobs([str(small)]) == 1
    assert pipeline.auto_jobs([str(big)]) == 2
    assert pipeline.auto_jobs(reports[:3]) == 1 and pipeline.auto_jobs(reports) == 2
    assert pipeline.auto_jobs([str(tmp_path / "missing.jsonl"), "-"]) == 1


def test_a_chunk_of_blank_lines_keeps_the_documents_metadata(seed_model, gold_items, tmp_path):
    import json
    from edu_clf.pipeline import predict_jsonl
    from edu_clf.records import json_line
    items = [it for it in gold_items if it.doc_id == gold_items[0].doc_id][:6]
    lines = [json.dumps({"doc_id": it.doc_id, "item": it.item, "title": it.title, "headings": list(it.headings),
                         "text": it.text}, ensure_ascii=False) for it in items]
    path = tmp_path / "gaps.jsonl"
    path.write_text("\n".join(lines[:3] + [""] * 5 + lines[3:]) + "\n", encoding="utf-8")
    batch = predict_items(seed_model, items)
    for size in (1, 2, 3):
        rendered = b"".join(predict_jsonl(seed_model, [str(path)], chunk_size=size, render=True,
                                          meta_of=lambda doc_id, title, text: {"first": text[:6]})).decode()
        assert rendered == "".join(json_line({**p.to_dict(), "first": items[0].text[:6]}) for p in batch), size


def test_finished_lines_are_written_as_bytes_after_what_came_before():
    """Workers' bytes go to the stream's binary buffer, after its buffered text; a StringIO gets text."""
    import io
    from edu_clf.report.rows import write_bytes
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", newline="")
    stream.write("表头\n")
    write_bytes(stream, '{"text":"已完成"}\n'.encode())
    stream.write("尾\n")
    stream.flush()
    assert raw.getvalue().decode() == '表头\n{"text":"已完成"}\n尾\n'
    plain = io.StringIO()
    write_bytes(plain, '{"text":"将推进"}\n'.encode())
    assert plain.getvalue() == '{"text":"将推进"}\n'


def test_line_chunks_carry_two_non_blank_lines_on_each_side(tmp_path):
    """An item's scores read its neighbours, and theirs read their own: a chunk comes with the two
    non-blank lines before and after it, blank lines skipped, however short the chunks are."""
    from edu_clf.pipeline import OUTER_LINES, line_chunks
    path = tmp_path / "lines.jsonl"
    path.write_bytes(b"\n".join([b"a", b"", b"b", b"c", b"  ", b"d", b"e", b"f"]) + b"\n")
    got = [(first, lines, before, after) for first, lines, before, after in line_chunks(str(path), 2)]
    assert OUTER_LINES == 2
    assert got == [(1, [b"a", b""], (), (b"b", b"c")),
                   (3, [b"b", b"c", b"  "], (b"a",), (b"d", b"e")),
                   (6, [b"d", b"e"], (b"b", b"c"), (b"f",)),
                   (8, [b"f"], (b"d", b"e"), ())]
    assert [lines for _, lines, _, _ in line_chunks(str(path), 1)][:2] == [[b"a", b""], [b"b"]]


def _line_chunks_reference(data: bytes, size: int):
    """line_chunks as its docstring defines it, line by line."""
    from edu_clf.pipeline import OUTER_LINES
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    starts = [0]
    for i, line in enumerate(lines):
        if line.strip() and i - starts[-1] >= size:
            starts.append(i)
    if not lines:
        return []
    out = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        before = [x for x in lines[:start] if x.strip()][-OUTER_LINES:]
        after = [x for x in lines[end:] if x.strip()][:OUTER_LINES]
        out.append((start + 1, lines[start:end], tuple(before), tuple(after)))
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.sampled_from([b"a", b"bb", b"", b"  ", b"c\r", b"dddddd"]), max_size=40),
       size=st.integers(1, 6), block=st.integers(1, 24), newline_at_end=st.booleans())
def test_line_chunks_match_the_line_by_line_definition_whatever_the_block_size(tmp_path, lines, size, block,
                                                                                newline_at_end):
    """Chunks are cut from blocks of the file: the block size never changes them, nor where they end."""
    from edu_clf.pipeline import line_chunks
    data = b"\n".join(lines) + (b"\n" if newline_at_end and lines else b"")
    path = tmp_path / "lines.jsonl"
    path.write_bytes(data)
    assert list(line_chunks(str(path), size, block=block)) == _line_chunks_reference(data, size)


def test_explanations_give_the_neighbours_share_where_the_sequence_stage_raised_the_kind(seed_model, gold_items):
    """Terms explain the heads; where the kind head's sequence stage raised the chosen kind's score, the
    explanation says so, with the rise in log-score as its weight."""
    import numpy as np

    from edu_clf.model.explain import readable_term
    from edu_clf.runtime.predict import NEIGHBOURS_TERM
    items = gold_items[:40]
    predictions = predict_items(seed_model, items, explain=50)
    est = seed_model.estimator
    matrix = est.transform(items)
    heads, final = est.predict_proba_matrix(matrix), est.predict_proba_matrix(matrix, items)
    kinds = list(est.classes_[0])
    raised = 0
    for i, p in enumerate(predictions):
        j = kinds.index(p.kind)
        lift = np.log(final[0][i, j]) - np.log(heads[0][i, j])
        shares = [w for term, w in p.explanation["kind"] if term == NEIGHBOURS_TERM]
        assert shares == ([lift] if lift > 0 else []), i
        assert all(term != NEIGHBOURS_TERM for term, _ in p.explanation["topic"])   # topic has no stage
        raised += lift > 0
    assert raised > 0 and readable_term(NEIGHBOURS_TERM) == "前后条目的类别"
