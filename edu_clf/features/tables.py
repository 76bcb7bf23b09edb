"""TF-IDF rows and cue counts of fitted tables, with numpy (and the optional C kernels) only.

The fitted state of a TF-IDF block (idf, the n-gram key table, the word index) and of the
cue block is all prediction needs. This module turns records into their rows from that
state and imports nothing of scikit-learn or scipy, so both the estimator's feature
blocks (features/vectorize.py, features/blocks.py, which add fitting) and the runtime
(edu_clf/runtime, which loads the state from a model artifact) use the same code.

Rows are CSR parts: (indptr int64, indices int32, data float64), each row's columns sorted
and l2-normalized as scikit-learn's TfidfVectorizer makes them.
"""
from __future__ import annotations

import re
from functools import lru_cache
from itertools import chain, repeat
from typing import Any, Callable, Sequence

import numpy as np

from edu_clf import kernels
from edu_clf.features.base import ContextAnalyzer, Record, distinct_contexts, to_records
from edu_clf.features.tokenize import get_tokenizer, jieba_dictionary, raw_tokenizer

Parts = tuple[np.ndarray, np.ndarray, np.ndarray]

_WHITESPACES = re.compile(r"\s\s+")  # what scikit-learn's char analyzer collapses
_BITS = 21                           # code points (+1) fit in 21 bits; 3 of them in an int64
_MASK = (1 << _BITS) - 1


