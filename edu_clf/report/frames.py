"""pandas DataFrames of predictions and profiles (pandas is optional: pip install 'edu-clf[frames]')."""
from __future__ import annotations

from typing import Any, Iterable

from edu_clf.errors import UsageError
from edu_clf.records import Prediction


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise UsageError("to_dataframe needs pandas", hint="pip install 'edu-clf[frames]' (or pip install pandas)") \
            from None
    return pandas


def to_dataframe(data: Any, meta: Any = None) -> Any:
    """A DataFrame of a Profile, or of predictions (Prediction objects or prediction dicts), one row each.

    Predictions get the columns of `edu-clf predict --format csv` (headings joined by " > ", the k best
    labels as kind_2, kind_2_score …); `meta`, a callable (doc_id, title, text) → dict such as
    edu_clf.segment.meta.MetaReader(), adds the report metadata columns.

        >>> from edu_clf import load_model, to_dataframe
        >>> df = to_dataframe(load_model().predict(["下半年将加快推进城区学校扩建工程。"]))   # doctest: +SKIP
    """
    pandas = _pandas()
    from edu_clf.report.profile import Profile
    if isinstance(data, Profile):
        return pandas.DataFrame(list(data.rows), columns=list(data.columns))
    rows = []
    for p in data if isinstance(data, Iterable) else [data]:
        if isinstance(p, Prediction):
            from edu_clf.report.rows import csv_row
            top_k = max(len(p.kind_top), 1)
            row = csv_row(p, top_k, 1 if p.explanation else 0)
            if meta is not None:
                row.update(meta(p.doc_id, p.title, p.text))
        elif isinstance(p, dict):
            row = dict(p)
        else:
            raise UsageError(f"to_dataframe: cannot make rows of {type(p).__name__}; give a Profile, "
                             f"Prediction objects or prediction dicts")
        rows.append(row)
    return pandas.DataFrame(rows)


__all__ = ["to_dataframe"]
