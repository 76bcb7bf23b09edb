"""The rows `edu-clf predict` writes: JSON lines, plain CSV columns, a table that fits the terminal.

Every row keeps the prediction's own columns first (doc_id, item, title,
headings, text, kind, kind_score, topic, topic_score, then top-k and
explanations) and ends with the report's metadata (edu_clf.segment.meta).
CSV cells hold plain text only: the k best labels are columns of their own
(kind_2, kind_2_score …) and explanations are "term +0.12; term +0.08".
"""
from __future__ import annotations

import csv
import json
import shutil
from typing import IO, Any, Callable, Iterable, Sequence

from edu_clf.config import LabelSchema
from edu_clf.records import Prediction, json_line, row_end
from edu_clf.report.writers import JsonlWriter, clip, display_width, neutralize_cell

BASE_COLUMNS = ["doc_id", "item", "title", "headings", "text", "kind", "kind_score", "topic", "topic_score"]

MetaOf = Callable[[str, str, str], dict[str, str]]


def prediction_row(p: Prediction, meta: dict[str, str] | None = None) -> dict[str, Any]:
    """The JSON Lines record: the prediction's fields, then the metadata."""
    row = p.to_dict()
    if meta:
        row.update(meta)
    return row


def doc_and_line(p: Prediction) -> tuple[str, str, str, str]:
    """(doc_id, title, text, JSON line) of a prediction: a `render` for worker processes.

    The parent adds the metadata to the ready line (`with_meta`) without parsing it again.
    """
    return p.doc_id, p.title, p.text, json_line(p.to_dict())


def with_meta(line: str, meta: dict[str, str]) -> str:
    """A JSON line (an object, newline-terminated) with the metadata fields appended."""
    return line[:-2] + row_end(meta) if meta else line


def csv_columns(top_k: int, explain: int, meta_columns: Sequence[str] = ()) -> list[str]:
    columns = list(BASE_COLUMNS)
    for task in ("kind", "topic"):
        for rank in range(2, top_k + 1):
            columns += [f"{task}_{rank}", f"{task}_{rank}_score"]
    if explain:
        columns += ["kind_terms", "topic_terms"]
    return columns + list(meta_columns)


def _terms(terms: Sequence[tuple[str, float]]) -> str:
    return "; ".join(f"{term} {weight:+.2f}" for term, weight in terms)


def csv_row(p: Prediction, top_k: int, explain: int, meta: dict[str, str] | None = None) -> dict[str, Any]:
    """Plain cells: headings joined by " > ", the k best labels and the terms in columns of their own."""
    row: dict[str, Any] = {"doc_id": p.doc_id, "item": p.item, "title": p.title, "headings": " > ".join(p.headings),
                           "text": p.text, "kind": p.kind, "kind_score": round(p.kind_score, 4), "topic": p.topic,
                           "topic_score": round(p.topic_score, 4)}
    for task, top in (("kind", p.kind_top), ("topic", p.topic_top)):
        for rank in range(2, top_k + 1):
            label, score = top[rank - 1] if len(top) >= rank else ("", None)
            row[f"{task}_{rank}"] = label
            row[f"{task}_{rank}_score"] = "" if score is None else round(score, 4)
    if explain:
        row["kind_terms"] = _terms(p.explanation.get("kind", []))
        row["topic_terms"] = _terms(p.explanation.get("topic", []))
    if meta:
        row.update(meta)
    return row


