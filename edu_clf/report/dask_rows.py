"""Rows the Dask engine's workers render: the same JSON lines as `edu-clf predict --format jsonl`."""
from __future__ import annotations

from typing import Any, Callable

from edu_clf.records import Prediction, json_line
from edu_clf.report.rows import prediction_row


class JsonlRows:
    """A picklable `render` for edu_clf.pipeline_dask: a prediction's JSON line with its report's metadata."""

    name = "jsonl-rows"

    def __init__(self, meta_of: Callable[[str, str, str], dict[str, str]] | None = None) -> None:
        self.meta_of = meta_of

    def __call__(self, p: Prediction) -> str:
        meta: Any = self.meta_of(p.doc_id, p.title, p.text) if self.meta_of is not None else None
        return json_line(prediction_row(p, meta))


__all__ = ["JsonlRows"]
