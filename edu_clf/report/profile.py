"""Profiles: per report (or region, year, genre, any metadata column) the share of each kind and topic.

A profile row holds, for one group of items: how many documents and items it
has; the share of each kind (achievement / problem / plan) and of each topic
among its items; and the problem items and plan items per topic (counts).
`--min-score X` leaves out items whose kind or topic score is below X (the
`left_out` column counts them; shares are over the items kept).

The input is prediction rows: dicts as `edu-clf predict --format jsonl` writes
them (metadata fields included), made on the fly from reports by
`profile_inputs`, or read back from such a file.
"""
from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

from edu_clf.config import LabelSchema
from edu_clf.errors import DataError, UsageError

if TYPE_CHECKING:
    from edu_clf.model.trained import TrainedModel

GROUPS = ("doc", "region", "year", "genre")
DOC_COLUMNS = ("doc_id", "title", "region", "region_level", "year", "period", "genre")
_ZH = {"doc_id": "文档", "title": "标题", "region": "地区", "region_level": "行政级别", "year": "年份",
       "period": "时段", "genre": "文种", "docs": "文档数", "items": "条目数", "left_out": "低分未计"}


@dataclass(frozen=True)
class Profile:
    """A table: `columns` in order and one dict per group in `rows` (shares are fractions of 1)."""

    by: str
    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]

    def to_dataframe(self):
        """The profile as a pandas DataFrame (needs pandas: pip install 'edu-clf[frames]')."""
        from edu_clf.report.frames import to_dataframe
        return to_dataframe(self)

    def renamed(self, schema: LabelSchema, names: str = "id") -> "Profile":
        """The same table with Chinese column names (names="zh"), from configs/labels.toml."""
        if names != "zh":
            return self
        mapping = {c: zh_column(c, schema) for c in self.columns}
        return Profile(self.by, tuple(mapping.values()),
                       tuple({mapping[c]: row.get(c, "") for c in self.columns} for row in self.rows))


def zh_column(column: str, schema: LabelSchema) -> str:
    if column in _ZH:
        return _ZH[column]
    for suffix, word in (("_share", "占比"), ("_problems", "问题数"), ("_plans", "计划数")):
        if column.endswith(suffix):
            label = column[: -len(suffix)]
            task = "kind" if label in schema.kind_ids else "topic"
            return f"{schema.name(task, label)}{word}"
    return column


def profile_columns(schema: LabelSchema, by: str, extra: Sequence[str] = (), min_score: float = 0.0) -> list[str]:
    head = [*DOC_COLUMNS, *extra] if by == "doc" else [by, "docs"]
    head.append("items")
    if min_score > 0:
        head.append("left_out")
    return [*head, *(f"{k}_share" for k in schema.kind_ids), *(f"{t}_share" for t in schema.topic_ids),
            *(f"{t}_problems" for t in schema.topic_ids), *(f"{t}_plans" for t in schema.topic_ids)]


def build_profile(rows: Iterable[dict[str, Any]], schema: LabelSchema, by: str = "doc",
                  min_score: float = 0.0, extra: Sequence[str] = ()) -> Profile:
    """Group prediction rows by document (or a metadata column) and count shares, problems and plans.

    `extra`: more row columns to keep per document with by="doc" (a --meta sidecar's own columns).
    """
    kinds, topics = Counter(), Counter()
    groups: dict[str, dict[str, Any]] = {}
    counts: dict[str, Counter] = defaultdict(Counter)
    extra = [c for c in extra if c not in DOC_COLUMNS]
    for n, row in enumerate(rows):
        if n == 0:
            if by != "doc" and by not in row:
                allowed = ", ".join(["doc", *[c for c in row if c not in _ROW_FIELDS or c == "title"]])
                raise UsageError(f"--by {by}: no such column in the rows; allowed: {allowed}")
        key = str(row.get("doc_id", "")) if by == "doc" else str(row.get(by, "") or "")
        group = groups.get(key)
        if group is None:
            group = groups[key] = ({c: row.get(c, "") for c in (*DOC_COLUMNS, *extra)} if by == "doc"
                                   else {by: key or "(unknown)", "_docs": set()})
        if by != "doc":
            group["_docs"].add(row.get("doc_id"))
        c = counts[key]
        if min_score > 0 and min(float(row.get("kind_score", 1)), float(row.get("topic_score", 1))) < min_score:
            c["_left_out"] += 1
            continue
        kind, topic = row.get("kind"), row.get("topic")
        c["_items"] += 1
        c[("kind", kind)] += 1
        c[("topic", topic)] += 1
        if kind in ("problem", "plan"):
            c[(kind, topic)] += 1
        kinds[kind] += 1
        topics[topic] += 1
    columns = profile_columns(schema, by, extra, min_score)
    out = []
    for key in (groups if by == "doc" else sorted(groups, key=lambda k: (k == "", k))):
        group, c = groups[key], counts[key]
        n = c["_items"]
        row: dict[str, Any] = {k: v for k, v in group.items() if not k.startswith("_")}
        if by != "doc":
            row["docs"] = len(group["_docs"])
        row["items"] = n
        if min_score > 0:
            row["left_out"] = c["_left_out"]
        for k in schema.kind_ids:
            row[f"{k}_share"] = round(c[("kind", k)] / n, 4) if n else 0.0
        for t in schema.topic_ids:
            row[f"{t}_share"] = round(c[("topic", t)] / n, 4) if n else 0.0
        for t in schema.topic_ids:
            row[f"{t}_problems"] = c[("problem", t)]
        for t in schema.topic_ids:
            row[f"{t}_plans"] = c[("plan", t)]
        out.append({col: row.get(col, "") for col in columns})
    return Profile(by, tuple(columns), tuple(out))


