"""The public API: a small, explicit set of names (a change here is a change for every user)."""
from __future__ import annotations

import edu_clf

PUBLIC = {"__version__", "Document", "EduClassifier", "EduClfError", "Item", "LabelSchema", "Prediction",
          "TrainConfig", "TrainedModel", "load_documents", "load_label_schema", "load_model",
          "load_segment_config", "load_train_config", "normalize_text", "read_items", "read_labeled",
          "read_report", "save_model", "segment_text", "build_profile", "to_dataframe"}


def test_public_names_are_pinned():
    assert set(edu_clf.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(edu_clf, name) is not None


def test_segment_returns_documents_of_items():
    [doc] = edu_clf.segment_text("某县教育局工作计划\n一、重点工作\n1.加强师资培训，全年培训教师500人次。\n", "x")
    assert doc.title == "某县教育局工作计划" and doc.items[0].headings == ("一、重点工作",)


def test_importing_the_package_and_the_cli_loads_no_scikit_learn():
    import subprocess
    import sys
    code = ("import sys, edu_clf, edu_clf.cli; "
            "print(sorted(m for m in ('sklearn', 'scipy', 'jieba') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
