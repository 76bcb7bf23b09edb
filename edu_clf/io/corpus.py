"""Labeled items ↔ JSONL/CSV files, checked against the label schema.

The file format is section 4 of the labeling guide: one JSON object a line
with doc_id, item, title, headings, text and (for labeled data) kind and
topic; an optional `source` says where the label is from (SOURCES: `seed`,
`written`, `user` for a user's own labels, `silver` for rule labels). Prediction
output (kind_score / topic_score) is refused as labeled data unless the line says
`"checked": true`. CSV files carry the same columns, headings joined by ` | `.
"""
from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import re
from pathlib import Path
from typing import Iterable, Iterator

import orjson

from edu_clf.config import LabelSchema
from edu_clf.errors import DataError
from edu_clf.io import read_bytes
from edu_clf.io.limits import RemovedControls, may_hold_controls
from edu_clf.records import Item, make_frozen

REQUIRED = ("doc_id", "item", "text")
LABEL_FIELDS = ("kind", "topic")
CSV_COLUMNS = ("doc_id", "item", "title", "headings", "text", "kind", "topic", "source")
HEADING_SEP = " | "
# seed: the project's gold reports; written: the team's written corpus (train-only); user: labels a
# user made for their own reports; silver: rule labels from `edu-clf bootstrap` (train-only)
SOURCES = ("seed", "written", "user", "silver")
SCORE_FIELDS = ("kind_score", "topic_score")


def _item_from_record(record: object, path: str, line: int, schema: LabelSchema | None, labeled: bool,
                      drop_labels: bool = False, controls: RemovedControls | bool | None = None) -> Item:
    """The Item of one record, checked; its string fields follow the decode-time rule (NUL, ESC … removed):
    counted in `controls` (one warning for the file, by the caller), in a warning of their own when None,
    not looked for when False (the line's bytes cannot hold one: limits.may_hold_controls)."""
    if not isinstance(record, dict):
        raise DataError("expected a JSON object with doc_id, item, text", path, line)
    missing = [key for key in REQUIRED + (LABEL_FIELDS if labeled else ()) if record.get(key) in (None, "")]
    if missing:
        raise DataError(f"missing field(s): {', '.join(missing)}", path, line,
                        hint="see the labeling guide, section 4")
    text = record["text"]
    if not isinstance(text, str) or not text.strip():
        raise DataError("field 'text' must be a non-empty string", path, line)
    index = _item_number(record["item"], path, line)
    doc_id = record["doc_id"]
    if not isinstance(doc_id, (str, int)) or isinstance(doc_id, bool):
        raise DataError(f"field 'doc_id' must be a string, got {_shown(doc_id)}", path, line)
    headings = record.get("headings") or []
    if isinstance(headings, str):
        headings = [h for h in headings.split(HEADING_SEP) if h]
    if not isinstance(headings, list) or not all(isinstance(h, str) for h in headings):
        raise DataError("field 'headings' must be a list of strings", path, line)
    title = record.get("title") or ""
    if not isinstance(title, str):
        raise DataError("field 'title' must be a string", path, line)
    if controls is not False:
        tally = controls or RemovedControls(path)
        text, title = tally.clean(text, line), tally.clean(title, line)
        headings = [tally.clean(h, line) for h in headings]
        doc_id = tally.clean(doc_id, line) if isinstance(doc_id, str) else doc_id
        if controls is None:
            tally.warn()
        if not text.strip() or (isinstance(doc_id, str) and not doc_id):
            raise DataError(f"field {'text' if not text.strip() else 'doc_id'!r} holds nothing but control "
                            "characters", path, line)
    if drop_labels:   # one per line of a large input: made at a third of the constructor's cost
        return make_frozen(Item, doc_id=str(doc_id), item=index, title=title, headings=tuple(headings), text=text,
                           span=None, kind=None, topic=None, source=None)
    kind = record.get("kind") or None
    topic = record.get("topic") or None
    source = record.get("source") or None
    if schema is not None and labeled:
        if kind not in schema.kind_ids:
            raise DataError(f"unknown kind {kind!r}; allowed: {', '.join(schema.kind_ids)}", path, line)
        if topic not in schema.topic_ids:
            raise DataError(f"unknown topic {topic!r}; allowed: {', '.join(schema.topic_ids)}", path, line)
    if source is not None and source not in SOURCES:
        raise DataError(f"unknown source {source!r}; allowed: {', '.join(SOURCES)} (your own labels: user)",
                        path, line)
    if labeled and any(key in record for key in SCORE_FIELDS) and record.get("checked") is not True:
        raise DataError("this line is prediction output (it has kind_score/topic_score): its labels are the "
                        "model's guesses, not checked labels", path, line,
                        hint='correct the labels and add "checked": true to the line, or drop the score fields')
    return Item(doc_id=str(doc_id), item=index, title=title, headings=tuple(headings), text=text,
                kind=kind if labeled or kind else None, topic=topic, source=source)


