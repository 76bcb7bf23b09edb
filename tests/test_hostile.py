"""Hostile and broken input (issue 16): bounded reads, nothing destroyed, no traceback, nothing lost.

Every case is small: limits are lowered where a case would otherwise read much, subprocesses have
timeouts, and nothing reads /dev/zero without a bound.
"""
from __future__ import annotations

import errno
import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from edu_clf.config import LimitsConfig
from edu_clf.errors import DataError, EduClfError, EduClfWarning

ROOT = Path(__file__).resolve().parent.parent
SEED0 = sorted((ROOT / "seeds").glob("*.txt"))[0]
GOLD = ROOT / "seeds" / "labels.jsonl"


def run(runner, *args, **kwargs):
    from edu_clf.cli import app
    return runner.invoke(app, [str(a) for a in args], **kwargs)


def one_line_error(result, code: int, *needles: str) -> str:
    """The run failed with `code` and said why in one line (no traceback), naming each needle."""
    assert result.exit_code == code, (result.exit_code, result.stderr, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.startswith("edu-clf: error:")
             and not re.match(r"edu-clf: error: \d+ error\(s\) in", line)]  # validate's closing count
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def small_limits(monkeypatch, max_input_bytes: int = 4096, max_model_bytes: int = 2**31) -> None:
    limits = LimitsConfig(max_input_bytes=max_input_bytes, max_model_bytes=max_model_bytes)
    import edu_clf.config
    import edu_clf.io.limits
    monkeypatch.setattr(edu_clf.io.limits, "load_limits", lambda: limits)
    monkeypatch.setattr(edu_clf.config, "load_limits", lambda path=None: limits)


def jsonl(path: Path, records: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n"
                            for r in records), encoding="utf-8")
    return path


def labeled(doc: str = "d", item: int = 1, **extra) -> dict:
    return {"doc_id": doc, "item": item, "title": "", "headings": [], "text": "继续推进校舍改造工程。",
            "kind": "plan", "topic": "infrastructure", **extra}


# ------------------------------------------------------------------ outputs never touch inputs


def test_out_equal_to_an_input_or_a_link_to_it_is_refused_before_any_work(runner, tmp_path, model_path):
    report = tmp_path / "r.txt"
    report.write_bytes(SEED0.read_bytes())
    (tmp_path / "link.txt").symlink_to(report)
    os.link(report, tmp_path / "hard.txt")
    for out in (report, tmp_path / "link.txt", tmp_path / "hard.txt"):
        result = run(runner, "predict", report, "--model", model_path, "--out", out)
        one_line_error(result, 2, "--out")
        assert report.read_bytes() == SEED0.read_bytes()
    # an input found inside a given folder counts too
    result = run(runner, "segment", tmp_path, "--out", report)
    one_line_error(result, 2, "one of the inputs")


