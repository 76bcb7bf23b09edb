"""Likely label errors, by confident learning on grouped out-of-fold probabilities.

The definition is cleanlab's `find_label_issues(filter_by="confident_learning")`
(Northcutt et al., "Confident Learning", JAIR 2021), implemented here:

1. out-of-sample probabilities p[i, j]: every item is scored by a model that
   never saw its writer or document (GroupKFold over `writer_group`);
2. per-class threshold t[j] = mean self-confidence p[i, j] of the items
   labeled j;
3. the confident joint counts item i under (given label, j*) where j* is the
   most probable class among those with p[i, j] >= t[j] (items above no
   threshold are not counted);
4. items in the joint's off-diagonal cells are label issues, ranked by
   self-confidence p[i, given] (lowest first: most likely wrong).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import GroupKFold

from edu_clf.model import TASKS, EduClassifier
from edu_clf.records import Item, writer_group


@dataclass(frozen=True)
class LabelIssues:
    """The confident-learning verdict for one task's labels."""

    is_issue: np.ndarray         # (n,) bool
    suggested: np.ndarray        # (n,) class index: the confidently counted class (argmax where none)
    self_confidence: np.ndarray  # (n,) p[i, given]
    thresholds: np.ndarray       # (k,) per-class thresholds
    confident_joint: np.ndarray  # (k, k) rows given, columns confidently counted

    def ranked(self) -> np.ndarray:
        """Indices of the issues, most likely wrong first (lowest self-confidence; ties by index)."""
        index = np.flatnonzero(self.is_issue)
        return index[np.argsort(self.self_confidence[index], kind="stable")]


def find_label_issues(labels: np.ndarray, pred_probs: np.ndarray) -> LabelIssues:
    """Confident learning (cleanlab's definition, see the module doc) on out-of-sample probabilities.

    `labels` holds class indices into the columns of `pred_probs` (n, k).
    """
    labels = np.asarray(labels, dtype=int)
    pred_probs = np.asarray(pred_probs, dtype=float)
    n, k = pred_probs.shape
    if labels.shape != (n,):
        raise ValueError(f"labels has shape {labels.shape}; expected ({n},)")
    rows = np.arange(n)
    self_confidence = pred_probs[rows, labels]
    thresholds = np.array([self_confidence[labels == j].mean() if np.any(labels == j) else 1.0
                           for j in range(k)])
    above = pred_probs >= thresholds - 1e-6          # cleanlab's tolerance
    masked = np.where(above, pred_probs, -np.inf)
    counted = above.any(axis=1)
    confident = np.where(counted, masked.argmax(axis=1), pred_probs.argmax(axis=1))
    joint = np.zeros((k, k), dtype=int)
    np.add.at(joint, (labels[counted], confident[counted]), 1)
    is_issue = counted & (confident != labels)
    return LabelIssues(is_issue=is_issue, suggested=confident, self_confidence=self_confidence,
                       thresholds=thresholds, confident_joint=joint)


def out_of_fold_proba(estimator: EduClassifier, items: Sequence[Item], n_folds: int = 5,
                      sample_weight: np.ndarray | None = None,
                      progress: Callable[[int, int], None] | None = None) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """([kind (n, k), topic (n, t)] out-of-fold probabilities, [kind classes, topic classes]).

    Folds are grouped by writer / document (edu_clf.records.writer_group): no item is scored
    by a model that saw its writer or document. A class absent from a fold's training part
    gets probability 0 there.
    """
    items = list(items)
    y = np.array([[it.kind, it.topic] for it in items], dtype=object)
    groups = np.array([writer_group(it.doc_id) for it in items], dtype=object)
    n_groups = len(set(groups))
    if n_groups < 2:
        raise ValueError("out-of-fold probabilities need at least two documents or writers")
    classes = [np.array(sorted(set(y[:, t].astype(str)))) for t in range(2)]
    probas = [np.zeros((len(items), len(c))) for c in classes]
    folds = list(GroupKFold(n_splits=min(n_folds, n_groups)).split(items, groups=groups))
    for number, (train, test) in enumerate(folds, 1):
        if progress:
            progress(number, len(folds))
        model = clone(estimator).fit([items[i] for i in train], y[train],
                                     sample_weight=None if sample_weight is None else sample_weight[train])
        for task, proba in enumerate(model.predict_proba([items[i] for i in test])):
            columns = np.searchsorted(classes[task], model.classes_[task])
            probas[task][np.ix_(test, columns)] = proba
    return probas, classes


def label_issue_records(items: Sequence[Item], probas: Sequence[np.ndarray],
                        classes: Sequence[np.ndarray]) -> list[dict[str, Any]]:
    """One record per (item, task) whose given label is likely wrong, ranked across both tasks by
    self-confidence (the model's out-of-fold probability of the given label; lowest first)."""
    out = []
    for task_index, task in enumerate(TASKS):
        given = np.array([getattr(it, task) for it in items], dtype=object).astype(str)
        labels = np.searchsorted(classes[task_index], given)
        found = find_label_issues(labels, probas[task_index])
        for i in found.ranked():
            it = items[i]
            suggested = int(found.suggested[i])
            out.append({"task": task, "doc_id": it.doc_id, "item": it.item, "given": given[i],
                        "suggested": str(classes[task_index][suggested]),
                        "score": round(float(found.self_confidence[i]), 4),
                        "suggested_score": round(float(probas[task_index][i, suggested]), 4),
                        "title": it.title, "headings": list(it.headings), "text": it.text,
                        "kind": it.kind, "topic": it.topic, "source": it.source})
    out.sort(key=lambda r: r["score"])
    for rank, record in enumerate(out, 1):
        record["rank"] = rank
    return out


def find_item_label_issues(estimator: EduClassifier, items: Sequence[Item], n_folds: int = 5,
                           progress: Callable[[int, int], None] | None = None) -> list[dict[str, Any]]:
    """Grouped out-of-fold probabilities → ranked label-issue records (see label_issue_records)."""
    probas, classes = out_of_fold_proba(estimator, items, n_folds, progress=progress)
    return label_issue_records(list(items), probas, classes)


__all__ = ["LabelIssues", "find_item_label_issues", "find_label_issues", "label_issue_records",
           "out_of_fold_proba"]
