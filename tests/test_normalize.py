"""Normalization: what the features see of traditional, ASCII-punctuated and annotated copies."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from edu_clf.normalize import drop_pinyin, fold, normalize_text, to_simplified
from edu_clf.model.views import ascii_punctuation, traditional

CLEAN = "（一）存在的问题。全县仍有部分农村学校信息化设备老化，使用率不高；教师结构性缺编：小学英语缺口约300人！"


def test_traditional_with_pinyin_and_ascii_punctuation_give_the_clean_form():
    assert normalize_text(traditional(CLEAN, every=3)) == normalize_text(CLEAN)
    assert normalize_text(ascii_punctuation(CLEAN)) == normalize_text(CLEAN)
    assert normalize_text(ascii_punctuation(traditional(CLEAN, every=5))) == normalize_text(CLEAN)


def test_steps():
    assert drop_pinyin("總結(jié)和學(xué)校（xiào）") == "總結和學校"
    assert drop_pinyin("完成(3)项，见(附件)") == "完成(3)项，见(附件)"     # digits and words stay
    assert drop_pinyin("ABC(abc)") == "ABC(abc)"                          # only after a Chinese character
    assert to_simplified("存在的問題") == "存在的问题"
    assert to_simplified(CLEAN) is CLEAN                                  # simplified text untouched
    assert fold("１２３ＡＢ,:;()\u200b\ufffd") == "123AB，：；（）"


def test_numbering_and_decimals_survive():
    assert normalize_text("1.598亿元，(1)完成") == "1.598亿元，（1）完成"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list("教育局学校总结问题计划，。：；（）(),:;") + ["(jié)", "１", "學"]),
                max_size=60).map("".join))
def test_normalization_is_idempotent(text):
    once = normalize_text(text)
    assert normalize_text(once) == once


_ALPHABET = "学校總結工作,，:;()（）!?〔〕「」“”'\"ａ０１%％－　\u200b\ufffdjiéxuéā12 \n\x00乾干后後"


@given(st.lists(st.text(alphabet=_ALPHABET, max_size=30), max_size=12))
@settings(max_examples=300, deadline=None)
def test_a_batch_is_normalized_as_each_text_alone(texts):
    from edu_clf.normalize import normalize_text, normalize_texts
    assert normalize_texts(texts) == [normalize_text(t) for t in texts]
