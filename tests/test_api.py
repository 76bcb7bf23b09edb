"""The public API: a small, explicit set of names (a change here is a change for every user)."""
from __future__ import annotations

import edu_clf

PUBLIC = {"__version__", "Document", "EduClassifier", "EduClfError", "Item", "LabelSchema", "Prediction",
          "TrainConfig", "TrainedModel", "load_documents", "load_label_schema", "load_model",
          "load_segment_config", "load_train_config", "read_items", "read_labeled", "read_report", "save_model",
          "segment"}


def test_public_names_are_pinned():
    assert set(edu_clf.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(edu_clf, name) is not None


def test_segment_returns_documents_of_items():
    [doc] = edu_clf.segment("某县教育局工作计划\n一、重点工作\n1.加强师资培训，全年培训教师500人次。\n", "x")
    assert doc.title == "某县教育局工作计划" and doc.items[0].headings == ("一、重点工作",)
