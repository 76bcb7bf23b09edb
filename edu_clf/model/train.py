"""Training runs: config + labeled data → a fitted model with its metadata."""
from __future__ import annotations

import glob
from collections import Counter
from pathlib import Path
from typing import Callable, Sequence

from edu_clf.config import CueLexicons, LabelSchema, TrainConfig, load_cues, project_root
from edu_clf.io.corpus import data_hash, read_labeled
from edu_clf.errors import DataError, UsageError
from edu_clf.model.evaluate import Evaluation, cross_validate_views, gold_matrix
from edu_clf.records import Item
from edu_clf.model import EduClassifier
from edu_clf.model.trained import TrainedModel, new_meta


def default_data_paths(config: TrainConfig) -> list[Path]:
    """The files named by the config's [data] train globs (relative to the project root)."""
    root = project_root()
    paths: list[Path] = []
    for pattern in config.data.train:
        matches = sorted(glob.glob(str(root / pattern)))
        paths.extend(Path(m) for m in matches)
    if not paths:
        raise UsageError("no training data found for the config's [data] train globs",
                         hint="pass labeled JSONL/CSV files: edu-clf train DATA...")
    return paths


def load_training_items(paths: Sequence[str | Path], schema: LabelSchema) -> list[Item]:
    items = read_labeled(paths, schema)
    if not items:
        raise DataError("the training data is empty", ", ".join(str(p) for p in paths))
    for task in ("kind", "topic"):
        values = {getattr(it, task) for it in items}
        if len(values) < 2:
            raise DataError(f"the training data has one {task} only ({values.pop()}); a classifier needs "
                            f"at least two", ", ".join(str(p) for p in paths))
    return items


def source_weights(items: Sequence[Item], weights: dict[str, float]) -> "np.ndarray | None":
    """One sample weight per item from its source ({"user": 2.0, "silver": 0.3}; others 1.0);
    None when every weight is 1 (a plain fit)."""
    import numpy as np

    bad = {source: w for source, w in weights.items() if not w >= 0}
    if bad:
        raise UsageError(f"weight {next(iter(bad.values()))} for {next(iter(bad))} labels; must be >= 0")
    out = np.array([float(weights.get(it.source or "", 1.0)) for it in items])
    return None if np.all(out == 1.0) else out


def build_estimator(config: TrainConfig, cues: CueLexicons | None = None) -> EduClassifier:
    return EduClassifier.from_config(config, cues if cues is not None else load_cues())


def data_summary(items: Sequence[Item], paths: Sequence[str | Path]) -> dict:
    root = project_root()
    names = []
    for p in paths:
        try:
            names.append(str(Path(p).resolve().relative_to(root.resolve())))
        except ValueError:
            names.append(str(p))
    return {"sha256": data_hash(items), "n_items": len(items), "n_docs": len({it.doc_id for it in items}),
            "doc_ids": sorted({it.doc_id for it in items}),
            "files": names, "sources": dict(Counter(it.source or "unknown" for it in items)),
            "kinds": dict(Counter(it.kind for it in items)), "topics": dict(Counter(it.topic for it in items))}


def metrics_summary(evaluation: Evaluation) -> dict:
    out = {"method": evaluation.method, "folds": evaluation.folds, "n_scored": len(evaluation.items),
           **{task: {"macro_f1": round(r.macro_f1, 4), "accuracy": round(r.accuracy, 4),
                     "f1": {c: round(v["f1"], 4) for c, v in r.per_class.items()}}
              for task, r in evaluation.tasks.items()}}
    for task in out.keys() & {"kind", "topic"}:
        ece = evaluation.ece(task)
        if ece is not None:
            out[task]["ece"] = round(ece, 4)
    return out


def views_summary(results: dict) -> dict:
    """{"part/view": {n, kind_f1, kind_ece, topic_f1, topic_ece}} of cross_validate_views."""
    return {f"{part}/{view}": {"n": len(ev.items), "kind_f1": round(ev.tasks["kind"].macro_f1, 4),
                               "kind_ece": round(ev.ece("kind"), 4), "topic_f1": round(ev.tasks["topic"].macro_f1, 4),
                               "topic_ece": round(ev.ece("topic"), 4)}
            for (part, view), ev in results.items()}


def train_model(items: Sequence[Item], config: TrainConfig, schema: LabelSchema,
                paths: Sequence[str | Path] = (), cues: CueLexicons | None = None, cv: bool = True,
                progress: Callable[[str], None] | None = None, jobs: int = 1,
                sample_weight: "np.ndarray | None" = None) -> TrainedModel:
    """Fit on all items; with `cv`, also measure grouped CV on every robustness view (in the metadata).

    The metadata's "cv" holds the gold documents held out one at a time (the seeds),
    "cv_written" the written corpus held out one writer at a time, "views" both parts
    under every view of edu_clf.model.views. No figure is measured on training data.
    `sample_weight` (see source_weights) weighs the items in every fit, the CV folds' too.
    """
    cues = cues if cues is not None else load_cues()
    estimator = build_estimator(config, cues)
    metrics: dict = {}
    if cv:
        from edu_clf.model.views import VIEWS

        def fold_progress(number: int, total: int) -> None:
            if progress:
                progress(f"cross-validation fold {number}/{total}")
        try:
            results = cross_validate_views(estimator, items, list(VIEWS), progress=fold_progress, n_jobs=jobs,
                                           sample_weight=sample_weight)
            if ("seeds", "clean") in results:
                metrics["cv"] = metrics_summary(results[("seeds", "clean")])
            if ("written", "clean") in results:
                metrics["cv_written"] = metrics_summary(results[("written", "clean")])
            metrics["views"] = views_summary(results)
        except ValueError as exc:
            metrics = {"cv": {"skipped": str(exc)}}
    if progress:
        progress(f"fitting on {len(items)} items")
    estimator.fit(list(items), gold_matrix(items), sample_weight=sample_weight)
    summary = data_summary(items, paths)
    if sample_weight is not None:
        summary["weights"] = {source: float(sample_weight[i]) for source, i in
                              {it.source or "unknown": i for i, it in enumerate(items)}.items()}
    meta = new_meta(schema, config.to_dict(), summary, metrics)
    return TrainedModel(estimator, meta)


__all__ = ["build_estimator", "default_data_paths", "load_training_items", "source_weights", "train_model"]
