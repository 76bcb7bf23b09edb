"""Quality figures: per-class precision / recall / F1, macro-F1, accuracy, confusion
matrices and calibration (ECE, reliability), on held-out data or by grouped cross-validation.

Cross-validation (cross_validate_views) holds the gold documents out one at a time and the
written corpus one writer at a time, so no document or writer is on both sides of a split,
and scores the held-out documents under each robustness view (edu_clf/model/views.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from edu_clf.records import Item, writer_group
from edu_clf.model import TASKS, EduClassifier

TRAIN_ONLY_SOURCES = ("written", "silver")   # trained on, never scored (silver: rule labels)


@dataclass(frozen=True)
class TaskReport:
    """Scores of one task (kind or topic)."""

    task: str
    labels: list[str]
    per_class: dict[str, dict[str, float]]
    macro_f1: float
    accuracy: float
    confusion: list[list[int]]
    n: int

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "labels": self.labels, "per_class": self.per_class,
                "macro_f1": self.macro_f1, "accuracy": self.accuracy, "confusion": self.confusion, "n": self.n}


@dataclass
class Evaluation:
    """Scores of both tasks plus the predictions they came from."""

    tasks: dict[str, TaskReport]
    items: list[Item] = field(default_factory=list, repr=False)
    predicted: np.ndarray | None = field(default=None, repr=False)
    method: str = "held-out"
    folds: int = 0
    scores: np.ndarray | None = field(default=None, repr=False)   # (n, 2): score of the predicted kind, topic

    def ece(self, task: str) -> float | None:
        """Expected calibration error of the task's scores (None when no scores were kept)."""
        if self.scores is None:
            return None
        column = TASKS.index(task)
        correct = np.array([str(p) == getattr(it, task) for it, p in zip(self.items, self.predicted[:, column])])
        return expected_calibration_error(self.scores[:, column], correct)

    def to_dict(self) -> dict[str, Any]:
        out = {"method": self.method, "folds": self.folds, "n_items": len(self.items),
               **{task: report.to_dict() for task, report in self.tasks.items()}}
        if self.scores is not None:
            for task in TASKS:
                out[task]["ece"] = self.ece(task)
                out[task]["mean_score"] = float(self.scores[:, TASKS.index(task)].mean())
        return out

    def wrong(self) -> list[int]:
        """Indices of the misclassified items (either task)."""
        return [i for i, (item, (kind, topic)) in enumerate(zip(self.items, self.predicted))
                if kind != item.kind or topic != item.topic]

    def errors(self) -> list[dict[str, Any]]:
        """Misclassified items (either task) with gold and predicted labels."""
        out = []
        for i in self.wrong():
            item, (kind, topic) = self.items[i], self.predicted[i]
            record = item.to_dict(labels=False)
            record.update({"kind": item.kind, "topic": item.topic,
                           "predicted_kind": str(kind), "predicted_topic": str(topic)})
            out.append(record)
        return out


def task_report(task: str, gold: Sequence[str], predicted: Sequence[str]) -> TaskReport:
    """Scores over the classes present in the gold labels (a predicted class absent from
    gold counts against precision of nothing but lowers accuracy and recall of the truth)."""
    labels = sorted(set(gold))
    p, r, f, s = precision_recall_fscore_support(gold, predicted, labels=labels, zero_division=0)
    per_class = {lab: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                 for i, lab in enumerate(labels)}
    all_labels = labels + sorted(set(predicted) - set(labels))
    matrix = confusion_matrix(gold, predicted, labels=all_labels)
    return TaskReport(task=task, labels=all_labels, per_class=per_class, macro_f1=float(np.mean(f)),
                      accuracy=float(np.mean(np.asarray(gold) == np.asarray(predicted))),
                      confusion=matrix.tolist(), n=len(gold))


