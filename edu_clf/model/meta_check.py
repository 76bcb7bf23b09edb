"""The shape of a model file's metadata, checked before anything reads it.

A damaged or hand-edited metadata block (format_version "2", the metadata as a list, CV scores without
their method) is refused with one ModelError naming the file and the bad key, before any output.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from edu_clf.errors import ModelError

# key: (expected JSON type(s), what to call it)
_TOP: dict[str, tuple[type | tuple[type, ...], str]] = {
    "format": (str, "a string"), "format_version": (int, "an integer"), "edu_clf_version": (str, "a string"),
    "sklearn_version": (str, "a string"), "numpy_version": (str, "a string"), "python_version": (str, "a string"),
    "created": (str, "a string"), "label_schema": (dict, "an object"), "config": (dict, "an object"),
    "data": (dict, "an object"), "metrics": (dict, "an object"),
}
_OPTIONAL = {"metrics", "numpy_version", "python_version", "created", "format", "format_version"}


def _is(value: Any, want: type | tuple[type, ...]) -> bool:
    return isinstance(value, want) and not (isinstance(value, bool) and want in (int, float, (int, float)))


def check_meta_dict(raw: Any, path: str | Path) -> None:
    """Raise ModelError unless `raw` has the keys and types that edu-clf reads from a model's metadata."""
    def bad(message: str) -> ModelError:
        return ModelError(f"damaged model metadata: {message}", path, hint="retrain the model with `edu-clf train`")

    if not isinstance(raw, dict):
        raise bad(f"expected an object, found {type(raw).__name__}")
    for key, (want, name) in _TOP.items():
        if key not in raw:
            if key in _OPTIONAL:
                continue
            raise bad(f"no {key!r}")
        if not _is(raw[key], want):
            raise bad(f"{key!r} must be {name}, found {raw[key]!r:.40}")
    config = raw["config"]
    for section in ("model", "features"):
        if not isinstance(config.get(section), dict):
            raise bad(f"config.{section} must be an object")
    data = raw["data"]
    for key, want, name in (("n_items", int, "an integer"), ("n_docs", int, "an integer"),
                            ("sources", dict, "an object"), ("sha256", str, "a string")):
        if key in data and not _is(data[key], want):
            raise bad(f"data.{key} must be {name}")
    cv = raw.get("metrics", {}).get("cv")
    if cv is None:
        return
    if not isinstance(cv, dict):
        raise bad("metrics.cv must be an object")
    if not cv:
        return
    if not isinstance(cv.get("method"), str):
        raise bad("metrics.cv has no 'method'")
    for task in ("kind", "topic"):
        if task in cv or "kind" in cv:
            scores = cv.get(task)
            if not isinstance(scores, dict) or not _is(scores.get("macro_f1"), (int, float)):
                raise bad(f"metrics.cv.{task}.macro_f1 must be a number")
    if "n_scored" in cv and not _is(cv["n_scored"], int):
        raise bad("metrics.cv.n_scored must be an integer")
