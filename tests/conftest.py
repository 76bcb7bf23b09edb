"""Shared fixtures: the seed reports, the gold labels and a small trained model."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
# EDU_CLF_TEST_GOLD lets a developer point the suite at another gold file.
GOLD = Path(os.environ.get("EDU_CLF_TEST_GOLD", ROOT / "seeds" / "labels.jsonl"))


@pytest.fixture(scope="session")
def seed_paths() -> list[Path]:
    return SEEDS


@pytest.fixture(scope="session")
def schema():
    from edu_clf.config import load_label_schema
    return load_label_schema()


@pytest.fixture(scope="session")
def gold_items(schema):
    from edu_clf.io.corpus import read_labeled
    return read_labeled([GOLD], schema)


@pytest.fixture(scope="session")
def small_config():
    """The default config with a smaller C: quick to fit, same code paths."""
    from edu_clf.config import load_train_config
    return load_train_config(overrides=["model.max_iter=500"])


@pytest.fixture(scope="session")
def seed_model(gold_items, small_config, schema):
    """A model trained on the gold seeds only (no CV): fast, deterministic."""
    from edu_clf.model.train import train_model
    return train_model(gold_items, small_config, schema, [GOLD], cv=False)


@pytest.fixture(scope="session")
def runner():
    from typer.testing import CliRunner
    return CliRunner()


@pytest.fixture(scope="session")
def model_path(tmp_path_factory, seed_model):
    """The seed model saved as a .skops file, for CLI tests."""
    from edu_clf.model.persist import save_model
    return save_model(seed_model, tmp_path_factory.mktemp("m") / "m.skops")


@pytest.fixture(params=["c", "numpy"])
def inner_loops(request, monkeypatch):
    """Run a test through the C kernels (edu_clf/_kernels.c) and through the numpy path."""
    from edu_clf import kernels

    if request.param == "c" and kernels.KERNELS is None:
        pytest.skip("the C kernels are not built on this machine")
    if request.param == "numpy":
        monkeypatch.setattr(kernels, "KERNELS", None)
    return request.param
