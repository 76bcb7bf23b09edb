"""Labeled files: the guide's JSONL/CSV format, checked line by line against configs/labels.toml."""
from __future__ import annotations

import json

import pytest

from edu_clf.io.corpus import data_hash, read_items, read_labeled
from edu_clf.errors import DataError

GOOD = {"doc_id": "d", "item": 0, "title": "某县2021年工作总结", "headings": ["一、主要工作"],
        "text": "1.党建工作深入推进。", "kind": "achievement", "topic": "party_building"}


def write_jsonl(path, records):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n"
                            for r in records), encoding="utf-8")
    return path


def test_reads_guide_format(tmp_path, schema):
    [item] = read_labeled([write_jsonl(tmp_path / "a.jsonl", [GOOD])], schema)
    assert (item.doc_id, item.item, item.headings, item.kind, item.topic) == \
        ("d", 0, ("一、主要工作",), "achievement", "party_building")


@pytest.mark.parametrize("bad, message", [
    ("{not json", "invalid JSON"),
    ({**GOOD, "text": ""}, "text"),
    ({k: v for k, v in GOOD.items() if k != "text"}, "text"),
    ({**GOOD, "kind": "success"}, "unknown kind"),
    ({**GOOD, "topic": "sports"}, "unknown topic"),
    ({**GOOD, "item": "x"}, "item"),
])
def test_errors_name_file_and_line(tmp_path, schema, bad, message):
    path = write_jsonl(tmp_path / "bad.jsonl", [GOOD | {"item": 5}, bad])
    with pytest.raises(DataError) as err:
        read_labeled([path], schema)
    assert "bad.jsonl:2" in str(err.value) and message in str(err.value)


def test_duplicate_doc_item_is_an_error(tmp_path, schema):
    path = write_jsonl(tmp_path / "dup.jsonl", [GOOD, GOOD])
    with pytest.raises(DataError) as err:
        read_labeled([path], schema)
    assert "dup.jsonl:2" in str(err.value) and "duplicate" in str(err.value)


def test_csv_with_bom_is_read(tmp_path, schema):
    path = tmp_path / "a.csv"
    path.write_bytes(("\ufeffdoc_id,item,title,headings,text,kind,topic\n"
                      "d,0,标题,一、主要工作 | （一）党建,正文。,plan,teachers\n").encode("utf-8"))
    [item] = read_labeled([path], schema)
    assert item.headings == ("一、主要工作", "（一）党建") and item.kind == "plan"


def test_csv_with_wrong_columns_is_an_error(tmp_path, schema):
    path = tmp_path / "a.csv"
    path.write_text("id,label\n1,x\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_labeled([path], schema)
    assert "a.csv" in str(err.value) and "column" in str(err.value)


def test_unlabeled_items_need_no_labels(tmp_path):
    record = {k: v for k, v in GOOD.items() if k not in ("kind", "topic")}
    [item] = read_items(write_jsonl(tmp_path / "u.jsonl", [record]), labeled=False)
    assert item.kind is None


def test_data_hash_depends_on_labels(tmp_path, schema):
    a = read_labeled([write_jsonl(tmp_path / "a.jsonl", [GOOD])], schema)
    b = read_labeled([write_jsonl(tmp_path / "b.jsonl", [GOOD | {"kind": "plan"}])], schema)
    assert data_hash(a) != data_hash(b) and data_hash(a) == data_hash(list(a))
