"""The runtime artifact: numpy only, cannot hold code, and scores exactly as the estimator does."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from edu_clf.errors import ModelError
from edu_clf.model.export import export_runtime
from edu_clf.model.views import apply_view
from edu_clf.runtime import load_runtime


@pytest.fixture(scope="module")
def artifact(tmp_path_factory, seed_model):
    return export_runtime(seed_model, tmp_path_factory.mktemp("rt") / "m.npz")


@pytest.mark.parametrize("view", ["clean", "traditional", "no_context", "page2"])
def test_runtime_probabilities_equal_the_estimators(artifact, seed_model, gold_items, inner_loops, view):
    items = apply_view(view, gold_items)
    runtime = load_runtime(artifact)
    for ours, theirs in zip(runtime.predict_proba(items), seed_model.estimator.predict_proba(items)):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    assert [list(c) for c in runtime.classes_] == [list(c) for c in seed_model.estimator.classes_]
    assert runtime.meta == seed_model.meta


def test_runtime_predictions_equal_the_full_models(artifact, seed_model, gold_items):
    ours = load_runtime(artifact).predict(gold_items[:30], top_k=2)
    theirs = seed_model.predict(gold_items[:30], top_k=2)
    assert [(p.kind, p.topic, p.kind_top[1][0]) for p in ours] == [(p.kind, p.topic, p.kind_top[1][0]) for p in theirs]
    assert all(abs(a.kind_score - b.kind_score) < 1e-12 for a, b in zip(ours, theirs))


def test_loading_and_predicting_imports_no_scikit_learn_or_scipy(artifact):
    code = (f"import sys; from edu_clf.runtime import load_runtime; m = load_runtime({str(artifact)!r}); "
            "m.predict(['下半年将加快推进城区学校扩建工程。', '仍有部分学校设备老化。']); "
            "print(sorted(k for k in ('sklearn', 'scipy', 'joblib', 'skops') if k in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_artifact_holds_arrays_and_json_only(artifact):
    with zipfile.ZipFile(artifact) as zf:
        for name in zf.namelist():
            with zf.open(name) as member:
                header = member.read(128)
            assert header.startswith(b"\x93NUMPY"), name
            assert b"'O'" not in header and b"|O" not in header, name   # no object arrays: nothing to unpickle


def _rewrite(artifact, tmp_path, **changes):
    arrays = dict(np.load(artifact, allow_pickle=False))
    for key, value in changes.items():
        arrays[key] = np.array(value)
    path = tmp_path / "changed.npz"
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize("key, value, message", [
    ("runtime", json.dumps({"format": "something"}), "unknown format"),
    ("runtime", "not json", "no readable"),
    ("meta", json.dumps(["a", "list"]), "not a JSON object"),
])
def test_damaged_artifacts_are_refused_with_the_file_named(artifact, tmp_path, key, value, message):
    with pytest.raises(ModelError) as err:
        load_runtime(_rewrite(artifact, tmp_path, **{key: value}))
    assert message in str(err.value) and "changed.npz" in str(err.value)


def test_a_sequence_stage_that_does_not_fit_its_head_is_refused(artifact, tmp_path):
    """The stage's layout follows from its width (with or without the opening slot); any other width,
    or an intercept of another size, is a damaged file, refused on load rather than mis-scored."""
    coef = np.load(artifact)["seq0_coef"]
    assert coef.shape == (3, 18)
    for key, value in (("seq0_coef", coef[:, :16]), ("seq0_intercept", np.zeros(4))):
        with pytest.raises(ModelError, match="sequence stage"):
            load_runtime(_rewrite(artifact, tmp_path, **{key: value}))
    load_runtime(_rewrite(artifact, tmp_path, seq0_coef=coef[:, :15]))   # a stage of before the opening slot


def test_newer_runtime_format_and_other_label_schema_are_refused(artifact, tmp_path):
    spec = json.loads(str(np.load(artifact)["runtime"][()]))
    with pytest.raises(ModelError, match="newer"):
        load_runtime(_rewrite(artifact, tmp_path, runtime=json.dumps({**spec, "format_version": 99})))
    meta = json.loads(str(np.load(artifact)["meta"][()]))
    meta["label_schema"]["kinds"] = ["good", "bad"]
    with pytest.raises(ModelError, match="label schema"):
        load_runtime(_rewrite(artifact, tmp_path, meta=json.dumps(meta)))


def test_a_format_1_artifact_without_a_sequence_stage_still_loads(artifact, seed_model, gold_items, tmp_path):
    """Artifacts of before the sequence stage (format 1) load, and score with the heads alone: the
    estimator's probabilities before its sequence stage."""
    spec = json.loads(str(np.load(artifact)["runtime"][()]))
    assert spec["format_version"] == 2 and spec["sequence"] == [{"task": 0}]
    old = {k: v for k, v in spec.items() if k != "sequence"}
    arrays = {k: v for k, v in np.load(artifact, allow_pickle=False).items() if not k.startswith("seq")}
    arrays["runtime"] = np.array(json.dumps({**old, "format_version": 1}))
    path = tmp_path / "format1.npz"
    np.savez(path, **arrays)
    est, items = seed_model.estimator, gold_items[:40]
    heads = est.predict_proba_matrix(est.transform(items))   # no records: the heads alone
    for ours, theirs in zip(load_runtime(path).predict_proba(items), heads):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    assert not np.allclose(load_runtime(artifact).predict_proba(items)[0], heads[0])