class TfidfTransform:
    """transform() of a fitted TF-IDF block, for FastTfidf and the runtime's tables alike.

    Reads: analyzer, ngram_max, tokenizer, hmm, sublinear_tf, idf_, keys_, cols_, and for
    word and context blocks word_index_ and base_.
    """

    def _char_keys(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(document index, key) of every character n-gram."""
        self._n_max()
        texts = [_WHITESPACES.sub(" ", t) for t in texts]
        codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.int64) + 1
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        doc_of = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        docs, keys = [], []
        for n in range(1, self.ngram_max + 1):
            if len(codes) < n:
                break
            m = len(codes) - n + 1
            key = codes[:m].copy()
            for k in range(1, n):
                key = (key << _BITS) | codes[k: m + k]
            valid = doc_of[:m] == doc_of[n - 1:]  # an n-gram never spans two documents
            docs.append(doc_of[:m][valid])
            keys.append(key[valid])
        if not keys:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(docs), np.concatenate(keys)

    def _n_max(self) -> int:
        """The longest n-gram this analyzer counts, within what the integer keys can hold."""
        if self.analyzer == "chars":
            if self.ngram_max > 3:
                raise ValueError("FastTfidf packs at most 3 characters; use the reference engine")
            return self.ngram_max
        n_max = self.ngram_max if self.analyzer == "words" else 1
        if n_max > 2:
            raise ValueError("FastTfidf counts word 1- and 2-grams; use the reference engine for more")
        return n_max

    def _token_lists(self, X: Sequence[Any]) -> list[list[str]]:
        """Raw tokens per document (whitespace tokens included; `_Lookup` drops them)."""
        if self.analyzer == "words":
            return list(map(raw_tokenizer(self.tokenizer, self.hmm), _texts(X)))
        analyze = ContextAnalyzer(self.tokenizer, self.hmm)
        prefixed = _memo(get_tokenizer(self.tokenizer, self.hmm))  # a title or heading is shared by many contexts
        cache: dict[tuple, list[str]] = {}
        out = []
        for r in to_records(X):
            key = (r.title, r.headings)
            if key not in cache:
                cache[key] = analyze(r, prefixed)
            out.append(cache[key])
        return out

    def _word_keys(self, X: Sequence[Any], index: dict[str, int], grow: bool) -> tuple[np.ndarray, np.ndarray]:
        """(document index, key) of word n-grams: unigram key = id, bigram key = base + id1 * base + id2.

        Whitespace tokens are removed before n-grams are formed (as the reference
        tokenizer drops them); unknown words get -1 and form no n-gram.
        """
        lists = self._token_lists(X)
        if grow:
            lookup = _Lookup(index, grow)
            ids = np.fromiter(map(lookup.__getitem__, chain.from_iterable(lists)), dtype=np.int64)
        else:  # all in C: dict.get over the flat tokens; only unknown tokens are looked at again
            flat = list(chain.from_iterable(lists))
            ids = np.fromiter(map(index.get, flat, repeat(-1)), dtype=np.int64, count=len(flat))
            for i in np.flatnonzero(ids == -1).tolist():
                if flat[i].isspace():
                    ids[i] = _SPACE
        lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        doc_of = np.repeat(np.arange(len(lists), dtype=np.int64), lengths)
        keep = ids != _SPACE
        ids, doc_of = ids[keep], doc_of[keep]
        base = self._base(index)
        known = ids >= 0
        docs, keys = [doc_of[known]], [ids[known]]
        n_max = self._n_max()
        if n_max >= 2 and len(ids) > 1:
            valid = (doc_of[1:] == doc_of[:-1]) & known[:-1] & known[1:]
            docs.append(doc_of[:-1][valid])
            keys.append(base + ids[:-1][valid] * base + ids[1:][valid])
        return np.concatenate(docs), np.concatenate(keys)

    def _base(self, index: dict[str, int]) -> int:
        return getattr(self, "base_", None) or max(len(index), 1)

    def _keys(self, X: Sequence[Any], fitting: bool) -> tuple[np.ndarray, np.ndarray]:
        if self.analyzer == "chars":
            return self._char_keys(_texts(X))
        if self.analyzer in ("words", "context"):
            if fitting:
                self._fit_index: dict[str, int] = {}
                self._fit_lists_done = True
                return self._word_keys(X, self._fit_index, grow=True)
            return self._word_keys(X, self.word_index_, grow=False)
        raise ValueError(f"analyzer={self.analyzer!r}; allowed: chars, words, context")

    # ------------------------------------------------------------ terms

    def _key_table(self) -> "KeyTable":
        table = self.__dict__.get("_table")
        if table is None:  # built on first use, also for models saved before it existed
            table = self.__dict__["_table"] = KeyTable(self.keys_, self.cols_)
        return table

    def _native_words(self) -> bool:
        """Whether the kernels can cut the words themselves (the fast backend, HMM off, dictionary loaded)."""
        return self.tokenizer == "rjieba" and not self.hmm and self._dictionary() is not None

    def _dictionary(self) -> Any:
        """The kernels' dictionary: the model's own (a runtime artifact carries it), else jieba's dict.txt."""
        own = self.__dict__.get("dictionary_")
        return own.get() if own is not None else jieba_dictionary()

    def _word_index(self) -> Any:
        """word_index_ copied into C for the kernels (built on first use)."""
        index = self.__dict__.get("_windex")
        if index is None:
            index = self.__dict__["_windex"] = kernels.KERNELS.word_index(self.word_index_)
        return index

    def _prefix_closed(self) -> bool:
        """Whether the vocabulary holds the parts of each n-gram it holds (true unless max_df pruned them).

        Then an n-gram whose shorter part is missing cannot be in it, and the kernels skip its lookup.
        """
        closed = self.__dict__.get("_closed")
        if closed is None:
            keys, table = self.keys_, self._key_table()
            if self.analyzer == "chars":
                parts = keys[keys > _MASK] >> _BITS
            else:
                base = self._base(self.word_index_)
                bigrams = keys[keys >= base] - base
                parts = np.concatenate([bigrams // base, bigrams % base])
            closed = self.__dict__["_closed"] = bool((table.lookup(parts) >= 0).all())
        return closed

    def _kernel_matrix(self, X: Sequence[Any]) -> Parts:
        """transform() through the C kernels: one pass per row, no intermediate key arrays."""
        table = self._key_table()
        if self.analyzer == "chars":
            parts = kernels.KERNELS.char_tfidf(_texts(X), self._n_max(), table.pairs(), self.idf_,
                                               self.sublinear_tf, self._prefix_closed())
        elif self.analyzer == "words" and self._native_words():
            # tokenized in C as well: the words never become Python strings
            parts = kernels.KERNELS.jieba_word_tfidf(_texts(X), self._dictionary(), self._word_index(),
                                                     self._base(self.word_index_), self._n_max(), table.pairs(),
                                                     self.idf_, self.sublinear_tf, self._prefix_closed())
        elif self.analyzer == "context" and self._native_words():
            return self._kernel_context_matrix(X)
        elif self.analyzer in ("words", "context"):
            parts = kernels.KERNELS.word_tfidf(self._token_lists(X), self.word_index_, self._base(self.word_index_),
                                               self._n_max(), table.pairs(), self.idf_, self.sublinear_tf,
                                               self._prefix_closed())
        else:
            raise ValueError(f"analyzer={self.analyzer!r}; allowed: chars, words, context")
        return _arrays(parts)

    def _kernel_context_matrix(self, X: Sequence[Any]) -> Parts:
        """Context rows made in C once per distinct (title, headings), then given to each item."""
        contexts, which = distinct_contexts(to_records(X))
        parts = kernels.KERNELS.jieba_context_tfidf(contexts, self._dictionary(), self._word_index(),
                                                    self._key_table().pairs(), self.idf_, self.sublinear_tf)
        return take_rows(_arrays(parts), which)

    def transform_parts(self, X: Sequence[Any]) -> Parts:
        """The TF-IDF rows of X as CSR parts."""
        if kernels.KERNELS is not None:
            return self._kernel_matrix(X)
        doc, key = self._keys(X, fitting=False)
        return self._rows(doc, key, len(X))

    def _rows(self, doc: np.ndarray, key: np.ndarray, n_docs: int) -> Parts:
        """Counts of (row, key) → tf (sublinear) × idf, l2-normalized per row, as TfidfVectorizer does."""
        n_cols = len(self.idf_)
        if len(self.keys_) == 0 or len(key) == 0:
            return np.zeros(n_docs + 1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float64)
        found = self._key_table().lookup(key)
        hit = found >= 0
        pair, counts = np.unique(doc[hit] * np.int64(n_cols) + found[hit], return_counts=True)
        rows, cols = pair // n_cols, pair % n_cols
        data = counts.astype(np.float64)
        if self.sublinear_tf:
            np.log(data, out=data)
            data += 1.0
        data *= self.idf_[cols]
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=n_docs))
        data /= norms[rows]
        indptr = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_docs), out=indptr[1:])
        return indptr, cols.astype(np.int32), data


