"""Copied text → the text the segmenter reads: what copying broke, put right first.

Reports copied out of PDF or Word viewers, or from document-sharing sites, are
not the text their authors wrote:

- hard line wraps: a line break every 25–40 characters, mid-sentence (rejoined
  when most lines end near one width: a hard-wrapped text);
- page counters (`第1页 / 共11页`, `….docx_第3页`) inside a sentence: the
  counter goes and the sentence's halves are joined;
- preview blocks (`内容预览` and the excerpt under it) ahead of the full text;
- compilations (`…汇编(5篇)`, a 目录, then the reports run together): the table
  of contents goes and each report starts with a `【篇N】` line, which the
  segmenter's [documents] split turns into a document with its own title.

Every pattern is in configs/segment.toml ([prepare], and [chrome] for the
lines dropped). The result is plain text; `segment_text` then accounts for
each of its characters.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from edu_clf.config import PrepareConfig, SegmentConfig, load_prepare_config, load_segment_config

_MARKER_START = re.compile(r"\s*([一二三四五六七八九十]{1,3}[、是]|[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,2}[.．、](?![\d])|[①-⑳]|【篇)")
_TOC_LEADER = re.compile(r"[.．…·\-—_\s]{2,}\s*\d*\s*$|\s+\d{1,3}\s*$")
_TOC_NUMBER = re.compile(r"^\s*([一二三四五六七八九十\d]{1,3}[、.．]|[（(][一二三四五六七八九十\d]{1,3}[）)]|【篇[^】]*】)\s*")


@lru_cache(maxsize=8)
def _patterns(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


def display_width(line: str) -> int:
    """Columns a line takes: a wide (Han, full-width) character 2, others 1."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def _squash(text: str) -> str:
    return "".join(text.split())


def _join(left: str, right: str) -> str:
    """Two halves of a broken line: no space between Chinese, one between Latin words."""
    left, right = left.rstrip(), right.lstrip()
    if left and right and left[-1].isascii() and left[-1].isalpha() and right[0].isascii() and right[0].isalpha():
        return f"{left} {right}"
    return left + right


def drop_previews(lines: list[str], cfg: PrepareConfig) -> list[str]:
    """A preview head alone on a line, and the excerpt under it (to a blank line, or the title again)."""
    heads = _patterns(cfg.block_heads)
    if heads is None:
        return lines
    title = next((_squash(line) for line in lines if line.strip()), "")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if heads.fullmatch(lines[i].strip()):
            i += 1
            taken = 0
            while i < len(lines) and not lines[i].strip():
                i += 1
            while (i < len(lines) and lines[i].strip() and taken < cfg.block_max_lines
                   and _squash(lines[i]) != title):
                i += 1
                taken += 1
            continue
        out.append(lines[i])
        i += 1
    return out


def close_page_breaks(lines: list[str], cfg: PrepareConfig) -> list[str]:
    """Drop page counters; where one cut a sentence in two, join the halves."""
    breaks = _patterns(cfg.page_break)
    if breaks is None:
        return lines
    out: list[str] = []
    pending = False        # a page break was dropped since the last text line
    for line in lines:
        s = line.strip()
        if s and len(s) <= 80 and breaks.fullmatch(s):
            pending = True
            continue
        if not s:
            if not pending:
                out.append(line)
            continue
        if pending and out:
            k = len(out) - 1
            while k >= 0 and not out[k].strip():
                k -= 1
            prev = out[k].rstrip() if k >= 0 else ""
            if prev and prev[-1] not in cfg.line_end and not _MARKER_START.match(s) and len(prev) >= 20:
                del out[k + 1:]
                out[k] = _join(prev, s)
                pending = False
                continue
        pending = False
        out.append(line)
    return out


def _measures(line: str) -> tuple[int, int]:
    """(characters, display columns): a PDF viewer wraps by columns, a Word copy by characters."""
    return len(line), display_width(line)


