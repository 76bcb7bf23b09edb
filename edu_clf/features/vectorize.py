"""Fast TF-IDF: the same matrices as scikit-learn's TfidfVectorizer, without per-n-gram Python.

scikit-learn builds every n-gram as a Python string and counts it in a dict;
on Chinese reports that caps vectorizing at about 0.35 M characters/s. Here
n-grams are integer keys computed with numpy (characters: packed code
points; words: pairs of word ids), looked up in a sorted key table with
`searchsorted`, and counted with `np.unique`. Vocabulary (sorted by term
string), document frequencies, idf (smooth), sublinear tf and l2 norm follow
TfidfVectorizer exactly, so the reference engine and this one give the same
columns and values (tests/test_vectorize.py checks it).

Three analyzers, matching the reference ones in features.py:
- ``chars``: character 1..n-grams (n ≤ 3) after collapsing whitespace runs;
- ``words``: word 1..2-grams of the tokenizer's words;
- ``context``: the ContextAnalyzer's T:/H:/N: tokens (unigrams), cached per
  distinct (title, headings), since all items of a document share them.
"""
from __future__ import annotations

import re
from itertools import chain, repeat
from typing import Any, Callable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

from edu_clf import kernels
from edu_clf.features.tokenize import jieba_dictionary, raw_tokenizer

_WHITESPACES = re.compile(r"\s\s+")  # what scikit-learn's char analyzer collapses
_BITS = 21                           # code points (+1) fit in 21 bits; 3 of them in an int64
_MASK = (1 << _BITS) - 1


