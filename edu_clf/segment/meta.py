"""Report metadata: region, year and period, genre — each with where it came from.

Read from a document's title first, then from its opening lines (the issuing
body, the date line, the first items). A sidecar CSV (`--meta FILE`: a `path`
column, then region / year / genre and any column of the user's) overrides what
was read and adds its own columns; its values are marked "sidecar".

    >>> m = read_meta("郧西县教育局2016年工作总结")
    >>> (m.region, m.region_level, m.year, m.period, m.genre)
    ('郧西县', 'county', '2016', '全年', '总结')
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from edu_clf.errors import InputError, UsageError

# The fields every output row gets, in this order (user columns of a sidecar follow).
META_FIELDS = ("region", "region_level", "region_source", "year", "period", "year_source", "genre",
               "genre_source")

_LEVELS = (("自治区", "province"), ("省", "province"), ("自治州", "city"), ("地区", "city"), ("盟", "city"),
           ("市", "city"), ("自治县", "county"), ("自治旗", "county"), ("县", "county"), ("旗", "county"),
           ("区", "district"))
_SUFFIX = "|".join(s for s, _ in _LEVELS)
# a place name: 2–10 Han characters ending in a level suffix, followed by the body that issues the report
_PLACE = re.compile(rf"([\u4e00-\u9fff]{{1,10}}?(?:{_SUFFIX}))(?=(?:人民政府|政府|教育|教体|教科|委员会|党委|"
                    rf"政协|人大|召开|关于|\d|[\s（(，,、：:]|$))")
# characters that never start or sit inside a place name here ("今年全县", "2021年溆浦县" …)
_NOT_IN_NAME = set("年月日全我本今来在和与及的了各该此其等对为以从向将把被之这那委")
_LEADING_WORDS = ("中共", "关于", "代表", "落实", "认真")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_YEAR_RANGE = re.compile(r"((?:19|20)\d{2})\s*[-—–至~]\s*((?:19|20)\d{2})\s*年")
_FIVE_YEAR = {"十一五": "2006-2010", "十二五": "2011-2015", "十三五": "2016-2020", "十四五": "2021-2025",
              "十五五": "2026-2030"}
_DATE = re.compile(r"((?:19|20)\d{2})\s*(?:年\s*\d{1,2}\s*月|[-/.]\d{1,2}[-/.]\d{1,2})")
_QUARTERS = (("第一季度", "一季度"), ("第二季度", "二季度"), ("第三季度", "三季度"), ("第四季度", "四季度"))
_GENERAL_SUMMARY = re.compile(r"(?:年|年度|半年|季度|教育|局|事业发展)(?:教育)?(?:工作)?总结")
_PLAN_WORDS = re.compile(r"(?:计划|打算|安排|思路|规划|重点任务)(?!实施)")


@dataclass(frozen=True)
class ReportMeta:
    """What a report says about itself; `*_source` is "title", "body", "sidecar" or "" (not found)."""

    region: str = ""
    region_level: str = ""
    region_source: str = ""
    year: str = ""
    period: str = ""
    year_source: str = ""
    genre: str = ""
    genre_source: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, str]:
        out = {name: getattr(self, name) for name in META_FIELDS}
        out.update(self.extra)
        return out


def find_region(text: str) -> tuple[str, str]:
    """The first place name that issues or is reported on in `text`, and its level."""
    for match in _PLACE.finditer(text):
        name = match.group(1)
        # drop a leading run of characters that cannot be part of a name ("年溆浦县" → "溆浦县")
        start = 0
        while start < len(name) and name[start] in _NOT_IN_NAME:
            start += 1
        name = name[start:]
        while name.startswith(_LEADING_WORDS):
            name = name[2:]
        if any(ch in _NOT_IN_NAME for ch in name):
            continue
        for suffix, level in _LEVELS:
            if name.endswith(suffix) and len(name) > len(suffix):
                return name, level
    return "", ""


_TITLE_START = re.compile(rf"^(?:关于|中共|在)?([\u4e00-\u9fff]{{1,6}}?(?:{_SUFFIX}))")


def find_title_region(title: str) -> tuple[str, str]:
    """A place name issuing the report, or one the title opens with ("漾川县学前教育…")."""
    region, level = find_region(title)
    if region:
        return region, level
    match = _TITLE_START.match(title)
    if match and not any(ch in _NOT_IN_NAME for ch in match.group(1)):
        name = match.group(1)
        return name, next(lvl for suffix, lvl in _LEVELS if name.endswith(suffix))
    return "", ""


def find_year(text: str) -> tuple[str, str]:
    """(year or year range, period) named in `text`; ("", "") when none."""
    period = ""
    for plan, years in _FIVE_YEAR.items():
        if plan in text:
            return years, plan
    match = _YEAR_RANGE.search(text)
    if match:
        return f"{match.group(1)}-{match.group(2)}", ""
    match = _YEAR.search(text)
    year = match.group(1) if match else ""
    halves = [h for h in ("上半年", "下半年") if h in text]
    quarters = [names[0] for names in _QUARTERS if any(n in text for n in names)]
    if halves:
        period = "及".join(halves)
    elif quarters:
        period = quarters[0]
    elif year and re.search(r"年(?:度)?(?:教育)?(?:工作|总结|计划|要点|述职|报告)", text[match.start():]):
        period = "全年"
    elif "年度" in text:
        period = "全年"
    return year, period


def find_genre(text: str) -> str:
    """The genre a title (or an opening line) names; "" when none."""
    if "整改" in text and re.search(r"报告|情况|方案", text):
        return "整改报告"
    if "调研" in text or "调查报告" in text:
        return "调研报告"
    if "述职" in text:
        return "述职"
    if re.search(r"讲话|致辞|发言|尊敬的各位", text):
        return "讲话" if "汇报" not in text else "汇报"
    if "汇报" in text or re.search(r"情况的?报告", text):
        return "汇报"
    if "要点" in text:
        return "要点"
    if re.search(r"会议|大会|召开|举行|座谈会", text) and not re.search(r"总结|计划|打算", text):
        return "会议报道"
    summary = text.find("总结")
    found = _PLAN_WORDS.search(text)
    plan = found.start() if found else -1
    if summary >= 0 and (plan < 0 or summary < plan):
        return "总结" if _GENERAL_SUMMARY.search(text) else "专项总结"
    if plan >= 0:
        return "计划"
    return ""


def read_meta(title: str, head: str = "") -> ReportMeta:
    """Metadata from a title and the opening text (issuing body, date line, first items)."""
    region, level = find_title_region(title)
    region_source = "title" if region else ""
    if not region:
        # the issuing body and date stand on short lines of their own; long lines are the report's prose
        region, level = find_region("\n".join(line for line in head.splitlines() if len(line.strip()) <= 40))
        region_source = "body" if region else ""
    year, period = find_year(title)
    year_source = "title" if year or period else ""
    if not year:
        body_year, body_period = find_year(head[:300])
        if not body_year:
            match = _DATE.search(head[:300])
            body_year = match.group(1) if match else ""
        if body_year:
            year, year_source = body_year, "body"
            period = period or body_period
    genre = find_genre(title)
    genre_source = "title" if genre else ""
    if not genre:
        genre = find_genre(head[:200])
        genre_source = "body" if genre else ""
    return ReportMeta(region, level, region_source, year, period, year_source, genre, genre_source)


# ---------------------------------------------------------------- the sidecar CSV

_KEYS = ("path", "file", "doc_id")


@dataclass(frozen=True)
class Sidecar:
    """Rows of a metadata CSV, found by a report's path, file name or doc_id."""

    rows: dict[str, dict[str, str]]
    columns: tuple[str, ...]       # the user's columns beyond region / year / genre, in file order

    def lookup(self, *keys: str) -> dict[str, str] | None:
        for key in keys:
            for variant in _variants(key):
                if variant in self.rows:
                    return self.rows[variant]
        return None