def wrap_width(lines: list[str], cfg: PrepareConfig) -> tuple[int, int] | None:
    """The (characters, columns) a hard-wrapped text breaks at, or None when its lines are paragraphs."""
    sizes = [_measures(lines[i].strip()) for i in range(len(lines) - 1) if lines[i].strip() and lines[i + 1].strip()]
    if len(sizes) < cfg.wrap_min_lines:
        return None
    at = int(0.75 * (len(sizes) - 1))
    width = (sorted(c for c, _ in sizes)[at], sorted(d for _, d in sizes)[at])
    if width[1] > cfg.wrap_max_width or width[1] < 16:
        return None
    near = [size for size in sizes if _full(size, width, cfg)]
    # most lines, and most of the text, sit in lines that end near the width
    text = sum(len(line.strip()) for line in lines)
    if len(near) < cfg.wrap_share * len(sizes) or sum(c for c, _ in near) < cfg.wrap_share * text:
        return None
    return width


def _full(size: tuple[int, int], width: tuple[int, int], cfg: PrepareConfig, slack: int = -1) -> bool:
    """Whether a line of `size` ends near the wrap width (within the tolerance, or `slack` when given)."""
    for got, full in zip(size, width):
        low = full - (max(3, int(cfg.wrap_tolerance * full)) if slack < 0 else slack)
        if low <= got <= full + 2:
            return True
    return False


def rejoin_wraps(lines: list[str], cfg: PrepareConfig) -> list[str]:
    """Join each line that ends at the wrap width with the next, unless the next starts an outline item."""
    width = wrap_width(lines, cfg)
    if width is None:
        return lines
    out: list[str] = []
    joining = False
    for line in lines:
        s = line.strip()
        if joining and s and not _MARKER_START.match(s):
            out[-1] = _join(out[-1], s)
        else:
            out.append(line.rstrip() if s else "")
        size = _measures(s)
        # a line ending near the width breaks mid-sentence; one ending a sentence only when it is full
        joining = bool(s) and _full(size, width, cfg) and (s[-1] not in cfg.line_end or _full(size, width, cfg, 1))
    return out


def _toc_entry(line: str) -> str:
    """A table-of-contents line without its number and page number."""
    return _squash(_TOC_NUMBER.sub("", _TOC_LEADER.sub("", line.strip())))


def split_compilation(lines: list[str], cfg: PrepareConfig) -> list[str]:
    """`…汇编(N篇)`, 目录 and its entries, then the reports: TOC dropped, a 【篇N】 line before each report."""
    title_re, toc_re = _patterns(cfg.compilation_title), _patterns(cfg.toc_heads)
    if title_re is None or toc_re is None:
        return lines
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if not filled or not title_re.fullmatch(lines[filled[0]].strip()):
        return lines
    head = next((i for i in filled[1:6] if toc_re.fullmatch(lines[i].strip())), None)
    if head is None:
        return lines
    entries: list[str] = []
    end = head + 1
    for i in range(head + 1, len(lines)):
        s = lines[i].strip()
        if not s:
            if len(entries) >= 2:
                end = i
                break
            continue
        entry = _toc_entry(s)
        if entry in entries or len(entry) > 80 or re.search(r"[。！？；]", s):
            end = i
            break
        entries.append(entry)
        end = i + 1
    if len(entries) < 2:
        return lines
    out = lines[:head]
    wanted = 0
    for line in lines[end:]:
        if wanted < len(entries) and line.strip() and _squash(line) == entries[wanted]:
            wanted += 1
            out.append(f"【篇{wanted}】")
        out.append(line)
    return out if wanted >= 2 else lines


def prepare_text(text: str, config: SegmentConfig | None = None, prepare: PrepareConfig | None = None) -> str:
    """The text as its author wrote it, as far as the copy allows (see the module docstring)."""
    cfg = prepare or load_prepare_config()
    del config  # the [chrome] lines are the segmenter's to drop; kept in the signature for callers' symmetry
    lines = text.split("\n")
    lines = drop_previews(lines, cfg)
    lines = close_page_breaks(lines, cfg)
    lines = split_compilation(lines, cfg)
    lines = rejoin_wraps(lines, cfg)
    out = "\n".join(lines)
    return out if out.endswith("\n") or not text.endswith("\n") else out + "\n"


__all__ = ["display_width", "prepare_text", "rejoin_wraps", "split_compilation", "wrap_width"]