def reliability(scores: np.ndarray, correct: np.ndarray, bins: int = 10) -> list[tuple[float, float, int, float]]:
    """Per score bin [lo, hi): (lo, hi, items, share right), for the bins that hold items."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(scores, edges[1:-1]), 0, bins - 1)
    out = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            out.append((float(edges[b]), float(edges[b + 1]), int(mask.sum()), float(correct[mask].mean())))
    return out


def expected_calibration_error(scores: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Σ over score bins of (items in bin / all) × |mean score − share right| (equal-width bins)."""
    scores = np.asarray(scores, dtype=float)
    correct = np.asarray(correct, dtype=float)
    if len(scores) == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(scores, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.sum() / len(scores) * abs(scores[mask].mean() - correct[mask].mean())
    return float(total)


def gold_matrix(items: Sequence[Item]) -> np.ndarray:
    return np.array([[it.kind, it.topic] for it in items], dtype=object)


def evaluate_predictions(items: Sequence[Item], predicted: np.ndarray, method: str = "held-out",
                         folds: int = 0, scores: np.ndarray | None = None) -> Evaluation:
    gold = gold_matrix(items)
    tasks = {task: task_report(task, [str(g) for g in gold[:, i]], [str(p) for p in predicted[:, i]])
             for i, task in enumerate(TASKS)}
    return Evaluation(tasks=tasks, items=list(items), predicted=predicted, method=method, folds=folds,
                      scores=scores)


def _labels_and_scores(estimator: EduClassifier, items: Sequence[Item]) -> tuple[np.ndarray, np.ndarray]:
    probas = estimator.predict_proba(items)
    labels = np.column_stack([classes[p.argmax(axis=1)] for classes, p in zip(estimator.classes_, probas)])
    scores = np.column_stack([p.max(axis=1) for p in probas])
    return labels.astype(object), scores


def evaluate_estimator(estimator: EduClassifier, items: Sequence[Item],
                       trained_on: Sequence[str] = ()) -> Evaluation:
    """Score a fitted estimator on labeled items; `trained_on` (doc_ids of its training data)
    marks the result as not held-out when documents overlap, so no one mistakes it for a test."""
    seen = {it.doc_id for it in items} & set(trained_on)
    method = "held-out"
    if seen:
        method = (f"NOT held-out: {len(seen)} of {len({it.doc_id for it in items})} documents were in the "
                  f"model's training data")
    labels, scores = _labels_and_scores(estimator, items)
    return evaluate_predictions(items, labels, method=method, scores=scores)


def held_out_groups(items: Sequence[Item]) -> dict[str, list[np.ndarray]]:
    """Test folds per part: "seeds" one per seed document; "written" one per writer
    (edu_clf.records.writer_group), so no writer is ever on both sides."""
    seeds = [i for i, it in enumerate(items) if it.source not in TRAIN_ONLY_SOURCES]
    written = [i for i, it in enumerate(items) if it.source in TRAIN_ONLY_SOURCES]
    out: dict[str, list[np.ndarray]] = {}
    for part, index, key in (("seeds", seeds, lambda it: it.doc_id), ("written", written,
                                                                       lambda it: writer_group(it.doc_id))):
        groups: dict[str, list[int]] = {}
        for i in index:
            groups.setdefault(key(items[i]), []).append(i)
        if len(groups) >= 2:
            out[part] = [np.array(v) for v in groups.values()]
    return out


def _view_fold(estimator: EduClassifier, items: list[Item], y: np.ndarray, test: np.ndarray,
               views: Sequence[str], sample_weight: np.ndarray | None = None,
               ) -> dict[str, tuple[list[Item], np.ndarray, np.ndarray]]:
    """One fold of cross_validate_views: fit outside `test`, label each view of the held-out items."""
    from edu_clf.model.views import apply_view

    mask = np.ones(len(items), dtype=bool)
    mask[test] = False
    model = clone(estimator).fit([items[i] for i in np.flatnonzero(mask)], y[mask],
                                 sample_weight=None if sample_weight is None else sample_weight[mask])
    held = [items[i] for i in test]
    out = {}
    for view in views:
        viewed = apply_view(view, held)
        labels, scores = _labels_and_scores(model, viewed)
        out[view] = (viewed, labels, scores)
    return out


def cross_validate_views(estimator: EduClassifier, items: Sequence[Item], views: Sequence[str] = ("clean",),
                         parts: Sequence[str] = ("seeds", "written"),
                         progress: Callable[[int, int], None] | None = None,
                         n_jobs: int = 1, sample_weight: np.ndarray | None = None,
                         ) -> dict[tuple[str, str], Evaluation]:
    """Grouped CV scored on every view of the held-out documents.

    Seeds: leave-one-document-out; written corpus: leave-one-writer-out. Each fold trains a
    clone on every item outside the fold's group (clean copies only) and labels the held-out
    documents as each view presents them. Returns {(part, view): Evaluation}.
    """
    items = list(items)
    y = gold_matrix(items)
    folds = [(part, test) for part, tests in held_out_groups(items).items() if part in parts for test in tests]
    if not folds:
        raise ValueError("cross-validation needs at least two held-out groups")
    collected: dict[tuple[str, str], list[tuple[list[Item], np.ndarray, np.ndarray]]] = {}
    def done(number: int) -> None:
        if progress:
            progress(number, len(folds))

    results = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_view_fold)(estimator, items, y, test, views, sample_weight) for _, test in folds)
    for number, ((part, _), per_view) in enumerate(zip(folds, results), 1):
        done(number)
        for view, chunk in per_view.items():
            collected.setdefault((part, view), []).append(chunk)
    out = {}
    for (part, view), chunks in collected.items():
        method = "leave-one-document-out" if part == "seeds" else "leave-one-writer-out"
        out[(part, view)] = evaluate_predictions([it for c in chunks for it in c[0]],
                                                 np.concatenate([c[1] for c in chunks]), method=method,
                                                 folds=len(chunks), scores=np.concatenate([c[2] for c in chunks]))
    return out