def _variants(key: str) -> list[str]:
    if not key:
        return []
    path = Path(key)
    out = [key, path.as_posix(), path.name, path.stem]
    try:
        out.insert(1, str(path.resolve()))
    except OSError:
        pass
    return out


def read_sidecar(path: str | Path) -> Sidecar:
    """Read a metadata CSV (UTF-8, with or without BOM; GB18030 accepted): path → region, year, genre, …"""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the --meta file: {exc.strerror}", path) from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError("the --meta file is neither UTF-8 nor GB18030", path)
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    key = next((k for k in _KEYS if k in header), None)
    if key is None:
        raise InputError(f"no path column; the first line must name one of {', '.join(_KEYS)} "
                         f"(then region, year, genre or any column of yours)", path, 1)
    rows: dict[str, dict[str, str]] = {}
    base = Path(path).resolve().parent
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        where = row.pop(key, "")
        if not where:
            raise InputError(f"empty {key}", path, line)
        for variant in _variants(where):
            rows.setdefault(variant, row)
        if key == "path" and not Path(where).is_absolute():
            rows.setdefault(str((base / where).resolve()), row)
    extra = tuple(h for h in header if h != key and h not in ("region", "year", "genre"))
    return Sidecar(rows, extra)


def apply_sidecar(meta: ReportMeta, row: dict[str, str] | None, columns: Iterable[str] = ()) -> ReportMeta:
    """`meta` with the sidecar row's values in place (marked "sidecar") and its user columns added."""
    fields: dict[str, Any] = {name: getattr(meta, name) for name in META_FIELDS}
    extra = {c: "" for c in columns}
    if row:
        for name in ("region", "year", "genre"):
            if row.get(name):
                fields[name] = row[name]
                fields[f"{name}_source"] = "sidecar"
        if row.get("region"):
            fields["region_level"] = next((lvl for suffix, lvl in _LEVELS if row["region"].endswith(suffix)), "")
        if row.get("period"):
            fields["period"] = row["period"]
        extra.update({c: row.get(c, "") for c in columns})
    return ReportMeta(**fields, extra=extra)


