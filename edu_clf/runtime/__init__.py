"""The runtime: label items from a model artifact of plain arrays, with numpy only.

`edu-clf train` writes, beside the full estimator (.skops), a runtime artifact (.npz):
the fitted tables of every feature block, both heads' coefficients, the calibration
temperatures, the coefficients of the sequence stage (format 2) and the model's JSON metadata. It is read with `allow_pickle=False`, so
it cannot hold code, and nothing here imports scikit-learn or scipy: `predict`,
`report` and `info` start fast and run where only numpy is installed.

The scores are the estimator's: the same feature rows (features/tables.py is shared),
the same sums of weights, the same softmax, temperature and sequence stage (tests/test_runtime.py).
"""
from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from edu_clf import kernels
from edu_clf.errors import EduClfWarning, ModelError
from edu_clf.features.base import neighbour_rows, normalized, section_mates, to_records
from edu_clf.features.tables import _CACHES, CueTransform, TfidfTransform, _unpack_terms
from edu_clf.features.tokenize import OwnDictionary
from edu_clf.records import FORMAT_NAME, ModelMeta

RUNTIME_FORMAT = "edu-clf-runtime"
RUNTIME_VERSION = 2   # 2: the sequence stage (version 1 files have none and still load)


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row softmax, in scikit-learn's steps (subtract the row max, exp, divide by the sum)."""
    scores = scores - scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    return scores


