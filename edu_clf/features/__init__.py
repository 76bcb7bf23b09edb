"""Feature blocks: what the classifier sees of an item.

- base.py:      Record (text, context, neighbours), to_records, normalization, analyzers
- tokenize.py:  jieba words (the C port, rjieba or jieba itself)
- tables.py:    TF-IDF rows and cue counts from fitted tables, numpy only (shared with the runtime)
- vectorize.py: FastTfidf, the fitting TF-IDF block (scikit-learn estimator)
- blocks.py:    CueFeatures and build_features, the scikit-learn FeatureUnion of the blocks

Importing this package loads nothing heavy; the names below come from their modules on use.
"""
from __future__ import annotations

import importlib
from typing import Any

_NAMES = {
    "Record": "base", "Records": "base", "to_records": "base", "normalized": "base",
    "without_context": "base", "without_outer": "base", "outer_removed": "base", "distinct_contexts": "base",
    "record_text": "base", "record_self": "base",
    "WordAnalyzer": "base", "ContextAnalyzer": "base",
    "CueFeatures": "blocks", "build_features": "blocks", "block_feature_names": "blocks",
}


def __getattr__(name: str) -> Any:
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'edu_clf.features' has no attribute {name!r}")
    return getattr(importlib.import_module(f"edu_clf.features.{module}"), name)