def test_a_changed_tokenizer_dictionary_warns_unless_the_model_carries_its_own(artifact, tmp_path):
    import warnings

    from edu_clf.errors import EduClfWarning
    meta = json.loads(str(np.load(artifact)["meta"][()]))
    assert set(meta["depends"]) >= {"jieba dict.txt", "labels.toml", "cues.toml", "segment.toml"}
    meta["depends"]["jieba dict.txt"] = "0" * 64
    spec = json.loads(str(np.load(artifact)["runtime"][()]))
    if "dictionary" in spec:   # exported where the kernels run: it carries the dictionary it was trained with
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            load_runtime(_rewrite(artifact, tmp_path, meta=json.dumps(meta)))
        spec.pop("dictionary")
    with pytest.warns(EduClfWarning, match="jieba dict.txt changed"):
        load_runtime(_rewrite(artifact, tmp_path, meta=json.dumps(meta), runtime=json.dumps(spec)))


def test_the_carried_dictionary_cuts_as_dict_txt_does(artifact, gold_items):
    from edu_clf import kernels
    from edu_clf.features.tokenize import jieba_dictionary
    if kernels.KERNELS is None:
        pytest.skip("the C kernels are not built on this machine")
    own = load_runtime(artifact).dictionary.get()
    for it in gold_items[:200]:
        assert kernels.KERNELS.jieba_cut(own, it.text) == kernels.KERNELS.jieba_cut(jieba_dictionary(), it.text)


@pytest.mark.parametrize("name, damage", [
    ("dict_root", lambda a: np.full_like(a, 10**8)),            # children outside the trie
    ("dict_end", lambda a: a + 5),
    ("dict_first", lambda a: a[:-1]),                            # arrays of different lengths
])
def test_a_damaged_dictionary_is_refused(artifact, tmp_path, name, damage):
    from edu_clf import kernels
    if kernels.KERNELS is None:
        pytest.skip("the C kernels are not built on this machine")
    arrays = dict(np.load(artifact, allow_pickle=False))
    with pytest.raises(ModelError, match="damaged.*dictionary arrays"):
        load_runtime(_rewrite(artifact, tmp_path, **{name: damage(arrays[name])}))


def test_a_pickle_named_npz_never_runs(tmp_path):
    import pickle
    marker = tmp_path / "ran.txt"

    class Evil:
        def __reduce__(self):
            return (exec, (f"open({str(marker)!r}, 'w').write('x')",))
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(ModelError, match="not an edu-clf runtime artifact"):
        load_runtime(path)
    assert not marker.exists()


def test_a_used_runtime_model_pickles_for_worker_processes(artifact, gold_items):
    import pickle
    model = load_runtime(artifact)
    before = model.predict_proba(gold_items[:10])           # builds the caches
    again = pickle.loads(pickle.dumps(model)).predict_proba(gold_items[:10])
    for a, b in zip(before, again):
        assert np.array_equal(a, b)
