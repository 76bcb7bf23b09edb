"""A trained model: the fitted estimator plus the metadata that travels with it.

The metadata records what is needed to trust a model file found on disk: the
edu-clf and scikit-learn versions that wrote it, the label schema, the full
training config, the sha256 of the training data, item counts and the
grouped cross-validation scores measured when it was trained.
"""
from __future__ import annotations

import json
import platform
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np
import sklearn

from edu_clf import __version__
from edu_clf.config import LabelSchema
from edu_clf.model import EduClassifier
from edu_clf.records import FORMAT_NAME, FORMAT_VERSION, ModelMeta  # noqa: F401  (re-exported)

if TYPE_CHECKING:
    from edu_clf.records import Prediction

def schema_summary(schema: LabelSchema) -> dict[str, Any]:
    return {"schema_version": schema.schema_version, "kinds": list(schema.kind_ids),
            "topics": list(schema.topic_ids)}


def new_meta(schema: LabelSchema, config: dict[str, Any], data: dict[str, Any],
             metrics: dict[str, Any] | None = None) -> ModelMeta:
    return ModelMeta(edu_clf_version=__version__, sklearn_version=sklearn.__version__,
                     numpy_version=np.__version__, python_version=platform.python_version(),
                     created=datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
                     label_schema=schema_summary(schema), config=_plain(config), data=_plain(data),
                     metrics=_plain(metrics or {}), depends=depends())


def depends() -> dict[str, str | None]:
    """What a model's features and labels depend on besides its own arrays: jieba's dictionary
    and the label, cue and segment configs (sha256 each; checked, with a warning, on load)."""
    from edu_clf.config import file_hashes
    from edu_clf.features.tokenize import dictionary_sha256
    return {**file_hashes(), "jieba dict.txt": dictionary_sha256()}


def _plain(value: dict[str, Any]) -> dict[str, Any]:
    """The JSON form of a dict (tuples become lists), so metadata compares equal after a reload."""
    return json.loads(json.dumps(value, ensure_ascii=False))


@dataclass
class TrainedModel:
    """A fitted `EduClassifier` and its metadata; what `load_model` returns."""

    estimator: EduClassifier
    meta: ModelMeta

    # what edu_clf.runtime.predict reads of a model (the runtime artifact offers the same)
    @property
    def classes_(self) -> list[Any]:
        return self.estimator.classes_

    def predict_proba(self, records: Any) -> list[np.ndarray]:
        return self.estimator.predict_proba(records)

    def transform(self, records: Any) -> Any:
        return self.estimator.transform(records)

    def predict_proba_matrix(self, matrix: Any, records: Any = ()) -> list[np.ndarray]:
        return self.estimator.predict_proba_matrix(matrix, records)

    def sequenced(self, probas: list[np.ndarray], records: Any) -> list[np.ndarray]:
        return self.estimator.sequenced(probas, records)

    def explainer(self) -> Any:
        from edu_clf.model.explain import Explainer
        return Explainer(self.estimator)

    @property
    def kinds(self) -> list[str]:
        return [str(c) for c in self.estimator.classes_[0]]

    @property
    def topics(self) -> list[str]:
        return [str(c) for c in self.estimator.classes_[1]]

    def predict(self, items: Any, top_k: int = 1, explain: int = 0) -> list["Prediction"]:
        """Label items (Items, guide-format dicts or plain strings); one Prediction each, in order."""
        from edu_clf.runtime.predict import predict_items
        return predict_items(self, list(items), top_k=top_k, explain=explain)


