"""Model files: write atomically, read with checks, and never run untrusted code.

Two formats:
- ``skops`` (default): a zip read by skops.io, which rebuilds objects without
  unpickling. Beyond the types skops itself trusts (its exact list of
  scikit-learn, numpy and scipy types), loading accepts only the exact edu_clf
  types in ``ALLOWED_TYPES`` — never a whole namespace, since a namespace such
  as ``numpy.`` holds functions that run code (``numpy.testing`` calls exec).
- ``joblib``: a pickle. Loading a pickle CAN RUN ARBITRARY CODE, so any file
  that is not a zip is refused by its content, whatever its name, unless the
  caller passes ``trust_pickle=True`` (CLI: ``--trust-pickle``).

Every file holds {"meta": JSON text, "estimator": EduClassifier}; the metadata
is checked on load (format, versions, label schema).
"""
from __future__ import annotations

import json
import pickle
import warnings
import zipfile
from pathlib import Path
from typing import Any

import joblib
import sklearn

from edu_clf.config import LabelSchema, load_label_schema
from edu_clf.errors import EduClfWarning, ModelError, UsageError
from edu_clf.model import EduClassifier
from edu_clf.io.atomic import atomic_path
from edu_clf.model.trained import FORMAT_NAME, FORMAT_VERSION, ModelMeta, TrainedModel, schema_summary

FORMATS = ("skops", "joblib")
# The exact types edu-clf writes that skops does not trust by itself (checked by a test that
# saves every estimator configuration), and builtins that cannot run code.
ALLOWED_TYPES = frozenset({
    "edu_clf.model.EduClassifier", "edu_clf.features.vectorize.FastTfidf", "edu_clf.features.blocks.CueFeatures",
    "edu_clf.features.base.WordAnalyzer", "edu_clf.features.base.ContextAnalyzer",
    "edu_clf.features.base.record_text", "edu_clf.features.base.record_self",
    "sklearn.calibration._CalibratedClassifier", "sklearn.calibration._SigmoidCalibration",
    "builtins.tuple", "builtins.slice", "builtins.frozenset", "builtins.set", "builtins.bytes",
    "builtins.complex",
})


def save_model(model: TrainedModel, path: str | Path, format: str = "skops") -> Path:
    """Write the model to `path` atomically (a temp file renamed into place)."""
    if format not in FORMATS:
        raise UsageError(f"unknown model format {format!r}; choose one of: {', '.join(FORMATS)}")
    payload = {"meta": json.dumps(model.meta.to_dict(), ensure_ascii=False, sort_keys=True),
               "estimator": model.estimator}
    path = Path(path)
    if path.is_dir():
        raise UsageError("is a folder; give a model file name such as model.skops", path)
    with atomic_path(path) as tmp:
        if format == "skops":
            import skops.io as sio
            sio.dump(payload, tmp, compression=zipfile.ZIP_DEFLATED)
        else:
            joblib.dump(payload, tmp, compress=3)
    return path


def is_trusted_type(name: str) -> bool:
    return name in ALLOWED_TYPES


def _load_payload(path: Path, trust_pickle: bool = False) -> Any:
    if not path.exists():
        raise ModelError("model file not found", path, hint="train one with `edu-clf train --out PATH`")
    if path.is_dir():
        raise ModelError("is a folder, not a model file", path)
    from edu_clf.config import load_limits
    from edu_clf.errors import EduClfError
    from edu_clf.io.limits import check_regular, check_unpacked_size

    limits = load_limits()
    try:
        check_regular(path, max_bytes=limits.max_model_bytes)  # no device, pipe or giant file
    except EduClfError as exc:
        hint = "raise [limits] max_model_bytes in configs/segment.toml" if "limit" in exc.message else exc.hint
        raise ModelError(exc.message, path, hint=hint) from None
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise ModelError(f"cannot read model file: {exc.strerror}", path) from None
    if magic.startswith(b"PK"):
        import skops.io as sio
        check_unpacked_size(path, limits.max_model_bytes)
        try:
            untrusted = sio.get_untrusted_types(file=path)
        except (zipfile.BadZipFile, KeyError, ValueError, json.JSONDecodeError, EOFError, OSError):
            raise ModelError("not an edu-clf model (broken or truncated skops file)", path) from None
        refused = [t for t in untrusted if not is_trusted_type(t)]
        if refused:
            raise ModelError(f"refusing to load: the file contains untrusted type(s) {', '.join(refused[:5])}",
                             path, hint="edu-clf loads only the exact types it writes; is this file from "
                                        "another program?")
        try:
            return sio.load(path, trusted=untrusted)
        except Exception as exc:  # skops raises many kinds on a damaged file
            raise ModelError(f"cannot load skops model: {type(exc).__name__}", path) from None
    if not trust_pickle:
        raise ModelError("not an edu-clf model: not a skops file, and a pickle/joblib file is refused "
                         "because loading one can run any code", path,
                         hint="if you made this file yourself, pass --trust-pickle (library: trust_pickle=True)")
    try:
        return joblib.load(path)
    except (pickle.UnpicklingError, EOFError, ValueError, KeyError, IndexError, TypeError, AttributeError,
            ModuleNotFoundError, ImportError, zipfile.BadZipFile, OSError) as exc:
        raise ModelError(f"not an edu-clf model ({type(exc).__name__} while unpickling)", path,
                         hint="was the file truncated or is it another kind of file?") from None


def check_meta(meta: ModelMeta, path: Path, schema: LabelSchema) -> None:
    """Refuse models from a newer format or another label schema; warn on another scikit-learn minor version."""
    if meta.format != FORMAT_NAME:
        raise ModelError("not an edu-clf model (unknown format tag)", path)
    if meta.format_version > FORMAT_VERSION:
        raise ModelError(f"written by a newer edu-clf ({meta.edu_clf_version}, model format "
                         f"{meta.format_version})", path, hint="upgrade edu-clf to read it")
    ours = sklearn.__version__.split(".")[:2]
    theirs = str(meta.sklearn_version).split(".")[:2]
    if ours != theirs:
        warnings.warn(f"{path}: trained with scikit-learn {meta.sklearn_version}, this is {sklearn.__version__}; "
                      f"predictions may differ slightly (retrain with `edu-clf train` to be sure)",
                      EduClfWarning, stacklevel=3)
    if meta.label_schema != schema_summary(schema):
        raise ModelError("the model's label schema does not match configs/labels.toml", path,
                         hint="retrain the model on data labeled with the current schema")


def load_model(path: str | Path | None = None, schema: LabelSchema | None = None,
               trust_pickle: bool = False) -> TrainedModel:
    """Load and check a model file (default: the shipped model in models/).

    A pickle/joblib file is refused unless `trust_pickle` is set: unpickling can run code.
    """
    if path is None:
        from edu_clf.config import default_model_path
        path = default_model_path()
    path = Path(path)
    payload = _load_payload(path, trust_pickle)
    if not (isinstance(payload, dict) and isinstance(payload.get("meta"), str)
            and isinstance(payload.get("estimator"), EduClassifier)):
        raise ModelError("not an edu-clf model (the file holds something else)", path)
    try:
        raw_meta = json.loads(payload["meta"])
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise ModelError(f"model metadata is unreadable: {exc}", path) from None
    from edu_clf.model.meta_check import check_meta_dict
    check_meta_dict(raw_meta, path)
    try:
        meta = ModelMeta.from_dict(raw_meta)
    except TypeError as exc:
        raise ModelError(f"model metadata is unreadable: {exc}", path) from None
    check_meta(meta, path, schema or load_label_schema())
    return TrainedModel(payload["estimator"], meta)
