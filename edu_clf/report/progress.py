"""A progress bar on stderr for long runs, only when stderr is a terminal (never in pipes, logs or with -q)."""
from __future__ import annotations

import sys
import time
from typing import IO, Any


class Progress:
    """Documents and items done, drawn by rich on a terminal after `delay` seconds; a no-op otherwise."""

    def __init__(self, enabled: bool = True, stream: IO[str] | None = None,
                 delay: float = 1.0) -> None:
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(enabled and isatty is not None and isatty())
        self.delay = delay
        self.items = self.docs = 0
        self.started = time.monotonic()
        self._bar: Any = None
        self._task: Any = None
        self._last = 0.0

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.stop()

    def doc_done(self) -> None:
        self.docs += 1
        self._draw()

    def advance(self, items: int = 1) -> None:
        before, self.items = self.items, self.items + items
        if self.enabled and (self.items >> 8) != (before >> 8):
            self._draw()

    def _draw(self) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.started < self.delay or now - self._last < 0.1:
            return
        self._last = now
        if self._bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, Progress as Bar, TextColumn, TimeElapsedColumn
            self._bar = Bar(TextColumn("edu-clf: labeling"), BarColumn(),
                            TextColumn("{task.fields[docs]} documents · {task.fields[items]} items"),
                            TimeElapsedColumn(),
                            console=Console(file=self.stream), transient=True)
            self._bar.start()
            self._task = self._bar.add_task("label", total=None, docs=0, items=0)
        self._bar.update(self._task, docs=f"{self.docs:,}", items=f"{self.items:,}")


__all__ = ["Progress"]
