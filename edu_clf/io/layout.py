"""Paragraph rules shared by the PDF and Word readers ([layout] in configs/read.toml).

Where a paragraph starts (an outline marker), whether a line ends a sentence,
and where an official document's end matter (抄送, 印发, the attachment list)
begins. The readers hand the segmenter one paragraph a line; these rules decide
what a paragraph is.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from edu_clf.config import LayoutRules

CLOSERS = "”’」』）)]》\"'"


@dataclass(frozen=True)
class Layout:
    paragraph_start: re.Pattern[str]
    sentence_end: frozenset[str]
    end_matter: re.Pattern[str]
    body_chars: int

    def starts_paragraph(self, line: str) -> bool:
        """Whether a stripped line begins with an outline marker."""
        return self.paragraph_start.match(line) is not None

    def ends_sentence(self, line: str) -> bool:
        """Whether a stripped line ends with a sentence end (closing quotes allowed after it)."""
        s = line.rstrip().rstrip(CLOSERS)
        return bool(s) and s[-1] in self.sentence_end

    def body_end(self, paragraphs: list[str]) -> int:
        """Index of the first end-matter paragraph once the body has begun (see [layout]), else len."""
        in_body = False
        for i, para in enumerate(paragraphs):
            s = para.strip()
            if not s:
                continue
            if in_body and self.end_matter.fullmatch(s):
                return i
            in_body = in_body or self.starts_paragraph(s) or (len(s) >= self.body_chars and self.ends_sentence(s))
        return len(paragraphs)


@lru_cache(maxsize=8)
def compile_layout(rules: LayoutRules) -> Layout:
    return Layout(
        paragraph_start=re.compile("|".join(f"(?:{p})" for p in rules.paragraph_start)),
        sentence_end=frozenset(rules.sentence_end),
        end_matter=re.compile("|".join(f"(?:{p})" for p in rules.end_matter)),
        body_chars=rules.body_chars,
    )
