"""Labeled items ↔ JSONL/CSV files, checked against the label schema.

The file format is section 4 of the labeling guide: one JSON object a line
with doc_id, item, title, headings, text and (for labeled data) kind and
topic; an optional `source` says whether the item is from a `seed` report or
a `written` one. CSV files carry the same columns, headings joined by ` | `.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Iterable, Iterator

from edu_clf.config import LabelSchema
from edu_clf.errors import DataError
from edu_clf.io import read_bytes
from edu_clf.records import Item

REQUIRED = ("doc_id", "item", "text")
LABEL_FIELDS = ("kind", "topic")
CSV_COLUMNS = ("doc_id", "item", "title", "headings", "text", "kind", "topic", "source")
HEADING_SEP = " | "
SOURCES = ("seed", "written")


def _item_from_record(record: object, path: str, line: int, schema: LabelSchema | None, labeled: bool) -> Item:
    if not isinstance(record, dict):
        raise DataError("expected a JSON object with doc_id, item, text", path, line)
    missing = [key for key in REQUIRED + (LABEL_FIELDS if labeled else ()) if record.get(key) in (None, "")]
    if missing:
        raise DataError(f"missing field(s): {', '.join(missing)}", path, line,
                        hint="see the labeling guide, section 4")
    text = record["text"]
    if not isinstance(text, str) or not text.strip():
        raise DataError("field 'text' must be a non-empty string", path, line)
    try:
        index = int(record["item"])
    except (TypeError, ValueError):
        raise DataError(f"field 'item' must be an integer, got {record['item']!r}", path, line) from None
    headings = record.get("headings") or []
    if isinstance(headings, str):
        headings = [h for h in headings.split(HEADING_SEP) if h]
    if not isinstance(headings, list) or not all(isinstance(h, str) for h in headings):
        raise DataError("field 'headings' must be a list of strings", path, line)
    title = record.get("title") or ""
    if not isinstance(title, str):
        raise DataError("field 'title' must be a string", path, line)
    kind = record.get("kind") or None
    topic = record.get("topic") or None
    source = record.get("source") or None
    if schema is not None and labeled:
        if kind not in schema.kind_ids:
            raise DataError(f"unknown kind {kind!r}; allowed: {', '.join(schema.kind_ids)}", path, line)
        if topic not in schema.topic_ids:
            raise DataError(f"unknown topic {topic!r}; allowed: {', '.join(schema.topic_ids)}", path, line)
    if source is not None and source not in SOURCES:
        raise DataError(f"unknown source {source!r}; allowed: {', '.join(SOURCES)}", path, line)
    return Item(doc_id=str(record["doc_id"]), item=index, title=title, headings=tuple(headings), text=text,
                kind=kind if labeled or kind else None, topic=topic, source=source)


def _records_jsonl(data: bytes, path: str) -> Iterator[tuple[int, object]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError("not UTF-8", path, line, hint="labeled data must be UTF-8 JSON Lines") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"invalid JSON: {exc.msg} (column {exc.colno})", path, number) from None


def _records_csv(data: bytes, path: str) -> Iterator[tuple[int, object]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError("not UTF-8", path, hint="save the CSV as UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise DataError(f"CSV lacks column(s) {', '.join(missing)}; found: {', '.join(columns) or 'none'}", path, 1,
                        hint=f"expected columns: {', '.join(CSV_COLUMNS)}")
    for row in reader:
        yield reader.line_num, row


def read_items(path: str | Path, schema: LabelSchema | None = None, labeled: bool = True) -> list[Item]:
    """Read items from a JSONL or CSV file; check them when `labeled`.

    Raises DataError naming the file and line for invalid JSON, missing fields,
    unknown kind/topic ids and duplicate (doc_id, item) pairs.
    """
    path = str(path)
    data = read_bytes(path)
    records = _records_csv(data, path) if path.lower().endswith(".csv") else _records_jsonl(data, path)
    items: list[Item] = []
    seen: dict[tuple[str, int], int] = {}
    for line, record in records:
        item = _item_from_record(record, path, line, schema, labeled)
        key = (item.doc_id, item.item)
        if key in seen:
            raise DataError(f"duplicate item (doc_id={item.doc_id!r}, item={item.item}); first on line {seen[key]}",
                            path, line)
        seen[key] = line
        items.append(item)
    return items


def iter_items(path: str | Path) -> Iterator[Item]:
    """Stream unlabeled items from a guide-format JSONL file, line by line (flat memory).

    Labels in the file are ignored. Used by `predict` on large inputs; errors
    name the file and line.
    """
    path = str(path)
    if path.lower().endswith(".csv"):
        yield from read_items(path, labeled=False)
        return
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        raise DataError("no such file", path) from None
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path) from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                raise DataError("not UTF-8", path, number, hint="JSONL items must be UTF-8") from None
            except json.JSONDecodeError as exc:
                raise DataError(f"invalid JSON: {exc.msg} (column {exc.colno})", path, number) from None
            item = _item_from_record(record, path, number, None, False)
            yield Item(item.doc_id, item.item, item.title, item.headings, item.text)


def read_labeled(paths: Iterable[str | Path], schema: LabelSchema) -> list[Item]:
    """Read and check several labeled files; (doc_id, item) must be unique across them."""
    items: list[Item] = []
    where: dict[tuple[str, int], str] = {}
    for path in paths:
        for item in read_items(path, schema, labeled=True):
            key = (item.doc_id, item.item)
            if key in where:
                raise DataError(f"item (doc_id={item.doc_id!r}, item={item.item}) is also in {where[key]}", path)
            where[key] = str(path)
            items.append(item)
    return items




def data_hash(items: Iterable[Item]) -> str:
    """sha256 over the items' identity, context, text and labels (order-sensitive)."""
    digest = hashlib.sha256()
    for item in items:
        digest.update(json.dumps(item.to_dict(labels=True), ensure_ascii=False, sort_keys=True).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()
