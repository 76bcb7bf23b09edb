"""Why the model chose a label: the terms whose coefficient × feature value
pushed the predicted class most (linear heads make this exact)."""
from __future__ import annotations

import numpy as np

from edu_clf.model import EduClassifier


def head_coefficients(head) -> np.ndarray:
    """Coefficients (n_classes, n_features) of a logistic-regression or calibrated linear-SVC head."""
    if hasattr(head, "coef_"):
        coef = head.coef_
    else:  # CalibratedClassifierCV: average its fitted linear SVCs
        coef = np.mean([c.estimator.coef_ for c in head.calibrated_classifiers_], axis=0)
    if coef.shape[0] == 1:  # binary: one row for the positive class
        coef = np.vstack([-coef[0], coef[0]])
    return coef


def feature_names(estimator: EduClassifier) -> np.ndarray:
    """Readable names of every feature column, prefixed by block (words:, chars:, context:, cue:)."""
    names = []
    for block, pipeline in estimator.features_.transformer_list:
        last = pipeline.steps[-1][1]
        for name in last.get_feature_names_out():
            name = str(name)
            names.append(name if name.startswith("cue:") else f"{block}:{name}")
    return np.asarray(names, dtype=object)


class Explainer:
    """Top contributing terms per task for single rows of the feature matrix."""

    def __init__(self, estimator: EduClassifier) -> None:
        self.estimator = estimator
        self.names = feature_names(estimator)
        self.coefs = [head_coefficients(h) for h in estimator.heads_]

    def explain_row(self, row, labels: tuple[str, str], k: int) -> dict[str, list[tuple[str, float]]]:
        """`row` is a 1×n sparse row; returns {task: [(term, contribution), …]} for the given labels."""
        row = row.tocsr()
        out = {}
        for task, label, classes, coef in zip(("kind", "topic"), labels, self.estimator.classes_, self.coefs):
            j = int(np.flatnonzero(classes == label)[0])
            contrib = row.data * coef[j, row.indices]
            order = np.argsort(-contrib, kind="stable")[:k]
            out[task] = [(str(self.names[row.indices[o]]), float(contrib[o])) for o in order if contrib[o] > 0]
        return out
