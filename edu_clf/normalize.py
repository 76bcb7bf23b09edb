"""Text as the features see it: one form for what real copies write in many.

Real copies of reports are often in traditional characters (with pinyin
annotations after characters, `總結(jié)`), carry ASCII `, : ; ( )` where our
data has `，：；（）`, full-width digits and letters, and stray replacement or
zero-width characters. The features see one normalized form, in training and
prediction alike; users still see the original text and spans.

Steps, in order: drop pinyin annotations after a Chinese character; traditional
→ simplified (OpenCC t2s, only for texts that hold a traditional character);
fold punctuation and full-width letters and digits; drop zero-width and
replacement characters.
"""
from __future__ import annotations

import re
from functools import lru_cache

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü"
# "(jié)" or "（xué）" right after a Chinese character: a pinyin annotation, not text.
_PINYIN = re.compile(r"(?<=[\u3400-\u9fff])(?:[(（][a-z" + _TONED + r"]{1,6}[1-5]?[)）])+")
_PINYIN_HINT = re.compile(r"[(（][a-z" + _TONED + r"]")

_FOLD = {
    ord(","): "，", ord(":"): "：", ord(";"): "；", ord("("): "（", ord(")"): "）",
    ord("!"): "！", ord("?"): "？", ord("〔"): "（", ord("〕"): "）", ord("﹝"): "（", ord("﹞"): "）",
    ord("、"): "、", ord("､"): "、", ord("．"): ".", ord("｡"): "。",
    ord('"'): "“", ord("＂"): "“", ord("”"): "“", ord("‘"): "“", ord("’"): "“", ord("'"): "“",
    ord("「"): "“", ord("」"): "“", ord("『"): "“", ord("』"): "“",
    ord("\u3000"): " ", ord("\u00a0"): " ",
    **{c: None for c in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0xFFFD, 0x00AD)},
    **{0xFF10 + i: str(i) for i in range(10)},
    **{0xFF21 + i: chr(0x41 + i) for i in range(26)},
    **{0xFF41 + i: chr(0x61 + i) for i in range(26)},
    ord("％"): "%", ord("＋"): "+", ord("－"): "-", ord("／"): "/", ord("～"): "~",
}


@lru_cache(maxsize=1)
def _converter():
    import opencc
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _traditional_set() -> str:
    """Every character that t2s changes (found once, by converting them all)."""
    chars = "".join(chr(c) for c in range(0x3400, 0xA000))
    simplified = _converter().convert(chars)
    if len(simplified) != len(chars):   # t2s maps characters one to one; be safe if a version does not
        return "".join(c for c in chars if _converter().convert(c) != c)
    return "".join(a for a, b in zip(chars, simplified) if a != b)


@lru_cache(maxsize=1)
def _traditional_chars() -> re.Pattern[str]:
    return re.compile("[" + _traditional_set() + "]")


def to_simplified(text: str) -> str:
    """Traditional → simplified (OpenCC t2s); simplified text is returned as it is."""
    if _traditional_chars().search(text) is None:
        return text
    return _converter().convert(text)


def drop_pinyin(text: str) -> str:
    """`總結(jié)` → `總結`: pinyin in brackets right after a Chinese character."""
    if _PINYIN_HINT.search(text) is None:
        return text
    return _PINYIN.sub("", text)


_FOLD_STR = {chr(k): ("" if v is None else v) for k, v in _FOLD.items()}
_FOLD_ANY = re.compile("[" + re.escape("".join(_FOLD_STR)) + "]")


def fold(text: str) -> str:
    """ASCII and variant punctuation to the full-width forms of our data; full-width digits and
    letters to ASCII; zero-width and replacement characters dropped.

    A regex finds the few characters to change (str.translate with this table costs ~100 ns
    per character, the search a few ns)."""
    return _FOLD_ANY.sub(lambda m: _FOLD_STR[m.group()], text)


def normalize_text(text: str) -> str:
    """The form the features see (see the module docstring)."""
    if not text:
        return text
    return fold(to_simplified(drop_pinyin(text)))


_SEP = "\x00"   # no step changes or matches it, and decoding removes it from report text


def normalize_texts(texts: list[str]) -> list[str]:
    """normalize_text of each text, for many at once (a chunk of items): what each step looks for is
    found for all of them in one numpy pass over their code points, and the fold (a map of single
    characters) is one str.replace per character that occurs."""
    import numpy as np

    joined = _SEP.join(texts)
    if not texts or _SEP in _FOLD_STR or joined.count(_SEP) != len(texts) - 1:
        return [normalize_text(t) for t in texts]
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    table = _flags()
    flags = table[codes]
    openers = np.flatnonzero(flags[:-1] & _OPENER)   # _PINYIN_HINT: an opener, then a pinyin letter
    if (flags & _TRADITIONAL).any() or (table[codes[openers + 1]] & _LETTER).any():
        texts = [to_simplified(drop_pinyin(t)) for t in texts]    # the few texts that need it change
        return [fold(t) for t in texts]
    for code in np.unique(codes[flags & _FOLDED != 0]).tolist():
        joined = joined.replace(chr(code), _FOLD_STR[chr(code)])
    return joined.split(_SEP)


_TRADITIONAL, _FOLDED, _OPENER, _LETTER = 1, 2, 4, 8


@lru_cache(maxsize=1)
def _flags() -> "np.ndarray":
    """Per code point: whether t2s changes it, fold changes it, it opens a pinyin annotation or is
    a letter of one (the two character classes of _PINYIN_HINT)."""
    import numpy as np

    flags = np.zeros(0x110000, dtype=np.uint8)
    folded = "".join(c for c, to in _FOLD_STR.items() if to != c)
    letters = "abcdefghijklmnopqrstuvwxyz" + _TONED
    for chars, flag in ((_traditional_set(), _TRADITIONAL), (folded, _FOLDED), ("(（", _OPENER), (letters, _LETTER)):
        flags[np.fromiter(map(ord, chars), dtype=np.int64, count=len(chars))] |= flag
    return flags


@lru_cache(maxsize=65536)
def normalize_context(text: str) -> str:
    """normalize_text for titles and headings, which repeat across many items."""
    return normalize_text(text)


__all__ = ["drop_pinyin", "fold", "normalize_context", "normalize_text", "normalize_texts", "to_simplified"]
