"""Files → documents: read a report in any supported format and segment it.

`.jsonl` files in the guide's format are passed through as documents of the
items they hold (context kept, labels dropped unless asked for).
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Callable, Iterable, Iterator

from edu_clf.config import SegmentConfig, load_segment_config
from edu_clf.corpus import iter_items, read_items
from edu_clf.errors import EduClfError
from edu_clf.io import iter_input_paths, read_report, report_kind
from edu_clf.items import Document
from edu_clf.segment import doc_id_for, segment_text


def documents_from_items(items: Iterable, source: str) -> Iterator[Document]:
    """Group JSONL items into documents by consecutive doc_id, keeping their order (lazily)."""
    for doc_id, group in groupby(items, key=lambda it: it.doc_id):
        group = tuple(group)
        yield Document(doc_id=doc_id, title=group[0].title, items=group, source=source)


def load_documents(path: str | Path, config: SegmentConfig | None = None, keep_labels: bool = False) -> list[Document]:
    """Read one file (or `-` for stdin) and return its documents."""
    return list(stream_documents(path, config, keep_labels))


def stream_documents(path: str | Path, config: SegmentConfig | None = None,
                     keep_labels: bool = False) -> Iterator[Document]:
    """The documents of one file; a guide-format JSONL file is streamed document by document."""
    path = str(path)
    kind = "txt" if path == "-" else report_kind(path)
    if kind == "jsonl":
        if keep_labels:
            yield from documents_from_items(read_items(path, labeled=False), path)
        else:
            yield from documents_from_items(iter_items(path), path)
        return
    report = read_report(path, kind)
    yield from segment_text(report.text, doc_id_for(path), config or load_segment_config())


def check_input(path: str) -> None:
    """Read (and for JSONL, parse) a file without keeping it: raises the error reading it would."""
    kind = "txt" if path == "-" else report_kind(path)
    if kind == "jsonl":
        for _ in iter_items(path):
            pass
    elif path != "-":
        read_report(path, kind)


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


def iter_documents(inputs: Iterable[str], config: SegmentConfig | None = None, skip_errors: bool = False,
                   skipped: list[Skipped] | None = None, precheck: bool = False,
                   warn: Callable[[str], None] | None = None) -> Iterator[Document]:
    """Documents of every input (files, folders, `-`), in order, one file at a time.

    With `skip_errors`, a file that cannot be read is recorded in `skipped`
    and the rest go on; otherwise the first error is raised. With `precheck`,
    every file is read once before the first document is yielded, so that a
    bad file stops the run before any output is written (memory stays flat:
    nothing read in the check is kept).
    """
    config = config or load_segment_config()
    paths = list(iter_input_paths(list(inputs)))
    if precheck and not skip_errors:
        check_inputs(paths)
    return _documents(paths, config, skip_errors, skipped, warn)


def check_inputs(paths: Iterable[str]) -> None:
    """Read every file once (stdin excepted) and raise the first error: nothing is kept."""
    for path in paths:
        if path != "-":
            check_input(path)


def no_items_message(path: str) -> str:
    return f"{path}: no outline items found (empty, whitespace only, or only a title and page chrome)"


def _documents(paths: list[str], config: SegmentConfig, skip_errors: bool, skipped: list[Skipped] | None,
               warn: Callable[[str], None] | None) -> Iterator[Document]:
    for path in paths:
        try:
            docs = load_documents(path, config) if path == "-" or report_kind(path) != "jsonl" \
                else stream_documents(path, config)
        except EduClfError as exc:
            if not skip_errors:
                raise
            if skipped is not None:
                skipped.append(Skipped(path, exc.describe()))
            continue
        n_items = 0
        for doc in docs:
            n_items += len(doc.items)
            yield doc
        if n_items == 0 and warn is not None:
            warn(no_items_message(path))
