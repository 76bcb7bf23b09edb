"""Normalized report text → documents of outline items with their context.

Implements section 1 of the labeling guide. The work is done in passes over
one file's text:

1. lines: chrome (web-page furniture) and meta lines (issuer, dates) are
   dropped, the title is found (with its continuation and later echoes);
2. documents: 【篇N】-style markers split the body into documents;
3. paragraphs: line breaks, lost line breaks (runs of spaces, a stray `n`),
   and a space after a full stop end a paragraph;
4. units: outline markers start a unit at a paragraph start, after a sentence
   boundary, or right after a heading's words, and only where they fit the
   numbering sequence;
5. outline: heading-only units become context, the rest become items.

Every character of the input is accounted for by a `Piece` (item, heading,
title or dropped), which is what the property tests check. Every pass is here, in
Python: a rule of the guide is written once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from pathlib import Path

from edu_clf.config import SegmentConfig, load_segment_config
from edu_clf.normalize import to_simplified
from edu_clf.records import Document, Item, new_item, new_piece

try:
    from re import _parser as _sre_parse      # Python 3.11+
except ImportError:                            # pragma: no cover - Python 3.10
    import sre_parse as _sre_parse  # type: ignore[no-redef]

CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"

# Marker types, outermost first as the guide lists them.
MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("cn", re.compile(r"([一二三四五六七八九十]{1,3})、")),
    ("cn_paren", re.compile(r"[（(]([一二三四五六七八九十]{1,3})[）)]")),
    ("arabic", re.compile(r"(\d{1,2})(?:[.．、](?![\d.．、]))")),
    ("arabic_paren", re.compile(r"[（(](\d{1,2})[）)]")),
    ("circled", re.compile(f"([{CIRCLED}])")),
)
# Which marker patterns can start at a given first character (saves trying all five).
_BY_FIRST: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {}
for _ch in "一二三四五六七八九十":
    _BY_FIRST[_ch] = (MARKERS[0],)
for _ch in "（(":
    _BY_FIRST[_ch] = (MARKERS[1], MARKERS[3])
for _ch in "0123456789":
    _BY_FIRST[_ch] = (MARKERS[2],)
for _ch in CIRCLED:
    _BY_FIRST[_ch] = (MARKERS[4],)
SHI_MARKER = re.compile(r"([一二三四五六七八九十]{1,3})是")
MARKER_START = re.compile(r"[一二三四五六七八九十（(\d①-⑳]")

SENTENCE_END = "。！？；;!?"
BOUNDARY_BEFORE = re.compile(r"[。；：！？;:!?][”’」』）)\]》]*\s*$")
CLOSERS = "”’」』）)]》"
_HEADING_STOP = re.compile(r"[。！？；;!?]|\s")   # what ends a marker's heading words
_NON_SPACE = re.compile(r"\S")
_SENTENCE_SPACE = re.compile(r"[。！？!?][”’」』）)]*(\s)(?=\S)")   # a space after a full stop ends a paragraph
TITLE_FORBIDDEN = re.compile(r"[。！？；;!?]")
_HEADING_END = SENTENCE_END + "：:"   # may close a heading's words


def cn_number(text: str) -> int:
    """Value of a Chinese numeral up to 99 (一 … 九十九)."""
    if text in CN_DIGITS:
        return CN_DIGITS[text]
    if text.startswith("十"):
        return 10 + CN_DIGITS.get(text[1:], 0)
    if len(text) >= 2 and text[1] == "十":
        return CN_DIGITS[text[0]] * 10 + CN_DIGITS.get(text[2:], 0)
    return -1


def marker_value(kind: str, raw: str) -> int:
    if kind in ("cn", "cn_paren", "shi"):
        return cn_number(raw)
    if kind == "circled":
        return CIRCLED.index(raw) + 1
    return int(raw)


@dataclass
class _Compiled:
    chrome_full: re.Pattern[str] | None    # the config's patterns joined: one regex call per line
    chrome_search: re.Pattern[str] | None
    chrome_max: int
    meta_full: re.Pattern[str] | None
    doc_split: re.Pattern[str] | None
    doc_split_chars: tuple[str, ...] | None   # _needed_chars: where none occurs, the regex need not run
    artifacts: re.Pattern[str] | None
    artifact_chars: tuple[str, ...] | None
    space_run: re.Pattern[str]
    config: SegmentConfig


@lru_cache(maxsize=8)
def _compile(config: SegmentConfig) -> _Compiled:
    def union(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
        return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None

    doc_split, artifacts = union(config.document_split), union(config.break_artifacts)
    return _Compiled(
        chrome_full=union(config.chrome_fullmatch),
        chrome_search=union(config.chrome_search),
        chrome_max=config.chrome_max_line_chars,
        meta_full=union(config.meta_fullmatch),
        doc_split=doc_split,
        doc_split_chars=_needed_chars(doc_split),
        artifacts=artifacts,
        artifact_chars=_needed_chars(artifacts),
        space_run=re.compile(r"\s{%d,}" % max(2, config.min_space_run)),
        config=config,
    )


def _needed_chars(pattern: re.Pattern[str] | None) -> tuple[str, ...] | None:
    """Characters of which every match of `pattern` consumes one, or None if that is not known.

    Text holding none of them holds no match, so a str.find can stand in for a
    regex scan of each line. Read from the pattern's parse tree (re's own parser).
    """
    if pattern is None or pattern.flags & re.IGNORECASE:
        return None
    try:
        return _needs(_sre_parse.parse(pattern.pattern, pattern.flags).data)
    except Exception:   # re's parser is private: a surprise only turns the shortcut off
        return None


def _needs(items: list) -> tuple[str, ...] | None:
    """_needed_chars of a parsed sequence: what its first element with a known need needs."""
    p = _sre_parse
    for op, av in items:
        if op is p.LITERAL:
            return (chr(av),)
        if op is p.IN and av and all(o is p.LITERAL for o, _ in av):
            return tuple(chr(a) for _, a in av)
        if op is p.SUBPATTERN and not av[1] & re.IGNORECASE:        # (group, add_flags, del_flags, items)
            found = _needs(av[3].data)
        elif (op is p.MAX_REPEAT or op is p.MIN_REPEAT) and av[0] >= 1:    # (min, max, items)
            found = _needs(av[2].data)
        elif op is p.BRANCH:                                            # (None, [items, ...])
            alternatives = [_needs(alt.data) for alt in av[1]]
            found = None if None in alternatives else tuple(dict.fromkeys(c for alt in alternatives for c in alt))
        else:
            continue
        if found:
            return found
    return None


def _holds_any(text: str, chars: tuple[str, ...], start: int, end: int) -> bool:
    for ch in chars:
        if text.find(ch, start, end) >= 0:
            return True
    return False


@dataclass
class _Unit:
    start: int
    end: int
    kind: str | None = None      # marker type, None for an unmarked paragraph
    value: int = 0
    marker_end: int = 0


# A unit as the passes hand it on: (start, end, kind, value, marker_end), as _Unit's fields.
_UnitTuple = tuple[int, int, "str | None", int, int]


def _squash(text: str) -> str:
    """The text without whitespace (str.split's whitespace is re's \\s)."""
    return "".join(text.split())


class _Segmenter:
    def __init__(self, text: str, doc_id: str, config: SegmentConfig) -> None:
        self.text = text
        self.doc_id = doc_id
        self.c = _compile(config)
        self.cfg = config
        self.pieces: list[tuple[int, int, str, str | None]] = []   # (start, end, role, doc_id), made Pieces at the end
        self.title = ""

    # ------------------------------------------------------------ lines

    def is_chrome(self, s: str) -> bool:
        """Whether a stripped, non-blank line is web-page chrome (in simplified or traditional characters)."""
        c = self.c
        if len(s) > c.chrome_max:
            return False
        for form in _forms(s):
            if (c.chrome_full and c.chrome_full.fullmatch(form)) or (c.chrome_search and c.chrome_search.search(form)):
                return True
        return False

    def is_meta(self, line: str) -> bool:
        s = line.strip()
        return bool(s) and len(s) <= 40 and self.c.meta_full is not None and any(
            self.c.meta_full.fullmatch(form) for form in _forms(s))

    @staticmethod
    def title_like(line: str, limit: int = 80) -> bool:
        s = line.strip()
        return bool(s) and len(s) <= limit and not TITLE_FORBIDDEN.search(s) and not _starts_with_marker(s)

    def add(self, role: str, start: int, end: int, doc_id: str | None = None) -> None:
        # trim surrounding whitespace so pieces hold exactly their characters
        start, end = _trim(self.text, start, end)
        if start < end:
            self.pieces.append((start, end, role, doc_id))

    def split_lines(self) -> list[tuple[int, int]]:
        """Classify lines; return the body as (start, end) line ranges."""
        body: list[tuple[int, int]] = []
        state = "before_title"       # before_title → after_title → body
        continuations = 0
        end = -1
        for line in self.text.split("\n"):
            start = end + 1
            end = start + len(line)
            s = line.strip()
            if not s:
                continue
            if self.is_chrome(s):
                self.add("dropped", start, end)
                continue
            if state == "before_title":
                if self.title_like(s):
                    self.title = s
                    self.add("title", start, end)
                    state = "after_title"
                    continue
                state = "body"
            elif state == "after_title":
                if self.title and _squash(s) == _squash(self.title):
                    self.add("title", start, end)
                    continue
                if self.is_meta(s):
                    self.add("dropped", start, end)
                    continuations = 99
                    continue
                if continuations < 2 and self.title_like(s, 30) and len(s) <= 30 and not (
                        self.c.doc_split is not None and self.c.doc_split.search(s)):   # 【篇N】 starts a report
                    self.title += s
                    self.add("title", start, end)
                    continuations += 1
                    continue
                state = "body"
            body.append((start, end))
        # trailing signature / date lines are not items
        while body and self.is_meta(self.text[body[-1][0]:body[-1][1]]):
            self.add("dropped", *body.pop())
        if body and self.title:
            body[0] = (self.strip_title_echo(*body[0]), body[0][1])
        return body

    def strip_title_echo(self, start: int, end: int) -> int:
        """Consume copies of the title at the start of the first body line."""
        target = _squash(self.title)
        while True:
            pos, got = start, 0
            while pos < end and got < len(target):
                ch = self.text[pos]
                if ch.isspace():
                    pos += 1
                    continue
                if ch != target[got]:
                    return start
                got += 1
                pos += 1
            if got < len(target):
                return start
            self.add("title", start, pos)
            start = pos

    # ------------------------------------------------------------ documents

    def split_documents(self, body: list[tuple[int, int]]) -> list[tuple[str, list[tuple[int, int]]]]:
        chars = self.c.doc_split_chars
        if self.c.doc_split is None or (chars is not None and not _holds_any(self.text, chars, 0, len(self.text))):
            return [(self.doc_id, body)]
        docs: list[tuple[str, list[tuple[int, int]]]] = [(f"{self.doc_id}.p0", [])]
        found = False
        for start, end in body:
            pos = start
            for m in self.c.doc_split.finditer(self.text, start, end):
                if m.start() > pos:
                    docs[-1][1].append((pos, m.start()))
                self.add("dropped", m.start(), m.end())
                found = True
                docs.append((f"{self.doc_id}.p{len(docs)}", []))
                pos = m.end()
            if end > pos:
                docs[-1][1].append((pos, end))
        if not found:
            return [(self.doc_id, body)]
        if not any(self.text[s:e].strip() for s, e in docs[0][1]):
            docs = docs[1:]
        return docs

    # ------------------------------------------------------------ paragraphs

    def paragraphs(self, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
        artifacts: list[tuple[int, int, int]] = []    # (range index, start, end): the config's regex, so found here
        chars = self.c.artifact_chars
        if self.c.artifacts is not None:
            for k, (start, end) in enumerate(ranges):
                if chars is not None and not _holds_any(self.text, chars, start, end):
                    continue
                for m in self.c.artifacts.finditer(self.text, start, end):
                    artifacts.append((k, m.start(), m.end()))
                    self.add("dropped", m.start(), m.end())
        return self.cut_paragraphs(ranges, artifacts)

    def cut_paragraphs(self, ranges: list[tuple[int, int]],
                       artifacts: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
        """The paragraphs of the ranges, with the dropped artifacts, space runs and sentence spaces cut out."""
        by_range: dict[int, list[tuple[int, int]]] = {}
        for k, start, end in artifacts:
            by_range.setdefault(k, []).append((start, end))
        out: list[tuple[int, int]] = []
        for k, (start, end) in enumerate(ranges):
            cuts = by_range.get(k, [])                # (cut_start, cut_end) removed between paragraphs
            for m in self.c.space_run.finditer(self.text, start, end):
                cuts.append((m.start(), m.end()))
            for m in _SENTENCE_SPACE.finditer(self.text, start, end):
                cuts.append((m.start(1), m.end(1)))
            cuts.sort()
            pos = start
            for cs, ce in cuts:
                if cs < pos:
                    pos = max(pos, ce)
                    continue
                if self.text[pos:cs].strip():
                    out.append((pos, cs))
                pos = ce
            if self.text[pos:end].strip():
                out.append((pos, end))
        return [_trim(self.text, s, e) for s, e in out]

    # ------------------------------------------------------------ units

    def scan_units(self, paras: list[tuple[int, int]]) -> list[_UnitTuple]:
        """The outline units of the paragraphs: markers found where the guide says a numeral is one."""
        units: list[_Unit] = []
        last: dict[str, int] = {}
        stack: list[str] = []

        def fits(kind: str, value: int) -> bool:
            return value == 1 or value == last.get(kind, 0) + 1

        def accept(kind: str, value: int) -> None:
            last[kind] = value
            if kind in stack:
                del stack[stack.index(kind) + 1:]
            else:
                stack.append(kind)

        for pstart, pend in paras:
            current = _Unit(pstart, pend)
            units.append(current)
            pos = pstart
            while pos < pend:
                found = self.find_marker(pos, pend, current, fits, stack)
                # a heading's words may end at a single space (run-on copies)
                split = self.heading_space(current.marker_end, pend) if current.kind and pos == current.marker_end else None
                if split is not None and (found is None or found[0] >= split):
                    current.end = split
                    current = _Unit(split, pend)
                    units.append(current)
                    pos = split
                    continue
                if found is None:
                    break
                mstart, mend, kind, value = found
                if mstart > current.start:
                    current.end = mstart
                    current = _Unit(mstart, pend)
                    units.append(current)
                current.kind, current.value, current.marker_end = kind, value, mend
                accept(kind, value)
                pos = mend
        return [(u.start, u.end, u.kind, u.value, u.marker_end) for u in units if self.text[u.start:u.end].strip()]

    def find_marker(self, pos: int, end: int, current: _Unit, fits, stack: list[str]):
        """Next acceptable outline marker in text[pos:end], or None."""
        text = self.text
        i = pos
        while i < end:
            candidate = MARKER_START.search(text, i, end)  # jump to the next character that can open a marker
            if candidate is None:
                return None
            i = candidate.start()
            for kind, pattern in _BY_FIRST.get(text[i], MARKERS):
                m = pattern.match(text, i, end)
                if not m:
                    continue
                value = marker_value(kind, m.group(1))
                if value <= 0 or not fits(kind, value):
                    continue
                if kind == "arabic" and m.end() < end and text[m.end()].isdigit():
                    continue
                if i == current.start and current.kind is None:
                    return i, m.end(), kind, value
                if i > 0 and (text[i - 1].isdigit() or text[i - 1] in CN_DIGITS):
                    continue
                if i > 1 and text[i - 1] in ":：" and text[i - 2].isdigit():   # a ratio (`12:1、`), no marker
                    continue
                before = text[max(current.start, i - 8):i]
                if (BOUNDARY_BEFORE.search(before) or self.after_heading_words(current, i, kind, value, stack)
                        or self.lost_full_stop(current, i, m.end(), kind, value)):
                    return i, m.end(), kind, value
            i += 1
        return None

    def after_heading_words(self, current: _Unit, i: int, kind: str, value: int, stack: list[str]) -> bool:
        """A first child marker right after an open marker's heading words (`二、存在问题1、…`)."""
        if current.kind is None or value != 1 or kind in stack:
            return False
        words = self.text[current.marker_end:i]
        return 0 < len(words.strip()) <= self.cfg.max_heading_chars and not re.search(r"[。！？；;!?：:]", words)

    def lost_full_stop(self, current: _Unit, i: int, mend: int, kind: str, value: int) -> bool:
        """`…农村体育发展2.加强群众体育工作。` — a sibling `N.` whose full stop before it was lost.

        Only the next number of the open `1.` list, written with a dot, between two
        ideographs, and opening a short title sentence qualifies.
        """
        if kind != "arabic" or current.kind != "arabic" or value != current.value + 1 or value < 2:
            return False
        text = self.text
        if text[mend - 1] not in ".．" or not _is_han(text[i - 1]) or mend >= len(text) or not _is_han(text[mend]):
            return False
        stop = re.compile(r"[。；;！？!?]").search(text, mend, mend + 31)
        return stop is not None and not re.search(r"[，,]", text[mend:stop.start()])

    def heading_space(self, mend: int, pend: int) -> int | None:
        """Position where a marker's heading words end at a single space, if they do."""
        limit = min(pend, mend + self.cfg.max_heading_chars + 1)
        stop = _HEADING_STOP.search(self.text, mend, limit)
        if stop is None or stop.group() in SENTENCE_END:
            return None
        j = stop.start()
        if j == mend or self.text[j - 1].isdigit():
            return None
        after = _NON_SPACE.search(self.text, j, pend)
        return after.start() if after else None

    def shi_units(self, paras: list[tuple[int, int]]) -> list[_UnitTuple] | None:
        """The guide's exception: a document without outline markers made of 一是/二是 parts."""
        units: list[_Unit] = []
        expected = 1
        for pstart, pend in paras:
            current = _Unit(pstart, pend)
            units.append(current)
            for m in SHI_MARKER.finditer(self.text, pstart, pend):
                if marker_value("shi", m.group(1)) != expected:
                    continue
                at_start = m.start() == pstart
                if not at_start and not BOUNDARY_BEFORE.search(self.text[max(pstart, m.start() - 8):m.start()]):
                    continue
                if not at_start:
                    current.end = m.start()
                    current = _Unit(m.start(), pend)
                    units.append(current)
                current.kind, current.value, current.marker_end = "shi", expected, m.end()
                expected += 1
        parts = [u for u in units if u.kind == "shi"]
        if len(parts) < 2 or any(u.end - u.start < self.cfg.min_shi_part_chars for u in parts):
            return None
        return [(u.start, u.end, u.kind, u.value, u.marker_end) for u in units if self.text[u.start:u.end].strip()]

    # ------------------------------------------------------------ outline

    def is_heading_words(self, unit: _UnitTuple, limit: int) -> bool:
        start, end, kind, _, marker_end = unit
        words = self.text[marker_end if kind else start:end].strip()
        inner = words[:-1] if words and words[-1] in _HEADING_END else words
        return 0 < len(words) <= limit and not TITLE_FORBIDDEN.search(inner)

    def build(self, doc_id: str, units: list[_UnitTuple], title: str | None = None) -> tuple[Item, ...]:
        plan = self.outline(units)
        text, pieces = self.text, self.pieces
        title = self.title if title is None else title
        items: list[Item] = []
        for s, e, headings in plan:
            if headings is None:
                pieces.append((s, e, "heading", doc_id))
            else:
                items.append(new_item(doc_id, len(items), title, headings, text[s:e], (s, e)))
                pieces.append((s, e, "item", doc_id))
        return tuple(items)

    def outline(self, units: list[_UnitTuple]) -> list[tuple[int, int, tuple[str, ...] | None]]:
        """Per unit its trimmed span and the headings of the item it is, or None for a heading."""
        text = self.text
        kinds: list[str] = []                         # the open markers' kinds, outermost first
        heads: list[str | None] = []                  # and their heading text, None for an item's marker
        sub_heading: str | None = None
        sibling_items: dict[str, bool] = {}           # marker kind → its last unit was an item
        plan: list[tuple[int, int, tuple[str, ...] | None]] = []
        last = len(units) - 1
        for n, unit in enumerate(units):
            nxt = units[n + 1] if n < last else None
            s, e = _trim(text, unit[0], unit[1])
            kind = unit[2]
            if kind is not None and kind != "shi":
                if kind in kinds:
                    depth = kinds.index(kind)
                    del kinds[depth:], heads[depth:]
                sub_heading = None
                deeper_next = nxt is not None and (nxt[2] is None or (nxt[2] not in kinds and nxt[2] != kind))
                # the last of a list of items, followed only by an unmarked closing paragraph, is an item too
                closing_next = nxt is not None and nxt[2] is None and n + 1 == last and sibling_items.get(kind, False)
                if deeper_next and not closing_next and self.is_heading_words(unit, self.cfg.max_heading_chars):
                    kinds.append(kind)
                    heads.append(text[s:e])
                    sibling_items[kind] = False
                    plan.append((s, e, None))
                    continue
                kinds.append(kind)
                heads.append(None)
                sibling_items[kind] = True
            elif (kind is None and nxt is not None and nxt[2] is None and any(heads)
                  and self.is_heading_words(unit, self.cfg.max_subheading_chars)
                  and not self.is_heading_words(nxt, self.cfg.max_subheading_chars)):
                sub_heading = text[s:e]
                plan.append((s, e, None))
                continue
            plan.append((s, e, tuple([h for h in heads if h] + ([sub_heading] if sub_heading else []))))
        return plan

    def run(self) -> list[Document]:
        body = self.split_lines()
        docs = []
        parts = self.split_documents(body)
        for doc_id, ranges in parts:
            title = self.title
            if len(parts) > 1:
                ranges, title = self.part_title(doc_id, ranges)
            paras = self.paragraphs(ranges)
            units = self.scan_units(paras)
            if not any(u[2] for u in units):
                units = self.shi_units(paras) or units
            docs.append((doc_id, title, self.build(doc_id, units, title)))
        self.pieces.sort(key=itemgetter(0))
        pieces = tuple([new_piece(role, start, end, doc_id) for start, end, role, doc_id in self.pieces])
        return [Document(doc_id, title, items, source=self.doc_id, pieces=pieces) for doc_id, title, items in docs]

    def part_title(self, doc_id: str, ranges: list[tuple[int, int]]) -> tuple[list[tuple[int, int]], str]:
        """A report of a compilation: its own title line (whole line, title-like) and meta lines under it."""
        if not ranges:
            return ranges, self.title
        start, end = _trim(self.text, *ranges[0])
        line = self.text[start:end]
        if not (start == 0 or self.text[start - 1] == "\n") or not self.title_like(line) or len(ranges) < 2:
            return ranges, self.title
        self.add("title", start, end, doc_id)
        rest = ranges[1:]
        while rest and len(ranges) - len(rest) <= 3 and self.is_meta(self.text[rest[0][0]:rest[0][1]]):
            self.add("dropped", *rest[0])
            rest = rest[1:]
        return rest, line


def _forms(s: str) -> tuple[str, ...]:
    """A short line as written and, when it holds traditional characters, simplified (版權所有 → 版权所有)."""
    simplified = to_simplified(s)
    return (s,) if simplified == s else (s, simplified)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without surrounding whitespace (str.isspace's definition, as strip uses; so does re's \\s)."""
    first = _NON_SPACE.search(text, start, end)
    if first is None:
        return start, start
    while text[end - 1].isspace():
        end -= 1
    return first.start(), end


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _starts_with_marker(s: str) -> bool:
    return any(p.match(s) for _, p in MARKERS)


def segment_text(text: str, doc_id: str = "doc", config: SegmentConfig | None = None) -> list[Document]:
    """Split normalized report text into documents of outline items.

    Returns one Document per report in the text (several when 【篇N】 markers
    split it). Every Document carries the `pieces` of the whole text, which
    account for each character: item, heading, title or dropped.
    """
    return _Segmenter(text, doc_id, config or load_segment_config()).run()


def doc_id_for(path: str | Path) -> str:
    """The doc_id of a file: its name without extension (`-` → `stdin`)."""
    return "stdin" if str(path) == "-" else Path(path).stem
