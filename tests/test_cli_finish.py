"""The CLI's finish: --help examples, global flags anywhere, the table, plain CSV, metadata in rows,
progress only on a terminal, streaming a large file, stopping when stdout closes."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edu_clf.cli import app
from edu_clf.errors import EduClfError
from edu_clf.report.writers import display_width

ROOT = Path(__file__).resolve().parent.parent
SEED0 = str(sorted((ROOT / "seeds").glob("*.txt"))[0])
SEED1 = str(sorted((ROOT / "seeds").glob("*.txt"))[1])


def test_every_help_lists_its_examples_one_per_line(runner):
    commands = [name for name in app.registered_commands]
    names = [c.name or c.callback.__name__ for c in commands]
    assert {"predict", "profile", "report", "segment"} <= set(names)
    for name in [None, *names]:
        result = runner.invoke(app, [name, "--help"] if name else ["--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, name
        lines = result.stdout.splitlines()
        assert any(line.strip() == "Examples:" for line in lines), name
        start = next(i for i, line in enumerate(lines) if line.strip() == "Examples:")
        examples = []
        for line in lines[start + 1:]:
            if not line.strip():
                break
            examples.append(line.strip())
        # each example on a line of its own, not run together into one paragraph
        assert examples and all(e.startswith("edu-clf") and e.count("edu-clf ") == 1 for e in examples), \
            (name, examples)


def test_global_flags_after_the_subcommand(runner, model_path):
    before = runner.invoke(app, ["-q", "predict", SEED0, "--model", str(model_path), "--format", "jsonl"])
    after = runner.invoke(app, ["predict", SEED0, "--model", str(model_path), "--format", "jsonl", "-q"])
    loud = runner.invoke(app, ["predict", SEED0, "--model", str(model_path), "--format", "jsonl"])
    assert after.exit_code == 0 and after.stdout == before.stdout
    assert "labeled 13 items" in loud.stderr and "labeled" not in after.stderr
    plain = runner.invoke(app, ["validate", "/no/such.jsonl"])
    debug = runner.invoke(app, ["validate", "/no/such.jsonl", "--debug"])
    assert plain.exit_code != 0 and not isinstance(plain.exception, EduClfError)
    assert isinstance(debug.exception, EduClfError)     # --debug after the subcommand: the exception itself


@pytest.mark.parametrize("columns", [80, 200])
def test_table_fits_the_terminal_and_labels_its_columns(runner, model_path, columns):
    result = runner.invoke(app, ["predict", SEED0, "--model", str(model_path)], env={"COLUMNS": str(columns)})
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["doc_id", "item", "heading", "kind", "kind_p", "topic", "topic_p", "text"]
    assert max(display_width(line) for line in lines) <= columns
    assert len(lines) == 14 and any("一、" in line for line in lines[1:])    # the heading column is filled
    if columns == 200:
        assert max(display_width(line) for line in lines) > 150           # the text uses the room there is


def test_table_top_k_and_chinese_names(runner, model_path):
    result = runner.invoke(app, ["predict", SEED0, "--model", str(model_path), "--top-k", "3", "--names", "zh"],
                           env={"COLUMNS": "220"})
    header, first = result.stdout.splitlines()[:2]
    assert "kind_next" in header and "topic_next" in header
    assert any(name in first for name in ("成绩/进展", "问题/不足", "计划/打算"))
    assert first.count(" 0.") + first.count(" 1.") >= 2 + 4   # its two scores, two next kinds and topics with theirs


def test_csv_has_plain_columns_for_top_k_and_terms(runner, model_path, tmp_path):
    out = tmp_path / "p.csv"
    result = runner.invoke(app, ["predict", SEED0, "--model", str(model_path), "--format", "csv", "--top-k", "2",
                                 "--explain", "2", "--excel", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfdoc_id,item,title,headings,text,kind,kind_score,topic,topic_score,kind_2,")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 13
    for row in rows:
        assert not any(v.startswith(("[", "{")) for v in row.values())     # no JSON inside cells
        assert row["kind_2"] and 0 <= float(row["kind_2_score"]) <= float(row["kind_score"])
        assert row["kind_terms"].count(";") == 1 and row["region"] == "溆浦县" and row["genre"] == "总结"


def test_jsonl_rows_end_with_the_metadata_and_the_sidecar_overrides(runner, model_path, tmp_path):
    sidecar = tmp_path / "meta.csv"
    sidecar.write_text(f"path,region,genre,batch\n{SEED1},湖南省怀化市新晃侗族自治县,计划,第1批\n", encoding="utf-8")
    result = runner.invoke(app, ["-q", "predict", SEED0, SEED1, "--model", str(model_path), "--format", "jsonl",
                                 "--meta", str(sidecar)])
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    first = rows[0]
    assert list(first)[:9] == ["doc_id", "item", "title", "headings", "text", "kind", "kind_score", "topic",
                               "topic_score"]
    assert (first["region"], first["region_source"], first["year"], first["period"], first["batch"]) == \
        ("溆浦县", "body", "2021", "上半年及下半年", "")
    last = rows[-1]
    assert (last["region"], last["region_source"], last["genre_source"], last["batch"]) == \
        ("湖南省怀化市新晃侗族自治县", "sidecar", "sidecar", "第1批")
    two = runner.invoke(app, ["-q", "predict", SEED0, SEED1, "--model", str(model_path), "--format", "jsonl",
                              "--meta", str(sidecar), "--jobs", "2"])
    assert two.stdout == result.stdout


def test_progress_bar_only_on_a_terminal():
    from edu_clf.report.progress import Progress

    class Tty(io.StringIO):
        def isatty(self):
            return True
    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        with Progress(stream=stream, delay=0) as bar:
            for _ in range(3):
                bar.doc_done()
                for _ in range(512):
                    bar.advance()
                time.sleep(0.12)
    drawn = tty.getvalue()
    assert "edu-clf: labeling" in drawn and "documents" in drawn and ",024 items" in drawn
    assert pipe.getvalue() == ""
    with Progress(enabled=False, stream=Tty(), delay=0) as quiet:   # -q
        quiet.advance()
    assert not quiet.enabled


def _big_jsonl(path: Path, copies: int) -> int:
    lines = (ROOT / "seeds" / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    with path.open("w", encoding="utf-8") as out:
        for n in range(copies):
            for line in lines:
                record = json.loads(line)
                record["doc_id"] = f"{record['doc_id']}-{n}"
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return copies * len(lines)


def test_a_large_file_streams_and_a_closed_stdout_stops_the_run(tmp_path, model_path):
    big = tmp_path / "big.jsonl"
    total = _big_jsonl(big, 120)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "edu_clf", "predict", str(big), "--model", str(model_path), "--format",
               "jsonl", "--chunk-size", "100"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        first = proc.stdout.readline()
        assert json.loads(first)["doc_id"].endswith("-0")
        assert proc.poll() is None           # the first line came while the run was still going
        proc.stdout.close()                  # like `| head -1`
        started = time.monotonic()
        code = proc.wait(timeout=30)
        stopped_after = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
    stderr = proc.stderr.read().decode("utf-8", "replace")
    assert code == 0 and "Traceback" not in stderr and f"labeled {total}" not in stderr
    assert stopped_after < 10


def test_library_warnings_become_one_line(runner, monkeypatch):
    import warnings
    import edu_clf.report.stats as stats

    real = stats.corpus_stats

    def noisy(*args, **kwargs):
        warnings.warn("X does not have valid feature names, but LogisticRegression was fitted with names",
                      UserWarning)
        return real(*args, **kwargs)
    monkeypatch.setattr(stats, "corpus_stats", noisy)
    result = runner.invoke(app, ["stats", str(ROOT / "seeds" / "labels.jsonl")])
    assert result.exit_code == 0
    assert result.stderr == ("edu-clf: warning: X does not have valid feature names, but LogisticRegression was "
                             "fitted with names\n")