def scale(proba: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities with their logits divided by `temperature` (softmax(log p / T))."""
    logits = np.log(np.clip(proba, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    out = np.exp(logits)
    return out / out.sum(axis=1, keepdims=True)


# the stage's width in classes (own scores + neighbour slots) → whether a document's opening has a slot of its own
SEQUENCE_SLOTS = {5: False, 6: True}


def sequence_features(proba: np.ndarray, records: Sequence[Any], opening: bool = True) -> np.ndarray:
    """What the sequence stage reads of each item: the log of its own probabilities, then the
    probabilities of the item before it, in two places: where it sits under the same headings
    (features.base.section_mates) and where it does not; the same for the item after it, in three with
    `opening`: the next section's first item is in a place of its own for an item that has none before
    it under a title (a document's opening paragraph, which follows its own rule of the guide, not the
    section after it; a copy cut mid-document has no title). Zeros where there is no such item."""
    padded = np.vstack([proba, np.zeros((1, proba.shape[1]))])   # row -1: no neighbour
    columns = [np.log(np.clip(proba, 1e-12, 1.0))]
    before, after = neighbour_rows(records)
    for rows in (before, after):
        near = padded[rows]
        same = section_mates(records, rows)[:, None]
        if opening and rows is after:
            first = np.fromiter((b < 0 and bool(r.title) for b, r in zip(before.tolist(), records)), dtype=bool,
                                count=len(records))[:, None]
            columns += [near * same, near * (~same & ~first), near * (~same & first)]
        else:
            columns += [near * same, near * ~same]
    return np.hstack(columns)


def sequence_proba(proba: np.ndarray, records: Sequence[Any], coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """The sequence stage: a multinomial logistic regression over sequence_features, fitted on grouped
    out-of-fold probabilities (EduClassifier.fit). Items of a section share their kind, so an item's
    neighbours say what its own text or a missing heading does not. The layout follows from the
    coefficients' width (models from before the opening slot have one slot fewer)."""
    opening = SEQUENCE_SLOTS[coef.shape[1] // proba.shape[1]]
    return softmax(sequence_features(proba, records, opening) @ coef.T + intercept)


def sequenced(probas: list[np.ndarray], records: Sequence[Any],
              stages: Sequence[tuple[int, np.ndarray, np.ndarray]]) -> list[np.ndarray]:
    """The probabilities per task after the sequence stages ((task, coef, intercept) each) a model has."""
    if not stages or not len(records):
        return probas
    records = to_records(records)
    probas = list(probas)
    for task, coef, intercept in stages:
        probas[task] = sequence_proba(probas[task], records, coef, intercept)
    return probas


def add_scores(parts: tuple[np.ndarray, np.ndarray, np.ndarray], weight: float | None, offset: int,
               weights: np.ndarray, scores: np.ndarray) -> None:
    """scores += rows · weights[offset:], the rows given as CSR parts (C kernel when built)."""
    indptr, indices, data = parts
    if weight is not None:
        data = data * weight
    if kernels.KERNELS is not None:
        kernels.KERNELS.csr_scores(np.asarray(indptr, dtype=np.int64), np.asarray(indices, dtype=np.int32),
                                   np.ascontiguousarray(data, dtype=np.float64), offset, weights, scores)
        return
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    np.add.at(scores, rows, data[:, None] * weights[offset + np.asarray(indices, dtype=np.int64)])


def dense_parts(dense: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR parts of a dense block (its non-zeros, row by row)."""
    rows, cols = np.nonzero(dense)
    indptr = np.zeros(dense.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=dense.shape[0]), out=indptr[1:])
    return indptr, cols.astype(np.int32), dense[rows, cols]


class TfidfTable(TfidfTransform):
    """A fitted TF-IDF block as read from the artifact."""

    def __init__(self, spec: dict[str, Any], arrays: Any, prefix: str) -> None:
        for name in ("analyzer", "ngram_max", "tokenizer", "hmm", "sublinear_tf"):
            setattr(self, name, spec[name])
        self.idf_ = np.asarray(arrays[f"{prefix}idf"], dtype=np.float64)
        self.keys_ = np.asarray(arrays[f"{prefix}keys"], dtype=np.int64)
        self.cols_ = np.asarray(arrays[f"{prefix}cols"], dtype=np.int64)
        if self.analyzer != "chars":
            self.word_index_ = _unpack_terms(arrays[f"{prefix}wcodes"], arrays[f"{prefix}wends"])
            self.base_ = int(spec["base"])

    def parts(self, records: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.transform_parts(records)

    def __getstate__(self) -> dict[str, Any]:
        """Caches (the key table, the C word index) are rebuilt in the process that uses them."""
        return {k: v for k, v in self.__dict__.items() if k not in _CACHES}


class CueTable(CueTransform):
    """The cue block as read from the artifact (lexicons only: it learns nothing)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.lexicons = spec["lexicons"]
        self.neighbours = spec["neighbours"]
        self.feature_names_ = list(spec["feature_names"])

    def parts(self, records: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return dense_parts(self.dense(records))


class RuntimeModel:
    """A loaded runtime artifact: predict_proba over items, and the model's metadata."""

    def __init__(self, spec: dict[str, Any], arrays: Any, meta: ModelMeta, path: str = "") -> None:
        self.meta = meta
        self.path = path
        self.blocks: list[tuple[Any, float | None, int]] = []
        for i, block in enumerate(spec["blocks"]):
            table = TfidfTable(block, arrays, f"b{i}_") if block["type"] == "tfidf" else CueTable(block)
            self.blocks.append((table, block["weight"], int(block["n_features"])))
        self.weights = np.ascontiguousarray(arrays["weights"], dtype=np.float64)
        self.widths = [int(w) for w in spec["widths"]]
        self.intercepts = [np.asarray(arrays[f"intercept{k}"], dtype=np.float64) for k in range(len(self.widths))]
        self.dictionary = _own_dictionary(spec, arrays)
        for table, _, _ in self.blocks:
            if self.dictionary is not None and isinstance(table, TfidfTable) and table.analyzer != "chars":
                table.dictionary_ = self.dictionary
        self.classes_ = [np.asarray(c, dtype=object) for c in spec["classes"]]
        self.temperatures = [float(t) for t in spec["temperatures"]]
        self.normalize = bool(spec["normalize"])
        self.sequence = [(int(s["task"]), np.asarray(arrays[f"seq{j}_coef"], dtype=np.float64),
                          np.asarray(arrays[f"seq{j}_intercept"], dtype=np.float64))
                         for j, s in enumerate(spec.get("sequence", []))]
        if self.weights.shape != (sum(n for _, _, n in self.blocks), sum(self.widths)):
            raise ModelError("runtime artifact is inconsistent (weights do not match its blocks)", path)
        for task, coef, intercept in self.sequence:
            k = self.widths[task] if 0 <= task < len(self.widths) else -1
            if k < 0 or intercept.shape != (k,) or coef.ndim != 2 or coef.shape[0] != k \
                    or coef.shape[1] not in [m * k for m in SEQUENCE_SLOTS]:
                raise ModelError("runtime artifact is inconsistent (sequence stage does not match its head)", path)

    def predict_proba(self, X: Sequence[Any]) -> list[np.ndarray]:
        """Class probabilities per task: [kind (n, k), topic (n, t)], columns in `classes_` order."""
        records = raw = to_records(X)
        if self.normalize:
            records = normalized(records)
        scores = np.zeros((len(records), self.weights.shape[1]), dtype=np.float64)
        offset = 0
        for table, weight, n_features in self.blocks:
            add_scores(table.parts(records), weight, offset, self.weights, scores)
            offset += n_features
        out, start = [], 0
        for width, intercept, temperature in zip(self.widths, self.intercepts, self.temperatures):
            proba = softmax(scores[:, start:start + width] + intercept)
            out.append(proba if temperature == 1.0 else scale(proba, temperature))
            start += width
        return sequenced(out, raw, self.sequence)

    def predict(self, items: Any, top_k: int = 1) -> list[Any]:
        """Label items (Items, guide-format dicts or plain strings); one Prediction each, in order."""
        from edu_clf.runtime.predict import predict_items
        return predict_items(self, list(items), top_k=top_k)


def _own_dictionary(spec: dict[str, Any], arrays: Any) -> OwnDictionary | None:
    """The dictionary the model was trained with, when the artifact carries it (made and so checked now)."""
    if "dictionary" not in spec:
        return None
    own = OwnDictionary({name: arrays[f"dict_{name}"] for name in ("root", "logf", "first", "end", "code",
                                                                   "logtotal")})
    own.get()
    return own


def _json(arrays: Any, key: str, path: Path) -> Any:
    try:
        return json.loads(str(arrays[key][()]))
    except (KeyError, ValueError, TypeError) as exc:
        raise ModelError(f"not an edu-clf runtime artifact (no readable {key!r}: {type(exc).__name__})", path) \
            from None


def load_runtime(path: str | Path | None = None, schema: Any = None) -> RuntimeModel:
    """Read and check a runtime artifact (default: the shipped models/default.npz)."""
    from edu_clf.config import default_runtime_path, file_hashes, load_label_schema

    path = Path(path) if path is not None else default_runtime_path()
    if not path.exists():
        raise ModelError("model file not found", path, hint="train one with `edu-clf train --out PATH.skops`")
    from edu_clf.config import load_limits
    from edu_clf.errors import EduClfError
    from edu_clf.io.limits import check_regular, check_unpacked_size

    limit = load_limits().max_model_bytes
    try:
        check_regular(path, max_bytes=limit)   # no device, pipe or giant file
    except EduClfError as exc:
        raise ModelError(exc.message, path, hint=exc.hint) from None
    check_unpacked_size(path, limit, "not an edu-clf runtime artifact (not a readable zip file)")  # zip bombs too
    try:
        arrays = np.load(path, allow_pickle=False)
        spec, raw_meta = _json(arrays, "runtime", path), _json(arrays, "meta", path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ModelError(f"not an edu-clf runtime artifact ({type(exc).__name__})", path) from None
    if not isinstance(spec, dict) or spec.get("format") != RUNTIME_FORMAT:
        raise ModelError("not an edu-clf runtime artifact (unknown format tag)", path)
    if not isinstance(spec.get("format_version"), int) or spec["format_version"] > RUNTIME_VERSION:
        raise ModelError(f"runtime format {spec.get('format_version')!r} is newer than this edu-clf reads "
                         f"({RUNTIME_VERSION})", path, hint="upgrade edu-clf")
    if not isinstance(raw_meta, dict):
        raise ModelError("model metadata is unreadable (not a JSON object)", path)
    try:
        meta = ModelMeta.from_dict(raw_meta)
    except TypeError as exc:
        raise ModelError(f"model metadata is unreadable: {exc}", path) from None
    if meta.format != FORMAT_NAME:
        raise ModelError("not an edu-clf model (unknown format tag in its metadata)", path)
    schema = schema or load_label_schema()
    expected = {"schema_version": schema.schema_version, "kinds": list(schema.kind_ids),
                "topics": list(schema.topic_ids)}
    if meta.label_schema != expected:
        raise ModelError("the model's label schema does not match configs/labels.toml", path,
                         hint="retrain the model on data labeled with the current schema")
    # a model that carries its dictionary does not depend on the installed dict.txt
    check_depends(meta, path, file_hashes(), dictionary="dictionary" not in spec or kernels.KERNELS is None)
    try:
        return RuntimeModel(spec, arrays, meta, str(path))
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"runtime artifact is damaged ({type(exc).__name__}: {exc})", path) from None


def check_depends(meta: ModelMeta, path: Path, configs: dict[str, str], dictionary: bool = True) -> None:
    """Warn when the tokenizer dictionary (with `dictionary`) or a config file differs from the one the model
    was trained with."""
    from edu_clf.features.tokenize import dictionary_sha256

    depends = meta.depends or {}
    now = {**configs, **({"jieba dict.txt": dictionary_sha256()} if dictionary else {})}
    changed = [name for name, digest in depends.items() if name in now and now[name] and digest != now[name]]
    if changed:
        warnings.warn(f"{path}: {', '.join(changed)} changed since the model was trained; labels may differ "
                      f"(retrain with `edu-clf train`)", EduClfWarning, stacklevel=3)


__all__ = ["RuntimeModel", "load_runtime", "scale", "sequence_features", "sequence_proba", "sequenced", "softmax"]
