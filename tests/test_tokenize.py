"""The tokenizers: jieba (the reference), rjieba and the C port give the same words with HMM off."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edu_clf import kernels
from edu_clf.io import read_report
from edu_clf.features.tokenize import fast_words, get_tokenizer, jieba_words, rjieba_words

ROOT = Path(__file__).resolve().parent.parent
needs_kernels = pytest.mark.skipif(kernels.KERNELS is None, reason="the C kernels are not built on this machine")


def _report_lines() -> list[str]:
    paths = sorted((ROOT / "seeds").glob("*.txt")) + sorted((ROOT / "corpus" / "written").glob("*.txt"))
    return [line for p in paths for line in read_report(p).text.split("\n")]


def test_jieba_and_rjieba_give_the_same_tokens_on_the_seeds(gold_items):
    lines = [line for it in gold_items for line in it.text.split("\n")]
    assert all(jieba_words(line) == rjieba_words(line) for line in lines)


@needs_kernels
def test_the_c_port_gives_jiebas_tokens_on_every_report_line():
    from edu_clf.features.tokenize import native_words
    lines = _report_lines()
    assert len(lines) > 2000
    assert [native_words(line) for line in lines] == [jieba_words(line) for line in lines]


# the characters jieba's cut treats differently: dictionary words, letters and digits (joined
# into runs), the symbols its blocks keep (+#&._%-), whitespace, punctuation, the end of its
# ideograph range (U+9FD5), CJK extension A and astral characters (outside its blocks)
ALPHABET = "教育局工作学校师生安全中国人民了的是在和一二三十年月日aAzZ09+#&._%- \t\n\r\u3000，。、（）\u9fd5\u9fd6㐀𠀀"


@needs_kernels
@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=60))
def test_the_c_port_gives_jiebas_tokens_on_any_text(text):
    from edu_clf.features.tokenize import native_words
    assert native_words(text) == jieba_words(text)


@pytest.mark.usefixtures("inner_loops")
def test_the_fast_backend_gives_jiebas_tokens():
    text = "2023年上半年，全县教育系统GDP增长3.5%，C++与AT&T课程 \u3000 覆盖㐀𠀀率100％。"
    assert fast_words(text) == get_tokenizer("rjieba")(text) == jieba_words(text)


@needs_kernels
def test_a_broken_dictionary_line_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"my\.txt at line 2"):
        kernels.KERNELS.jieba_dict("教育 10 n\n坏行没有频率\n", "my.txt")


@needs_kernels
def test_a_later_dictionary_line_replaces_the_frequency():
    # 甲乙 beats 甲+乙 only with the later, larger frequency (jieba's gen_pfdict keeps the last)
    low = "甲 100000\n乙 100000\n甲乙 1\n"
    assert kernels.KERNELS.jieba_cut(kernels.KERNELS.jieba_dict(low, "d"), "甲乙") == ["甲", "乙"]
    high = low + "甲乙 100000\n"
    assert kernels.KERNELS.jieba_cut(kernels.KERNELS.jieba_dict(high, "d"), "甲乙") == ["甲乙"]


def test_without_jiebas_dictionary_file_the_fast_backend_falls_back_to_rjieba(monkeypatch):
    from edu_clf.features import tokenize
    monkeypatch.setattr(tokenize, "_load_dictionary", lambda: None)
    text = "全县教育系统推进校舍改造工程。"
    assert tokenize.jieba_dictionary() is None
    assert fast_words(text) == rjieba_words(text) == jieba_words(text)