def _arrays(parts: tuple[bytearray, bytearray, bytearray]) -> Parts:
    """A kernel's (indptr, indices, data) bytearrays as numpy arrays (no copy)."""
    return tuple(np.frombuffer(p, dtype=t) for p, t in zip(parts, (np.int64, np.int32, np.float64)))


def take_rows(parts: Parts, which: np.ndarray) -> Parts:
    """The CSR parts of rows `which` (in that order, repeats allowed)."""
    indptr, indices, data = parts
    lengths = np.diff(indptr)[which]
    out_ptr = np.zeros(len(which) + 1, dtype=np.int64)
    np.cumsum(lengths, out=out_ptr[1:])
    gather = np.repeat(indptr[:-1][which] - out_ptr[:-1], lengths) + np.arange(out_ptr[-1], dtype=np.int64)
    return out_ptr, indices[gather], data[gather]


_SPACE = -2
_PACKED = ("vocabulary_", "word_index_")   # term → number dicts, stored packed in model files
_CACHES = ("_table", "_closed", "_windex")  # rebuilt on first use


def _is_numbering(terms: dict[str, int]) -> bool:
    """The dict numbers its terms 0 … n-1 (then the term order alone says it)."""
    return sorted(terms.values()) == list(range(len(terms)))


def _pack_terms(terms: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """(code points of all terms in number order, end offset of each term)."""
    ordered = sorted(terms, key=terms.__getitem__)
    codes = np.frombuffer("".join(ordered).encode("utf-32-le", "surrogatepass"), dtype=np.uint32).copy()
    ends = np.cumsum(np.fromiter(map(len, ordered), dtype=np.int64, count=len(ordered)))
    return codes, ends


def _unpack_terms(codes: np.ndarray, ends: np.ndarray) -> dict[str, int]:
    joined = np.asarray(codes, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")
    starts = [0] + ends[:-1].tolist()
    return {joined[a:b]: i for i, (a, b) in enumerate(zip(starts, ends.tolist()))}
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


class KeyTable:
    """A read-only hash table int64 key → int64 value, probed for whole arrays at once.

    Open addressing with linear probing, sized to at most half full, so a
    lookup takes one or two gathers from a table that fits in cache: several
    times faster than a binary search (`searchsorted`) over the same keys.
    Keys must be ≥ 0; missing keys give -1.
    """

    def __init__(self, keys: np.ndarray, values: np.ndarray) -> None:
        keys = np.asarray(keys, dtype=np.int64)
        self.bits = max(4, int(np.ceil(np.log2(2 * len(keys) + 1))))
        size = 1 << self.bits
        self.keys = np.full(size, -1, dtype=np.int64)
        self.values = np.full(size, -1, dtype=np.int64)
        pending = np.arange(len(keys))
        home = self._home(keys)
        probe = 0
        while len(pending):
            slots = (home[pending] + probe) & (size - 1)
            free = self.keys[slots] == -1
            # of several keys wanting one free slot, the first takes it
            _, first = np.unique(slots[free], return_index=True)
            taken = np.flatnonzero(free)[first]
            self.keys[slots[taken]] = keys[pending[taken]]
            self.values[slots[taken]] = np.asarray(values, dtype=np.int64)[pending[taken]]
            done = np.zeros(len(pending), dtype=bool)
            done[taken] = True
            pending = pending[~done]
            probe += 1
        self.max_probe = probe

    def _home(self, keys: np.ndarray) -> np.ndarray:
        return ((keys.astype(np.uint64) * _GOLDEN) >> np.uint64(64 - self.bits)).astype(np.int64)

    def pairs(self) -> np.ndarray:
        """Keys and values interleaved (key, value, key, ...): one cache line per probe, for the C kernels."""
        pairs = self.__dict__.get("_pairs")
        if pairs is None:
            pairs = self.__dict__["_pairs"] = np.column_stack((self.keys, self.values)).ravel()
        return pairs

    def lookup(self, queries: np.ndarray) -> np.ndarray:
        mask = len(self.keys) - 1
        home = self._home(queries)
        found = self.keys[home]  # the first probe, for every query at once: most end here
        match = found == queries
        out = np.where(match & (queries >= 0), self.values[home], -1)
        pending = np.flatnonzero(~match & (found != -1) & (queries >= 0))
        home = home[pending]
        for probe in range(1, self.max_probe):
            if not len(pending):
                break
            slots = (home + probe) & mask
            found = self.keys[slots]
            match = found == queries[pending]
            out[pending[match]] = self.values[slots[match]]
            go_on = ~match & (found != -1)
            pending, home = pending[go_on], home[go_on]
        return out

class _Lookup(dict):
    """Word → id; whitespace tokens → _SPACE; unknown words → -1 (or a new id when growing)."""

    def __init__(self, index: dict[str, int], grow: bool) -> None:
        super().__init__(index)
        self.index = index
        self.grow = grow

    def __missing__(self, word: str) -> int:
        if word.isspace():
            value = _SPACE
        elif self.grow:
            value = self.index[word] = len(self.index)
        else:
            value = -1
        self[word] = value
        return value


def _memo(tokenize: Callable[[str], list[str]]) -> Callable[[str, str], list[str]]:
    """prefixed(prefix, text): the words of text with the prefix, each (prefix, text) made once."""
    seen: dict[tuple[str, str], list[str]] = {}
    words: dict[str, list[str]] = {}

    def prefixed(prefix: str, text: str) -> list[str]:
        got = seen.get((prefix, text))
        if got is None:
            tokens = words.get(text)
            if tokens is None:
                tokens = words[text] = tokenize(text)
            got = seen[(prefix, text)] = [prefix + w for w in tokens]
        return got
    return prefixed


def _texts(X: Sequence[Any]) -> list[str]:
    return [x if isinstance(x, str) else x.text for x in X]


class CueTransform:
    """transform() of the cue block (lexicon counts), for CueFeatures and the runtime alike.

    Reads: lexicons (the dict form of configs/cues.toml), neighbours, feature_names_.
    """

    @staticmethod
    def _names(lex: dict[str, dict[str, list[str]]]) -> list[str]:
        names = []
        for group in lex.get("heading", {}):
            names += [f"nearest_heading:{group}", f"any_heading:{group}"]
        names += [f"title:{g}" for g in lex.get("title", {})]
        names += [f"text:{g}" for g in lex.get("text", {})]
        names += ["text_length"]
        return names

    def dense(self, X: Sequence[Record]) -> np.ndarray:
        """The cue columns of X (n, len(feature_names_))."""
        lex = self.lexicons or {}
        X = to_records(X)
        context = self._context_columns(X, lex)
        groups = list(lex.get("text", {}).values())
        texts = [r.text for r in X]
        neighbours = getattr(self, "neighbours", False)
        columns = {"text": texts}
        if neighbours:
            columns.update(preceding=[r.preceding for r in X], following=[r.following for r in X])
        # a neighbour's text is another item's own: each distinct text is counted once
        where: dict[str, int] = {}
        rows = {side: np.fromiter((where.setdefault(t, len(where)) for t in column), dtype=np.int64, count=len(X))
                for side, column in columns.items()}
        logs = np.log1p(_word_counts(list(where), groups)) / 3.0
        text = logs[rows["text"]]
        length = np.minimum(np.fromiter(map(len, texts), dtype=np.float64, count=len(X)), 1000.0) / 1000.0
        if "no_title" in self.feature_names_:   # models of before session 7 only: see CueFeatures.fit
            tail = np.empty((len(X), 3), dtype=np.float64)
            tail[:, 0] = np.fromiter((not r.headings for r in X), dtype=bool, count=len(X))
            tail[:, 1] = np.fromiter((not r.title for r in X), dtype=bool, count=len(X))
            tail[:, 2] = length
        else:
            tail = length[:, None]
        blocks = [context, text, tail]
        if neighbours:
            blocks += [logs[rows["preceding"]], logs[rows["following"]]]
            if "no_following" in self.feature_names_:   # models of before session 7 only: see CueFeatures.fit
                blocks.append(np.column_stack([[not r.preceding for r in X], [not r.following for r in X]]).astype(float))
        return np.hstack(blocks)

    @staticmethod
    def _context_columns(X: Sequence[Record], lex: dict[str, dict[str, list[str]]]) -> np.ndarray:
        """Per heading group: in the nearest heading, in any heading; per title group: in the title.

        Computed once per distinct (title, headings), which all items of a document section
        share; a group is present where its words' occurrence count is not zero.
        """
        contexts, which = distinct_contexts(X)
        heading_groups = list(lex.get("heading", {}).values())
        title_groups = list(lex.get("title", {}).values())
        nearest = _word_counts([h[-1] if h else "" for _, h in contexts], heading_groups) > 0
        anywhere = _word_counts([" ".join(h) for _, h in contexts], heading_groups) > 0
        title = _word_counts([t for t, _ in contexts], title_groups) > 0
        columns = np.empty((len(contexts), 2 * len(heading_groups) + len(title_groups)), dtype=np.float64)
        columns[:, 0:2 * len(heading_groups):2] = nearest
        columns[:, 1:2 * len(heading_groups):2] = anywhere
        columns[:, 2 * len(heading_groups):] = title
        return columns[which]


def _self_overlapping(word: str) -> bool:
    return any(word[:k] == word[-k:] for k in range(1, len(word)))


def _word_counts(texts: Sequence[str], groups: Sequence[Sequence[str]]) -> np.ndarray:
    """(n_texts, n_groups): per text, the summed occurrence counts of each group's words.

    Equal to `sum(text.count(w) for w in words)`, computed for all texts at once:
    words of up to 4 BMP characters become 64-bit keys of 16-bit code points,
    matched against the keys of every text position with numpy. Other words
    (longer, outside the BMP, or overlapping themselves, where str.count and
    position matching differ) are counted with str.count.
    """
    if not texts or not groups:
        return np.zeros((len(texts), len(groups)), dtype=np.float64)
    if kernels.KERNELS is not None:
        return _kernel_word_counts(list(texts), tuple(map(tuple, groups)))
    out = np.zeros((len(texts), len(groups)), dtype=np.float64)
    fast: dict[tuple[int, int], set[int]] = {}   # (group, length) → word keys
    for g, words in enumerate(groups):
        for w in dict.fromkeys(words):
            if 0 < len(w) <= 4 and all(ord(c) < 0xFFFF for c in w) and not _self_overlapping(w):
                key = 0
                for c in w:
                    key = (key << 16) | ord(c)
                fast.setdefault((g, len(w)), set()).add(key)
            else:
                out[:, g] += [t.count(w) for t in texts]
    if fast:
        joined = "\x00".join(texts)
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        codes[codes >= 0xFFFF] = 0xFFFF  # outside the BMP: never part of a fast word
        starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
        keys_by_length: dict[int, np.ndarray] = {}
        for (g, length), table in sorted(fast.items()):
            if length not in keys_by_length:
                m = max(len(codes) - length + 1, 0)
                key = codes[:m].copy()
                for k in range(1, length):
                    key = (key << np.uint64(16)) | codes[k:m + k]
                keys_by_length[length] = key
            hit = np.flatnonzero(np.isin(keys_by_length[length], np.fromiter(table, dtype=np.uint64)))
            docs = np.searchsorted(starts, hit, side="right") - 1
            out[:, g] += np.bincount(docs, minlength=len(texts))
    return out


@lru_cache(maxsize=8)
def _cue_table(groups: tuple[tuple[str, ...], ...]) -> tuple[Any, bytes, list[tuple[int, str]]]:
    """Words of up to 3 characters as char_tfidf-style keys → bit mask of their groups, a bitmap
    of their first characters; the other words listed."""
    masks: dict[int, int] = {}
    starts = bytearray(0x10000 // 8)
    slow = []
    for g, words in enumerate(groups):
        for w in dict.fromkeys(words):
            if 0 < len(w) <= 3 and not _self_overlapping(w):
                key = 0
                for c in w:
                    key = (key << 21) | (ord(c) + 1)
                masks[key] = masks.get(key, 0) | (1 << g)
                if ord(w[0]) < 0x10000:
                    starts[ord(w[0]) >> 3] |= 1 << (ord(w[0]) & 7)
            else:
                slow.append((g, w))
    keys = np.fromiter(masks, dtype=np.int64, count=len(masks))
    return KeyTable(keys, np.fromiter(masks.values(), dtype=np.int64, count=len(masks))), bytes(starts), slow


def _kernel_word_counts(texts: list[str], groups: tuple[tuple[str, ...], ...]) -> np.ndarray:
    table, starts, slow = _cue_table(groups)
    counts = kernels.KERNELS.gram_counts(texts, 3, table.pairs(), len(groups), starts)
    out = np.frombuffer(counts, dtype=np.float64).reshape(len(texts), len(groups))
    for g, w in slow:
        out[:, g] += [t.count(w) for t in texts]
    return out