def test_errors_and_plot_never_touch_the_gold_file(runner, tmp_path, model_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_bytes(GOLD.read_bytes())
    one_line_error(run(runner, "evaluate", gold, "--model", model_path, "--errors", gold), 2, "--errors")
    (tmp_path / "figs").mkdir()
    one_line_error(run(runner, "evaluate", gold, "--model", model_path, "--plot", tmp_path / "figs"), 2,
                   "--plot", "folder")
    one_line_error(run(runner, "evaluate", gold, "--model", model_path, "--plot", gold), 2, "--plot")
    assert gold.read_bytes() == GOLD.read_bytes()


def test_train_out_onto_its_data_is_refused_before_fitting(runner, tmp_path, monkeypatch):
    import edu_clf.model.train
    monkeypatch.setattr(edu_clf.model.train, "train_model", lambda *a, **k: pytest.fail("fitting started"))
    data = tmp_path / "data.jsonl"
    data.write_bytes(GOLD.read_bytes())
    one_line_error(run(runner, "train", data, "--only", "--no-cv", "--out", data), 2, "one of the inputs")
    assert data.read_bytes() == GOLD.read_bytes()


def test_out_that_is_a_device_a_symlink_or_a_folder_is_refused(runner, tmp_path):
    (tmp_path / "elsewhere.txt").write_text("keep", encoding="utf-8")
    (tmp_path / "link.txt").symlink_to(tmp_path / "elsewhere.txt")
    for out, needle in (("/dev/null", "not a regular file"), (tmp_path / "link.txt", "symbolic link"),
                        (tmp_path, "folder")):
        one_line_error(run(runner, "segment", SEED0, "--out", out), 2, needle)
    assert (tmp_path / "elsewhere.txt").read_text(encoding="utf-8") == "keep"
    assert Path("/dev/null").is_char_device()


# ------------------------------------------------------------------ bounded reads


def test_devices_fifos_and_sockets_are_refused_by_name(runner, tmp_path):
    import socket

    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    sock_path = tmp_path / "s.txt"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    (tmp_path / "zero.txt").symlink_to("/dev/zero")  # named explicitly: followed, then refused
    try:
        for path, needle in ((tmp_path / "zero.txt", "character device"), (fifo, "pipe"), (sock_path, "socket")):
            for command in ("segment", "validate"):
                one_line_error(run(runner, command, path), 1, str(path), needle)
    finally:
        sock.close()


def test_a_symlink_to_a_device_inside_a_folder_is_never_read(runner, tmp_path):
    (tmp_path / "a.txt").write_bytes(SEED0.read_bytes())
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    (tmp_path / "passwd.txt").symlink_to("/etc/passwd")
    (tmp_path / "proc").symlink_to("/proc/self")
    result = run(runner, "segment", tmp_path, "--format", "jsonl")
    assert result.exit_code == 0, result.stderr
    docs = {json.loads(line)["doc_id"] for line in result.stdout.splitlines()}
    assert docs == {"a"}
    assert "root:" not in result.stdout
    skipped = [line for line in result.stderr.splitlines() if "outside" in line]
    assert len(skipped) == 3 and any("/etc/passwd" in line for line in skipped), result.stderr


def test_a_link_inside_the_tree_is_still_followed(runner, tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_bytes(SEED0.read_bytes())
    (tmp_path / "b.txt").symlink_to(tmp_path / "sub" / "a.txt")
    result = run(runner, "segment", tmp_path, "--format", "jsonl")
    assert result.exit_code == 0 and "outside" not in result.stderr
    assert {json.loads(line)["doc_id"] for line in result.stdout.splitlines()} == {"a", "b"}


def test_maximum_input_size(runner, tmp_path, monkeypatch):
    small_limits(monkeypatch, 4096)
    big = tmp_path / "big.txt"
    big.write_bytes(SEED0.read_bytes()[:5000])
    one_line_error(run(runner, "segment", big), 1, "big.txt", "larger than the limit")
    labels = tmp_path / "big.jsonl"
    jsonl(labels, [labeled(item=i) for i in range(1, 60)])
    one_line_error(run(runner, "train", labels, "--only", "--no-cv", "--out", tmp_path / "m.skops"), 1,
                   "big.jsonl", "larger than the limit")
    # validate and predict stream a JSONL file: any size, but no line longer than the limit
    result = run(runner, "validate", labels)
    assert result.exit_code == 0 and "ok: 59 labeled items" in result.stdout, result.stderr
    jsonl(labels, [labeled(item=1, text="长" * 3000)])
    one_line_error(run(runner, "validate", labels), 1, "big.jsonl:1", "line longer than the limit")
    from edu_clf.io.corpus import iter_items
    with pytest.raises(DataError, match="big.jsonl:1: line longer than the limit"):
        list(iter_items(labels))


def test_stdin_is_read_with_the_limit(runner, monkeypatch):
    small_limits(monkeypatch, 4096)
    import io

    from edu_clf.io import read_report
    with open("/dev/zero", "rb") as zero:  # read at most 4097 bytes of it
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(zero))
        with pytest.raises(EduClfError, match="standard input is larger than the limit"):
            read_report("-")
        assert zero.tell() <= 4097 + 8192  # one buffered read beyond the bound at most
        monkeypatch.undo()
        small_limits(monkeypatch, 4096)
    result = run(runner, "segment", "-", "--format", "jsonl", input=SEED0.read_bytes()[:3000])
    assert result.exit_code == 0 and result.stdout.count("\n") > 0


def test_config_that_is_a_device_a_folder_or_not_utf8(runner, tmp_path, monkeypatch):
    import edu_clf.model.train
    monkeypatch.setattr(edu_clf.model.train, "train_model", lambda *a, **k: pytest.fail("fitting started"))
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b'seed = 1\n# \xff\xfe latin-1 \xe9\n')
    for config, needle in (("/dev/zero", "not a regular file"), (tmp_path, "folder"), (bad, "not UTF-8")):
        one_line_error(run(runner, "train", GOLD, "--only", "--no-cv", "--config", config,
                           "--out", tmp_path / "m.skops"), 1, str(config), needle)