_ROW_FIELDS = {"doc_id", "item", "title", "headings", "text", "kind", "kind_score", "topic", "topic_score",
               "kind_top", "topic_top", "explain", "span", "source"}


# ---------------------------------------------------------------- inputs


def is_predictions_file(path: str) -> bool:
    """A JSONL file whose first record carries predictions (kind and kind_score), not items to label."""
    if path == "-" or not path.lower().endswith(".jsonl"):
        return False
    try:
        with open(path, encoding="utf-8-sig") as handle:
            for line in handle:
                if line.strip():
                    record = json.loads(line)
                    return isinstance(record, dict) and "kind_score" in record and "topic" in record
    except (OSError, ValueError):
        return False
    return False


def read_prediction_rows(path: str, meta_of: Callable[[str, str, str], dict[str, str]] | None = None
                         ) -> Iterator[dict[str, Any]]:
    """The rows of a predictions JSONL file (`edu-clf predict --format jsonl`), checked line by line."""
    with open(path, encoding="utf-8-sig") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise DataError(f"not JSON: {exc.msg}", path, line_no) from None
            if not isinstance(row, dict) or not {"doc_id", "kind", "topic"} <= set(row):
                raise DataError("not a prediction (needs doc_id, kind, topic; make the file with "
                                "`edu-clf predict --format jsonl`)", path, line_no)
            # rows written before metadata existed get it now; a --meta sidecar always applies
            if meta_of is not None and ("region" not in row or getattr(meta_of, "sidecar", None) is not None):
                row.update(meta_of(str(row["doc_id"]), str(row.get("title", "")), str(row.get("text", ""))))
            yield row


def profile_inputs(inputs: Sequence[str], model_loader: Callable[[], "TrainedModel"], meta_of: Any,
                   skip_errors: bool = False, skipped: list | None = None,
                   warn: Callable[[str], None] | None = None,
                   on_row: Callable[[], None] | None = None) -> Iterator[dict[str, Any]]:
    """Prediction rows of every input: predictions JSONL files as they are, reports labeled on the fly."""
    from edu_clf.config import load_segment_config
    from edu_clf.io import iter_input_paths
    from edu_clf.pipeline import iter_documents, predict_stream
    from edu_clf.report.rows import prediction_row

    paths = list(iter_input_paths(list(inputs)))
    model = None
    for path in paths:
        if is_predictions_file(path):
            rows: Iterable[dict[str, Any]] = read_prediction_rows(path, meta_of)
        else:
            model = model or model_loader()
            docs = iter_documents([path], load_segment_config(), skip_errors=skip_errors, skipped=skipped,
                                  warn=warn)
            rows = (prediction_row(p, meta_of(p.doc_id, p.title, p.text)) for p in predict_stream(model, docs))
        for row in rows:
            if on_row is not None:
                on_row()
            yield row


# ---------------------------------------------------------------- writing

FORMATS = ("csv", "jsonl", "parquet", "xlsx")


def write_profile(profile: Profile, stream: IO[Any], format: str, excel: bool = False) -> None:
    """Write a profile as CSV (BOM with excel=True), JSONL, Parquet (pyarrow) or xlsx (openpyxl / xlsxwriter).

    Parquet and xlsx are binary: `stream` must then be a binary stream.
    """
    if format == "csv":
        if excel:
            stream.write("\ufeff")
        writer = csv.DictWriter(stream, fieldnames=list(profile.columns), lineterminator="\r\n" if excel else "\n")
        writer.writeheader()
        writer.writerows(profile.rows)
    elif format == "jsonl":
        for row in profile.rows:
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif format == "parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise UsageError("--format parquet needs pyarrow", hint="pip install 'edu-clf[parquet]' "
                             "(or pip install pyarrow)") from None
        table = pa.Table.from_pylist(list(profile.rows), schema=_arrow_schema(pa, profile))
        pq.write_table(table, stream)
    elif format == "xlsx":
        _write_xlsx(profile, stream)
    else:
        raise UsageError(f"--format {format}: allowed: {', '.join(FORMATS)}")


def _arrow_schema(pa: Any, profile: Profile) -> Any:
    fields = []
    for column in profile.columns:
        values = [row[column] for row in profile.rows if row.get(column) not in ("", None)]
        if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            kind = pa.int64()
        elif values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            kind = pa.float64()
        else:
            kind = pa.string()
        fields.append(pa.field(column, kind))
    return pa.schema(fields)


def _write_xlsx(profile: Profile, stream: IO[bytes]) -> None:
    try:
        import openpyxl
    except ImportError:
        openpyxl = None
    if openpyxl is not None:
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet(f"by {profile.by}"[:31])
        sheet.append(list(profile.columns))
        for row in profile.rows:
            sheet.append([row.get(c, "") for c in profile.columns])
        book.save(stream)
        return
    try:
        import xlsxwriter
    except ImportError:
        raise UsageError("--format xlsx needs openpyxl or xlsxwriter",
                         hint="pip install 'edu-clf[xlsx]' (or pip install openpyxl)") from None
    book = xlsxwriter.Workbook(stream, {"in_memory": True})
    sheet = book.add_worksheet(f"by {profile.by}"[:31])
    sheet.write_row(0, 0, list(profile.columns))
    for r, row in enumerate(profile.rows, start=1):
        sheet.write_row(r, 0, [row.get(c, "") for c in profile.columns])
    book.close()


__all__ = ["FORMATS", "GROUPS", "Profile", "build_profile", "is_predictions_file", "profile_columns",
           "profile_inputs", "read_prediction_rows", "write_profile", "zh_column"]
