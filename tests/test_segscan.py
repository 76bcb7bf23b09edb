"""The segmenter's C scans (edu_clf/_segscan.c) give the same documents as its Python path."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edu_clf import kernels
from edu_clf.io import read_report
from edu_clf.segment import _holds_any, _needed_chars, segment_text
from tests.test_segment import REPORT_PARTS, check_invariant

ROOT = Path(__file__).resolve().parent.parent
REPORTS = sorted((ROOT / "seeds").glob("*.txt")) + sorted((ROOT / "corpus" / "written").glob("*.txt"))

needs_c = pytest.mark.skipif(kernels.SEGSCAN is None, reason="the C segmenter scans are not built on this machine")


def both_ways(text: str, doc_id: str = "d"):
    """segment_text through the C scans, then through the Python path."""
    compiled = segment_text(text, doc_id)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(kernels, "SEGSCAN", None)
        python = segment_text(text, doc_id)
    return compiled, python


@needs_c
@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.stem)
def test_c_scans_equal_the_python_path_on_the_reports(path):
    compiled, python = both_ways(read_report(path).text, path.stem)
    assert compiled == python   # items, headings, spans and pieces


# The characters the scans look at, and a few of their usual runs.
CHARS = list("一二三四五六七八九十是、（）()0123456789１２٣.．。；;：:!?！？，,”’」』》]  \t\u3000\n①②⑳abn教育工作")
RUNS = ["一、", "（一）", "(二)", "1.", "2、", "（1）", "①", "一是", "二是", "十一、", "二十、", "1.5", " n ", "\n\n",
        "【篇一】", "发布时间：2020-01-01", "存在的问题", "某县教育局工作总结\n"]
TEXTS = st.lists(st.sampled_from(CHARS) | st.sampled_from(RUNS), max_size=150).map("".join)


@needs_c
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS | REPORT_PARTS)
def test_c_scans_equal_the_python_path_on_random_texts(text):
    compiled, python = both_ways(text)
    assert compiled == python
    check_invariant(text, compiled)


def edge_cases():
    """Texts at the scans' limits: look-back window, heading lengths, lost full stops, numeral values."""
    for k in range(10):
        yield f"报告\n一、工作\n1.甲；{'）' * k}2.乙。"
        yield f"报告\n一、工作\n1.甲；{'）' * k} 2.乙。"
        yield f"报告\n一、工作\n1.甲；{'中' * k}2.乙"
    for k in range(26, 36):
        yield f"报告\n1.学习农村体育发展2.{'加' * k}。"
        yield f"报告\n1.学习农村体育发展2.{'加' * k}，强。"
    for k in range(56, 64):
        yield f"报告\n一、{'字' * k}1.项目。"
        yield f"报告\n一、{'字' * k} 词二、{'字' * k}1.项目。"
    for k in range(36, 44):
        yield f"报告\n一、题\n{'字' * k}\n{'文' * 45}。\n"
    numerals = ["十、", "十一、", "十十、", "一十、", "二十、", "二十十、", "十一二、", "二十一、", "九十九、", "一二、", "一九、",
                "01.", "0.", "00、", "（0）", "(01)", "٣.", "１.", "1．", "10.", "12.", "123.", "⑩", "①", "（十）", "(１０)"]
    cn = ["", *"一二三四五六七八九十"] + [f"十{d}" for d in "一二三四五六七八九"] + ["二十"]
    for n in (0, 9, 10, 19):
        for before in ("".join(f"{cn[v]}、甲。\n" for v in range(1, n + 1)),
                       "".join(f"{v}.甲。\n" for v in range(1, n + 1)),
                       "".join(f"（{cn[v]}）甲。\n" for v in range(1, n + 1))):
            for m in numerals:
                yield f"报告\n{before}{m}事项。{m}再项。\n总之，成效明显。"


@needs_c
def test_c_scans_equal_the_python_path_at_the_edges():
    for text in edge_cases():
        compiled, python = both_ways(text)
        assert compiled == python, text


def test_character_classes_the_c_scans_take_for_granted():
    """_segscan.c skips Python's tables where no whitespace or decimal digit can be."""
    assert not any(chr(c).isspace() for c in range(0x3001, sys.maxunicode + 1))
    assert not any(chr(c).isdecimal() for c in range(0x3000, 0xA000))


@needs_c
def test_bad_spans_are_refused():
    with pytest.raises(ValueError, match="not inside the text"):
        kernels.SEGSCAN.scan_units("abc", [(0, 9)], 60)
    with pytest.raises(TypeError):
        kernels.SEGSCAN.outline("abc", [(0, 3, 1, 0, 0)], 60, 40)


@pytest.mark.parametrize("pattern, chars", [
    ("ab|cd", ("a", "c")),
    ("【篇[一二]+】|【第[一二]+篇】", ("【",)),
    (r"(?<=[^\x00-\x7f])\s+n\s+(?=\S)", ("n",)),
    ("x?[yz]", ("y", "z")),
    ("(?i)abc", None),
    ("(?i:a)b", ("b",)),
    (r"\d+|a", None),
    (".*", None),
])
def test_needed_chars(pattern, chars):
    assert _needed_chars(re.compile(pattern)) == chars


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["ab|cd", "x?[yz]", "(a|bc)+d", "(?i:a)b", r"\sn\s", "a*?b{2}", "(?=x)[xy]z"]),
       st.text("abcdxyzn AB", max_size=12), st.data())
def test_text_without_the_needed_chars_holds_no_match(pattern, text, data):
    compiled = re.compile(pattern)
    chars = _needed_chars(compiled)
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    if chars is not None and not _holds_any(text, chars, start, end):
        assert compiled.search(text, start, end) is None
