"""The Dask engine (edu_clf.pipeline_dask) on a LocalCluster of 2 worker processes.

Same predictions byte for byte as the in-process run; a worker killed mid-run; --resume after an
interruption; a bad input; JSONL and Parquet in and out; joblib's Dask backend for grouped CV.
"""
from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from edu_clf.cli import app  # noqa: E402
from edu_clf.errors import InputError, UsageError  # noqa: E402
from edu_clf import pipeline_dask  # noqa: E402
from edu_clf.pipeline_dask import MANIFEST, file_sha256, predict_partitioned, read_partitions  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
INPUTS = [*map(str, sorted((ROOT / "seeds").glob("*.txt"))), str(ROOT / "corpus" / "written")]


@pytest.fixture(scope="module")
def cluster():
    """The engine's own LocalCluster (no scheduler address): 2 processes, one thread each."""
    with pipeline_dask.dask_client(None, jobs=2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        yield client


@pytest.fixture(scope="module")
def reference(runner, model_path, tmp_path_factory) -> bytes:
    """The in-process `edu-clf predict --format jsonl` output on the seeds and the written corpus."""
    out = tmp_path_factory.mktemp("ref") / "ref.jsonl"
    result = runner.invoke(app, ["predict", *INPUTS, "--format", "jsonl", "--model", str(model_path),
                                 "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def _render(inputs=INPUTS):
    from edu_clf.report.dask_rows import JsonlRows
    from edu_clf.segment.meta import MetaReader
    from edu_clf.io import iter_input_paths
    from edu_clf.pipeline import WithPath
    paths = list(iter_input_paths(inputs))
    return JsonlRows(WithPath(MetaReader(None, paths), paths))   # the CLI's rows: path, then the metadata


def _settle(client, seconds: float = 20.0) -> None:
    """Wait until no task runs on the cluster (tasks cancelled by a stopped run still finish there)."""
    import time
    deadline = time.monotonic() + seconds
    while any(client.processing().values()) and time.monotonic() < deadline:
        time.sleep(0.1)


def _joined(out: Path) -> bytes:
    return "".join(read_partitions(out)).encode("utf-8")


def test_cli_engine_dask_gives_the_in_process_bytes(runner, model_path, cluster, reference, tmp_path):
    out = tmp_path / "run"
    result = runner.invoke(app, ["predict", *INPUTS, "--engine", "dask", "--scheduler", cluster.scheduler.address,
                                 "--partition-size", "600", "--model", str(model_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert _joined(out) == reference
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["complete"] and len(manifest["partitions"]) >= 5
    assert manifest["items"] == reference.count(b"\n")
    for entry in manifest["partitions"]:
        path = out / entry["file"]
        assert file_sha256(path) == entry["sha256"]
        assert path.read_bytes().count(b"\n") == entry["items"]
        assert entry["inputs"] and all(Path(i["path"]).exists() for i in entry["inputs"])
    # reports are never split: each input file is in exactly one partition, in input order
    listed = [i["path"] for e in manifest["partitions"] for i in e["inputs"]]
    assert len(listed) == len(set(listed)) == len(manifest["inputs"])
    # each worker loaded the model once, however many partitions it labeled
    loads = cluster.run(pipeline_dask.model_loads)
    assert all(counts.get(manifest["model_sha256"]) == 1 for counts in loads.values()), loads
    assert f"labeled {manifest['items']} items in {len(manifest['partitions'])} partition(s)" in result.output


def test_resume_after_an_interrupted_run_gives_the_same_output(model_path, cluster, reference, tmp_path):
    out = tmp_path / "run"
    seen = []

    def stop_after_three(result):
        seen.append(result["partition"])
        if len(seen) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        predict_partitioned(INPUTS, out, model_path, client=cluster, partition_size=600, render=_render(),
                            on_partition=stop_after_three)
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    done = [e for e in manifest["partitions"] if e["status"] == "done"]
    assert not manifest["complete"] and len(done) == 3
    # a partition file is there whole or not at all
    _settle(cluster)
    # a cancelled task already running on a worker finishes its write (dask cannot stop a running
    # thread): its temp file is renamed or removed, never left behind
    import time
    deadline = time.monotonic() + 30
    while list(out.glob(".*.tmp")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not list(out.glob(".*.tmp"))
    for path in out.glob("part-*"):
        assert path.read_bytes().endswith(b"\n")
    # a partition file damaged after the interruption is found by its sha256 and labeled again
    damaged = out / done[0]["file"]
    data = bytearray(damaged.read_bytes())
    data[10] ^= 1
    damaged.write_bytes(bytes(data))
    # the plan must be the same: another partition size is refused
    with pytest.raises(UsageError, match="other inputs, model or options"):
        predict_partitioned(INPUTS, out, model_path, client=cluster, partition_size=700, render=_render(),
                            resume=True)
    summary = predict_partitioned(INPUTS, out, model_path, client=cluster, partition_size=600, render=_render(),
                                  resume=True)
    assert summary.resumed == 2 and summary.done == summary.partitions - 2
    assert _joined(out) == reference
    assert not list(out.glob(".*.tmp"))
    # without --resume, a folder holding a run is refused (nothing is mixed into it)
    with pytest.raises(UsageError, match="already holds a run"):
        predict_partitioned(INPUTS, out, model_path, client=cluster, partition_size=600)


def test_a_bad_input_stops_the_run_naming_the_file(model_path, cluster, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_bytes((ROOT / "seeds" / "000_a2250ef0bda6fe1b.txt").read_bytes())
    (folder / "b.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    (folder / "c.txt").write_bytes((ROOT / "seeds" / "001_d1a5ab93dabdedf6.txt").read_bytes())
    out = tmp_path / "run"
    with pytest.raises(InputError, match=r"b\.txt.*PNG") as caught:
        predict_partitioned([str(folder)], out, model_path, client=cluster, partition_size=1)
    assert "no partition file was written" in str(caught.value)
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    bad = next(e for e in manifest["partitions"] if e["inputs"][0]["path"].endswith("b.txt"))
    assert bad["status"] == "pending" and not (out / bad["file"]).exists()
    _settle(cluster)   # the good partitions cancelled mid-run end on the shared cluster
    assert not list(out.glob(".*.tmp"))
    for path in out.glob("part-*"):
        assert path.read_bytes().endswith(b"\n")
    # with skip_errors the bad file is listed in the manifest and the others are labeled
    out2 = tmp_path / "run2"
    summary = predict_partitioned([str(folder)], out2, model_path, client=cluster, partition_size=1,
                                  skip_errors=True)
    manifest = json.loads((out2 / MANIFEST).read_text(encoding="utf-8"))
    assert [s["path"] for s in manifest["skipped"]] == [str(folder / "b.txt")]
    assert "PNG" in manifest["skipped"][0]["reason"]
    lines = _joined(out2).decode("utf-8").splitlines()
    assert summary.items == len(lines) > 0
    assert {json.loads(line)["doc_id"] for line in lines} == {"a", "c"}


def test_jsonl_and_parquet_inputs_and_parquet_output(runner, model_path, cluster, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    items = tmp_path / "items.jsonl"
    result = runner.invoke(app, ["segment", *INPUTS[:5], "--format", "jsonl", "--out", str(items)])
    assert result.exit_code == 0, result.output
    ref = tmp_path / "ref.jsonl"
    result = runner.invoke(app, ["predict", str(items), "--format", "jsonl", "--model", str(model_path),
                                 "--out", str(ref), "-q"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "from-jsonl"
    predict_partitioned([str(items)], out, model_path, client=cluster, partition_size=20,
                        render=_render([str(items)]))
    assert _joined(out) == ref.read_bytes()
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert len(manifest["partitions"]) > 3
    # documents are never split across partitions
    per_part = [{json.loads(line)["doc_id"] for line in (out / e["file"]).read_text("utf-8").splitlines()}
                for e in manifest["partitions"]]
    assert sum(len(ids) for ids in per_part) == len(set().union(*per_part))
    # the same items as Parquet, and Parquet partitions out
    records = [json.loads(line) for line in items.read_text("utf-8").splitlines()]
    table = pa.table({key: [r.get(key) for r in records] for key in ("doc_id", "item", "title", "headings", "text")})
    pq.write_table(table, tmp_path / "items.parquet")
    out_pq = tmp_path / "from-parquet"
    predict_partitioned([str(tmp_path / "items.parquet")], out_pq, model_path, client=cluster, partition_size=20,
                        render=_render([str(items)]), output="parquet")
    manifest = json.loads((out_pq / MANIFEST).read_text(encoding="utf-8"))
    rows = [row for e in manifest["partitions"] for row in pq.read_table(out_pq / e["file"]).to_pylist()]
    expected = [json.loads(line) for line in ref.read_text("utf-8").splitlines()]
    assert len(rows) == len(expected) == manifest["items"]
    assert [(r["doc_id"], r["item"], r["kind"], r["topic"], r["kind_score"], list(r["headings"])) for r in rows] == \
        [(e["doc_id"], e["item"], e["kind"], e["topic"], e["kind_score"], e["headings"]) for e in expected]


def test_joblib_work_runs_on_the_cluster(cluster):
    """joblib_on_dask: joblib.Parallel (as cross_validate_views and tuning use it) runs on the workers."""
    from joblib import Parallel, delayed

    with pipeline_dask.joblib_on_dask(client=cluster):
        pids = Parallel(n_jobs=-1)(delayed(os.getpid)() for _ in range(8))
    workers = set(cluster.run(os.getpid).values())
    assert set(pids) <= workers and os.getpid() not in pids


def test_missing_dask_names_the_extra(monkeypatch, runner, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(UsageError, match=r"edu-clf\[dask\]"):
        pipeline_dask.require_dask()
    result = runner.invoke(app, ["predict", INPUTS[0], "--engine", "dask", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "pip install 'edu-clf[dask]'" in result.output


def test_a_worker_killed_mid_run_loses_no_item_and_doubles_none(model_path, cluster, reference, tmp_path):
    """Last in this file: the killed worker's nanny starts a new one while the module's cluster closes."""
    out = tmp_path / "run"
    killed = []

    def kill_one(result):
        if not killed:
            pids = cluster.run(os.getpid)
            victim = next(pid for pid in pids.values() if pid != result["pid"])
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    summary = predict_partitioned(INPUTS, out, model_path, client=cluster, partition_size=300, render=_render(),
                                  on_partition=kill_one)
    assert killed and killed[0] not in cluster.run(os.getpid).values()
    assert summary.done == summary.partitions
    joined = _joined(out)
    assert joined == reference
    keys = [(r["doc_id"], r["item"]) for r in map(json.loads, joined.decode("utf-8").splitlines())]
    assert len(keys) == len(set(keys)) == reference.count(b"\n")
    assert not list(out.glob(".*.tmp"))