MAX_ITEM_NUMBER = 10**9


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _item_number(value: object, path: str, line: int) -> int:
    """The item number: an integer from 0 to 10^9; never a bool, a float or a string (CSV cells are converted
    when read)."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_ITEM_NUMBER:
        raise DataError(f"field 'item' must be an integer from 0 to {MAX_ITEM_NUMBER}, got {_shown(value)}",
                        path, line)
    return value


_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_CONSTANT = re.compile(rb"[:\[,]\s*-?(NaN|Infinity)\b")


def _loads(line: str | bytes, path: str, number: int) -> object:
    """One JSON line (orjson: strict, no NaN / Infinity, nesting bounded); every way it can fail is a
    DataError naming the file and line."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise DataError(_json_problem(exc, line), path, number) from None


def _json_problem(exc: "orjson.JSONDecodeError", line: str | bytes) -> str:
    """What is wrong with a line orjson refused, in the words of the guide's readers."""
    raw = line.encode("utf-8", "surrogatepass") if isinstance(line, str) else line
    message = exc.msg
    if "UTF-8" in message and isinstance(line, bytes):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            return f"not UTF-8 (byte {bad.start} of the line)"
    if "surrogate" in message:
        escape = _SURROGATE.search(raw)
        shown = escape.group().decode().lower() if escape else "\\ud800-\\udfff"
        return f"invalid JSON: a lone surrogate {shown} is not a character (fix the escape: it is half of a pair)"
    if "depth limit" in message:
        return "invalid JSON: nested too deeply"
    if "infinity" in message:
        return f"invalid JSON: a number too large (column {exc.colno})"
    constant = _CONSTANT.search(raw)
    if constant and "unexpected character" in message:
        return f"invalid JSON: {constant.group(1).decode()} is not JSON (column {exc.colno})"
    return f"invalid JSON: {message} (column {exc.colno})"


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """Lines split on \\n only: U+2028, U+0085 or a form feed inside a string is not a line break."""
    for number, line in enumerate(text.split("\n"), start=1):
        yield number, line[:-1] if line.endswith("\r") else line


def _nonempty(records: Iterable[tuple[int, object]], path: str) -> Iterator[tuple[int, object]]:
    """The records, or a DataError when the file holds none (an empty gold file is a mistake)."""
    empty = True
    for record in records:
        empty = False
        yield record
    if empty:
        raise DataError("no labeled items: the file is empty", path, hint="give a file of labeled items")