def test_a_skops_zip_bomb_is_refused_before_loading(runner, tmp_path, monkeypatch, model_path):
    import skops.io
    monkeypatch.setattr(skops.io, "load", lambda *a, **k: pytest.fail("loaded"))
    bomb = tmp_path / "bomb.skops"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("schema.json", "{}")
        archive.writestr("blob.npy", b"\0" * (64 * 2**20))  # 64 MiB of zeros: 64 kB on disk
    assert bomb.stat().st_size < 2**20
    small_limits(monkeypatch, max_model_bytes=16 * 2**20)
    one_line_error(run(runner, "info", bomb), 1, "bomb.skops", "unpack to 64 MiB", "limit of 16 MiB")
    # the real model unpacks to many times its size on disk: refused by the same check
    with zipfile.ZipFile(model_path) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    assert unpacked > model_path.stat().st_size
    small_limits(monkeypatch, max_model_bytes=(unpacked + model_path.stat().st_size) // 2)
    one_line_error(run(runner, "info", model_path), 1, "unpack to")


# ------------------------------------------------------------------ signals

# A JSONL input that takes the pool a few seconds: the signal lands while workers label.
def _big_jsonl(path: Path, copies: int) -> Path:
    lines = [line for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(copies):
            for line in lines:
                record = json.loads(line)
                record["doc_id"] = f"{record['doc_id']}-{n}"
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _rss(pid: int) -> int:
    """Resident bytes of a process and its children (0 once gone)."""
    total = 0
    for one in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


@pytest.fixture(scope="module")
def signal_inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sig")
    _big_jsonl(folder / "items.jsonl", 1200)   # 168,000 items: still running when the signal comes, with room
    # (84,000 were done in about 2 s on a fast machine, once before a loaded test could signal)
    reports = folder / "reports"
    reports.mkdir()
    for n in range(1500):   # 1,500 reports: 300 were all labeled before the signal came
        (reports / f"r{n:04d}.txt").write_bytes(SEED0.read_bytes())
    return folder


@pytest.mark.parametrize("sig, whom, source", [
    (signal.SIGINT, "group", "items.jsonl"),      # Ctrl-C reaches every process of the group
    (signal.SIGTERM, "worker", "items.jsonl"),    # passed on to the parent, which stops the rest
    (signal.SIGTERM, "parent", "reports"),        # whole files go to the workers
])
def test_a_signal_during_predict_jobs_2(signal_inputs, model_path, tmp_path, sig, whom, source):
    out = tmp_path / "out.jsonl"
    out.write_text("old\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "edu_clf", "predict", str(signal_inputs / source), "--model", str(model_path),
           "--format", "jsonl", "--jobs", "2", "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            cwd=tmp_path)
    peak = 0
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (list(tmp_path.glob(".out.jsonl.*.tmp"))
                                                   and len(_children(proc.pid)) >= 2):
            assert proc.poll() is None, proc.communicate()
            peak = max(peak, _rss(proc.pid))
            time.sleep(0.05)
        workers = _children(proc.pid)
        assert len(workers) >= 2, "the pool never started"
        time.sleep(0.3)
        peak = max(peak, _rss(proc.pid))
        if whom == "group":
            os.killpg(proc.pid, sig)
        else:
            os.kill(workers[0] if whom == "worker" else proc.pid, sig)
        stdout, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    stderr = stderr.decode("utf-8", "replace")
    assert proc.returncode == (130 if sig == signal.SIGINT else 143), stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert len([line for line in stderr.splitlines() if "interrupted" in line or "terminated" in line]) == 1
    assert out.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]
    assert 0 < peak < 2**30, peak  # the run with its workers stays under 1 GB
    for worker in workers:  # no worker outlives the run
        assert not Path(f"/proc/{worker}").exists() or "zombie" in Path(f"/proc/{worker}/status").read_text() \
            or _ppid(worker) != proc.pid


def _ppid(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("PPid:"):
                return int(line.split()[1])
    except OSError:
        pass
    return -1


def test_jobs_are_capped_to_cpus_and_inputs(runner, tmp_path, model_path):
    from edu_clf.pipeline import pool_size
    assert pool_size(1000, 2) == 2
    assert pool_size(1000) == os.cpu_count()
    assert pool_size(3, 0) == 1
    for n in range(2):
        (tmp_path / f"r{n}.txt").write_bytes(SEED0.read_bytes())
    result = run(runner, "predict", tmp_path / "r0.txt", tmp_path / "r1.txt", "--model", model_path,
                 "--jobs", "1000", "--format", "jsonl")
    assert result.exit_code == 0, result.stderr
    assert {json.loads(line)["doc_id"] for line in result.stdout.splitlines()} == {"r0", "r1"}


# ------------------------------------------------------------------ one-line errors


@pytest.mark.parametrize("field, raw, needle", [
    ("item", "Infinity", "Infinity is not JSON"),
    ("item", "1e400", "a number too large"),
    pytest.param("item", "9" * 5000, "a number too large", id="item-5000-digits"),
    ("item", "1e300", "must be an integer"),
    ("item", "true", "got True"),
    ("item", "7.9", "got 7.9"),
    ("item", '"7"', "got '7'"),
    ("item", "-1", "from 0 to"),
    ("doc_id", '["a", "b"]', "'doc_id' must be a string"),
    ("doc_id", "false", "'doc_id' must be a string"),
])
def test_jsonl_values_are_refused_not_coerced(runner, tmp_path, field, raw, needle, model_path):
    good = json.dumps(labeled(item=1), ensure_ascii=False)
    record = labeled(item=2)
    record[field] = "@@"
    bad = json.dumps(record, ensure_ascii=False).replace('"@@"', raw)
    path = tmp_path / "bad.jsonl"
    path.write_text(good + "\n" + bad + "\n", encoding="utf-8")
    one_line_error(run(runner, "validate", path), 1, "bad.jsonl:2", needle)
    one_line_error(run(runner, "predict", path, "--model", model_path), 1, "bad.jsonl:2", needle)


def test_deep_nesting_is_one_line(runner, tmp_path, model_path):
    path = tmp_path / "deep.jsonl"
    path.write_text(json.dumps(labeled()) + "\n" + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    one_line_error(run(runner, "validate", path), 1, "deep.jsonl:2", "nested too deeply")
    one_line_error(run(runner, "predict", path, "--model", model_path), 1, "deep.jsonl:2", "nested too deeply")


def test_a_lone_surrogate_is_refused_at_validate_time(runner, tmp_path, model_path):
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps(labeled(item=1)) + "\n" + json.dumps(labeled(item=2), ensure_ascii=False).replace("。", "\\ud800")
                    + "\n", encoding="utf-8")
    one_line_error(run(runner, "validate", path), 1, "s.jsonl:2", "lone surrogate \\ud800")
    one_line_error(run(runner, "predict", path, "--model", model_path), 1, "s.jsonl:2", "surrogate")
    one_line_error(run(runner, "train", path, "--only", "--no-cv", "--out", tmp_path / "m.skops"), 1,
                   "s.jsonl:2", "surrogate")


def test_a_csv_field_over_131072_characters_is_read(tmp_path, schema):
    from edu_clf.io.corpus import read_items
    path = tmp_path / "long.csv"
    text = "推进" * 100_000
    path.write_text(f"doc_id,item,title,headings,text,kind,topic\nd,1,,,{text},plan,infrastructure\n",
                    encoding="utf-8")
    [item] = read_items(path, schema)
    assert item.text == text and item.item == 1
    path.write_text('doc_id,item,text\nd,1,"unterminated\0\n', encoding="utf-8")
    try:
        read_items(path, labeled=False)
    except DataError as exc:
        assert "long.csv" in str(exc)


def test_an_empty_gold_file_is_an_error(runner, tmp_path, model_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    one_line_error(run(runner, "validate", empty), 1, "empty.jsonl", "empty")
    one_line_error(run(runner, "evaluate", empty, "--model", model_path), 1, "empty.jsonl", "empty")


def _segment_subprocess(shell: str, tmp_path: Path) -> subprocess.CompletedProcess:
    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))
    return subprocess.run(["bash", "-c", shell], capture_output=True, timeout=60, cwd=tmp_path,
                          preexec_fn=limits, env={**os.environ, "EDU": f"{sys.executable} -m edu_clf"})


def test_disk_full_and_closed_streams_are_one_line(tmp_path):
    (tmp_path / "r.txt").write_bytes(SEED0.read_bytes())
    for shell, needle in (("$EDU segment r.txt > /dev/full", "No space left on device"),
                          ("$EDU segment r.txt >&-", "standard output is closed"),
                          ("$EDU segment - <&-", "standard input is closed")):
        done = _segment_subprocess(shell, tmp_path)
        stderr = done.stderr.decode("utf-8", "replace")
        assert done.returncode in (1, 2), (shell, done.returncode, stderr)
        assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
        assert stderr.count("\n") == 1 and needle in stderr, (shell, stderr)


def test_disk_full_while_writing_out_keeps_the_old_file(runner, tmp_path, monkeypatch):
    from edu_clf.report import writers

    def full(self, record):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(writers.JsonlWriter, "row", full)
    out = tmp_path / "out.jsonl"
    out.write_text("old\n", encoding="utf-8")
    one_line_error(run(runner, "segment", SEED0, "--format", "jsonl", "--out", out), 1, "No space left")
    assert out.read_text(encoding="utf-8") == "old\n" and sorted(tmp_path.iterdir()) == [out]


@pytest.mark.parametrize("setting, needle", [
    ("model.C=abc", "must be a number"),
    ("model.C=0", "greater than 0"),
    ("model.C=-1", "greater than 0"),
    ("model.calibration_folds=1", "at least 2"),
    ("cv.n_folds=5", "unknown key"),
    ("features.context_weight=abc", "must be a number"),
    ("features.min_df=1.5", "must be an integer"),
    ("features.text_words=3", "true or false"),
    ("features.max_df=7", "at most 1.0"),
    ("model.max_iter=nan", "must be an integer"),
    ("features.min_df=100000", "more than the"),
])
def test_set_values_are_checked_before_any_fitting(runner, tmp_path, monkeypatch, setting, needle):
    import edu_clf.model.train
    monkeypatch.setattr(edu_clf.model.train, "train_model", lambda *a, **k: pytest.fail("fitting started"))
    one_line_error(run(runner, "train", GOLD, "--only", "--no-cv", "--set", setting, "--out", tmp_path / "m.skops"),
                   1, setting.split("=")[0], needle)
    if "min_df=1e" not in setting and "100000" not in setting:
        one_line_error(run(runner, "evaluate", GOLD, "--cv", "--set", setting), 1, needle)


def _damaged_model(path: Path, model_path: Path, change) -> Path:
    import skops.io as sio
    from edu_clf.model.persist import ALLOWED_TYPES, load_model
    trained = load_model(model_path)
    meta = change(trained.meta.to_dict())
    untrusted = sio.get_untrusted_types(file=model_path)
    assert set(untrusted) <= ALLOWED_TYPES or untrusted
    sio.dump({"meta": json.dumps(meta), "estimator": trained.estimator}, path)
    return path


def _set(d: dict, key: str, value) -> dict:
    d[key] = value
    return d


@pytest.mark.parametrize("name, change, needle", [
    ("version", lambda m: _set(m, "format_version", "2"), "'format_version' must be an integer"),
    ("list", lambda m: [m], "expected an object, found list"),
    ("cv", lambda m: _set(m, "metrics", {"cv": {"kind": {"macro_f1": 0.9}, "topic": {"macro_f1": 0.9}}}),
     "no 'method'"),
    ("data", lambda m: _set(m, "data", "all of it"), "'data' must be an object"),
])
def test_damaged_model_metadata_is_refused_before_any_output(runner, tmp_path, model_path, name, change, needle):
    bad = _damaged_model(tmp_path / f"{name}.skops", model_path, change)
    for args in (("info", bad), ("predict", "--text", "下半年将继续推进校舍改造工程。", "--model", bad)):
        result = run(runner, *args)
        one_line_error(result, 1, f"{name}.skops", "damaged model metadata", needle)
        assert result.stdout == ""


# ------------------------------------------------------------------ text hygiene


def test_nul_and_control_characters_are_removed_at_decode_time(runner, tmp_path):
    clean = SEED0.read_text(encoding="utf-8")
    lines = clean.split("\n")
    dirty = "\n".join(("\x00" + line + "\x00\x1b" if n % 3 == 0 else line) for n, line in enumerate(lines))
    (tmp_path / "clean.txt").write_text(clean, encoding="utf-8")
    (tmp_path / "dirty.txt").write_text(dirty + "\x00\x00\n", encoding="utf-8")
    out = {}
    for name in ("clean", "dirty"):
        result = run(runner, "segment", tmp_path / f"{name}.txt", "--format", "jsonl")
        assert result.exit_code == 0, result.stderr
        out[name] = [(r["item"], r["text"], r["headings"]) for r in map(json.loads, result.stdout.splitlines())]
        if name == "dirty":
            removed = dirty.count("\x00") + dirty.count("\x1b") + 2
            assert f"removed {removed} control character(s)" in result.stderr and "dirty.txt" in result.stderr
    assert out["dirty"] == out["clean"] and len(out["clean"]) > 5


def test_clean_text_warns_through_edu_clf_warning():
    from edu_clf.errors import EduClfWarning
    from edu_clf.io.limits import clean_text
    with pytest.warns(EduClfWarning, match="x.txt: removed 3 control"):
        assert clean_text("a\x00b\x7fc\x85d\x0ce", "x.txt") == "abcd\ne"
    assert clean_text("普通\t文本\r\n", "x.txt") == "普通\t文本\r\n"


@pytest.mark.filterwarnings("ignore:.*control character")
def test_jsonl_splits_on_newline_only(runner, tmp_path, schema, model_path):
    from edu_clf.io.corpus import iter_items, read_items
    texts = ["第一行\u2028仍是第一项。", "下一\u0085项", "分页\x0c符号", "分隔\x1c符"]
    # four items, none split; the controls among them go by the decode-time rule (form feed: a line break)
    read = ["第一行\u2028仍是第一项。", "下一项", "分页\n符号", "分隔符"]
    path = tmp_path / "u.jsonl"
    path.write_bytes("".join(json.dumps(labeled(item=i, text=t), ensure_ascii=False) + "\n"
                             for i, t in enumerate(texts, 1)).encode("utf-8"))
    assert [it.text for it in read_items(path, schema)] == read
    assert [it.text for it in iter_items(path)] == read
    result = run(runner, "validate", path)
    assert result.exit_code == 0 and "ok: 4 labeled items" in result.stdout, result.stderr
    result = run(runner, "predict", path, "--model", model_path, "--format", "jsonl")
    assert [json.loads(line)["text"] for line in result.stdout.split("\n") if line] == read


def test_table_output_strips_terminal_control_sequences(runner, tmp_path, model_path):
    from edu_clf.report.writers import terminal_safe
    hostile = "\x1b[2J\x1b]0;owned\x07继续\x1b[31m推进\x9b0m改造\u202e工程\x07。"
    assert terminal_safe(hostile) == "继续推进改造工程。"
    path = jsonl(tmp_path / "t.jsonl", [labeled(text=hostile)])
    for command in (("predict", path, "--model", model_path), ("segment", path)):
        result = run(runner, *command)
        assert result.exit_code == 0, result.stderr
        assert "继续推进改造工程" in result.stdout
        assert not any(ch in result.stdout for ch in "\x1b\x07\x9b\u202e")


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralized(runner, tmp_path, model_path):
    import csv
    import io
    from edu_clf.report.writers import neutralize_cell
    assert neutralize_cell("\r=1") == "'\r=1" and neutralize_cell(" =1") == " =1" and neutralize_cell(-1.5) == -1.5
    texts = ["=HYPERLINK(\"http://x\",\"点击\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "普通文本"]
    path = jsonl(tmp_path / "f.jsonl", [labeled(item=i, text=t) for i, t in enumerate(texts, 1)])
    for command in (("predict", path, "--model", model_path), ("segment", path)):
        result = run(runner, *command, "--format", "csv")
        assert result.exit_code == 0, result.stderr
        cells = [row["text"] for row in csv.DictReader(io.StringIO(result.stdout, newline=""))]
        written = texts
        assert cells == ["'" + t for t in written[:-1]] + [written[-1]]
        raw = run(runner, *command, "--format", "csv", "--raw-csv")
        assert [row["text"] for row in csv.DictReader(io.StringIO(raw.stdout, newline=""))] == written
    numbers = run(runner, "predict", path, "--model", model_path, "--format", "csv")
    first = next(csv.DictReader(io.StringIO(numbers.stdout)))
    assert float(first["kind_score"]) > 0  # numbers are not strings: never touched


def test_html_report_shows_bidi_and_zero_width_characters(runner, tmp_path, model_path):
    path = jsonl(tmp_path / "b.jsonl", [labeled(text="推进\u202e程工造改\u202c校舍\u200b改造。")])
    out = tmp_path / "b.html"
    result = run(runner, "report", path, "--model", model_path, "--out", out)
    assert result.exit_code == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert "⟦U+202E⟧" in page and "⟦U+200B⟧" in page and "⟦U+202C⟧" in page
    assert "\u202e" not in page and "\u200b" not in page


# ------------------------------------------------------------------ file names that are not UTF-8

# Bytes that are not UTF-8 (Python holds them as surrogate escapes: os.fsdecode(b"\xff") == "\udcff"),
# as a Windows zip with GBK names leaves them on Linux.
BAD_NAME = b"\xff\xfe\xb9\xa4\xd7\xf7"   # \xb9\xa4\xd7\xf7 is 工作 in GBK


def _names(folder: Path) -> set[bytes]:
    return set(os.listdir(os.fsencode(folder)))


def test_out_named_in_bytes_that_are_not_utf8_is_written_with_those_bytes(runner, tmp_path, model_path):
    for suffix, args in ((b".jsonl", ("predict", SEED0, "--model", model_path, "--format", "jsonl")),
                         (b".csv", ("segment", SEED0, "--format", "csv")),
                         (b".silver.jsonl", ("bootstrap", SEED0))):   # bootstrap says "wrote NAME" on stdout
        name = BAD_NAME + suffix
        result = run(runner, *args, "--out", os.fsdecode(tmp_path / os.fsdecode(name)))
        assert result.exit_code == 0 and "Traceback" not in result.stderr, (args[0], result.stderr,
                                                                             result.exception)
        assert name in _names(tmp_path)
        data = (os.fsencode(tmp_path) + b"/" + name)
        with open(data, "rb") as handle:
            lines = handle.read().decode("utf-8").splitlines()
        assert len(lines) > 5
        if suffix != b".csv":
            assert all(json.loads(line)["doc_id"] == SEED0.stem for line in lines)
    assert "\\xff\\xfe" in result.stdout   # the name shown, escaped, where the terminal would choke on it
    assert _names(tmp_path) == {BAD_NAME + s for s in (b".jsonl", b".csv", b".silver.jsonl")}  # no temp file


def test_an_input_named_in_bytes_that_are_not_utf8_is_one_line(runner, tmp_path, model_path):
    bad = os.fsencode(tmp_path) + b"/" + BAD_NAME + b".txt"
    with open(bad, "wb") as handle:
        handle.write(SEED0.read_bytes())
    bad = os.fsdecode(bad)
    shown = "\\xff\\xfe\\xb9\\xa4\\xd7\\xf7.txt"
    for args in (("segment", bad), ("segment", bad, "--format", "csv"),
                 ("predict", bad, "--model", model_path, "--format", "jsonl"),
                 ("segment", tmp_path, "--format", "jsonl"),   # found in a folder: the same
                 ("predict", bad, "--model", model_path, "--out", tmp_path / "out.jsonl")):
        result = run(runner, *args)
        one_line_error(result, 1, shown, "not UTF-8", "rename")
        assert result.stdout == "", args
    assert not (tmp_path / "out.jsonl").exists()
    # --skip-errors labels the rest and names the file it skipped
    (tmp_path / "good.txt").write_bytes(SEED0.read_bytes())
    result = run(runner, "predict", tmp_path, "--model", model_path, "--format", "jsonl", "--skip-errors")
    assert result.exit_code == 0, result.stderr
    assert {json.loads(line)["doc_id"] for line in result.stdout.splitlines()} == {"good"}
    assert shown in result.stderr and "Traceback" not in result.stderr


def test_a_jsonl_input_named_in_bytes_that_are_not_utf8_is_one_line(runner, tmp_path, model_path):
    bad = os.fsencode(tmp_path) + b"/" + BAD_NAME + b".jsonl"
    with open(bad, "wb") as handle:
        handle.write(GOLD.read_bytes())
    for args in (("predict", os.fsdecode(bad), "--model", model_path, "--format", "jsonl"),
                 ("validate", os.fsdecode(bad))):
        result = run(runner, *args)
        one_line_error(result, 1, "\\xff\\xfe\\xb9\\xa4\\xd7\\xf7.jsonl", "not UTF-8")
        assert result.stdout == ""


# ------------------------------------------------------------------ control characters inside JSONL fields


def _dirty_gold(path: Path) -> tuple[Path, int]:
    """The gold file with control characters (as JSON escapes) in the text of four items; how many."""
    dirty = ["\u0000", "\u001b[31m", "\u0007", "\u007f\u0085"]
    lines = GOLD.read_text(encoding="utf-8").splitlines()
    for n, mark in enumerate(dirty):
        record = json.loads(lines[n * 10])
        record["text"] = record["text"][:4] + mark + record["text"][4:] + "\u2028"   # U+2028 is no control
        lines[n * 10] = json.dumps(record)   # ASCII escapes: \u0000, \u001b …
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, sum(len(m) for m in dirty)


def test_control_characters_in_jsonl_fields_are_removed_and_counted(runner, tmp_path, model_path, schema):
    from edu_clf.io.corpus import iter_items, read_items
    path, removed = _dirty_gold(tmp_path / "dirty.jsonl")
    warning = f"removed {removed} control character(s)"
    clean = {(it.doc_id, it.item): it.text for it in read_items(GOLD, schema)}
    with pytest.warns(EduClfWarning, match=re.escape(warning)):
        items = read_items(path, schema)
    with pytest.warns(EduClfWarning, match=re.escape(warning)):
        streamed = list(iter_items(path))
    for got in (items, streamed):
        texts = {(it.doc_id, it.item): it.text for it in got}
        assert texts.keys() == clean.keys()
        for key, text in texts.items():   # ESC [31m goes whole; U+2028 is no control character
            assert text.removesuffix("\u2028") == clean[key], key
        assert not any(ch in "".join(texts.values()) for ch in "\x00\x1b\x07\x7f\x85")
    # validate and predict: the same rule, said once per file
    result = run(runner, "validate", path)
    assert result.exit_code == 0 and result.stderr.count(warning) == 1, result.stderr
    result = run(runner, "predict", path, "--model", model_path, "--format", "jsonl")
    assert result.exit_code == 0 and result.stderr.count(warning) == 1, result.stderr
    assert not any(ch in result.stdout for ch in "\x1b\x07\x7f\x85") and "\\u0000" not in result.stdout
    # with workers (a real process: their warnings go to its stderr)
    done = subprocess.run([sys.executable, "-m", "edu_clf", "predict", str(path), "--model", str(model_path),
                           "--format", "jsonl", "--jobs", "2"], capture_output=True, timeout=120, env=_cli_env())
    assert done.returncode == 0 and warning in done.stderr.decode("utf-8"), done.stderr
    assert done.stdout.decode("utf-8") == result.stdout
    # a field of control characters only is empty: refused with the line
    jsonl(path, [labeled(item=1), labeled(item=2, text="\x00\x00\x07")])
    one_line_error(run(runner, "validate", path), 1, "dirty.jsonl:2", "nothing but control characters")


def test_train_on_jsonl_with_control_characters_learns_the_clean_text(runner, tmp_path):
    path, removed = _dirty_gold(tmp_path / "dirty.jsonl")
    result = run(runner, "train", path, "--only", "--no-cv", "--set", "model.max_iter=200",
                 "--out", tmp_path / "m.skops")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count(f"removed {removed} control character(s)") == 1, result.stderr


# ------------------------------------------------------------------ SIGTERM during train


def _catches(pid: int, sig: int) -> bool:
    """The process has a handler for `sig` (its SigCgt mask in /proc): edu-clf's own start-up is over."""
    try:
        mask = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                    if line.startswith("SigCgt:"))
    except (OSError, StopIteration):
        return False
    return bool(int(mask.split()[1], 16) >> (sig - 1) & 1)


def _cli_env() -> dict[str, str]:
    """The environment of a CLI subprocess: this checkout's edu_clf first, whatever is installed."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


@pytest.mark.parametrize("when", ["fitting", "saving"])
def test_sigterm_during_train_keeps_the_older_model(tmp_path, model_path, when):
    """143, one line, no temp file, and both older files (model and runtime artifact) byte for byte:
    3 s after the start (cross-validation is fitting), or the moment the first temp file appears."""
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "m.skops").write_bytes(model_path.read_bytes())
    (folder / "m.npz").write_bytes(b"an older runtime artifact")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    cmd = [sys.executable, "-m", "edu_clf", "-q", "train", str(GOLD), "--only", "--out", str(folder / "m.skops")]
    if when == "saving":
        cmd.append("--no-cv")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path, env=_cli_env(),
                            start_new_session=True)
    started = time.monotonic()
    try:
        deadline = started + 120
        while not _catches(proc.pid, signal.SIGTERM):   # a loaded machine may take a while to import
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.01)
        if when == "fitting":
            time.sleep(max(0.0, started + 3 - time.monotonic()))
        else:
            while not any(p.name.endswith(".tmp") for p in folder.iterdir()):
                assert proc.poll() is None, ("finished before a temp file was seen", proc.communicate())
                assert time.monotonic() < deadline
                time.sleep(0.002)
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    stderr = stderr.decode("utf-8", "replace")
    assert proc.returncode == 143, stderr
    assert stderr.splitlines() == ["edu-clf: terminated (SIGTERM); nothing was written"], stderr
    assert stdout == b""
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before   # no .m.skops.*.tmp, nothing replaced


def test_train_checks_the_runtime_artifact_path_before_fitting(runner, tmp_path, monkeypatch):
    import edu_clf.model.train
    monkeypatch.setattr(edu_clf.model.train, "train_model", lambda *a, **k: pytest.fail("fitting started"))
    (tmp_path / "m.npz").mkdir()   # where the runtime artifact of m.skops would go
    one_line_error(run(runner, "train", GOLD, "--only", "--no-cv", "--out", tmp_path / "m.skops"), 2,
                   "m.npz", "folder")


# ------------------------------------------------------------------ fuzz


hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def fuzz_dir(tmp_path_factory, monkeypatch):
    small_limits(monkeypatch, 4096)
    return tmp_path_factory.mktemp("fuzz")


@pytest.mark.filterwarnings("ignore::edu_clf.errors.EduClfWarning")
@FUZZ
@given(data=st.one_of(st.binary(max_size=5000),
                      st.text(max_size=1500).map(lambda t: t.encode("utf-8", "surrogatepass")),
                      st.text(max_size=800).map(lambda t: t.encode("utf-16", "surrogatepass"))))
def test_fuzz_text_reader(fuzz_dir, data):
    from edu_clf.io import read_report
    path = fuzz_dir / "f.txt"
    path.write_bytes(data)
    try:
        report = read_report(path)
    except EduClfError:
        return
    assert isinstance(report.text, str)
    assert not any(ch in report.text for ch in "\x00\x1b\x7f")


_json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                            lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                        max_size=4),
                            max_leaves=12)
_records = st.fixed_dictionaries({"doc_id": _json_values, "item": _json_values, "text": _json_values},
                                 optional={"title": _json_values, "headings": _json_values, "kind": _json_values,
                                           "topic": _json_values, "source": _json_values})
_lines = st.one_of(_records.map(json.dumps), st.text(max_size=200), st.sampled_from(
    ['{"doc_id": "d", "item": 1, "text": "x\\ud800"}', '{"item": Infinity}', "[" * 3000, '{"item": 1e999}',
     '{"doc_id": "d", "item": 1, "text": "t", "kind": "plan", "topic": "safety"}']))


@pytest.mark.filterwarnings("ignore::edu_clf.errors.EduClfWarning")
@FUZZ
@given(lines=st.lists(_lines, max_size=8), raw=st.binary(max_size=300), use_raw=st.booleans())
def test_fuzz_jsonl_reader(fuzz_dir, schema, lines, raw, use_raw):
    from edu_clf.io.corpus import iter_items, read_items
    path = fuzz_dir / "f.jsonl"
    path.write_bytes(raw if use_raw else "\n".join(lines).encode("utf-8", "surrogatepass"))
    for read in (lambda: read_items(path, schema), lambda: read_items(path, labeled=False),
                 lambda: list(iter_items(path))):
        try:
            items = read()
        except EduClfError:
            continue
        for item in items:
            assert isinstance(item.doc_id, str) and type(item.item) is int and isinstance(item.text, str)
            item.text.encode("utf-8")


def test_a_signal_while_the_temp_file_is_made_waits_until_its_name_is_known(tmp_path):
    """atomic_path makes its temp file with SIGINT and SIGTERM held: the handler runs after, where the
    clean-up knows the file (the race test_sigterm_during_train_keeps_the_older_model[saving] once lost)."""
    from edu_clf.io.atomic import _signals_held, atomic_path
    reached = []
    with pytest.raises(KeyboardInterrupt):
        with _signals_held():
            os.kill(os.getpid(), signal.SIGINT)
            reached.append("after the kill")   # the handler has not run yet
    assert reached == ["after the kill"]
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(tmp_path / "out.txt") as tmp:
            assert tmp.exists()
            os.kill(os.getpid(), signal.SIGINT)
    assert list(tmp_path.iterdir()) == []
