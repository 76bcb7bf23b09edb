"""Model files: atomic save, metadata, identical predictions after reload, refusal of bad files."""
from __future__ import annotations

import json

import joblib
import numpy as np
import pytest

from edu_clf.errors import ModelError
from edu_clf.model.persist import load_model, save_model
from edu_clf.model.trained import TrainedModel


@pytest.mark.parametrize("fmt", ["skops", "joblib"])
def test_reload_predicts_identically(tmp_path, seed_model, gold_items, fmt):
    path = save_model(seed_model, tmp_path / f"m.{fmt}", fmt)
    loaded = load_model(path, trust_pickle=fmt == "joblib")
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
    ({"label_schema": {"schema_version": 1, "kinds": ["good", "bad"], "topics": ["x"]}}, "label schema"),
    ({"format": "something-else"}, "unknown format"),
])
def test_metadata_checks_refuse(tmp_path, seed_model, changes, message):
    with pytest.raises(ModelError) as err:
        load_model(_resave_with_meta(tmp_path, seed_model, **changes), trust_pickle=True)
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
        load_model(path, trust_pickle=True)


@pytest.mark.parametrize("fmt", ["skops", "joblib"])
def test_truncated_file(tmp_path, seed_model, fmt):
    path = save_model(seed_model, tmp_path / f"m.{fmt}", fmt)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError):
        load_model(path, trust_pickle=True)


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


def test_other_sklearn_minor_version_warns_not_refuses(tmp_path, seed_model):
    from edu_clf.errors import EduClfWarning
    path = _resave_with_meta(tmp_path, seed_model, sklearn_version="0.24.2")
    with pytest.warns(EduClfWarning, match="scikit-learn 0.24.2"):
        loaded = load_model(path, trust_pickle=True)
    assert loaded.meta.sklearn_version == "0.24.2"


class WritesAFile:
    """A pickle payload: unpickling it calls open() and writes a marker file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('ran')",))


@pytest.mark.parametrize("name", ["colleague.skops", "model.joblib", "model.pkl", "weights.bin"])
def test_pickle_never_runs_without_trust_pickle(tmp_path, name):
    import pickle
    marker = tmp_path / "ran.txt"
    path = tmp_path / name
    for dump in (lambda f: pickle.dump(WritesAFile(str(marker)), f),
                 lambda f: joblib.dump(WritesAFile(str(marker)), f, compress=3)):
        with open(path, "wb") as handle:
            dump(handle)
        with pytest.raises(ModelError) as err:
            load_model(path)
        assert "--trust-pickle" in str(err.value) and name in str(err.value)
        assert not marker.exists()


def test_pickle_refused_through_every_cli_command(tmp_path, runner, gold_items):
    import pickle
    from edu_clf.cli import app
    marker = tmp_path / "ran.txt"
    path = tmp_path / "colleague.skops"
    path.write_bytes(pickle.dumps(WritesAFile(str(marker))))
    seed = "seeds/000_a2250ef0bda6fe1b.txt"
    for args in (["info", str(path)], ["predict", "--model", str(path), "--text", "下半年将继续推进。"],
                 ["evaluate", "seeds/labels.jsonl", "--model", str(path)],
                 ["report", seed, "--model", str(path), "--out", str(tmp_path / "r.html")]):
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert "--trust-pickle" in result.output and not marker.exists()
    assert not (tmp_path / "r.html").exists()


def _skops_calling(tmp_path, function: str, *args):
    """A crafted .skops whose estimator node asks skops to call `function(*args)` on load."""
    import zipfile
    import skops.io as sio
    plain = tmp_path / "plain.skops"
    sio.dump({"meta": "{}", "estimator": tuple(args)}, plain)
    with zipfile.ZipFile(plain) as zf:
        schema = json.loads(zf.read("schema.json"))
    module, name = function.rsplit(".", 1)
    schema["content"]["estimator"] = {"__class__": name, "__module__": module,
                                      "__loader__": "ConstructorFromReduceNode",
                                      "content": schema["content"]["estimator"]}
    path = tmp_path / "evil.skops"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("schema.json", json.dumps(schema))
    return path


def test_skops_refuses_functions_inside_trusted_namespaces(tmp_path):
    import skops.io as sio
    marker = tmp_path / "ran.txt"
    path = _skops_calling(tmp_path, "numpy.testing._private.utils.runstring",
                          f"open({str(marker)!r}, 'w').write('ran')", {})
    found = sio.get_untrusted_types(file=path)
    assert "numpy.testing._private.utils.runstring" in found   # the audit sees it …
    with pytest.raises(ModelError) as err:                       # … and we refuse it
        load_model(path)
    assert "untrusted" in str(err.value) and "runstring" in str(err.value)
    assert not marker.exists()
    # the crafted file is live: trusting everything skops reports would run it
    sio.load(path, trusted=found)
    assert marker.read_text() == "ran"


@pytest.mark.parametrize("overrides", [[], ["features.engine=reference"], ["model.classifier=linear_svc"]])
def test_every_estimator_configuration_loads_under_the_exact_list(tmp_path, gold_items, schema, overrides):
    import skops.io as sio
    from edu_clf.config import load_train_config
    from edu_clf.model.persist import ALLOWED_TYPES
    from edu_clf.model.train import train_model
    cfg = load_train_config(overrides=["model.max_iter=200", "model.calibration=none", *overrides])
    model = train_model(gold_items, cfg, schema, [], cv=False)
    path = save_model(model, tmp_path / "m.skops")
    assert set(sio.get_untrusted_types(file=path)) <= ALLOWED_TYPES
    assert load_model(path).meta == model.meta
