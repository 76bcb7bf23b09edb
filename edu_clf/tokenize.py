"""Word tokenizers: jieba (the reference) and rjieba (jieba-rs, same tokens with HMM off).

These are top-level functions, never lambdas or `jieba.lcut` itself, so that
fitted vectorizers pickle and reload. Whitespace tokens are dropped.
"""
from __future__ import annotations

import logging
from typing import Callable

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


def jieba_words_hmm(text: str) -> list[str]:
    return [t for t in _jieba().lcut(text, HMM=True) if not t.isspace()]


def rjieba_words(text: str) -> list[str]:
    """jieba-rs through rjieba, HMM off: token for token the same as `jieba_words`."""
    import rjieba

    return [t for t in rjieba.cut(text, False) if not t.isspace()]


def rjieba_words_hmm(text: str) -> list[str]:
    import rjieba

    return [t for t in rjieba.cut(text, True) if not t.isspace()]


def _rjieba_raw(text: str) -> list[str]:
    import rjieba

    return rjieba.cut(text, False)


def _rjieba_raw_hmm(text: str) -> list[str]:
    import rjieba

    return rjieba.cut(text, True)


def _jieba_raw(text: str) -> list[str]:
    return _jieba().lcut(text, HMM=False)


def _jieba_raw_hmm(text: str) -> list[str]:
    return _jieba().lcut(text, HMM=True)


_RAW = {("jieba", False): _jieba_raw, ("jieba", True): _jieba_raw_hmm,
        ("rjieba", False): _rjieba_raw, ("rjieba", True): _rjieba_raw_hmm}
_WORDS = {("jieba", False): jieba_words, ("jieba", True): jieba_words_hmm,
          ("rjieba", False): rjieba_words, ("rjieba", True): rjieba_words_hmm}


def _pick(table: dict, backend: str, hmm: bool) -> Callable[[str], list[str]]:
    try:
        return table[(backend, bool(hmm))]
    except KeyError:
        raise ValueError(f"unknown tokenizer backend {backend!r}; allowed: jieba, rjieba") from None


def raw_tokenizer(backend: str, hmm: bool = False) -> Callable[[str], list[str]]:
    """Tokens with whitespace tokens kept (the fast vectorizer drops them itself)."""
    return _pick(_RAW, backend, hmm)


def get_tokenizer(backend: str, hmm: bool = False) -> Callable[[str], list[str]]:
    """Words without whitespace tokens, from jieba (the reference) or rjieba (fast, same tokens)."""
    return _pick(_WORDS, backend, hmm)
