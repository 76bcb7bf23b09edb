"""Model files: atomic save, metadata, identical predictions after reload, refusal of bad files."""
from __future__ import annotations

import json

import joblib
import numpy as np
import pytest

from edu_clf.errors import ModelError
from edu_clf.persist import load_model, save_model
from edu_clf.trained import TrainedModel


@pytest.mark.parametrize("fmt", ["skops", "joblib"])
def test_reload_predicts_identically(tmp_path, seed_model, gold_items, fmt):
    path = save_model(seed_model, tmp_path / f"m.{fmt}", fmt)
    loaded = load_model(path)
    for a, b in zip(seed_model.estimator.predict_proba(gold_items), loaded.estimator.predict_proba(gold_items)):
        assert np.array_equal(a, b)
    assert loaded.meta == seed_model.meta


def test_metadata_is_complete(seed_model, gold_items):
    meta = seed_model.meta
    assert meta.edu_clf_version and meta.sklearn_version and meta.numpy_version
    assert meta.label_schema["kinds"] == ["achievement", "problem", "plan"]
    assert meta.data["n_items"] == len(gold_items) and len(meta.data["sha256"]) == 64
    assert meta.config["model"]["classifier"] in ("logreg", "linear_svc")


def test_no_temp_files_left_behind(tmp_path, seed_model):
    save_model(seed_model, tmp_path / "m.skops")
    assert [p.name for p in tmp_path.iterdir()] == ["m.skops"]


def _resave_with_meta(tmp_path, seed_model, **changes):
    meta = seed_model.meta.to_dict() | changes
    path = tmp_path / "changed.joblib"
    joblib.dump({"meta": json.dumps(meta), "estimator": seed_model.estimator}, path)
    return path


@pytest.mark.parametrize("changes, message", [
    ({"format_version": 99}, "newer edu-clf"),
    ({"sklearn_version": "0.24.2"}, "scikit-learn 0.24.2"),
    ({"label_schema": {"schema_version": 1, "kinds": ["good", "bad"], "topics": ["x"]}}, "label schema"),
    ({"format": "something-else"}, "unknown format"),
])
def test_metadata_checks_refuse(tmp_path, seed_model, changes, message):
    with pytest.raises(ModelError) as err:
        load_model(_resave_with_meta(tmp_path, seed_model, **changes))
    assert message in str(err.value) and "changed.joblib" in str(err.value)


def test_missing_model(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "none.skops")


def test_folder_is_not_a_model(tmp_path):
    with pytest.raises(ModelError, match="folder"):
        load_model(tmp_path)


@pytest.mark.parametrize("content", [b"", b"\x00\x01garbage" * 100, b"PK\x03\x04broken zip"])
def test_random_bytes_are_not_a_model(tmp_path, content):
    path = tmp_path / "m.skops"
    path.write_bytes(content)
    with pytest.raises(ModelError, match="not an edu-clf model|cannot load"):
        load_model(path)


def test_joblib_of_something_else(tmp_path):
    path = tmp_path / "other.joblib"
    joblib.dump({"weights": [1, 2, 3]}, path)
    with pytest.raises(ModelError, match="something else"):
        load_model(path)


@pytest.mark.parametrize("fmt", ["skops", "joblib"])
def test_truncated_file(tmp_path, seed_model, fmt):
    path = save_model(seed_model, tmp_path / f"m.{fmt}", fmt)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError):
        load_model(path)


class Payload:
    """Stands in for a malicious object: skops must refuse it, not build it."""

    def __init__(self) -> None:
        self.x = 1


def test_skops_refuses_untrusted_types(tmp_path, seed_model):
    import skops.io as sio
    path = tmp_path / "evil.skops"
    sio.dump({"meta": "{}", "estimator": Payload()}, path)
    with pytest.raises(ModelError) as err:
        load_model(path)
    assert "untrusted" in str(err.value) and "Payload" in str(err.value)


def test_trained_model_predicts_items_and_text(seed_model, gold_items):
    assert isinstance(seed_model, TrainedModel)
    predictions = seed_model.predict(gold_items[:4], top_k=3)
    assert [p.item for p in predictions] == [it.item for it in gold_items[:4]]
    assert len(predictions[0].topic_top) == 3 and predictions[0].topic_top[0][0] == predictions[0].topic