class FastTfidf(TransformerMixin, BaseEstimator):
    """TF-IDF over `analyzer` ('chars', 'words' or 'context') of Records or strings."""

    def __init__(self, analyzer: str = "chars", ngram_max: int = 3, tokenizer: str = "rjieba", hmm: bool = False,
                 min_df: int = 2, max_df: float = 1.0, sublinear_tf: bool = True) -> None:
        self.analyzer = analyzer
        self.ngram_max = ngram_max
        self.tokenizer = tokenizer
        self.hmm = hmm
        self.min_df = min_df
        self.max_df = max_df
        self.sublinear_tf = sublinear_tf

    # ------------------------------------------------------------ keys

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
        from edu_clf.features import ContextAnalyzer, to_records
        from edu_clf.features.tokenize import get_tokenizer
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

    def _term(self, key: int, words: list[str] | None, base: int) -> str:
        if self.analyzer == "chars":
            chars = []
            while key:
                chars.append(chr((key & _MASK) - 1))
                key >>= _BITS
            return "".join(reversed(chars))
        if key < base:
            return words[key]
        a, b = divmod(key - base, base)
        return f"{words[a]} {words[b]}"

    # ------------------------------------------------------------ fit / transform

    def fit(self, X: Sequence[Any], y: Any = None) -> "FastTfidf":
        self.fit_transform(X)
        return self

    def fit_transform(self, X: Sequence[Any], y: Any = None) -> sp.csr_matrix:
        self.__dict__.pop("base_", None)
        n_docs = len(X)
        doc, key = self._keys(X, fitting=True)
        words = None
        base = 0
        if self.analyzer != "chars":
            words = list(self._fit_index)
            base = max(len(words), 1)
            self.base_ = base
        uniq, inverse = np.unique(key, return_inverse=True)
        pairs = np.sort(inverse * np.int64(max(n_docs, 1)) + doc)  # sort-based: numpy's hash unique is slower here
        pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))] if len(pairs) else pairs
        df = np.bincount(pairs // max(n_docs, 1), minlength=len(uniq))
        max_count = self.max_df if isinstance(self.max_df, int) and not isinstance(self.max_df, bool) \
            else self.max_df * n_docs
        keep = (df >= self.min_df) & (df <= max_count)
        if not keep.any():
            raise ValueError("no terms remain after min_df/max_df pruning; lower min_df")
        kept_keys, kept_df = uniq[keep], df[keep]
        terms = [self._term(int(k), words, base) for k in kept_keys]
        order = sorted(range(len(terms)), key=terms.__getitem__)
        self.vocabulary_ = {terms[i]: col for col, i in enumerate(order)}
        cols = np.empty(len(order), dtype=np.int64)
        cols[np.asarray(order, dtype=np.int64)] = np.arange(len(order))
        df_by_col = np.empty(len(order), dtype=np.float64)
        df_by_col[cols] = kept_df
        self.idf_ = np.log((1.0 + n_docs) / (1.0 + df_by_col)) + 1.0
        if self.analyzer == "chars":
            self.keys_, self.cols_ = kept_keys, cols
        else:
            self._rekey(kept_keys, cols, words, base)
        self.__dict__.pop("_fit_index", None)
        self.__dict__.pop("_fit_lists_done", None)
        return self._matrix(doc, key if self.analyzer == "chars" else self._old_to_new(key), n_docs)

    def _rekey(self, kept_keys: np.ndarray, cols: np.ndarray, words: list[str], base: int) -> None:
        """Keep only the words used by kept terms, renumbered, and the key table in the new ids."""
        used = np.unique(np.concatenate([kept_keys[kept_keys < base],
                                         (kept_keys[kept_keys >= base] - base) // base,
                                         (kept_keys[kept_keys >= base] - base) % base]))
        remap = np.full(base, -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        self.word_index_ = {words[i]: j for j, i in enumerate(used.tolist())}
        self._remap = remap
        new_base = max(len(used), 1)
        uni = kept_keys < base
        new_keys = np.empty_like(kept_keys)
        new_keys[uni] = remap[kept_keys[uni]]
        a, b = divmod(kept_keys[~uni] - base, base)
        new_keys[~uni] = new_base + remap[a] * new_base + remap[b]
        order = np.argsort(new_keys)
        self.keys_, self.cols_ = new_keys[order], cols[order]
        self._old_base, self.base_ = base, new_base

    def _old_to_new(self, key: np.ndarray) -> np.ndarray:
        """Fit-time keys in the renumbered ids (-1 where a word was dropped)."""
        base, new_base, remap = self._old_base, self.base_, self._remap
        out = np.full(len(key), -1, dtype=np.int64)
        uni = key < base
        out[uni] = remap[key[uni]]
        a, b = divmod(key[~uni] - base, base)
        ra, rb = remap[a], remap[b]
        ok = (ra >= 0) & (rb >= 0)
        pos = np.flatnonzero(~uni)
        out[pos[ok]] = new_base + ra[ok] * new_base + rb[ok]
        del self._remap, self._old_base
        return out

    def _matrix(self, doc: np.ndarray, key: np.ndarray, n_docs: int) -> sp.csr_matrix:
        n_cols = len(self.idf_)
        if len(self.keys_) == 0 or len(key) == 0:
            return sp.csr_matrix((n_docs, n_cols), dtype=np.float64)
        found = self._key_table().lookup(key)
        hit = found >= 0
        cols = found[hit]
        # coo → csc → csr: two counting sorts leave each row's columns sorted, so summing the
        # duplicate (row, col) entries into term counts needs no comparison sort
        matrix = sp.csc_matrix((np.ones(len(cols), dtype=np.float64), (doc[hit], cols)),
                               shape=(n_docs, n_cols)).tocsr()
        matrix.sum_duplicates()
        if self.sublinear_tf:
            np.log(matrix.data, out=matrix.data)
            matrix.data += 1.0
        matrix.data *= self.idf_[matrix.indices]
        return normalize(matrix, norm="l2", copy=False)

    def transform(self, X: Sequence[Any]) -> sp.csr_matrix:
        check_is_fitted(self, "idf_")
        if kernels.KERNELS is not None:
            return self._kernel_matrix(X)
        doc, key = self._keys(X, fitting=False)
        return self._matrix(doc, key, len(X))

    def _key_table(self) -> "KeyTable":
        table = self.__dict__.get("_table")
        if table is None:  # built on first use, also for models saved before it existed
            table = self.__dict__["_table"] = KeyTable(self.keys_, self.cols_)
        return table

    def _native_words(self) -> bool:
        """Whether the kernels can cut the words themselves (the fast backend, HMM off, dictionary loaded)."""
        return self.tokenizer == "rjieba" and not self.hmm and jieba_dictionary() is not None

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

    def _kernel_matrix(self, X: Sequence[Any]) -> sp.csr_matrix:
        """transform() through the C kernels: one pass per row, no intermediate key arrays."""
        table = self._key_table()
        if self.analyzer == "chars":
            parts = kernels.KERNELS.char_tfidf(_texts(X), self._n_max(), table.pairs(), self.idf_,
                                               self.sublinear_tf, self._prefix_closed())
        elif self.analyzer == "words" and self._native_words():
            # tokenized in C as well: the words never become Python strings
            parts = kernels.KERNELS.jieba_word_tfidf(_texts(X), jieba_dictionary(), self._word_index(),
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
        return _csr(parts, len(X), len(self.idf_))

    def _kernel_context_matrix(self, X: Sequence[Any]) -> sp.csr_matrix:
        """Context rows made in C once per distinct (title, headings), then given to each item."""
        from edu_clf.features import distinct_contexts, to_records

        contexts, which = distinct_contexts(to_records(X))
        parts = kernels.KERNELS.jieba_context_tfidf(contexts, jieba_dictionary(), self._word_index(),
                                                    self._key_table().pairs(), self.idf_, self.sublinear_tf)
        return _csr(parts, len(contexts), len(self.idf_))[which]

    # ------------------------------------------------------------ model files

    def __getstate__(self) -> dict[str, Any]:
        """Term dicts as two arrays, caches dropped: a model file of arrays loads in a fraction of the time."""
        state = dict(super().__getstate__())
        for cache in _CACHES:
            state.pop(cache, None)
        for name in _PACKED:
            terms = state.get(name)
            if isinstance(terms, dict) and _is_numbering(terms):
                state[name] = _pack_terms(terms)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        for name in _PACKED:
            if isinstance(state.get(name), tuple):
                state[name] = _unpack_terms(*state[name])
        super().__setstate__(state)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "vocabulary_")
        return np.asarray(sorted(self.vocabulary_, key=self.vocabulary_.get), dtype=object)


_SPACE = -2
_PACKED = ("vocabulary_", "word_index_")   # term → number dicts, stored packed in model files
_CACHES = ("_table", "_closed", "_windex")  # rebuilt on first use


def _csr(parts: tuple[bytearray, bytearray, bytearray], n_rows: int, n_cols: int) -> sp.csr_matrix:
    """A CSR matrix of a kernel's (indptr int64, indices int32, data float64) bytearrays."""
    indptr, indices, data = (np.frombuffer(p, dtype=t) for p, t in zip(parts, (np.int64, np.int32, np.float64)))
    return sp.csr_matrix((data, indices, indptr), shape=(n_rows, n_cols))


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
