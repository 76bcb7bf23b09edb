"""What the features see of an item (Record) and the analyzers shared by the feature blocks."""
from __future__ import annotations

from itertools import chain
from typing import Any, Callable, Iterable, NamedTuple, Sequence

import numpy as np

from edu_clf.features.tokenize import get_tokenizer


class Record(NamedTuple):
    """What the features see of an item: its text, its context, and its neighbours' texts
    (the items before and after it in the same document, "" when there is none)."""

    text: str
    title: str
    headings: tuple[str, ...]
    preceding: str = ""
    following: str = ""


class Records(list):
    """A list of Records that to_records made: passed on as it is by the next to_records."""


def to_records(X: Sequence[Any]) -> list[Record]:
    """Accept Items, guide-format dicts, Records or plain strings (text only)."""
    if isinstance(X, Records):  # every block of the feature union converts its input
        return X
    parts: list[tuple[str, str, tuple[str, ...]]] = []
    docs: list[str | None] = []
    for x in X:
        if isinstance(x, Record):
            parts.append(x)
            docs.append(None)
        elif isinstance(x, str):
            parts.append((x, "", ()))
            docs.append(None)
        elif isinstance(x, dict):
            parts.append((x.get("text", ""), x.get("title", "") or "", tuple(x.get("headings") or ())))
            docs.append(x.get("doc_id"))
        else:
            parts.append((x.text, x.title or "", tuple(x.headings or ())))
            docs.append(getattr(x, "doc_id", None))
    out, last = Records(), len(parts) - 1
    for i, part in enumerate(parts):   # neighbours: the items before and after, within the same document
        doc = docs[i]
        if doc is None:
            out.append(part if isinstance(part, Record) else Record(*part))
            continue
        before = parts[i - 1][0] if i > 0 and docs[i - 1] == doc else ""
        after = parts[i + 1][0] if i < last and docs[i + 1] == doc else ""
        out.append(Record(part[0], part[1], part[2], before, after))
    return out


def normalized(records: Sequence[Record]) -> "Records":
    """The records as the features see them when normalization is on (edu_clf.normalize).

    A neighbour's text is an item's own text too: each distinct text is normalized once, all of them
    in one batch."""
    from edu_clf.normalize import normalize_context, normalize_texts
    distinct = list(dict.fromkeys(chain([r.text for r in records], [r.preceding for r in records],
                                        [r.following for r in records])))
    done = dict(zip(distinct, normalize_texts(distinct)))
    contexts: dict[tuple[str, tuple[str, ...]], tuple[str, tuple[str, ...]]] = {}   # a section's items share one
    out = Records()
    for text, title, headings, preceding, following in records:
        context = contexts.get((title, headings))
        if context is None:
            context = contexts[title, headings] = (normalize_context(title) if title else "",
                                                   tuple(map(normalize_context, headings)))
        out.append(Record(done[text], context[0], context[1], done[preceding], done[following]))
    return out


def neighbour_rows(records: Sequence[Record]) -> tuple[np.ndarray, np.ndarray]:
    """For each record, the row of the item before it and of the item after it in the same document
    (-1: none): adjacent rows that to_records linked (each one's text is the other's neighbour)."""
    n = len(records)
    before, after = np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    for i in range(1, n):
        a, b = records[i - 1], records[i]
        if b.preceding and b.preceding == a.text and a.following == b.text:
            before[i], after[i - 1] = i - 1, i
    return before, after


def section_mates(records: Sequence[Record], rows: np.ndarray) -> np.ndarray:
    """For each record, whether the record at rows[i] (a neighbour_rows row; -1: none) sits under the
    same headings: the same section, or, where headings are missing, no telling them apart."""
    return np.fromiter((j >= 0 and records[j].headings == r.headings for r, j in zip(records, rows.tolist())),
                       dtype=bool, count=len(records))


def context_removed(records: Iterable[Record]) -> "Records":
    """The records without title and headings (neighbours kept): context dropout's copies, and the
    no-context copies the sequence stage learns from."""
    return Records(r._replace(title="", headings=()) for r in records)


def outer_removed(records: Iterable[Record]) -> "Records":
    """The records as a copy that starts mid-document shows them (page 2): no title, and the outermost
    heading gone (it was opened on the page before); the copies of outer_dropout."""
    return Records(r._replace(title="", headings=r.headings[1:]) for r in records)


def without_context(records: Sequence[Record], share: float, seed: int) -> list[int]:
    """Indices of about `share` of the records that have context, chosen by `seed` (context dropout)."""
    return _share_of([i for i, r in enumerate(records) if r.title or r.headings], share, seed)


def without_outer(records: Sequence[Record], share: float, seed: int) -> list[int]:
    """Indices of about `share` of the records under two or more headings, chosen by `seed` (outer dropout:
    those keep a heading when the outermost goes)."""
    return _share_of([i for i, r in enumerate(records) if len(r.headings) >= 2], share, seed)


def _share_of(candidates: list[int], share: float, seed: int) -> list[int]:
    if share >= 1.0 or not candidates:
        return candidates
    rng = np.random.default_rng(seed)
    return sorted(rng.choice(candidates, size=int(round(share * len(candidates))), replace=False).tolist())


def distinct_contexts(records: Sequence[Record]) -> tuple[list[tuple[str, tuple[str, ...]]], np.ndarray]:
    """The distinct (title, headings) of the records, and for each record the index of its own.

    All items of a document section share one context: context features are
    computed once per distinct context and given to each item.
    """
    index: dict[tuple[str, tuple[str, ...]], int] = {}
    which = np.fromiter((index.setdefault((r.title, r.headings), len(index)) for r in records),
                        dtype=np.int64, count=len(records))
    return list(index), which


def record_text(records: Sequence[Record]) -> list[str]:
    return [r.text for r in records]


def record_self(records: Sequence[Record]) -> Sequence[Record]:
    return records


class WordAnalyzer:
    """Word 1..n-grams of a text (picklable callable for TfidfVectorizer)."""

    def __init__(self, backend: str = "rjieba", hmm: bool = False, ngram_max: int = 2) -> None:
        self.backend = backend
        self.hmm = hmm
        self.ngram_max = ngram_max

    def __call__(self, text: str) -> list[str]:
        words = get_tokenizer(self.backend, self.hmm)(text)
        grams = list(words)
        for n in range(2, self.ngram_max + 1):
            grams.extend(" ".join(words[i:i + n]) for i in range(len(words) - n + 1))
        return grams


class ContextAnalyzer:
    """Words of the title (T:), all headings (H:) and the nearest heading (N:)."""

    def __init__(self, backend: str = "rjieba", hmm: bool = False) -> None:
        self.backend = backend
        self.hmm = hmm

    def __call__(self, record: Record, prefixed: Callable[[str, str], list[str]] | None = None) -> list[str]:
        """`prefixed(prefix, text)`: the words of text, each with the prefix (a memoized one when many
        records share titles and headings)."""
        if prefixed is None:
            words = get_tokenizer(self.backend, self.hmm)
            prefixed = lambda prefix, text: [prefix + w for w in words(text)]  # noqa: E731
        tokens = list(prefixed("T:", record.title)) if record.title else ["T:<none>"]
        if record.headings:
            for heading in record.headings:
                tokens.extend(prefixed("H:", heading))
            tokens.extend(prefixed("N:", record.headings[-1]))
        else:
            tokens.append("H:<none>")
        return tokens
