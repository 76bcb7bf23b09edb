"""Feature blocks: cue counts match plain str.count, records accept every input form."""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edu_clf.config import load_cues
from edu_clf.features import CueFeatures, Record, to_records
from edu_clf.features.tables import _word_counts


def reference_counts(texts, groups):
    rows = [[sum(t.count(w) for w in words) for words in groups] for t in texts]
    return np.array(rows, dtype=float).reshape(len(texts), len(groups))


def test_word_counts_equal_str_count_on_gold(gold_items, inner_loops):
    groups = list(load_cues().to_dict()["text"].values())
    texts = [it.text for it in gold_items]
    assert np.array_equal(_word_counts(texts, groups), reference_counts(texts, groups))


def test_word_counts_tricky_words(inner_loops):
    groups = [["啊啊", "将", "全面推进工作", "😀", "😀将"], ["将", "计划", "将将"], []]
    texts = ["啊啊啊啊将将", "", "全面推进工作全面推进工作😀😀", "计划将\x00将"]
    assert np.array_equal(_word_counts(texts, groups), reference_counts(texts, groups))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet="将计划已完成问题😀啊 \n", max_size=30), max_size=8))
def test_word_counts_property(inner_loops, texts):
    groups = [["将", "计划", "啊啊"], ["已", "完成", "问题"], ["😀"]]
    assert np.array_equal(_word_counts(texts, groups), reference_counts(texts, groups))


def test_cue_features_shape_and_context_cues():
    cues = CueFeatures(load_cues().to_dict()).fit([])
    X = cues.transform([Record("下半年将继续推进。", "某县2020年工作计划", ("三、存在的问题",)), Record("x", "", ())])
    names = list(cues.get_feature_names_out())
    assert X.shape == (2, len(names))
    row = dict(zip(names, X.toarray()[0]))
    assert row["cue:nearest_heading:problem"] == 1 and row["cue:title:plan"] == 1 and row["cue:text:plan"] > 0
    assert not any(n in names for n in ("cue:no_heading", "cue:no_title"))   # see the next test


def test_cues_have_no_missing_context_or_edge_flags_and_older_models_keep_theirs():
    """No "no title / no heading" flags (in training, context is missing only where dropout took all
    of it) and no "first / last item" flags (a cut-off copy's edges are not the document's). A model
    fitted before carries them in feature_names_ and still gets them, in their old places."""
    records = [Record("已完成。", "", (), following="将推进。"), Record("将推进。", "某县计划", (), preceding="已完成。")]
    cues = CueFeatures(load_cues().to_dict(), neighbours=True).fit([])
    names = list(cues.get_feature_names_out())
    assert "cue:following:plan" in names and "cue:text_length" in names
    assert not any(flag in n for n in names for flag in ("no_following", "no_preceding", "no_title", "no_heading"))
    X = cues.transform(records).toarray()
    assert X.shape == (2, len(names)) and dict(zip(names, X[0]))["cue:following:plan"] > 0
    older = CueFeatures(load_cues().to_dict(), neighbours=True).fit([])
    at = older.feature_names_.index("text_length")
    older.feature_names_ = (older.feature_names_[:at] + ["no_heading", "no_title"] + older.feature_names_[at:]
                            + ["no_preceding", "no_following"])
    old = older.transform(records).toarray()
    assert old.shape == (2, len(names) + 4)
    assert list(old[:, at]) == [1, 1] and list(old[:, at + 1]) == [1, 0]           # no heading; no title
    assert list(old[:, -2]) == [1, 0] and list(old[:, -1]) == [0, 1]               # first; last
    assert np.array_equal(np.delete(old, [at, at + 1, old.shape[1] - 2, old.shape[1] - 1], axis=1), X)


def test_to_records_accepts_items_dicts_and_strings(gold_items):
    item = gold_items[1]
    [from_item], [from_dict], [from_str] = to_records([item]), to_records([item.to_dict()]), to_records(["纯文本"])
    assert from_item == from_dict and from_str == Record("纯文本", "", ())


def test_records_know_their_neighbours_within_a_document(gold_items):
    first_doc = [it for it in gold_items if it.doc_id == gold_items[0].doc_id]
    other = next(it for it in gold_items if it.doc_id != gold_items[0].doc_id)
    records = to_records(first_doc[:3] + [other])
    assert records[0].preceding == "" and records[0].following == first_doc[1].text
    assert records[1].preceding == first_doc[0].text and records[1].following == first_doc[2].text
    assert records[2].following == "" and records[3].preceding == ""     # never across documents
    assert to_records(["一", "二"])[1].preceding == ""                     # plain strings have none


def test_cue_features_of_no_items_is_an_empty_matrix():
    cues = CueFeatures(load_cues().to_dict()).fit([])
    assert cues.transform([]).shape == (0, len(cues.feature_names_))


def reference_context_columns(records, lex):
    """The context cue columns by plain `in` over each record: what the cue block must give."""
    rows = []
    for r in records:
        nearest, joined = (r.headings[-1] if r.headings else ""), " ".join(r.headings)
        row = []
        for words in lex["heading"].values():
            row += [float(any(w in nearest for w in words)), float(any(w in joined for w in words))]
        row += [float(any(w in r.title for w in words)) for words in lex["title"].values()]
        rows.append(row)
    return np.array(rows, dtype=float)


_CONTEXT_TEXT = st.text(alphabet="存在问题下半年计划打算工作总结成效 ", max_size=12)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.builds(lambda t, h: Record("x", t, tuple(h)), _CONTEXT_TEXT, st.lists(_CONTEXT_TEXT, max_size=3)),
                max_size=8))
def test_context_cues_equal_plain_in(inner_loops, records):
    lex = load_cues().to_dict()
    cues = CueFeatures(lex).fit([])
    n = 2 * len(lex["heading"]) + len(lex["title"])
    got = cues.transform(records).toarray()[:, :n] if records else np.zeros((0, n))
    assert np.array_equal(got, reference_context_columns(records, lex).reshape(len(records), n))


def test_context_cues_equal_plain_in_on_gold(gold_items, inner_loops):
    lex = load_cues().to_dict()
    n = 2 * len(lex["heading"]) + len(lex["title"])
    got = CueFeatures(lex).fit([]).transform(gold_items).toarray()[:, :n]
    assert np.array_equal(got, reference_context_columns(to_records(gold_items), lex))


def test_neighbour_rows_link_adjacent_items_of_one_document_only(gold_items):
    from edu_clf.features.base import neighbour_rows
    doc = [it for it in gold_items if it.doc_id == gold_items[0].doc_id][:3]
    other = next(it for it in gold_items if it.doc_id != gold_items[0].doc_id)
    before, after = neighbour_rows(to_records(doc + [other]))
    assert before.tolist() == [-1, 0, 1, -1] and after.tolist() == [1, 2, -1, -1]
    before, after = neighbour_rows(to_records(["一", "二"]))            # plain strings have no document
    assert before.tolist() == [-1, -1] and after.tolist() == [-1, -1]
    assert [a.tolist() for a in neighbour_rows(to_records(doc)[1:2])] == [[-1], [-1]]   # texts, but no rows


def test_section_mates_are_neighbours_under_the_same_headings():
    from edu_clf.features.base import section_mates
    records = [Record("a", "", ("一、",)), Record("b", "", ("一、",)), Record("c", "", ("二、",)), Record("d", "", ())]
    assert section_mates(records, np.array([-1, 0, 1, 2])).tolist() == [False, True, False, False]
    assert section_mates([Record("a", "", ()), Record("b", "", ())], np.array([1, 0])).tolist() == [True, True]
