"""edu-clf: label the outline items of Chinese education-bureau work reports by topic and kind.

The public names below are imported on first use, so that `import edu_clf` (and the
`edu-clf` command) start without loading scikit-learn, scipy or jieba.
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    "Document": "edu_clf.records", "Item": "edu_clf.records", "Prediction": "edu_clf.records",
    "EduClassifier": "edu_clf.model",
    "EduClfError": "edu_clf.errors",
    "LabelSchema": "edu_clf.config", "TrainConfig": "edu_clf.config", "load_label_schema": "edu_clf.config",
    "load_segment_config": "edu_clf.config", "load_train_config": "edu_clf.config",
    "TrainedModel": "edu_clf.model.trained",
    "load_model": "edu_clf.model.persist", "save_model": "edu_clf.model.persist",
    "read_items": "edu_clf.io.corpus", "read_labeled": "edu_clf.io.corpus",
    "read_report": "edu_clf.io",
    "load_documents": "edu_clf.pipeline",
    "segment_text": "edu_clf.segment",
    "normalize_text": "edu_clf.normalize",
    "build_profile": "edu_clf.report.profile", "to_dataframe": "edu_clf.report.frames",
}

__all__ = ["__version__", *sorted(_PUBLIC)]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'edu_clf' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
