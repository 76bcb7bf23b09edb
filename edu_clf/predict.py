"""Labeling items with a trained model: typed results, batches, streams, explanations.

`predict_items` labels a list; `predict_stream` labels an iterator of
documents chunk by chunk, so a folder of thousands of reports or a JSONL of
millions of items never sits in memory at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from edu_clf.features import Record, to_records
from edu_clf.items import Document, Item, make_frozen

if TYPE_CHECKING:
    from edu_clf.trained import TrainedModel


@dataclass(frozen=True)
class Prediction:
    """The labels of one item, with scores (probabilities) and optional top-k and explanations."""

    doc_id: str
    item: int
    title: str
    headings: tuple[str, ...]
    text: str
    kind: str
    kind_score: float
    topic: str
    topic_score: float
    kind_top: tuple[tuple[str, float], ...] = ()
    topic_top: tuple[tuple[str, float], ...] = ()
    explanation: dict[str, list[tuple[str, float]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"doc_id": self.doc_id, "item": self.item, "title": self.title,
                               "headings": list(self.headings), "text": self.text,
                               "kind": self.kind, "kind_score": round(self.kind_score, 4),
                               "topic": self.topic, "topic_score": round(self.topic_score, 4)}
        if self.kind_top:
            out["kind_top"] = [[label, round(score, 4)] for label, score in self.kind_top]
            out["topic_top"] = [[label, round(score, 4)] for label, score in self.topic_top]
        if self.explanation:
            out["explain"] = {task: [[term, round(w, 4)] for term, w in terms]
                              for task, terms in self.explanation.items()}
        return out


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


def predict_items(model: "TrainedModel", items: Sequence[Any], top_k: int = 1, explain: int = 0) -> list[Prediction]:
    """Label items (Item, guide-format dict, Record or plain text), in order."""
    if not items:
        return []
    records = to_records(items)
    explainer = matrix = None
    if explain:  # explanations read the feature matrix
        from edu_clf.explain import Explainer
        explainer = Explainer(model.estimator)
        matrix = model.estimator.transform(records)
        probas = model.estimator.predict_proba_matrix(matrix)
    else:
        probas = model.estimator.predict_proba(records)
    kinds, topics = model.estimator.classes_
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
        out.append(make_frozen(
            Prediction, doc_id=doc_id, item=index, title=title if title else record.title,
            headings=headings if headings else record.headings, text=record.text,
            kind=kind, kind_score=scores[0][i], topic=topic, topic_score=scores[1][i],
            kind_top=_top(kinds, probas[0][i], top_k) if top_k > 1 else (),
            topic_top=_top(topics, probas[1][i], top_k) if top_k > 1 else (),
            explanation=explanation))
    return out


def iter_chunks(documents: Iterable[Document], size: int) -> Iterator[list[Item]]:
    """Items of a document stream in chunks of about `size` (documents are never split)."""
    chunk: list[Item] = []
    for doc in documents:
        chunk.extend(doc.items)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_WORKER: dict[str, Any] = {}


def _init_worker(model: "TrainedModel", top_k: int, explain: int, config: Any = None,
                 render: Callable[[Prediction], Any] | None = None) -> None:
    _WORKER.update(model=model, top_k=top_k, explain=explain, config=config, render=render)


def _predict_chunk(chunk: list[Item]) -> list[Prediction]:
    return predict_items(_WORKER["model"], chunk, top_k=_WORKER["top_k"], explain=_WORKER["explain"])


def _label_files(paths: list[str]) -> list[tuple[str, list[Prediction], Exception | None]]:
    """In a worker: read and segment a batch of files, label all their items in one call.

    Errors are returned per file, not raised, so the parent decides.
    """
    from edu_clf.errors import EduClfError
    from edu_clf.reports import load_documents
    read: list[tuple[str, list[Item], Exception | None]] = []
    for path in paths:
        try:
            read.append((path, [it for doc in load_documents(path, _WORKER["config"]) for it in doc.items], None))
        except EduClfError as exc:
            read.append((path, [], exc))
    labeled = _label_groups(_predict_chunk, [items for _, items, _ in read])
    render = _WORKER["render"]
    if render is not None:
        labeled = [[render(p) for p in predictions] for predictions in labeled]
    return [(path, predictions, error) for (path, _, error), predictions in zip(read, labeled)]


def _label_groups(label: Any, groups: Sequence[Sequence[Item]]) -> list[list[Prediction]]:
    """Label the items of several groups in one call of `label`, and split the predictions back per group."""
    predictions = iter(label([it for group in groups for it in group]))
    return [[next(predictions) for _ in group] for group in groups]


def _pool(jobs: int, *initargs: Any):
    """A worker pool whose processes hold the model (forked where the platform allows)."""
    import multiprocessing
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    return context.Pool(jobs, initializer=_init_worker, initargs=initargs)


def predict_stream(model: "TrainedModel", documents: Iterable[Document], chunk_size: int = 2000,
                   top_k: int = 1, explain: int = 0, jobs: int = 1) -> Iterator[Prediction]:
    """Predictions for every item of every document, in order, chunk by chunk (flat memory).

    With `jobs` > 1, chunks are labeled by worker processes, a bounded window
    at a time (2 chunks per worker), so memory stays flat there too.
    """
    chunks = iter_chunks(documents, chunk_size)
    if jobs <= 1:
        for chunk in chunks:
            yield from predict_items(model, chunk, top_k=top_k, explain=explain)
        return
    with _pool(jobs, model, top_k, explain) as pool:
        while True:
            window = list(islice(chunks, 2 * jobs))
            if not window:
                break
            for result in pool.map(_predict_chunk, window, chunksize=1):
                yield from result


@dataclass(frozen=True)
class LabeledDocument:
    """A document and the predictions of its items, in order."""

    document: Document
    predictions: tuple[Prediction, ...]


def predict_documents(model: "TrainedModel", documents: Iterable[Document], chunk_size: int = 2000,
                      top_k: int = 1, explain: int = 0) -> Iterator[LabeledDocument]:
    """Documents with their predictions, labeled chunk by chunk (documents are never split)."""
    pending: list[Document] = []
    size = 0

    def flush() -> Iterator[LabeledDocument]:
        labeled = _label_groups(lambda items: predict_items(model, items, top_k=top_k, explain=explain),
                                [doc.items for doc in pending])
        for doc, predictions in zip(pending, labeled):
            yield LabeledDocument(doc, tuple(predictions))

    for doc in documents:
        pending.append(doc)
        size += len(doc.items)
        if size >= chunk_size:
            yield from flush()
            pending, size = [], 0
    if pending:
        yield from flush()


def predict_files(model: "TrainedModel", paths: Sequence[str], config: Any, jobs: int, top_k: int = 1,
                  explain: int = 0, on_error: Any = None, on_empty: Any = None,
                  files_per_task: int = 32, render: Callable[[Prediction], Any] | None = None) -> Iterator[Any]:
    """Predictions for report files read, segmented and labeled by `jobs` worker processes.

    Files are handed out a bounded window at a time and their predictions come
    back in input order. A file that cannot be read goes to `on_error(path,
    error)`, which raises to stop or returns to skip it; a file without items
    goes to `on_empty(path)`. With `render` (a top-level function), each
    prediction comes back as render(prediction), made in the worker: rendering
    output lines there leaves the parent only the writing.
    """
    remaining = iter(paths)
    with _pool(jobs, model, top_k, explain, config, render) as pool:
        while True:
            # a task is a batch of files, so that each labeling call gets enough items to be efficient
            batches = [batch for batch in (list(islice(remaining, files_per_task)) for _ in range(2 * jobs)) if batch]
            if not batches:
                break
            for results in pool.imap(_label_files, batches):
                for path, predictions, error in results:
                    if error is not None:
                        if on_error is None:
                            raise error
                        on_error(path, error)
                    elif not predictions and on_empty is not None:
                        on_empty(path)
                    yield from predictions


def jsonl_of(prediction: Prediction) -> str:
    """The prediction's JSON Lines line (a `render` for predict_files)."""
    from edu_clf.output import jsonl_line
    return jsonl_line(prediction.to_dict())


def text_item(text: str) -> Record:
    """A single free-text item with no context (for `predict --text`)."""
    return Record(text, "", ())


__all__ = ["LabeledDocument", "Prediction", "iter_chunks", "jsonl_of", "predict_documents", "predict_files",
           "predict_items", "predict_stream", "text_item"]
