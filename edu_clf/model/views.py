"""Robustness views: the labeled documents as real copies present them.

Each view turns one document's labeled items (in order) into the items a user
would have from another kind of copy, keeping the gold labels: traditional
characters with pinyin annotations, ASCII punctuation, no context, an excerpt
of the first ~700 characters, a "page 2" that starts mid-document, a hard-wrapped
text copy segmented again. Scoring a
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


def hard_wrapped_text(items: Sequence[Item]) -> str:
    """The document as a copy out of a PDF viewer gives it: title, headings and items, a line break every
    25–40 characters (fixed per document), wherever it falls."""
    lines, opened = ([items[0].title] if items[0].title else []), ()
    for it in items:
        same = 0
        while same < min(len(opened), len(it.headings)) and opened[same] == it.headings[same]:
            same += 1
        lines.extend(it.headings[same:])
        opened = it.headings
        lines.append(it.text)
    width = 25 + zlib.crc32(items[0].doc_id.encode()) % 16
    return "\n".join(line[i:i + width] for line in lines for i in range(0, max(len(line), 1), width))


def view_hard_wrapped(items: Sequence[Item]) -> list[Item]:
    """The hard-wrapped copy segmented again (lines rejoined by segment.prepare): each gold item found
    again, in order, keeps its labels with the text and context the segmenter gave it; the others are
    lost (the view's n says how many were found)."""
    from edu_clf.config import load_segment_config
    from edu_clf.segment import segment_text
    from edu_clf.segment.prepare import prepare_text

    if not items:
        return []
    config = load_segment_config()
    found = [it for doc in segment_text(prepare_text(hard_wrapped_text(items), config), items[0].doc_id, config)
             for it in doc.items]
    out, j = [], 0
    for gold in items:
        for k in range(j, min(len(found), j + 5)):
            if _same_text(found[k].text, gold.text):
                out.append(dataclasses.replace(gold, text=found[k].text, title=found[k].title,
                                               headings=found[k].headings))
                j = k + 1
                break
    return out


def _same_text(a: str, b: str) -> bool:
    """The same item's text after a line join (whitespace aside, character-bigram Jaccard ≥ 0.9)."""
    a, b = "".join(a.split()), "".join(b.split())
    if a == b:
        return True
    x, y = {a[i:i + 2] for i in range(len(a) - 1)}, {b[i:i + 2] for i in range(len(b) - 1)}
    return bool(x | y) and len(x & y) / len(x | y) >= 0.9


VIEWS: dict[str, Callable[[Sequence[Item]], list[Item]]] = {
    "clean": list,
    "traditional": view_traditional,
    "ascii_punct": view_ascii,
    "no_context": view_no_context,
    "excerpt": view_excerpt,
    "page2": view_page2,
    "hard_wrapped": view_hard_wrapped,
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
