"""Robustness views: the labeled documents as real copies present them.

Each view turns one document's labeled items (in order) into the items a user
would have from another kind of copy, keeping the gold labels: traditional
characters with pinyin annotations, ASCII punctuation, no context, an excerpt
of the first ~700 characters, a "page 2" that starts mid-document. Scoring a
model on every view of held-out documents shows what the clean figures hide.
"""
from __future__ import annotations

import dataclasses
import zlib
from functools import lru_cache
from typing import Callable, Sequence

from edu_clf.records import Item

# Toned syllables for the pinyin annotations some traditional web copies carry after
# characters (總結(jié)); the view needs their shape, not the right reading.
_SYLLABLES = ("jié", "xué", "xiào", "jiào", "yù", "gōng", "zuò", "fā", "zhǎn", "jiàn", "shè", "guǎn",
              "lǐ", "zhì", "dù", "wèn", "tí", "jì", "huà", "ān", "quán", "zī", "zhù", "shī")
_ASCII = str.maketrans({"，": ",", "：": ":", "；": ";", "（": "(", "）": ")", "！": "!", "？": "?"})
EXCERPT_CHARS = 700
PAGE2_AT = 0.4


@lru_cache(maxsize=1)
def _s2t():
    import opencc
    return opencc.OpenCC("s2t")


def _each_text(item: Item, change: Callable[[str], str], context: bool = True) -> Item:
    if not context:
        return dataclasses.replace(item, text=change(item.text))
    return dataclasses.replace(item, text=change(item.text), title=change(item.title) if item.title else "",
                               headings=tuple(change(h) for h in item.headings))


def traditional(text: str, every: int = 40) -> str:
    """Simplified → traditional (OpenCC s2t), with a pinyin annotation after about one character in `every`."""
    converted = _s2t().convert(text)
    out = []
    for i, ch in enumerate(converted):
        out.append(ch)
        if "\u4e00" <= ch <= "\u9fff" and zlib.crc32(f"{i}{ch}".encode()) % every == 0:
            out.append(f"({_SYLLABLES[ord(ch) % len(_SYLLABLES)]})")
    return "".join(out)


def ascii_punctuation(text: str) -> str:
    return text.translate(_ASCII)


def view_traditional(items: Sequence[Item]) -> list[Item]:
    return [_each_text(it, traditional) for it in items]


def view_ascii(items: Sequence[Item]) -> list[Item]:
    return [_each_text(it, ascii_punctuation) for it in items]


def view_no_context(items: Sequence[Item]) -> list[Item]:
    return [dataclasses.replace(it, title="", headings=()) for it in items]


def view_excerpt(items: Sequence[Item], chars: int = EXCERPT_CHARS) -> list[Item]:
    """The items within the first `chars` characters of the document; the last one cut where the excerpt ends."""
    out, used = [], 0
    for it in items:
        if used >= chars:
            break
        text = it.text[: chars - used]
        out.append(dataclasses.replace(it, text=text))
        used += len(it.text)
    return out


def view_page2(items: Sequence[Item], at: float = PAGE2_AT) -> list[Item]:
    """From the item at `at` of the document on, with no title, and no heading that was opened before it."""
    if not items:
        return []
    total = sum(len(it.text) for it in items)
    start, seen = 0, 0
    for start, it in enumerate(items):
        if seen >= at * total:
            break
        seen += len(it.text)
    opened = set(items[start].headings)
    return [dataclasses.replace(it, title="", headings=tuple(h for h in it.headings if h not in opened))
            for it in items[start:]]


VIEWS: dict[str, Callable[[Sequence[Item]], list[Item]]] = {
    "clean": list,
    "traditional": view_traditional,
    "ascii_punct": view_ascii,
    "no_context": view_no_context,
    "excerpt": view_excerpt,
    "page2": view_page2,
}


def apply_view(name: str, items: Sequence[Item]) -> list[Item]:
    """The view `name` of labeled items (documents kept in order; each document viewed on its own)."""
    if name not in VIEWS:
        raise ValueError(f"unknown view {name!r}; allowed: {', '.join(VIEWS)}")
    out: list[Item] = []
    start = 0
    for i in range(1, len(items) + 1):
        if i == len(items) or items[i].doc_id != items[start].doc_id:
            out.extend(VIEWS[name](items[start:i]))
            start = i
    return out


__all__ = ["VIEWS", "apply_view", "ascii_punctuation", "traditional"]
