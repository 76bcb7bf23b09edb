"""Quality figures: per-class precision / recall / F1, macro-F1, accuracy and
confusion matrices, on held-out data or by cross-validation grouped by document.

Cross-validation never puts items of one document on both sides of a split.
Items whose source is ``written`` (team-written training reports) are always
in the training side and never scored: every figure comes from real
documents.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
from sklearn.base import clone
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold

from edu_clf.items import Item
from edu_clf.model import TASKS, EduClassifier

TRAIN_ONLY_SOURCES = ("written",)


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

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "folds": self.folds, "n_items": len(self.items),
                **{task: report.to_dict() for task, report in self.tasks.items()}}

    def errors(self) -> list[dict[str, Any]]:
        """Misclassified items (either task) with gold and predicted labels."""
        out = []
        for item, (kind, topic) in zip(self.items, self.predicted):
            if kind != item.kind or topic != item.topic:
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


def gold_matrix(items: Sequence[Item]) -> np.ndarray:
    return np.array([[it.kind, it.topic] for it in items], dtype=object)


def evaluate_predictions(items: Sequence[Item], predicted: np.ndarray, method: str = "held-out",
                         folds: int = 0) -> Evaluation:
    gold = gold_matrix(items)
    tasks = {task: task_report(task, [str(g) for g in gold[:, i]], [str(p) for p in predicted[:, i]])
             for i, task in enumerate(TASKS)}
    return Evaluation(tasks=tasks, items=list(items), predicted=predicted, method=method, folds=folds)


def evaluate_estimator(estimator: EduClassifier, items: Sequence[Item],
                       trained_on: Sequence[str] = ()) -> Evaluation:
    """Score a fitted estimator on labeled items; `trained_on` (doc_ids of its training data)
    marks the result as not held-out when documents overlap, so no one mistakes it for a test."""
    seen = {it.doc_id for it in items} & set(trained_on)
    method = "held-out"
    if seen:
        method = (f"NOT held-out: {len(seen)} of {len({it.doc_id for it in items})} documents were in the "
                  f"model's training data")
    return evaluate_predictions(items, estimator.predict(items), method=method)


def grouped_folds(items: Sequence[Item], max_leave_one_out_docs: int, n_folds: int) -> list[np.ndarray]:
    """Test-index arrays: one per scored document (leave-one-document-out) when there are at
    most `max_leave_one_out_docs` of them, else `n_folds` grouped folds. Train-only items
    (source written) are never in a test fold."""
    scored = np.array([i for i, it in enumerate(items) if it.source not in TRAIN_ONLY_SOURCES])
    if len(scored) == 0:
        return []
    groups = np.array([items[i].doc_id for i in scored])
    docs = list(dict.fromkeys(groups))
    if len(docs) < 2:
        return []
    if len(docs) <= max_leave_one_out_docs:
        return [scored[groups == doc] for doc in docs]
    splitter = GroupKFold(n_splits=min(n_folds, len(docs)))
    return [scored[test] for _, test in splitter.split(scored, groups=groups)]


def cross_validate(estimator: EduClassifier, items: Sequence[Item], max_leave_one_out_docs: int = 20,
                   n_folds: int = 5, progress: Callable[[int, int], None] | None = None) -> Evaluation:
    """Grouped CV: each fold trains a clone on every item outside the fold's documents."""
    items = list(items)
    folds = grouped_folds(items, max_leave_one_out_docs, n_folds)
    if not folds:
        raise ValueError("cross-validation needs at least two documents that are not train-only")
    y = gold_matrix(items)
    predicted = np.empty_like(y)
    scored = np.zeros(len(items), dtype=bool)
    for number, test in enumerate(folds, 1):
        if progress:
            progress(number, len(folds))
        mask = np.ones(len(items), dtype=bool)
        mask[test] = False
        train = [items[i] for i in np.flatnonzero(mask)]
        model = clone(estimator).fit(train, y[mask])
        predicted[test] = model.predict([items[i] for i in test])
        scored[test] = True
    index = np.flatnonzero(scored)
    method = "leave-one-document-out" if len(folds) == len({items[i].doc_id for i in index}) else \
        f"{len(folds)}-fold grouped"
    return evaluate_predictions([items[i] for i in index], predicted[index], method=method, folds=len(folds))


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
    return "\n".join(lines)
