"""The records that flow through edu-clf: outline items, documents, predictions."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

import orjson


@dataclass(frozen=True)
class Item:
    """One outline item with its context, as the labeling guide defines it.

    `span` is the item's (start, end) character range in the normalized source
    text, or None for items that came from a JSONL file. `kind`, `topic` and
    `source` are set for labeled items only.
    """

    doc_id: str
    item: int
    title: str
    headings: tuple[str, ...]
    text: str
    span: tuple[int, int] | None = None
    kind: str | None = None
    topic: str | None = None
    source: str | None = None

    def to_dict(self, labels: bool = True, span: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"doc_id": self.doc_id, "item": self.item, "title": self.title,
                               "headings": list(self.headings), "text": self.text}
        if span and self.span is not None:
            out["span"] = list(self.span)
        if labels:
            for key in ("kind", "topic", "source"):
                value = getattr(self, key)
                if value is not None:
                    out[key] = value
        return out


@dataclass(frozen=True)
class Piece:
    """A stretch of the normalized source and what became of it."""

    role: str            # "item", "heading", "title", "dropped"
    start: int
    end: int
    doc_id: str | None = None


@dataclass(frozen=True)
class Document:
    """One report: its title, items, and how every character of its source was used."""

    doc_id: str
    title: str
    items: tuple[Item, ...]
    source: str = ""
    pieces: tuple[Piece, ...] = field(default=(), repr=False)



def writer_group(doc_id: str) -> str:
    """The group an item's document belongs to when scoring must keep writers apart.

    The written corpus names its reports WRITER_NN (w5_01 …): one writer's reports
    share a voice, so they go to the same side of every split. Other documents are
    their own group.
    """
    head, sep, tail = doc_id.partition("_")
    if sep and head[:1] == "w" and head[1:].isdigit() and tail[:2].isdigit():
        return head
    return doc_id


T = TypeVar("T")


def make_frozen(cls: type[T], **fields: Any) -> T:
    """An instance of the frozen dataclass `cls` with exactly these fields, made at a fraction of the cost.

    A frozen dataclass's __init__ sets every field through object.__setattr__;
    where one object is made per item (the segmenter, the predictions), filling
    the instance dict at once is several times faster. Every field must be given
    (tests compare with the constructors, field for field).
    """
    made = object.__new__(cls)
    made.__dict__.update(fields)
    return made


def new_item(doc_id: str, item: int, title: str, headings: tuple[str, ...], text: str,
             span: tuple[int, int] | None) -> Item:
    """Item(doc_id, item, title, headings, text, span), made by make_frozen."""
    return make_frozen(Item, doc_id=doc_id, item=item, title=title, headings=headings, text=text, span=span,
                       kind=None, topic=None, source=None)


def new_piece(role: str, start: int, end: int, doc_id: str | None) -> Piece:
    """Piece(role, start, end, doc_id), made by make_frozen."""
    return make_frozen(Piece, role=role, start=start, end=end, doc_id=doc_id)


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


@dataclass(frozen=True)
class LabeledDocument:
    """A document and the predictions of its items, in order."""

    document: Document
    predictions: tuple[Prediction, ...]


def json_line(record: dict[str, Any]) -> str:
    """One JSON Lines line of a record (UTF-8 text kept as it is, compact, newline included)."""
    return orjson.dumps(record, option=_LINE_OPTIONS).decode()


def json_bytes(record: dict[str, Any]) -> bytes:
    """json_line's line as UTF-8 bytes: what workers hand on to be written as it is (no decode, no encode)."""
    return orjson.dumps(record, option=_LINE_OPTIONS)


def row_end(extra: dict[str, Any]) -> str:
    """What ends a JSON line made by json_line and cut before its closing brace (`json_line(r)[:-2]`):
    the `extra` fields (the report's metadata), then the brace and the newline."""
    return "," + json_line(extra)[1:] if extra else "}\n"


_LINE_OPTIONS = orjson.OPT_APPEND_NEWLINE | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


FORMAT_NAME = "edu-clf-model"
FORMAT_VERSION = 2  # 2: FastTfidf term dicts stored as arrays (format 1 files still load)


@dataclass(frozen=True)
class ModelMeta:
    """Everything a model file says about itself (JSON-serialisable)."""

    edu_clf_version: str
    sklearn_version: str
    numpy_version: str
    python_version: str
    created: str
    label_schema: dict[str, Any]
    config: dict[str, Any]
    data: dict[str, Any]
    metrics: dict[str, Any] = field(default_factory=dict)
    depends: dict[str, Any] = field(default_factory=dict)   # sha256 of jieba's dict.txt and the configs used
    format: str = FORMAT_NAME
    format_version: int = FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "ModelMeta":
        names = cls.__dataclass_fields__.keys()
        return cls(**{k: v for k, v in raw.items() if k in names})
