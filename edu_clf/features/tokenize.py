"""Word tokenizers: jieba (the reference) and two fast ports of its HMM-off mode.

With HMM off, three implementations give the same tokens: jieba itself (the
reference), rjieba (jieba-rs) and the C port in edu_clf/_kernels.c, which
reads jieba's own dict.txt. The "rjieba" backend uses the C port when the
kernels are built (it is faster and can feed the vectorizer without making
Python strings) and rjieba otherwise. Tests check all three against jieba.

These are top-level functions, never lambdas or `jieba.lcut` itself, so that
fitted vectorizers pickle and reload. Whitespace tokens are dropped.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from edu_clf import kernels

_JIEBA = None


def _jieba():
    global _JIEBA
    if _JIEBA is None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        _JIEBA = jieba
    return _JIEBA


def jieba_words(text: str) -> list[str]:
    """jieba's precise mode, HMM off (the reference tokenizer)."""
    return [t for t in _jieba().lcut(text, HMM=False) if not t.isspace()]


def jieba_dictionary() -> Any:
    """jieba's dict.txt loaded by the C kernels (about 0.1 s, once per process); None without either."""
    return None if kernels.KERNELS is None else _load_dictionary()


@lru_cache(maxsize=1)
def _load_dictionary() -> Any:
    import importlib.util

    spec = importlib.util.find_spec("jieba")
    try:
        path = Path(spec.origin).parent / "dict.txt"
        return kernels.KERNELS.jieba_dict(path.read_text(encoding="utf-8"), str(path))
    except (AttributeError, TypeError, OSError, ValueError):  # jieba not installed as files: rjieba serves
        return None


_DICT_ARRAYS = (("root", "<i4"), ("logf", "<f8"), ("first", "<i4"), ("end", "<i4"), ("code", "<u4"))


def dictionary_arrays() -> dict[str, Any] | None:
    """The loaded dictionary as plain arrays (for a runtime artifact), or None without the kernels."""
    import numpy as np

    d = jieba_dictionary()
    if d is None or not hasattr(kernels.KERNELS, "jieba_dict_arrays"):
        return None
    *parts, logtotal = kernels.KERNELS.jieba_dict_arrays(d)
    out: dict[str, Any] = {name: np.frombuffer(raw, dtype=dtype) for (name, dtype), raw in zip(_DICT_ARRAYS, parts)}
    out["logtotal"] = np.array(logtotal)
    return out


def dictionary_from_arrays(arrays: dict[str, Any]) -> Any:
    """The kernels' dictionary made from dictionary_arrays' arrays (milliseconds, instead of reading
    dict.txt); ValueError when they are damaged."""
    import numpy as np

    parts = [np.ascontiguousarray(arrays[name], dtype=dtype).tobytes() for name, dtype in _DICT_ARRAYS]
    return kernels.KERNELS.jieba_dict_from_arrays(*parts, float(arrays["logtotal"]))


class OwnDictionary:
    """A model's own copy of the dictionary (from its runtime artifact), made into the kernels' form once
    per process; the arrays alone travel to worker processes."""

    def __init__(self, arrays: dict[str, Any]) -> None:
        self.arrays = arrays
        self._made: Any = None

    def get(self) -> Any:
        if self._made is None and kernels.KERNELS is not None:
            self._made = dictionary_from_arrays(self.arrays)
        return self._made

    def __getstate__(self) -> dict[str, Any]:
        return {"arrays": self.arrays, "_made": None}


@lru_cache(maxsize=1)
def dictionary_sha256() -> str | None:
    """sha256 of jieba's dict.txt, which decides every word feature (recorded in and checked on model files)."""
    import hashlib
    import importlib.util

    spec = importlib.util.find_spec("jieba")
    try:
        return hashlib.sha256((Path(spec.origin).parent / "dict.txt").read_bytes()).hexdigest()
    except (AttributeError, TypeError, OSError):
        return None


def native_words(text: str) -> list[str]:
    """The C port of jieba's HMM-off mode (needs the kernels): same tokens as `jieba_words`."""
    return kernels.KERNELS.jieba_cut(jieba_dictionary(), text)


def fast_words(text: str) -> list[str]:
    """jieba HMM-off words by the fastest implementation on this machine."""
    return rjieba_words(text) if jieba_dictionary() is None else native_words(text)


def jieba_words_hmm(text: str) -> list[str]:
    return [t for t in _jieba().lcut(text, HMM=True) if not t.isspace()]


def rjieba_words(text: str) -> list[str]:
    """jieba-rs through rjieba, HMM off: token for token the same as `jieba_words`."""
    import rjieba

    return [t for t in rjieba.cut(text, False) if not t.isspace()]


def rjieba_words_hmm(text: str) -> list[str]:
    import rjieba

    return [t for t in rjieba.cut(text, True) if not t.isspace()]


def _rjieba_raw_hmm(text: str) -> list[str]:
    import rjieba

    return rjieba.cut(text, True)


def _jieba_raw(text: str) -> list[str]:
    return _jieba().lcut(text, HMM=False)


def _jieba_raw_hmm(text: str) -> list[str]:
    return _jieba().lcut(text, HMM=True)


_RAW = {("jieba", False): _jieba_raw, ("jieba", True): _jieba_raw_hmm,
        ("rjieba", False): fast_words, ("rjieba", True): _rjieba_raw_hmm}
_WORDS = {("jieba", False): jieba_words, ("jieba", True): jieba_words_hmm,
          ("rjieba", False): fast_words, ("rjieba", True): rjieba_words_hmm}


def _pick(table: dict, backend: str, hmm: bool) -> Callable[[str], list[str]]:
    try:
        return table[(backend, bool(hmm))]
    except KeyError:
        raise ValueError(f"unknown tokenizer backend {backend!r}; allowed: jieba, rjieba") from None


def raw_tokenizer(backend: str, hmm: bool = False) -> Callable[[str], list[str]]:
    """Tokens, whitespace tokens possibly kept (the fast vectorizer drops them itself)."""
    return _pick(_RAW, backend, hmm)


def get_tokenizer(backend: str, hmm: bool = False) -> Callable[[str], list[str]]:
    """Words without whitespace tokens, from jieba (the reference) or rjieba (fast, same tokens)."""
    return _pick(_WORDS, backend, hmm)
