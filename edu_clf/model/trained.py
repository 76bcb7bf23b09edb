"""A trained model: the fitted estimator plus the metadata that travels with it.

The metadata records what is needed to trust a model file found on disk: the
edu-clf and scikit-learn versions that wrote it, the label schema, the full
training config, the sha256 of the training data, item counts and the
grouped cross-validation scores measured when it was trained.
"""
from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np
import sklearn

from edu_clf import __version__
from edu_clf.config import LabelSchema
from edu_clf.model import EduClassifier

if TYPE_CHECKING:
    from edu_clf.records import Prediction

FORMAT_NAME = "edu-clf-model"
FORMAT_VERSION = 2  # 2: FastTfidf term dicts stored as arrays (format 1 files still load)


@dataclass(frozen=True)
class ModelMeta:
    """Everything a model file says about itself (JSON-serialisable)."""

    edu_clf_version: str
    sklearn_version: str
    numpy_version: str
    python_version: str
    created: str
    label_schema: dict[str, Any]
    config: dict[str, Any]
    data: dict[str, Any]
    metrics: dict[str, Any] = field(default_factory=dict)
    format: str = FORMAT_NAME
    format_version: int = FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "ModelMeta":
        names = cls.__dataclass_fields__.keys()
        return cls(**{k: v for k, v in raw.items() if k in names})


def schema_summary(schema: LabelSchema) -> dict[str, Any]:
    return {"schema_version": schema.schema_version, "kinds": list(schema.kind_ids),
            "topics": list(schema.topic_ids)}


def new_meta(schema: LabelSchema, config: dict[str, Any], data: dict[str, Any],
             metrics: dict[str, Any] | None = None) -> ModelMeta:
    return ModelMeta(edu_clf_version=__version__, sklearn_version=sklearn.__version__,
                     numpy_version=np.__version__, python_version=platform.python_version(),
                     created=datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
                     label_schema=schema_summary(schema), config=_plain(config), data=_plain(data),
                     metrics=_plain(metrics or {}))


def _plain(value: dict[str, Any]) -> dict[str, Any]:
    """The JSON form of a dict (tuples become lists), so metadata compares equal after a reload."""
    return json.loads(json.dumps(value, ensure_ascii=False))


@dataclass
class TrainedModel:
    """A fitted `EduClassifier` and its metadata; what `load_model` returns."""

    estimator: EduClassifier
    meta: ModelMeta

    @property
    def kinds(self) -> list[str]:
        return [str(c) for c in self.estimator.classes_[0]]

    @property
    def topics(self) -> list[str]:
        return [str(c) for c in self.estimator.classes_[1]]

    def predict(self, items: Any, top_k: int = 1, explain: int = 0) -> list["Prediction"]:
        """Label items (Items, guide-format dicts or plain strings); one Prediction each, in order."""
        from edu_clf.model.predict import predict_items
        return predict_items(self, list(items), top_k=top_k, explain=explain)


