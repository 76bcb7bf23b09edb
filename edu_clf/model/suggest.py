"""Which unlabeled items to label next: margin sampling over k-means clusters.

Uncertainty: an item's margin is the gap between its two most probable classes,
averaged over the kind and topic heads; a small margin means the model cannot
decide, so its label teaches the model most. Diversity: the `candidates × n`
items of smallest margin are clustered (k-means, n clusters) on the model's own
TF-IDF features (reduced by truncated SVD and L2-normalized, so distances are
cosine-like), and each cluster gives its item of smallest margin, so that the
n picks are not n near-copies of one confusing sentence.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from edu_clf.model import EduClassifier
from edu_clf.records import Item


def margins(estimator: EduClassifier, items: Sequence[Any]) -> np.ndarray:
    """Per item: mean over both heads of (best probability − second best); lower is less certain."""
    out = np.zeros(len(items))
    probas = estimator.predict_proba(list(items))
    for proba in probas:
        top = np.sort(proba, axis=1)
        out += top[:, -1] - (top[:, -2] if proba.shape[1] > 1 else 0.0)
    return out / len(probas)


def suggest_indices(estimator: EduClassifier, items: Sequence[Any], n: int, candidates: int = 10,
                    random_state: int = 13, svd_components: int = 64,
                    margin: np.ndarray | None = None) -> list[int]:
    """Indices of `n` items to label next (most informative first), by margin over clusters.

    `items` are scored together, in order (a report's items see their neighbours); `margin`
    may pass margins(estimator, items) when the caller has them."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize

    items = list(items)
    if n <= 0 or not items:
        return []
    margin = margins(estimator, items) if margin is None else margin
    order = np.argsort(margin, kind="stable")
    if len(items) <= n:
        return [int(i) for i in order]
    pool = order[: min(len(items), max(n, candidates * n))]
    matrix = estimator.transform(items)[pool]
    dims = min(svd_components, matrix.shape[1] - 1, len(pool) - 1)
    points = matrix
    if dims >= 2:
        points = TruncatedSVD(n_components=dims, random_state=random_state).fit_transform(matrix)
    points = normalize(points)
    clusters = KMeans(n_clusters=n, n_init=1, random_state=random_state).fit_predict(points)
    picked: list[int] = []
    for cluster in np.unique(clusters):
        members = pool[clusters == cluster]
        picked.append(int(members[np.argmin(margin[members])]))
    if len(picked) < n:   # k-means may leave clusters empty: fill by margin
        chosen = set(picked)
        picked += [int(i) for i in pool if int(i) not in chosen][: n - len(picked)]
    return sorted(picked, key=lambda i: (margin[i], i))


def suggestion_records(items: Sequence[Item], indices: Sequence[int], margin: np.ndarray,
                       source: str = "user") -> list[dict[str, Any]]:
    """Guide-format JSONL records, ready to label: kind and topic left empty to fill in, the source
    set, and the pick's rank and margin (ignored when the file is read back)."""
    out = []
    for rank, (it, m) in enumerate(((items[i], margin[i]) for i in indices), 1):
        record = it.to_dict(labels=False)
        record.update({"kind": "", "topic": "", "source": source, "suggest_rank": rank,
                       "margin": round(float(m), 4)})
        out.append(record)
    return out


__all__ = ["margins", "suggest_indices", "suggestion_records"]
