"""PDF → text: the text layer read with pypdf, page furniture dropped, lines rejoined into paragraphs.

1. Every text chunk is read with its position (pypdf's text visitor); chunks on
   one baseline make a line.
2. Page furniture goes: a line at the same height on most pages (digits aside:
   a running header or footer), and a page number at a page's top or bottom
   (`- 3 -`, `第3页 共11页`, `3/11`; patterns in configs/read.toml [pdf]).
3. Lines become paragraphs. A line starts a new paragraph when it is
   indented, changes font size, follows a gap or a line that stops short of
   the right margin, or starts with an outline marker after a line that ends a
   sentence; otherwise (a full line, and a marker-led line after a full line
   that breaks mid-sentence) it continues the paragraph, across a page break too.

A PDF without a text layer (a scan) is refused with a message saying to OCR it
first. Inflating is bounded: each stream and all page contents together stay
within [limits] of configs/read.toml, or the file is refused by name.
"""
from __future__ import annotations

import io
import logging
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from edu_clf.config import ReadConfig, load_read_config
from edu_clf.errors import InputError
from edu_clf.io.layout import compile_layout

INSTALL_HINT = "install the PDF reader: pip install pypdf (a dependency of edu-clf: pip install -e .)"
OCR_HINT = ("it is probably a scan: run OCR on it first (e.g. ocrmypdf -l chi_sim in.pdf out.pdf, or your "
            "scanner's 'searchable PDF' option) and pass the OCR'd PDF, or save the report as .docx or .txt")


@dataclass
class _Line:
    page: int
    y: float          # baseline, in points from the bottom
    x0: float
    x1: float         # estimated right end
    size: float       # font size in points (the line's largest)
    text: str


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MiB" if n >= 1024 * 1024 else f"{n} bytes"


