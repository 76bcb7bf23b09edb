"""Writing results: atomic files, and table / JSONL / CSV renderings that stream.

Files are written to a temporary file in the target folder and renamed into
place only when complete, so an error or an interrupt never leaves a
half-written model or output file behind.
"""
from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import sys
import tempfile
import unicodedata
from pathlib import Path
from typing import Iterable, IO, Any, Iterator

from edu_clf.errors import EduClfError, UsageError
from edu_clf.io.atomic import atomic_path, check_writable  # noqa: F401  (re-exported)
from edu_clf.records import json_line as jsonl_line


@contextlib.contextmanager
def open_output(path: str | Path | None, binary: bool = False) -> Iterator[IO[Any]]:
    """A text stream for results: stdout when `path` is None or '-', else an atomic file."""
    if path is None or str(path) == "-":
        if sys.stdout is None:
            raise UsageError("standard output is closed", hint="give --out FILE")
        yield sys.stdout.buffer if binary else sys.stdout
        return
    if Path(path).is_dir():
        raise UsageError("is a folder; give a file name", path)
    with atomic_path(path) as tmp:
        try:
            handle = open(tmp, "wb" if binary else "w", encoding=None if binary else "utf-8",
                          newline=None if binary else "")
        except OSError as exc:
            raise EduClfError(f"cannot write: {exc.strerror}", path) from None
        with handle:
            yield handle


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# what a terminal would act on: CSI (ESC [ … final) and OSC (ESC ] … BEL / ESC \\) sequences, other
# escapes, C0/C1 controls and DEL, and bidi overrides/isolates, which reorder the rest of the line
_TERMINAL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|\x9b[0-?]*[ -/]*[@-~]"
                       "|[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """`text` without escape sequences and control characters: table output cannot drive the terminal."""
    return _TERMINAL.sub("", text) if not text.isprintable() else text


def clip(text: str, width: int) -> str:
    """The opening of `text` that fits `width` terminal columns, on one line."""
    text = " ".join(terminal_safe(text).split())
    out, used = [], 0
    for ch in text:
        w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used + w > width:
            return "".join(out).rstrip() + "…"
        out.append(ch)
        used += w
    return "".join(out)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


class TableWriter:
    """Aligned columns for people; the last column is clipped to fit."""

    def __init__(self, stream: IO[str], columns: list[tuple[str, int]]) -> None:
        self.stream = stream
        self.columns = columns
        self.stream.write("  ".join(pad(name, width) for name, width in columns).rstrip() + "\n")

    def row(self, values: list[str]) -> None:
        cells = []
        for (name, width), value in zip(self.columns, values):
            cells.append(pad(clip(str(value), width), width))
        self.stream.write("  ".join(cells).rstrip() + "\n")


class JsonlWriter:
    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def row(self, record: dict[str, Any] | str) -> None:
        """Write a record, or a line jsonl_line already made (in a worker process)."""
        self.stream.write(record if isinstance(record, str) else jsonl_line(record))


# OWASP's rule against CSV (formula) injection: a text cell that a spreadsheet would read as a formula
# gets a leading apostrophe, so that =HYPERLINK(…) from a report stays text. `--raw-csv` turns it off.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize_cell(value: Any) -> Any:
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


class CsvWriter:
    def __init__(self, stream: IO[str], columns: list[str], raw: bool = False) -> None:
        self.writer = csv.DictWriter(stream, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        self.writer.writeheader()
        self.raw = raw

    def row(self, record: dict[str, Any]) -> None:
        flat = {k: (" | ".join(v) if isinstance(v, list) and all(isinstance(x, str) for x in v)
                    else json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v)
                for k, v in record.items()}
        if not self.raw:
            flat = {k: neutralize_cell(v) for k, v in flat.items()}
        # the csv module leaves a lone CR unquoted (its line end here is LF), and a reader would end the row
        # there: a CR inside a cell is written as LF, which is quoted
        flat = {k: v.replace("\r\n", "\n").replace("\r", "\n") if isinstance(v, str) and "\r" in v else v
                for k, v in flat.items()}
        self.writer.writerow(flat)