def _records_jsonl(data: bytes, path: str) -> Iterator[tuple[int, object]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError("not UTF-8", path, line, hint="labeled data must be UTF-8 JSON Lines") from None
    for number, line in _lines(text):
        if not line.strip():
            continue
        yield number, _loads(line, path, number)


def _records_csv(data: bytes, path: str) -> Iterator[tuple[int, object]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError("not UTF-8", path, hint="save the CSV as UTF-8") from None
    # a field may be as long as the file (the csv module's default stops at 131,072 characters)
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.DictReader(io.StringIO(text))
    try:
        columns = reader.fieldnames or []
    except csv.Error as exc:
        raise DataError(f"not a valid CSV file: {exc}", path, 1) from None
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise DataError(f"CSV lacks column(s) {', '.join(missing)}; found: {', '.join(columns) or 'none'}", path, 1,
                        hint=f"expected columns: {', '.join(CSV_COLUMNS)}")
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise DataError(f"not a valid CSV line: {exc}", path, reader.line_num) from None
        cell = row.get("item")
        if isinstance(cell, str) and cell.strip().isdigit() and len(cell.strip()) <= 10:
            row["item"] = int(cell)  # a CSV cell is text; a JSON item must be a number already
        yield reader.line_num, row


def read_items(path: str | Path, schema: LabelSchema | None = None, labeled: bool = True) -> list[Item]:
    """Read items from a JSONL or CSV file; check them when `labeled`.

    Raises DataError naming the file and line for invalid JSON, missing fields,
    unknown kind/topic ids and duplicate (doc_id, item) pairs.
    """
    path = str(path)
    data = read_bytes(path)
    records = _records_csv(data, path) if path.lower().endswith(".csv") else _records_jsonl(data, path)
    if labeled:
        records = _nonempty(records, path)
    items: list[Item] = []
    seen: dict[tuple[str, int], int] = {}
    controls = RemovedControls(path)
    for line, record in records:
        item = _item_from_record(record, path, line, schema, labeled, controls=controls)
        key = (item.doc_id, item.item)
        if key in seen:
            raise DataError(f"duplicate item (doc_id={item.doc_id!r}, item={item.item}); first on line {seen[key]}",
                            path, line)
        seen[key] = line
        items.append(item)
    controls.warn()
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
    controls = RemovedControls(path)
    for number, raw in raw_lines(path):
        item = item_of_line(raw, path, number, controls)
        if item is not None:
            yield item
    controls.warn()


def raw_lines(path: str, block: int = 1 << 22) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes without the newline) of each line of a JSONL file (see raw_line_blocks)."""
    for number, lines in raw_line_blocks(path, block):
        yield from zip(itertools.count(number), lines)


def raw_line_blocks(path: str, block: int = 1 << 22) -> Iterator[tuple[int, list[bytes]]]:
    """(number of the first line, the lines) of a JSONL file, a few MB at a time, each line's bytes without
    the newline: any file size, but only a regular file, and no line longer than [limits] max_input_bytes.
    A byte-order mark at the start is dropped. In blocks, so that a caller that needs no line on its own
    (the chunks of a large run) pays nothing per line."""
    from edu_clf.config import load_limits
    from edu_clf.io.limits import check_name, check_regular

    limit = load_limits().max_input_bytes
    check_name(path)   # its name goes into the path column: UTF-8 only
    check_regular(path, max_bytes=float("inf"))
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        raise DataError("no such file", path) from None
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path) from None

    def too_long(number: int) -> DataError:
        return DataError(f"line longer than the limit of {limit} bytes", path, number,
                         hint="raise [limits] max_input_bytes in configs/segment.toml")

    with handle:
        number, pending, pending_size = 1, [], 0   # the pieces of a line not yet ended
        if handle.peek(3)[:3] == b"\xef\xbb\xbf":   # a UTF-8 byte-order mark is no part of line 1
            handle.read(3)
        while data := handle.read(block):
            if b"\n" not in data:
                pending.append(data)
                pending_size += len(data)
                if pending_size > limit:
                    raise too_long(number)
                continue
            lines = data.split(b"\n")
            if pending:
                lines[0] = b"".join([*pending, lines[0]])
            tail = lines.pop()
            pending, pending_size = [tail], len(tail)
            if max(map(len, lines)) > limit:
                raise too_long(number + next(i for i, line in enumerate(lines) if len(line) > limit))
            yield number, lines
            number += len(lines)
            if pending_size > limit:
                raise too_long(number)
        last = b"".join(pending)
        if last:
            yield number, [last]


def item_of_line(raw: bytes, path: str, number: int, controls: RemovedControls | None = None) -> Item | None:
    """The unlabeled item of one guide-format JSONL line (None for a blank line); errors name file:line.
    Control characters removed from it are counted in `controls` (a warning of its own when None)."""
    if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw.strip():
        return None
    return _item_from_record(_loads(raw, path, number), path, number, None, False, drop_labels=True,
                             controls=controls if may_hold_controls(raw) else False)


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




def check_labeled(paths: Iterable[str | Path], schema: LabelSchema) -> tuple[int, list[DataError]]:
    """Check labeled files line by line and collect every error (file:line), not just the first.

    Returns (valid items, errors). Duplicates within and across files are errors too.
    """
    count, errors = 0, []
    where: dict[tuple[str, int], tuple[str, int]] = {}
    for path in map(str, paths):
        controls = RemovedControls(path)
        blank = [True]   # no line but blank ones (yet)
        try:
            if path.lower().endswith(".csv"):
                data = read_bytes(path)
                blank[0] = not data.replace(b"\xef\xbb\xbf", b"").strip()
                lines: Iterable[tuple[int, object]] = () if blank[0] else _records_csv(data, path)
            else:   # streamed: a file of any size, one line in memory at a time
                lines = _json_lines(path, errors, blank)
            for line, record in lines:
                try:
                    item = _item_from_record(record, path, line, schema, True, controls=controls)
                except DataError as exc:
                    errors.append(exc)
                    continue
                key = (item.doc_id, item.item)
                if key in where:
                    errors.append(DataError(f"duplicate item (doc_id={item.doc_id!r}, item={item.item}); first "
                                            "at {}:{}".format(*where[key]), path, line))
                    continue
                where[key] = (path, line)
                count += 1
            if blank[0]:
                raise DataError("no labeled items: the file is empty", path, hint="give a file of labeled items")
        except DataError as exc:
            errors.append(exc)
        controls.warn()
    return count, errors


def _json_lines(path: str, errors: list[DataError], blank: list[bool]) -> Iterator[tuple[int, object]]:
    """(line, record) of each parseable line of a JSONL file, read as a stream; lines that are not JSON
    (or not UTF-8) go to `errors`; blank[0] is False once a line is not blank."""
    for number, raw in raw_lines(path):
        if not raw.strip():
            continue
        blank[0] = False
        try:
            yield number, _loads(raw, path, number)
        except DataError as exc:
            errors.append(exc)


def data_hash(items: Iterable[Item]) -> str:
    """sha256 over the items' identity, context, text and labels (order-sensitive)."""
    digest = hashlib.sha256()
    for item in items:
        digest.update(json.dumps(item.to_dict(labels=True), ensure_ascii=False, sort_keys=True).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()