def format_evaluation(evaluation: Evaluation) -> str:
    """A human-readable report: per task, per-class P/R/F1, macro-F1, accuracy and confusion."""
    lines = [f"{evaluation.method} on {len(evaluation.items)} items"
             + (f" ({evaluation.folds} folds)" if evaluation.folds else "")]
    for task, report in evaluation.tasks.items():
        lines.append("")
        lines.append(f"{task}: macro-F1 {report.macro_f1:.3f}   accuracy {report.accuracy:.3f}")
        width = max(len(c) for c in report.labels) + 2
        lines.append("  " + "class".ljust(width) + "precision   recall       f1  support")
        for label, v in report.per_class.items():
            lines.append("  " + label.ljust(width) + f"{v['precision']:9.3f}{v['recall']:9.3f}"
                         f"{v['f1']:9.3f}{v['support']:9d}")
        lines.append(f"  confusion (rows gold, columns predicted; order: {', '.join(report.labels)})")
        for label, row in zip(report.labels, report.confusion):
            lines.append("  " + label.ljust(width) + "".join(f"{v:6d}" for v in row))
        if evaluation.scores is not None:
            column = TASKS.index(task)
            scores = evaluation.scores[:, column]
            correct = np.array([str(p) == getattr(it, task) for it, p in
                                zip(evaluation.items, evaluation.predicted[:, column])])
            lines.append(f"  scores: mean {scores.mean():.3f} while {correct.mean():.3f} are right; "
                         f"expected calibration error {expected_calibration_error(scores, correct):.3f}")
            lines.append("  reliability: " + "  ".join(f"[{lo:.1f},{hi:.1f}) {n} items {right:.2f} right"
                                                       for lo, hi, n, right in reliability(scores, correct)))
    return "\n".join(lines)


def format_views(results: dict[tuple[str, str], Evaluation]) -> str:
    """One line per (part, view): macro-F1 and ECE per task, and the kind macro-F1 change from clean."""
    lines = [f"{'part':8} {'view':12} {'items':>6} {'kind F1':>8} {'Δ clean':>8} {'kind ECE':>8} "
             f"{'topic F1':>8} {'topic ECE':>9}"]
    for (part, view), ev in results.items():
        clean = results.get((part, "clean"))
        delta = f"{ev.tasks['kind'].macro_f1 - clean.tasks['kind'].macro_f1:+8.3f}" if clean else " " * 8
        lines.append(f"{part:8} {view:12} {len(ev.items):6d} {ev.tasks['kind'].macro_f1:8.3f} {delta} "
                     f"{ev.ece('kind'):8.3f} {ev.tasks['topic'].macro_f1:8.3f} {ev.ece('topic'):9.3f}")
    return "\n".join(lines)
