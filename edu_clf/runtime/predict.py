"""Items → predictions: labels, scores, top-k and explanations, for any loaded model.

`model` is a RuntimeModel (the numpy-only artifact) or a TrainedModel (the full
scikit-learn estimator); both offer classes_, predict_proba(records), and the full
one also transform / predict_proba_matrix / explainer() for explanations.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from edu_clf.errors import UsageError
from edu_clf.features.base import Record, to_records
from edu_clf.records import Item, Prediction, make_frozen

if TYPE_CHECKING:
    from edu_clf.runtime import RuntimeModel


def _identity(x: Any, position: int) -> tuple[str, int, str, tuple[str, ...]]:
    if isinstance(x, Item):
        return x.doc_id, x.item, x.title, tuple(x.headings)
    if isinstance(x, dict):
        return str(x.get("doc_id", "text")), int(x.get("item", position)), x.get("title", "") or "", \
            tuple(x.get("headings") or ())
    return "text", position, "", ()


def _top(classes: np.ndarray, row: np.ndarray, k: int) -> tuple[tuple[str, float], ...]:
    order = np.argsort(-row, kind="stable")[:k]
    return tuple((str(classes[j]), float(row[j])) for j in order)


def predict_items(model: Any, items: Sequence[Any], top_k: int = 1, explain: int = 0,
                  records: Sequence[Record] | None = None, first: int = 0) -> list[Prediction]:
    """Label items (Item, guide-format dict, Record or plain text), in order.

    `records`: what the features see of each item when the caller made them already: a chunk of a
    longer stream, with the records of the items around it (from row `first` on, the items' own), so
    that the chunk's first and last items are scored with their neighbours as in the whole stream."""
    if not items:
        return []
    records = to_records(items) if records is None else records
    window = slice(first, first + len(items))
    explainer = matrix = heads = None
    if explain:  # explanations read the feature matrix of the full estimator
        if not hasattr(model, "explainer"):
            raise UsageError("explanations need the full model (.skops), not the runtime artifact",
                             hint="pass --model models/default.skops")
        explainer = model.explainer()
        matrix = model.transform(records)
        heads = model.predict_proba_matrix(matrix)   # the heads alone: what the terms explain
        probas = model.sequenced(heads, records)
    else:
        probas = model.predict_proba(records)
    if len(records) != len(items):
        probas, records = [p[window] for p in probas], records[window]
        if matrix is not None:
            matrix, heads = matrix[window], [h[window] for h in heads]
    kinds, topics = model.classes_
    # best label and its score for all rows at once; per-row numpy calls would cost more than the model
    rows = np.arange(len(records))
    best = [p.argmax(axis=1) for p in probas]
    labels = [[str(c) for c in classes[b]] for classes, b in zip((kinds, topics), best)]
    scores = [p[rows, b].tolist() for p, b in zip(probas, best)]
    out = []
    for i, (x, record) in enumerate(zip(items, records)):
        doc_id, index, title, headings = _identity(x, i)
        kind, topic = labels[0][i], labels[1][i]
        explanation = {}
        if explainer is not None:
            explanation = explainer.explain_row(matrix[i], (kind, topic), explain)
            for task, proba, head, b in zip(("kind", "topic"), probas, heads, best):
                lift = float(np.log(proba[i, b[i]]) - np.log(head[i, b[i]]))
                if lift > 0:   # the sequence stage raised the label's log-score: the neighbours' share
                    terms = [*explanation[task], (NEIGHBOURS_TERM, lift)]
                    explanation[task] = sorted(terms, key=lambda term: -term[1])[:explain]
        out.append(make_frozen(
            Prediction, doc_id=doc_id, item=index, title=title if title else record.title,
            headings=headings if headings else record.headings, text=record.text,
            kind=kind, kind_score=scores[0][i], topic=topic, topic_score=scores[1][i],
            kind_top=_top(kinds, probas[0][i], top_k) if top_k > 1 else (),
            topic_top=_top(topics, probas[1][i], top_k) if top_k > 1 else (),
            explanation=explanation))
    return out


NEIGHBOURS_TERM = "sequence:before_after"   # an explanation's entry for what the sequence stage added


def text_item(text: str) -> Record:
    """A single free-text item with no context (for `predict --text`)."""
    return Record(text, "", ())
