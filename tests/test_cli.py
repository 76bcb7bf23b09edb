"""The command line, through typer's CliRunner: thin commands, clean stdout, one-line errors."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from edu_clf.cli import app

ROOT = Path(__file__).resolve().parent.parent
SEED0 = ROOT / "seeds" / "000_a2250ef0bda6fe1b.txt"
SEED2 = ROOT / "seeds" / "002_faffd9a2ed2f71c6.txt"


def run(runner, *args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def test_help_teaches(runner):
    result = run(runner, "--help")
    assert result.exit_code == 0
    for command in ("segment", "predict", "train", "evaluate", "info", "stats", "validate"):
        assert command in result.stdout
    assert "Example" in run(runner, "predict", "--help").stdout


def test_segment_jsonl_is_guide_format(runner):
    result = run(runner, "segment", SEED2, "--format", "jsonl")
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len({r["doc_id"] for r in records}) == 5 and len(records) == 73
    assert set(records[0]) == {"doc_id", "item", "title", "headings", "text", "path"}   # path: issue 15
    assert {r["path"] for r in records} == {str(SEED2)}


def test_segment_reads_stdin(runner):
    result = run(runner, "segment", "-", "--format", "csv", input=SEED0.read_text(encoding="utf-8"))
    assert result.exit_code == 0 and len(result.stdout.strip().splitlines()) >= 14


def test_predict_jsonl_one_line_per_input_item_in_order(runner, model_path, tmp_path):
    items = tmp_path / "items.jsonl"
    items.write_text(run(runner, "segment", SEED2, "--format", "jsonl").stdout, encoding="utf-8")
    result = run(runner, "--quiet", "predict", items, "--model", model_path, "--format", "jsonl")
    assert result.exit_code == 0
    inputs = [json.loads(line) for line in items.read_text(encoding="utf-8").splitlines()]
    outputs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(o["doc_id"], o["item"]) for o in outputs] == [(i["doc_id"], i["item"]) for i in inputs]
    assert {"kind", "kind_score", "topic", "topic_score", "title", "headings", "text"} <= set(outputs[0])


def test_predict_table_top_k_and_text(runner, model_path):
    result = run(runner, "predict", SEED0, "--model", model_path)
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 14
    result = run(runner, "predict", "--text", "下半年将启动新校区建设。", "--model", model_path, "-f", "jsonl", "-k", "3")
    assert result.exit_code == 0 and len(json.loads(result.stdout)["topic_top"]) == 3


def test_predict_writes_file_atomically(runner, model_path, tmp_path):
    out = tmp_path / "out.csv"
    result = run(runner, "predict", SEED0, "--model", model_path, "--format", "csv", "--out", out)
    assert result.exit_code == 0 and result.stdout == ""
    assert len(out.read_text(encoding="utf-8").splitlines()) == 14
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_train_evaluate_info_round_trip(runner, tmp_path):
    from tests.conftest import GOLD
    model = tmp_path / "t.skops"
    result = run(runner, "-q", "train", GOLD, "--only", "--out", model, "--no-cv", "--set", "model.max_iter=300")
    assert result.exit_code == 0, result.stdout + result.stderr
    info = run(runner, "info", model, "--json")
    meta = json.loads(info.stdout)
    assert meta["config"]["model"]["max_iter"] == 300 and meta["data"]["n_items"] > 100
    text = run(runner, "info", model).stdout
    assert "inner loops on this machine: " in text and f"{meta['data']['n_items']} items" in text
    result = run(runner, "-q", "evaluate", GOLD, "--model", model, "--json", "--errors", tmp_path / "e.jsonl")
    scores = json.loads(result.stdout)
    assert 0 <= scores["kind"]["macro_f1"] <= 1 and scores["kind"]["n"] == meta["data"]["n_items"]
    errors = (tmp_path / "e.jsonl").read_text(encoding="utf-8").splitlines()
    assert all({"predicted_kind", "predicted_topic"} <= set(json.loads(e)) for e in errors)


def test_evaluate_cv_text_report(runner):
    from tests.conftest import GOLD
    result = run(runner, "-q", "evaluate", GOLD, "--cv", "--set", "model.max_iter=300",
                 "--set", "features.text_chars=false", "--set", 'features.topic_blocks=["words"]')
    assert result.exit_code == 0
    assert "leave-one-document-out" in result.stdout and "macro-F1" in result.stdout
    assert "confusion" in result.stdout


def test_stats_and_validate(runner):
    from tests.conftest import GOLD
    stats = json.loads(run(runner, "stats", GOLD, "--json").stdout)
    assert sum(stats["kinds"].values()) == stats["n_items"]
    assert run(runner, "validate", GOLD).exit_code == 0


@pytest.mark.parametrize("args, code, needle", [
    (["segment", "no/such/file.txt"], 2, "no/such/file.txt"),
    (["predict", "--model", "no/such/model.skops", "--text", "x"], 1, "no/such/model.skops"),
    (["predict"], 2, "--text"),
    (["train", "--set", "model.Cx=1"], 1, "unknown key"),
    (["train", "--set", "features.text_chars=false"], 1, "topic_blocks"),
])
def test_errors_are_one_line_without_traceback(runner, args, code, needle):
    result = run(runner, *args)
    assert result.exit_code == code
    assert needle in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.startswith("edu-clf: error:")


def test_bad_data_names_file_and_line(runner, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"doc_id": "d", "item": 0, "text": "x", "kind": "plan", "topic": "general"}\n{oops\n',
                   encoding="utf-8")
    result = run(runner, "validate", bad)
    assert result.exit_code == 1 and f"{bad}:2" in result.stderr


def test_predict_with_worker_processes_matches_one_process(runner, model_path, tmp_path):
    args = ["-q", "predict", SEED0, SEED2, "--model", model_path, "--format", "jsonl"]
    one = run(runner, *args)
    two = run(runner, *args, "--jobs", "2")
    assert one.exit_code == 0 and two.exit_code == 0
    assert two.stdout == one.stdout and len(one.stdout.splitlines()) == 13 + 73


def test_worker_processes_and_a_bad_file(runner, model_path, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x89PNG" + bytes(100))
    result = run(runner, "predict", SEED0, bad, "--model", model_path, "--format", "jsonl", "--jobs", "2")
    assert result.exit_code == 1 and "bad.txt" in result.stderr and result.stdout == ""
    result = run(runner, "predict", SEED0, bad, "--model", model_path, "--format", "jsonl", "--jobs", "2",
                 "--skip-errors")
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 13 and "bad.txt" in result.stderr


def test_evaluate_warns_when_documents_were_seen_in_training(runner, model_path):
    from tests.conftest import GOLD
    result = run(runner, "-q", "evaluate", GOLD, "--model", model_path)
    assert result.exit_code == 0
    assert "NOT held-out" in result.stdout and "not quality" in result.stderr


def test_evaluate_plot_writes_a_png(runner, model_path, tmp_path):
    from tests.conftest import GOLD
    out = tmp_path / "confusion.png"
    result = run(runner, "-q", "evaluate", GOLD, "--model", model_path, "--plot", out)
    assert result.exit_code == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000


def test_the_command_keeps_openblas_to_one_thread_unless_the_user_says_otherwise():
    """OpenBLAS's helper threads only spin in edu-clf (no dense linear algebra): one thread, set
    before numpy is imported; a user's own OPENBLAS_NUM_THREADS is kept."""
    import os
    import subprocess
    import sys
    code = ("import edu_clf.cli, numpy, threadpoolctl; "
            "print(*{i['num_threads'] for i in threadpoolctl.threadpool_info() if i['internal_api'] == 'openblas'})")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    if not out.stdout.split():
        import pytest
        pytest.skip("this numpy does not run on OpenBLAS")
    assert out.stdout.split() == ["1"]   # the pool numpy's OpenBLAS runs, not just the variable
    out = subprocess.run([sys.executable, "-c", code], env={**env, "OPENBLAS_NUM_THREADS": "2"},
                         capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["2"]
