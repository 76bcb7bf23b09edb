"""Why the model chose a label: the terms whose coefficient × feature value
pushed the predicted class most (linear heads make this exact)."""
from __future__ import annotations

import numpy as np

from edu_clf.features import block_feature_names
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
    for block, block_names in block_feature_names(estimator.features_):
        for name in map(str, block_names):
            names.append(name if name.startswith("cue:") else f"{block}:{name}")
    return np.asarray(names, dtype=object)


class Explainer:
    """Top contributing terms per task for single rows of the feature matrix."""

    def __init__(self, estimator: EduClassifier) -> None:
        self.estimator = estimator
        self.names = feature_names(estimator)
        self.coefs = []
        for head, cols in zip(estimator.heads_, estimator.columns_per_head):
            coef = head_coefficients(head)
            if cols is not None:  # a head that sees some blocks only: zero weight elsewhere
                full = np.zeros((coef.shape[0], len(self.names)))
                full[:, cols] = coef
                coef = full
            self.coefs.append(coef)

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


_CUE_WORDS = {"problem": "问题", "plan": "计划", "achievement": "成绩", "summary": "总结"}
_CUE_PLACES = {"nearest_heading": "所在标题", "any_heading": "标题路径", "title": "文档标题", "text": "正文"}


def readable_term(name: str) -> str:
    """A feature name for people: `context:N:存在` → 所在标题含「存在」, `cue:title:plan` → 文档标题有计划词."""
    block, _, rest = name.partition(":")
    if block == "sequence":
        return "前后条目的类别"
    if block == "cue":
        place, _, group = rest.partition(":")
        if group:
            return f"{_CUE_PLACES.get(place, place)}有{_CUE_WORDS.get(group, group)}类词"
        return {"no_heading": "没有标题路径", "no_title": "没有文档标题", "text_length": "条目长度"}.get(place, rest)
    if block == "context":
        where, _, word = rest.partition(":")
        place = {"T": "文档标题", "H": "标题路径", "N": "所在标题"}.get(where, where)
        return f"{place}无" if word == "<none>" else f"{place}含「{word}」"
    if block == "words":
        return f"词「{rest.replace(' ', '')}」"
    if block == "chars":
        return f"字「{rest}」"
    return name
