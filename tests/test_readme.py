"""The README's library example runs as written, and the shipped model works with no training step."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_library_example_runs(monkeypatch, capsys):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Using the library", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(ROOT)
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 13 + 1  # every item of seed 000, then the single sentence
    assert out[-1].split()[0] in ("achievement", "problem", "plan")


def test_shipped_default_model_loads_and_labels_seed_000():
    from edu_clf import load_model
    from edu_clf.config import default_model_path
    path = default_model_path()
    assert path.exists() and path.stat().st_size < 20e6
    model = load_model()
    from edu_clf.pipeline import predict_report
    predictions = predict_report(model, ROOT / "seeds" / "000_a2250ef0bda6fe1b.txt")
    assert len(predictions) == 13
    assert model.meta.data["n_items"] >= 2000 and "cv" in model.meta.metrics
