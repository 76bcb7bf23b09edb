"""Export a trained model as its runtime artifact (edu_clf/runtime reads it).

The artifact is an .npz of plain arrays plus two JSON strings (the block specs and the
model's metadata), written atomically; numpy reads it with allow_pickle=False.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from edu_clf.errors import ModelError
from edu_clf.features.blocks import CueFeatures
from edu_clf.features.tables import _pack_terms
from edu_clf.features.tokenize import dictionary_arrays, dictionary_sha256
from edu_clf.features.vectorize import FastTfidf
from edu_clf.io.atomic import atomic_path
from edu_clf.model import _KernelScorer
from edu_clf.model.trained import TrainedModel
from edu_clf.runtime import RUNTIME_FORMAT, RUNTIME_VERSION


def runtime_path_for(model_path: str | Path) -> Path:
    """models/mine.skops → models/mine.npz: the artifact sits beside the full model."""
    return Path(model_path).with_suffix(".npz")


def export_runtime(model: TrainedModel, path: str | Path) -> Path:
    """Write `model` as a runtime artifact at `path` (.npz)."""
    est = model.estimator
    union = est.features_
    union_weights = union.transformer_weights or {}
    blocks, arrays = [], {}
    for i, (name, pipeline) in enumerate(union.transformer_list):
        step = pipeline.steps[-1][1]
        weight = union_weights.get(name)
        if isinstance(step, FastTfidf):
            spec = {"name": name, "type": "tfidf", "analyzer": step.analyzer, "ngram_max": step.ngram_max,
                    "tokenizer": step.tokenizer, "hmm": step.hmm, "sublinear_tf": step.sublinear_tf,
                    "weight": weight, "n_features": len(step.idf_)}
            arrays[f"b{i}_idf"] = step.idf_
            arrays[f"b{i}_keys"] = step.keys_
            arrays[f"b{i}_cols"] = step.cols_
            if step.analyzer != "chars":
                arrays[f"b{i}_wcodes"], arrays[f"b{i}_wends"] = _pack_terms(step.word_index_)
                spec["base"] = int(step._base(step.word_index_))
        elif isinstance(step, CueFeatures):
            spec = {"name": name, "type": "cues", "lexicons": step.lexicons or {},
                    "neighbours": bool(getattr(step, "neighbours", False)),
                    "feature_names": list(step.feature_names_), "weight": weight,
                    "n_features": len(step.feature_names_)}
        else:
            raise ModelError(f"the {name!r} block ({type(step).__name__}) has no runtime form",
                             hint="train with features.engine = \"fast\" to export a runtime artifact")
        blocks.append(spec)
    scorer = _KernelScorer.build(est)
    if scorer is None:
        raise ModelError("only multinomial logistic-regression heads have a runtime form",
                         hint="train with model.classifier = \"logreg\"")
    arrays["weights"] = scorer.weights
    for k, intercept in enumerate(scorer.intercepts):
        arrays[f"intercept{k}"] = intercept
    spec = {"format": RUNTIME_FORMAT, "format_version": RUNTIME_VERSION, "blocks": blocks,
            "widths": scorer.widths, "classes": [[str(c) for c in classes] for classes in est.classes_],
            "temperatures": [float(t) for t in getattr(est, "temperatures_", [1.0, 1.0])],
            "normalize": bool(getattr(est, "normalize", False)),
            "sequence": [{"task": int(task)} for task, _, _ in getattr(est, "sequence_", [])]}
    for j, (_, coef, intercept) in enumerate(getattr(est, "sequence_", [])):
        arrays[f"seq{j}_coef"], arrays[f"seq{j}_intercept"] = coef, intercept
    if any(b.get("tokenizer") == "rjieba" and not b.get("hmm") and b["analyzer"] != "chars" for b in blocks
           if b["type"] == "tfidf"):
        # the words are cut with the dictionary of training, loaded in milliseconds instead of ~0.2 s
        own = dictionary_arrays()
        if own is not None:
            arrays.update({f"dict_{name}": value for name, value in own.items()})
            spec["dictionary"] = {"sha256": dictionary_sha256()}
    path = Path(path)
    with atomic_path(path) as tmp:
        _write_npz(tmp, {"runtime": np.array(json.dumps(spec, ensure_ascii=False)),
                         "meta": np.array(json.dumps(model.meta.to_dict(), ensure_ascii=False, sort_keys=True)),
                         **arrays})
    return path


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """An .npz as np.savez_compressed writes it, but the weights stored as they are: deflate shrinks
    them by a tenth and inflating them cost every start-up ~60 ms."""
    import zipfile

    with zipfile.ZipFile(path, "w", allowZip64=True) as archive:
        for name, value in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED if name == "weights" else zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=False)


__all__ = ["export_runtime", "runtime_path_for"]
