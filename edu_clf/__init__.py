"""edu-clf: label the outline items of Chinese education-bureau work reports by topic and kind."""
from __future__ import annotations

__version__ = "0.1.0"

from edu_clf.config import LabelSchema, TrainConfig, load_label_schema, load_segment_config, load_train_config
from edu_clf.corpus import read_items, read_labeled
from edu_clf.errors import EduClfError
from edu_clf.io import read_report
from edu_clf.items import Document, Item
from edu_clf.reports import load_documents
from edu_clf.segment import segment_text
from edu_clf.model import EduClassifier
from edu_clf.persist import load_model, save_model
from edu_clf.predict import Prediction
from edu_clf.trained import TrainedModel


def segment(text: str, doc_id: str = "doc") -> list[Document]:
    """Segment report text (already decoded) into documents of outline items."""
    return segment_text(text, doc_id)


__all__ = [
    "__version__",
    "Document",
    "EduClassifier",
    "Prediction",
    "TrainedModel",
    "load_model",
    "save_model",
    "EduClfError",
    "Item",
    "LabelSchema",
    "TrainConfig",
    "load_documents",
    "load_label_schema",
    "load_segment_config",
    "load_train_config",
    "read_items",
    "read_labeled",
    "read_report",
    "segment",
]