class MetaReader:
    """Metadata per document, read once per doc_id (with the sidecar, when given, applied)."""

    def __init__(self, sidecar: Sidecar | None = None, paths: Iterable[str] | Mapping[str, str] = ()) -> None:
        """`paths`: the input files, or path → doc_id as the pipeline named them (unique_doc_ids: two
        `2024上半年.txt` in two folders are two documents, each with its own opening lines)."""
        self.sidecar = sidecar
        self.cache: dict[str, ReportMeta] = {}
        self.heads: dict[str, str] = {}   # path → its opening lines, read once
        # doc_id → input file, so that a report's opening lines (its issuing body) can be read
        named = paths.items() if isinstance(paths, Mapping) else ((p, Path(p).stem) for p in paths)
        self.paths = {doc_id: p for p, doc_id in named if p != "-"}
        self.columns = (*META_FIELDS, *(sidecar.columns if sidecar else ()))

    def __call__(self, doc_id: str, title: str = "", first_text: str = "") -> dict[str, str]:
        meta = self.cache.get(doc_id)
        if meta is None:
            meta = self.cache[doc_id] = self._read(doc_id, title, first_text)
        return meta.to_dict()

    def _read(self, doc_id: str, title: str, first_text: str) -> ReportMeta:
        path = self.paths.get(doc_id.split("#")[0])   # a report of a compilation (x.p2) has no opening lines of its own
        if path and path not in self.heads:
            self.heads[path] = self._head(path)
        head = self.heads.get(path, "") if path else ""
        meta = read_meta(title, (head + "\n" + first_text) if head else first_text)
        if self.sidecar is None:
            return meta
        row = self.sidecar.lookup(*(k for k in (path or "", doc_id) if k))
        return apply_sidecar(meta, row, self.sidecar.columns)

    @staticmethod
    def _head(path: str, chars: int = 600) -> str:
        """The opening of a report file as text (the lines before the first item name the issuing body)."""
        from edu_clf.io import read_report, report_kind
        try:
            kind = report_kind(path)
            if kind == "jsonl":
                return ""
            return read_report(path, kind).text[:chars]
        except Exception:  # noqa: BLE001 - the file was read once already; metadata is best-effort
            return ""


__all__ = ["META_FIELDS", "MetaReader", "ReportMeta", "Sidecar", "apply_sidecar", "find_genre", "find_region",
           "find_year", "read_meta", "read_sidecar"]