class PredictionTable:
    """An aligned table for people that fits the terminal width.

    Columns: document, item, heading (the item's nearest heading), kind and its
    score, topic and its score, the next best labels (with --top-k), and as
    much of the text as fits. With names="zh" labels show their Chinese names.
    """

    def __init__(self, schema: LabelSchema, top_k: int = 1, names: str = "id", width: int | None = None) -> None:
        self.schema, self.top_k, self.names = schema, top_k, names
        self.width = width or shutil.get_terminal_size((120, 24)).columns
        kind_w = max(display_width(self.label("kind", k)) for k in schema.kind_ids)
        topic_w = max(display_width(self.label("topic", t)) for t in schema.topic_ids)
        cols: list[list[Any]] = [["doc_id", 14], ["item", 4], ["heading", 18], ["kind", kind_w], ["kind_p", 6],
                                 ["topic", topic_w], ["topic_p", 7]]
        if top_k > 1:
            # the 2nd … k-th kinds and topics with their scores ("plan 0.21, problem 0.05")
            cols.append(["kind_next", (top_k - 1) * (kind_w + 7) - 2])
            cols.append(["topic_next", (top_k - 1) * (topic_w + 7) - 2])
        self.gap = 2 if self.width >= 120 else 1
        text_w = self.width - sum(w for _, w in cols) - self.gap * len(cols)
        # a narrow terminal: narrow the other columns (to a floor each) before the text drops below 24
        for name, floor in (("topic_next", 12), ("kind_next", 10), ("heading", 12), ("doc_id", 10), ("topic", 12),
                            ("heading", 8), ("doc_id", 8), ("kind", 8)):
            for col in cols:
                if col[0] == name and text_w < 24 and col[1] > floor:
                    take = min(col[1] - floor, 24 - text_w)
                    col[1] -= take
                    text_w += take
        cols.append(["text", max(text_w, 10)])
        self.columns = [(name, width) for name, width in cols]

    def label(self, task: str, label_id: str) -> str:
        return self.schema.name(task, label_id) if self.names == "zh" else label_id

    def header(self) -> str:
        return self._line([name for name, _ in self.columns])

    def line(self, p: Prediction) -> str:
        cells = [p.doc_id, str(p.item), p.headings[-1] if p.headings else "", self.label("kind", p.kind),
                 f"{p.kind_score:.2f}", self.label("topic", p.topic), f"{p.topic_score:.2f}"]
        if self.top_k > 1:
            cells.append(", ".join(f"{self.label('kind', k)} {s:.2f}" for k, s in p.kind_top[1:self.top_k]))
            cells.append(", ".join(f"{self.label('topic', t)} {s:.2f}" for t, s in p.topic_top[1:self.top_k]))
        cells.append(p.text)
        return self._line(cells)

    def _line(self, cells: Sequence[str]) -> str:
        out = []
        for (_, width), value in zip(self.columns, cells):
            text = _fit(str(value), width)
            out.append(text + " " * max(0, width - display_width(text)))
        return (" " * self.gap).join(out).rstrip() + "\n"


def write_predictions(predictions: Iterable[Any], stream: IO[str], format: str, schema: LabelSchema,
                      top_k: int = 1, explain: int = 0, meta_of: MetaOf | None = None,
                      meta_columns: Sequence[str] = (), names: str = "id", excel: bool = False,
                      progress: Any = None, raw_csv: bool = False) -> int:
    """Write predictions as table / jsonl / csv: Prediction objects, or for jsonl `doc_and_line` tuples
    and finished lines (UTF-8 bytes) made by workers.

    Returns the number written. Each row is written as it comes, so output streams.
    """
    def meta(doc_id: str, title: str, text: str) -> dict[str, str]:
        return meta_of(doc_id, title, text) if meta_of is not None else {}

    count = 0
    if format == "table":
        table = PredictionTable(schema, top_k=top_k, names=names)
        stream.write(table.header())
        for p in predictions:
            stream.write(table.line(p))
            count += 1
            if progress is not None:
                progress.advance()
    elif format == "jsonl":
        lines = JsonlWriter(stream)
        for p in predictions:
            if isinstance(p, bytes):   # finished lines, made by pipeline.predict_jsonl with the metadata
                write_bytes(stream, p)
                rows = p.count(b"\n")
                count += rows
                if progress is not None:
                    progress.advance(rows)
                continue
            if isinstance(p, tuple):
                doc_id, title, text, line = p
                lines.row(with_meta(line, meta(doc_id, title, text)))
            else:
                lines.row(prediction_row(p, meta(p.doc_id, p.title, p.text)))
            count += 1
            if progress is not None:
                progress.advance()
    else:
        if excel:
            stream.write("\ufeff")
        writer = csv.DictWriter(stream, fieldnames=csv_columns(top_k, explain, meta_columns), extrasaction="ignore",
                                lineterminator="\r\n" if excel else "\n")
        writer.writeheader()
        for p in predictions:
            row = csv_row(p, top_k, explain, meta(p.doc_id, p.title, p.text))
            writer.writerow(row if raw_csv else {k: neutralize_cell(v) for k, v in row.items()})
            count += 1
            if progress is not None:
                progress.advance()
    return count


def write_bytes(stream: IO[str], data: bytes) -> None:
    """UTF-8 bytes onto a text stream: to its binary buffer as they are, when it has one."""
    buffer = getattr(stream, "buffer", None)
    if buffer is None:   # a StringIO, say
        stream.write(data.decode())
        return
    stream.flush()   # what was written as text goes first
    buffer.write(data)


def _fit(value: str, width: int) -> str:
    """`value` on one line in at most `width` columns, with … when cut."""
    text = clip(value, max(width, 1))
    if display_width(text) <= width:
        return text
    return clip(value, max(width - 1, 0)).rstrip("…") + "…" if width > 1 else ""


__all__ = ["BASE_COLUMNS", "PredictionTable", "csv_columns", "csv_row", "doc_and_line", "prediction_row", "write_bytes",
           "with_meta", "write_predictions"]
