"""Files → documents: read a report in any supported format and segment it.

`.jsonl` files in the guide's format are passed through as documents of the
items they hold (context kept, labels dropped unless asked for).
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Iterable, Iterator

from edu_clf.config import SegmentConfig, load_segment_config
from edu_clf.corpus import read_items
from edu_clf.errors import EduClfError
from edu_clf.io import iter_input_paths, read_report, report_kind
from edu_clf.items import Document
from edu_clf.segment import doc_id_for, segment_text


def documents_from_items(items, source: str) -> list[Document]:
    """Group JSONL items into documents by doc_id, keeping their order."""
    docs = []
    for doc_id, group in groupby(items, key=lambda it: it.doc_id):
        group = tuple(group)
        docs.append(Document(doc_id=doc_id, title=group[0].title, items=group, source=source))
    return docs


def load_documents(path: str | Path, config: SegmentConfig | None = None, keep_labels: bool = False) -> list[Document]:
    """Read one file (or `-` for stdin) and return its documents."""
    path = str(path)
    kind = "txt" if path == "-" else report_kind(path)
    if kind == "jsonl":
        items = read_items(path, labeled=False)
        if not keep_labels:
            items = [type(it)(it.doc_id, it.item, it.title, it.headings, it.text) for it in items]
        return documents_from_items(items, path)
    report = read_report(path, kind)
    return segment_text(report.text, doc_id_for(path), config or load_segment_config())


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


def iter_documents(inputs: Iterable[str], config: SegmentConfig | None = None, skip_errors: bool = False,
                   skipped: list[Skipped] | None = None) -> Iterator[Document]:
    """Documents of every input (files, folders, `-`), in order.

    With `skip_errors`, a file that cannot be read is recorded in `skipped`
    and the rest go on; otherwise the first error is raised.
    """
    config = config or load_segment_config()
    for path in iter_input_paths(list(inputs)):
        try:
            docs = load_documents(path, config)
        except EduClfError as exc:
            if not skip_errors:
                raise
            if skipped is not None:
                skipped.append(Skipped(path, exc.describe()))
            continue
        yield from docs