def _width_em(text: str) -> float:
    """Estimated advance of `text` in ems: CJK, full-width and (in a CJK font) ambiguous-width characters 1,
    others 0.55 (a CJK font's Latin letters and digits run from 0.5 to 0.6)."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WFA" else 0.55 for ch in text)


def _page_lines(page, number: int) -> list[_Line]:
    """The text chunks of one page, grouped into lines by baseline, top to bottom."""
    chunks: list[tuple[float, float, float, str]] = []   # (y, x, size, text)

    def visit(text: str, cm: list[float], tm: list[float], font_dict, font_size: float) -> None:
        if not text or not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3]) or 1.0
        for k, part in enumerate(text.split("\n")):   # pypdf may hand several lines in one chunk
            if part.strip():
                chunks.append((y - k * font_size * scale * 1.2, x, float(font_size) * scale, part))

    page.extract_text(visitor_text=visit)
    # Chunks join the line whose baseline they share, in content-stream order: the order text is
    # written in. (A chunk's x after a font switch inside one text object can be reported as the
    # line's start, so x orders nothing; the line's right end is estimated from its whole text.)
    rows: list[list[tuple[float, float, float, str]]] = []
    for chunk in chunks:
        for row in reversed(rows[-8:]):
            if abs(chunk[0] - row[0][0]) <= max(2.0, 0.4 * max(chunk[2], row[0][2])):
                row.append(chunk)
                break
        else:
            rows.append([chunk])
    lines: list[_Line] = []
    for row in rows:
        text = "".join(c[3] for c in row).strip()
        size = max(c[2] for c in row)
        x0 = min(c[1] for c in row)
        x1 = max(x0 + _width_em(text) * size, max(c[1] + _width_em(c[3].strip()) * c[2] for c in row))
        lines.append(_Line(number, row[0][0], x0, x1, size, text))
    lines.sort(key=lambda line: -line.y)
    return [line for line in lines if line.text]


def _drop_furniture(pages: list[list[_Line]], config: ReadConfig) -> list[_Line]:
    """All body lines in reading order: running headers and footers and page numbers removed."""
    rules = config.pdf
    number = re.compile("|".join(f"(?:{p})" for p in rules.page_number))
    edge = max(1, rules.edge_lines)

    def key(line: _Line) -> tuple[str, int]:
        return re.sub(r"\d+", "#", re.sub(r"\s+", "", line.text)), round(line.y / 4)

    counts = Counter(k for lines in pages for k in {key(line) for line in lines[:edge] + lines[-edge:]})
    repeated = {k for k, n in counts.items() if n >= 2 and n >= rules.repeat_share * len(pages)}
    body: list[_Line] = []
    for lines in pages:
        n = len(lines)
        for i, line in enumerate(lines):
            at_edge = i < edge or i >= n - edge
            if at_edge and (key(line) in repeated or number.fullmatch(line.text.replace(" ", "").strip())
                            or number.fullmatch(line.text.strip())):
                continue
            body.append(line)
    return body


def _paragraphs(lines: list[_Line], config: ReadConfig) -> list[str]:
    """Join the body lines into paragraphs (see the module docstring)."""
    if not lines:
        return []
    rules, layout = config.pdf, compile_layout(config.layout)
    em = sorted(line.size for line in lines)[len(lines) // 2] or 10.0   # the body's font size
    left = Counter(round(line.x0) for line in lines).most_common(1)[0][0]
    left = min((line.x0 for line in lines if abs(line.x0 - left) < em * 0.5), default=left)
    ends = sorted(line.x1 for line in lines if line.size <= em * 1.05) or sorted(line.x1 for line in lines)
    right = ends[int(0.9 * (len(ends) - 1))]   # the right margin: most full lines reach it, a few overshoot
    steps = [a.y - b.y for a, b in zip(lines, lines[1:]) if a.page == b.page and 0 < a.y - b.y < 4 * em]
    step = sorted(steps)[len(steps) // 2] if steps else 1.5 * em
    paragraphs: list[list[str]] = []
    prev: _Line | None = None
    for line in lines:
        new = prev is None
        if not new:
            full = prev.x1 >= right - rules.full_line_slack * em
            indented = line.x0 > left + rules.indent_chars * em
            gap = prev.page == line.page and (prev.y - line.y) > rules.paragraph_gap * step
            # a marker starts a paragraph unless the line before is full and breaks mid-sentence
            # (…学籍一、 / 二、三年级…: the line wrapped inside a list of numbers)
            marker = layout.starts_paragraph(line.text) and layout.ends_sentence(prev.text)
            new = not full or indented or gap or marker or abs(line.size - prev.size) > 0.15 * em
        if new:
            paragraphs.append([line.text])
        else:
            paragraphs[-1].append(line.text)
        prev = line
    return [_join(parts) for parts in paragraphs]


def _join(parts: list[str]) -> str:
    """Lines of one paragraph as one string: no space between CJK characters, one between Latin words."""
    out = parts[0]
    for part in parts[1:]:
        if out and part and out[-1].isascii() and out[-1].isalnum() and part[0].isascii() and part[0].isalnum():
            out += " "
        out += part
    return out


def pdf_to_text(data: bytes, path: str | Path = "<pdf>", config: ReadConfig | None = None) -> str:
    """The text of a PDF, one paragraph a line; page furniture dropped (see the module docstring)."""
    config = config or load_read_config()
    try:
        import pypdf
        from pypdf.errors import FileNotDecryptedError, LimitReachedError, PyPdfError
    except ImportError:
        raise InputError("reading PDF files needs pypdf, which is not installed", path, hint=INSTALL_HINT) from None
    limits = config.limits
    per_stream = min(limits.max_member_bytes, limits.max_decompressed_bytes)
    pages: list[list[_Line]] = []
    quiet = _QuietLogger("pypdf")   # pypdf logs every repair it makes; broken files get one error instead
    try:
        with quiet, pypdf.apply_configuration(
                maximum_declared_stream_length=per_stream, zlib_maximum_output_length=per_stream,
                lzw_maximum_output_length=per_stream, run_length_maximum_output_length=per_stream,
                array_based_stream_maximum_output_length=per_stream, brotli_maximum_output_length=per_stream,
                stream_decoding_work_maximum_length=per_stream, jbig2dec_binary=None):
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                try:
                    ok = reader.decrypt("")
                except Exception:   # noqa: BLE001 - AES without `cryptography`, a broken key…
                    ok = 0
                if not ok:
                    raise InputError("the PDF is encrypted (password-protected)", path,
                                     hint="save an unprotected copy (print to PDF, or 'remove security') and pass that")
            total = 0
            for number, page in enumerate(reader.pages, 1):
                total += _content_bytes(page)
                if total > limits.max_decompressed_bytes:
                    raise InputError(f"the PDF's page contents inflate past the limit of "
                                     f"{_mib(limits.max_decompressed_bytes)} (by page {number})", path,
                                     hint="raise [limits] max_decompressed_bytes in configs/read.toml if the file is trusted")
                pages.append(_page_lines(page, number))
    except InputError:
        raise
    except LimitReachedError as exc:
        raise InputError(f"a stream of the PDF inflates past the limit of {_mib(per_stream)} ({exc})", path,
                         hint="raise [limits] max_member_bytes in configs/read.toml if the file is trusted") from None
    except FileNotDecryptedError:
        raise InputError("the PDF is encrypted (password-protected)", path,
                         hint="save an unprotected copy and pass that") from None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
            OverflowError, AssertionError, ZeroDivisionError) as exc:   # pypdf on a broken file
        raise InputError(f"cannot read the PDF: {exc or type(exc).__name__}", path,
                         hint="open it in a PDF viewer and save or print it as a new PDF, or save as .txt") from None
    if not pages:
        raise InputError("the PDF has no pages", path)
    lines = _drop_furniture(pages, config)
    chars = sum(len("".join(line.text.split())) for line in lines)   # page furniture aside
    if chars < config.pdf.min_text_chars:
        raise InputError(f"the PDF has no text layer ({len(pages)} page(s), {chars} character(s) of text)", path,
                         hint=OCR_HINT)
    return "\n".join(_paragraphs(lines, config)) + "\n"


class _QuietLogger:
    """Raise a logger's level to ERROR for the duration of a `with` block."""

    def __init__(self, name: str) -> None:
        self.logger = logging.getLogger(name)
        self.level = self.logger.level

    def __enter__(self) -> None:
        self.level = self.logger.level
        self.logger.setLevel(logging.ERROR)

    def __exit__(self, *exc) -> None:
        self.logger.setLevel(self.level)


def _content_bytes(page) -> int:
    """Inflated size of a page's content streams (each bounded by pypdf's configured limits)."""
    contents = page.get("/Contents")
    if contents is None:
        return 0
    contents = contents.get_object()
    streams = contents if isinstance(contents, list) else [contents]
    total = 0
    for stream in streams:
        stream = stream.get_object()
        get_data = getattr(stream, "get_data", None)
        if get_data is not None:
            total += len(get_data())
    return total
