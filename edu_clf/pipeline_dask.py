"""The Dask engine: label millions of items on a cluster (or a LocalCluster here), partition by partition.

`predict_partitioned` plans the inputs (report files and folders, guide-format
JSONL, Parquet) into partitions of about `partition_size` items that never
split a document, hands each partition to a Dask worker, and writes one output
file per partition (JSONL, or Parquet through pyarrow) into a folder, with a
`manifest.json` naming every partition's inputs, item count and sha256.
Concatenating the partition files in order gives exactly the lines of an
in-process `edu-clf predict --format jsonl` run.

- The model file's bytes are shipped to the workers once, by a worker plugin
  that loads them when a worker starts (a worker that restarts loads it again);
  tasks find the model in a per-process cache keyed by its sha256.
- Partition files are written atomically: a killed worker leaves no partial
  file, and its partitions are retried elsewhere by the scheduler, so every
  item appears exactly once.
- `resume=True` skips partitions whose file exists with the size and sha256
  recorded in the manifest; the plan (inputs, their sizes and mtimes, the
  model's sha256, the options) must be the one the manifest was written for.
- A partition whose input cannot be read stops the run, naming the file (no
  partition file is written for it); with `skip_errors` the bad files (for
  JSONL: the bad file's stretch in that partition) are listed in the manifest.

Needs the optional extra: pip install 'edu-clf[dask]'.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from edu_clf.errors import EduClfError, ModelError, UsageError
from edu_clf.records import Document, Prediction, json_line

try:  # the plugin's base class; without the extra, require_dask() says what to install
    from distributed.diagnostics.plugin import WorkerPlugin as _WorkerPlugin
except ImportError:  # pragma: no cover - exercised only where dask is absent
    _WorkerPlugin = object  # type: ignore[assignment,misc]

EXTRA_HINT = "install the optional extra: pip install 'edu-clf[dask]'"
MANIFEST = "manifest.json"
MANIFEST_FORMAT = "edu-clf-dask-manifest"
MANIFEST_VERSION = 1
OUTPUTS = ("jsonl", "parquet")
DEFAULT_PARTITION_SIZE = 20_000
# Report files are grouped whole; their item count is estimated from their size (the seeds and the
# written corpus hold about one outline item per 500 bytes of UTF-8 text).
REPORT_BYTES_PER_ITEM = 500
MANIFEST_EVERY = 1.0   # seconds between manifest rewrites while a run goes on (and once at the end)
PARQUET_SUFFIXES = (".parquet", ".pq")
_DOC_ID = re.compile(rb'"doc_id"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)')


def require_dask() -> Any:
    """The `distributed` module, or a UsageError naming the extra to install."""
    try:
        import distributed
    except ImportError:
        raise UsageError("the Dask engine needs dask.distributed, which is not installed",
                         hint=EXTRA_HINT) from None
    return distributed


# ---------------------------------------------------------------- planning

@dataclass(frozen=True)
class Slice:
    """A stretch of one input file: a whole report, or lines [start, stop) bytes of a JSONL file
    (`first_line` is the file's own line number there), or rows [start, stop) of a Parquet file."""

    path: str
    kind: str            # "report", "jsonl", "parquet"
    start: int = 0
    stop: int = -1
    first_line: int = 1
    doc_id: str | None = None   # a report's doc_id, unique across the run's inputs (pipeline.unique_doc_ids)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "kind": self.kind}
        if self.kind == "report":
            out["doc_id"] = self.doc_id
        else:
            out.update(start=self.start, stop=self.stop)
        if self.kind == "jsonl":
            out["first_line"] = self.first_line
        return out


@dataclass(frozen=True)
class Partition:
    index: int
    slices: tuple[Slice, ...]
    file: str

    def plan(self) -> dict[str, Any]:
        return {"partition": self.index, "file": self.file, "inputs": [s.to_dict() for s in self.slices]}


def _input_kind(path: str) -> str:
    from edu_clf.io import report_kind

    if path == "-":
        raise UsageError("the Dask engine reads files, not standard input; save it to a file first")
    if path.lower().endswith(PARQUET_SUFFIXES):
        return "parquet"
    return "jsonl" if report_kind(path) == "jsonl" else "report"


def _doc_key(raw: bytes) -> str | None:
    """The doc_id of a JSONL line, read cheaply; None when it cannot be told (the worker will say why)."""
    if raw.count(b'"doc_id"') == 1:   # the usual line: one doc_id key, read without parsing the line
        found = _DOC_ID.search(raw)
        if found is not None:
            return str(json.loads(found.group(1)))
    try:
        record = json.loads(raw)
    except ValueError:
        return None
    return str(record["doc_id"]) if isinstance(record, dict) and "doc_id" in record else None


def _jsonl_slices(path: str, size: int) -> Iterator[Slice]:
    """Stretches of about `size` items, each closed at a change of doc_id (documents are never split)."""
    start, first_line, count, previous = 0, 1, 0, object()
    pos = 0
    try:
        handle = open(path, "rb")
    except OSError as exc:
        from edu_clf.errors import InputError
        raise InputError(f"cannot read: {exc.strerror}", path) from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            if raw.strip():
                key = _doc_key(raw)
                if count >= size and key is not None and key != previous:
                    yield Slice(path, "jsonl", start, pos, first_line)
                    start, first_line, count = pos, number, 0
                count += 1
                if key is not None:
                    previous = key
            pos += len(raw)
    if count:
        yield Slice(path, "jsonl", start, pos, first_line)


def _parquet_slices(path: str, size: int) -> Iterator[Slice]:
    import pyarrow.parquet as pq

    try:
        doc_ids = pq.read_table(path, columns=["doc_id"]).column("doc_id").to_pylist()
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types for a file that is not Parquet
        from edu_clf.errors import InputError
        raise InputError(f"cannot read as Parquet with a doc_id column: {exc}", path) from None
    start = 0
    for row in range(1, len(doc_ids) + 1):
        if row == len(doc_ids) or (row - start >= size and str(doc_ids[row]) != str(doc_ids[row - 1])):
            yield Slice(path, "parquet", start, row)
            start = row


def plan_partitions(paths: Sequence[str], size: int, output: str = "jsonl") -> list[Partition]:
    """The partitions of the inputs, in input order; the same inputs and size always give the same plan."""
    if size < 1:
        raise UsageError(f"--partition-size must be at least 1, got {size}")
    from edu_clf.pipeline import unique_doc_ids

    doc_ids = unique_doc_ids(list(paths))   # as the in-process run names the documents
    groups: list[list[Slice]] = []
    pending: list[Slice] = []
    pending_bytes = 0
    for path in paths:
        kind = _input_kind(path)
        if kind == "report":
            pending.append(Slice(path, "report", doc_id=doc_ids[path]))
            with contextlib.suppress(OSError):
                pending_bytes += os.path.getsize(path)
            if pending_bytes >= size * REPORT_BYTES_PER_ITEM:
                groups.append(pending)
                pending, pending_bytes = [], 0
            continue
        if pending:
            groups.append(pending)
            pending, pending_bytes = [], 0
        slices = _jsonl_slices(path, size) if kind == "jsonl" else _parquet_slices(path, size)
        groups.extend([s] for s in slices)
    if pending:
        groups.append(pending)
    width = max(5, len(str(len(groups) - 1)))
    suffix = ".jsonl" if output == "jsonl" else ".parquet"
    return [Partition(i, tuple(g), f"part-{i:0{width}d}{suffix}") for i, g in enumerate(groups)]


def _fingerprints(paths: Sequence[str]) -> list[dict[str, Any]]:
    out = []
    for path in dict.fromkeys(paths):
        stat = os.stat(path)
        out.append({"path": path, "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns})
    return out


# ---------------------------------------------------------------- on the workers

_MODELS: dict[str, Any] = {}
_LOADS: dict[str, int] = {}


class ModelPlugin(_WorkerPlugin):
    """Ships a model file's bytes to every worker once and loads it there when the worker starts."""

    def __init__(self, data: bytes, sha256: str, trust_pickle: bool = False, suffix: str = ".npz") -> None:
        self.data, self.sha256, self.trust_pickle, self.suffix = data, sha256, trust_pickle, suffix
        self.name = f"edu-clf-model-{sha256[:16]}"

    def setup(self, worker: Any = None) -> None:
        load_shipped_model(self.data, self.sha256, self.trust_pickle, getattr(worker, "local_directory", None),
                           self.suffix)


def load_shipped_model(data: bytes, sha256: str, trust_pickle: bool = False, folder: str | None = None,
                       suffix: str = ".npz") -> Any:
    """Load a model from its file's bytes once per process (cached by sha256); `suffix` is the file's
    (.npz: the runtime artifact; .skops or a pickle: the full estimator)."""
    if sha256 in _MODELS:
        return _MODELS[sha256]
    import tempfile
    from edu_clf.pipeline import load_predictor

    fd, tmp = tempfile.mkstemp(prefix="edu-clf-model-", suffix=suffix, dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        _MODELS[sha256] = load_predictor(tmp, trust_pickle=trust_pickle)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    _LOADS[sha256] = _LOADS.get(sha256, 0) + 1
    return _MODELS[sha256]


def model_loads() -> dict[str, int]:
    """How often this process loaded each model (a worker loads each model once)."""
    return dict(_LOADS)


def _read_slice(piece: Slice, config: Any) -> list[Document]:
    from edu_clf.pipeline import documents_from_items, load_documents

    if piece.kind == "report":
        return load_documents(piece.path, config, doc_id=piece.doc_id)
    if piece.kind == "jsonl":
        return list(documents_from_items(_jsonl_items(piece), piece.path))
    return list(documents_from_items(_parquet_items(piece), piece.path))


def _jsonl_items(piece: Slice) -> Iterator[Any]:
    from edu_clf.io.corpus import item_of_line  # one implementation of the item rules

    with open(piece.path, "rb") as handle:
        handle.seek(piece.start)
        data = handle.read(piece.stop - piece.start)
    for number, raw in enumerate(data.split(b"\n"), start=piece.first_line):
        item = item_of_line(raw, piece.path, number)
        if item is not None:
            yield item


def _parquet_items(piece: Slice) -> Iterator[Any]:
    import pyarrow.parquet as pq
    from edu_clf.errors import InputError
    from edu_clf.io.corpus import _item_from_record
    from edu_clf.records import Item

    try:
        table = pq.read_table(piece.path).slice(piece.start, piece.stop - piece.start)
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"cannot read as Parquet: {exc}", piece.path) from None
    for row, record in enumerate(table.to_pylist(), start=piece.start + 1):
        item = _item_from_record(record, piece.path, row, None, False)  # "line" is the row number here
        yield Item(item.doc_id, item.item, item.title, item.headings, item.text)


def default_render(p: Prediction) -> str:
    """The JSON line of a prediction, as `edu-clf predict --format jsonl` writes it without metadata."""
    return json_line(p.to_dict())


def run_partition(task: dict[str, Any]) -> dict[str, Any]:
    """On a worker: read, segment and label one partition; write its file atomically.

    Errors a user can cause come back as data (never half a file): {"error": ..., "error_type": ...}.
    """
    from edu_clf.config import load_segment_config
    from edu_clf.io.atomic import atomic_path
    from edu_clf.pipeline import predict_stream

    started = time.perf_counter()
    model = _MODELS.get(task["model"])
    if model is None:
        raise RuntimeError("the edu-clf model plugin is not set up on this worker")
    part: Partition = task["partition"]
    config = load_segment_config()
    docs: list[Document] = []
    skipped: list[dict[str, Any]] = []
    empty: list[str] = []
    for piece in part.slices:
        try:
            got = _read_slice(piece, config)
        except EduClfError as exc:
            if not task["skip_errors"]:
                return {"partition": part.index, "error": exc.describe(), "error_type": type(exc).__name__,
                        "path": piece.path}
            skipped.append({**piece.to_dict(), "reason": exc.describe()})
            continue
        if piece.kind == "report" and not any(d.items for d in got):
            empty.append(piece.path)
        docs.extend(got)
    predictions = predict_stream(model, docs, chunk_size=task["chunk_size"], top_k=task["top_k"],
                                 explain=task["explain"])
    render = task["render"] or default_render
    target = Path(task["out_dir"]) / part.file
    count = 0
    with atomic_path(target) as tmp:
        if task["output"] == "jsonl":
            digest = hashlib.sha256()
            with open(tmp, "w", encoding="utf-8", newline="") as stream:
                for p in predictions:
                    line = render(p)
                    stream.write(line)
                    digest.update(line.encode("utf-8"))
                    count += 1
            sha = digest.hexdigest()
        else:
            rows = [json.loads(render(p)) for p in predictions]
            count = len(rows)
            _write_parquet(rows, tmp)
            sha = file_sha256(tmp)
        size = os.path.getsize(tmp)
    return {"partition": part.index, "file": part.file, "items": count, "sha256": sha, "bytes": size,
            "skipped": skipped, "empty": empty, "pid": os.getpid(),
            "seconds": round(time.perf_counter() - started, 4)}


def _write_parquet(rows: list[dict[str, Any]], path: Path) -> None:
    """The JSONL records as a Parquet table: nested fields (headings, top-k, explanations) as JSON text
    where they are not lists of strings, so every partition has the same schema."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns: dict[str, list[Any]] = {}
    for row in rows:
        for key in row:
            columns.setdefault(key, [])
    for key in columns:
        values = [row.get(key) for row in rows]
        if key == "headings":
            columns[key] = values
        elif any(isinstance(v, (list, dict)) for v in values):
            columns[key] = [None if v is None else json.dumps(v, ensure_ascii=False) for v in values]
        else:
            columns[key] = values
    schema_fields = []
    for key, values in columns.items():
        if key == "headings":
            kind = pa.list_(pa.string())
        elif key == "item":
            kind = pa.int64()
        elif key.endswith("_score"):
            kind = pa.float64()
        else:
            kind = pa.string()
        schema_fields.append(pa.field(key, kind))
    table = pa.table(columns, schema=pa.schema(schema_fields)) if rows else pa.table({})
    pq.write_table(table, path)


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------- the client

@dataclass
class RunSummary:
    out_dir: Path
    partitions: int
    items: int
    done: int                      # partitions labeled in this run
    resumed: int                   # partitions skipped as complete and verified
    skipped: list[dict[str, Any]] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    seconds: float = 0.0
    manifest: dict[str, Any] = field(default_factory=dict)

    def files(self) -> list[Path]:
        return [self.out_dir / p["file"] for p in self.manifest.get("partitions", [])]


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, jobs: int = 1) -> Iterator[Any]:
    """A Client of the scheduler at `scheduler`, or of a LocalCluster of `jobs` worker processes
    (one thread each) on this machine, closed on exit."""
    distributed = require_dask()
    if scheduler:
        try:
            client = distributed.Client(scheduler, timeout="30s")
        except (OSError, TimeoutError) as exc:
            raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: {exc}",
                             hint="check --scheduler (tcp://HOST:8786)") from None
        with client:
            yield client
        return
    with distributed.LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster, distributed.Client(cluster) as client:
        yield client


def _check_out_dir(out_dir: Path, resume: bool) -> dict[str, Any] | None:
    """The manifest already there (for --resume), after refusing to mix a new run into an old folder."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError("--out must be a folder for the Dask engine (it holds one file per partition)", out_dir)
    if not out_dir.exists():
        if not out_dir.parent.is_dir():
            raise UsageError("the output folder's parent does not exist", out_dir.parent)
        out_dir.mkdir()
    manifest_path = out_dir / MANIFEST
    if not manifest_path.exists():
        if not resume and any(out_dir.glob("part-*")):
            raise UsageError("the output folder holds partition files but no manifest", out_dir,
                             hint="choose an empty folder")
        return None
    if not resume:
        raise UsageError("the output folder already holds a run (manifest.json)", out_dir,
                         hint="pass --resume to continue it, or choose another --out")
    try:
        return json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the manifest: {exc}", manifest_path,
                         hint="remove the folder and run again without --resume") from None


def _verified(entry: dict[str, Any] | None, out_dir: Path) -> bool:
    """A partition of the manifest whose file exists, complete, with the recorded sha256."""
    if not entry or entry.get("status") != "done":
        return False
    path = out_dir / entry["file"]
    try:
        if path.stat().st_size != entry["bytes"]:
            return False
    except OSError:
        return False
    return file_sha256(path) == entry["sha256"]


def _write_manifest(out_dir: Path, manifest: dict[str, Any]) -> None:
    from edu_clf.io.atomic import atomic_path

    with atomic_path(out_dir / MANIFEST) as tmp:
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _remove_stray_temps(out_dir: Path) -> None:
    for stray in out_dir.glob(".part-*.tmp"):
        with contextlib.suppress(OSError):
            stray.unlink()


def predict_partitioned(inputs: Sequence[str], out_dir: str | Path, model_path: str | Path | None = None,
                        scheduler: str | None = None, jobs: int = 1,
                        partition_size: int = DEFAULT_PARTITION_SIZE, resume: bool = False,
                        skip_errors: bool = False, top_k: int = 1, explain: int = 0, chunk_size: int = 2000,
                        output: str = "jsonl", trust_pickle: bool = False,
                        render: Callable[[Prediction], str] | None = None, client: Any = None,
                        on_partition: Callable[[dict[str, Any]], None] | None = None,
                        warn: Callable[[str], None] | None = None) -> RunSummary:
    """Label every item of `inputs` on Dask workers, one output file per partition in `out_dir`.

    `render` (a picklable callable: a top-level function or an object) turns a
    prediction into its JSON line on the worker; the default is the line
    `edu-clf predict --format jsonl` writes without metadata. `client` reuses
    a running dask Client (else one is made from `scheduler`/`jobs`).
    `on_partition(result)` is called in the client as each partition completes.
    """
    from edu_clf import __version__
    from edu_clf.io import iter_input_paths

    require_dask()
    if output not in OUTPUTS:
        raise UsageError(f"unknown partition output {output!r}; choose one of: {', '.join(OUTPUTS)}")
    if output == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise UsageError("Parquet output needs pyarrow", hint=EXTRA_HINT) from None
    started = time.perf_counter()
    out_dir = Path(out_dir)
    if model_path is None:
        from edu_clf.config import default_runtime_path
        model_path = default_runtime_path()
    model_path = Path(model_path)
    paths = list(iter_input_paths(list(inputs)))
    if not paths:
        raise UsageError("no report files found in the inputs", ", ".join(map(str, inputs)))
    old = _check_out_dir(out_dir, resume)
    # the model is checked here once (a clear error before any worker starts), then shipped as bytes
    from edu_clf.pipeline import load_predictor
    load_predictor(model_path, trust_pickle=trust_pickle)
    try:
        model_bytes = model_path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read model file: {exc.strerror}", model_path) from None
    model_sha = hashlib.sha256(model_bytes).hexdigest()
    partitions = plan_partitions(paths, partition_size, output)
    options = {"top_k": top_k, "explain": explain, "chunk_size": chunk_size, "partition_size": partition_size,
               "output": output, "skip_errors": skip_errors,
               "render": getattr(render, "name", None) or (type(render).__name__ if render else "default")}
    manifest: dict[str, Any] = {
        "format": MANIFEST_FORMAT, "version": MANIFEST_VERSION, "edu_clf_version": __version__,
        "model": str(model_path), "model_sha256": model_sha, "options": options,
        "inputs": _fingerprints(paths), "complete": False, "items": None,
        "partitions": [{**p.plan(), "status": "pending"} for p in partitions], "skipped": [],
    }
    resumed = 0
    if old is not None:
        same = all(old.get(key) == manifest[key] for key in ("format", "version", "model_sha256", "options",
                                                              "inputs"))
        same = same and [{k: v for k, v in e.items() if k in ("partition", "file", "inputs")}
                         for e in old.get("partitions", [])] == [p.plan() for p in partitions]
        if not same:
            raise UsageError("--resume: the manifest was written for other inputs, model or options", out_dir,
                             hint="run with the same inputs and options, or choose another --out")
        for entry, old_entry in zip(manifest["partitions"], old["partitions"]):
            if _verified(old_entry, out_dir):
                entry.update(old_entry)
                resumed += 1
        manifest["skipped"] = [s for s in old.get("skipped", [])
                               if manifest["partitions"][s["partition"]]["status"] == "done"]
    _remove_stray_temps(out_dir)
    todo = [p for p, e in zip(partitions, manifest["partitions"]) if e["status"] != "done"]
    _write_manifest(out_dir, manifest)
    empty: list[str] = []
    done = 0
    if todo:
        try:
            with (contextlib.nullcontext(client) if client is not None else dask_client(scheduler, jobs)) as dc:
                done = _run(dc, todo, manifest, out_dir, model_bytes, model_path.suffix, model_sha, trust_pickle,
                            skip_errors, top_k, explain, chunk_size, output, render, on_partition, empty)
        finally:   # after a failure too: a task cut short leaves a temp file, never a partition file
            _remove_stray_temps(out_dir)
    entries = manifest["partitions"]
    manifest["complete"] = True
    manifest["items"] = sum(e["items"] for e in entries)
    _write_manifest(out_dir, manifest)
    _remove_stray_temps(out_dir)
    if warn is not None:
        from edu_clf.pipeline import no_items_message
        for path in empty:
            warn(no_items_message(path))
    return RunSummary(out_dir, len(entries), manifest["items"], done, resumed, manifest["skipped"], empty,
                      time.perf_counter() - started, manifest)


def _run(client: Any, todo: list[Partition], manifest: dict[str, Any], out_dir: Path, model_bytes: bytes,
         model_suffix: str, model_sha: str, trust_pickle: bool, skip_errors: bool, top_k: int, explain: int, chunk_size: int,
         output: str, render: Any, on_partition: Any, empty: list[str]) -> int:
    distributed = require_dask()
    client.register_plugin(ModelPlugin(model_bytes, model_sha, trust_pickle, model_suffix))
    common = {"model": model_sha, "out_dir": str(out_dir.resolve()), "skip_errors": skip_errors, "top_k": top_k,
              "explain": explain, "chunk_size": chunk_size, "output": output, "render": render}
    run_id = hashlib.sha256(f"{out_dir.resolve()}{time.time_ns()}".encode()).hexdigest()[:12]
    futures = [client.submit(run_partition, {**common, "partition": p}, key=f"edu-clf-{run_id}-{p.index}",
                             pure=False) for p in todo]
    last_write = time.monotonic()
    done = 0
    try:
        for future in distributed.as_completed(futures):
            try:
                result = future.result()
            except distributed.KilledWorker:
                raise EduClfError("workers died again and again on one partition (out of memory?); the run "
                                  "was stopped", out_dir, hint="rerun with --resume, or a smaller "
                                  "--partition-size") from None
            if "error" in result:
                from edu_clf import errors
                cls = getattr(errors, result["error_type"], EduClfError)
                raise cls(f"{result['error']} (partition {result['partition']}; no partition file was written)")
            entry = manifest["partitions"][result["partition"]]
            entry.update(status="done", items=result["items"], sha256=result["sha256"], bytes=result["bytes"])
            manifest["skipped"].extend({"partition": result["partition"], **s} for s in result["skipped"])
            empty.extend(result["empty"])
            done += 1
            if on_partition is not None:
                on_partition(result)
            if time.monotonic() - last_write >= MANIFEST_EVERY:
                _write_manifest(out_dir, manifest)
                last_write = time.monotonic()
    except BaseException:
        for future in futures:
            future.cancel()
        manifest["skipped"].sort(key=lambda s: s["partition"])
        _write_manifest(out_dir, manifest)
        raise
    manifest["skipped"].sort(key=lambda s: s["partition"])
    return done


def read_partitions(out_dir: str | Path) -> Iterator[str]:
    """The JSON lines of a complete JSONL run, in input order (what the in-process run writes)."""
    out_dir = Path(out_dir)
    manifest = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    if not manifest.get("complete"):
        raise UsageError("the run is not complete", out_dir / MANIFEST, hint="finish it with --resume")
    for entry in manifest["partitions"]:
        with open(out_dir / entry["file"], encoding="utf-8", newline="") as handle:
            yield from handle


@contextlib.contextmanager
def joblib_on_dask(scheduler: str | None = None, jobs: int = 1, client: Any = None) -> Iterator[Any]:
    """Run joblib.Parallel work (grouped cross-validation, tuning fits) on a Dask cluster.

    Within the block, `cross_validate_views(..., n_jobs=-1)` and the other joblib users
    fit their folds on the cluster's workers:

        with joblib_on_dask("tcp://scheduler:8786"):
            results = cross_validate_views(estimator, items, views, n_jobs=-1)
    """
    from joblib import parallel_config

    require_dask()
    with (contextlib.nullcontext(client) if client is not None else dask_client(scheduler, jobs)) as dc:
        with parallel_config(backend="dask"):
            yield dc


__all__ = ["ModelPlugin", "Partition", "RunSummary", "Slice", "dask_client", "default_render", "file_sha256",
           "joblib_on_dask", "load_shipped_model", "model_loads", "plan_partitions", "predict_partitioned",
           "read_partitions", "require_dask", "run_partition"]
