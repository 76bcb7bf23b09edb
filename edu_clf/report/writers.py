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


def clip(text: str, width: int) -> str:
    """The opening of `text` that fits `width` terminal columns, on one line."""
    text = " ".join(text.split())
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


class CsvWriter:
    def __init__(self, stream: IO[str], columns: list[str]) -> None:
        self.writer = csv.DictWriter(stream, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        self.writer.writeheader()

    def row(self, record: dict[str, Any]) -> None:
        flat = {k: (" | ".join(v) if isinstance(v, list) and all(isinstance(x, str) for x in v)
                    else json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v)
                for k, v in record.items()}
        self.writer.writerow(flat)
