"""Files → documents → predictions: reading inputs, streams, the worker pool.

`iter_documents` reads report files and folders (any supported format) into
documents; `predict_stream` labels an iterator of documents chunk by chunk, so a
folder of thousands of reports or a JSONL of millions of items never sits in
memory at once; `predict_files` hands whole files to worker processes.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from itertools import groupby, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, NamedTuple, Sequence

from edu_clf.config import SegmentConfig, load_segment_config
from edu_clf.errors import EduClfError, InputError
from edu_clf.io import FOLDER_SUFFIXES, iter_input_paths, read_report, report_kind
from edu_clf.io.corpus import iter_items, read_items
from edu_clf.segment import doc_id_for, segment_text
from edu_clf.segment.prepare import prepare_text
from edu_clf.records import Document, Item, LabeledDocument, Prediction, json_bytes, json_line, row_end

if TYPE_CHECKING:
    from edu_clf.model.trained import TrainedModel

def load_predictor(path: str | Path | None = None, trust_pickle: bool = False) -> Any:
    """The model to label with: a runtime artifact (.npz, numpy only: the default) or, for any other
    file, the full estimator (.skops, or a pickle with trust_pickle)."""
    from edu_clf.runtime import load_runtime
    if path is None or Path(path).suffix == ".npz":
        return load_runtime(path)
    from edu_clf.model.persist import load_model
    return load_model(path, trust_pickle=trust_pickle)


def predict_items(model: "TrainedModel", items: Sequence[Any], top_k: int = 1, explain: int = 0,
                  records: Sequence[Any] | None = None, first: int = 0) -> list[Prediction]:
    """edu_clf.runtime.predict.predict_items, imported on first use (reading and segmenting need no model)."""
    from edu_clf.runtime.predict import predict_items as label
    return label(model, items, top_k=top_k, explain=explain, records=records, first=first)


def predict_report(model: "TrainedModel", path: str | Path, top_k: int = 1) -> list[Prediction]:
    """Read, segment and label one report file (any supported format)."""
    return predict_items(model, [it for doc in load_documents(path) for it in doc.items], top_k=top_k)


def documents_from_items(items: Iterable, source: str) -> Iterator[Document]:
    """Group JSONL items into documents by consecutive doc_id, keeping their order (lazily)."""
    for doc_id, group in groupby(items, key=lambda it: it.doc_id):
        group = tuple(group)
        yield Document(doc_id=doc_id, title=group[0].title, items=group, source=source)


def load_documents(path: str | Path, config: SegmentConfig | None = None, keep_labels: bool = False,
                   doc_id: str | None = None) -> list[Document]:
    """Read one file (or `-` for stdin) and return its documents."""
    return list(stream_documents(path, config, keep_labels, doc_id))


def stream_documents(path: str | Path, config: SegmentConfig | None = None,
                     keep_labels: bool = False, doc_id: str | None = None) -> Iterator[Document]:
    """The documents of one file; a guide-format JSONL file is streamed document by document."""
    path = str(path)
    kind = "txt" if path == "-" else report_kind(path)
    if kind == "jsonl":
        if keep_labels:
            yield from documents_from_items(read_items(path, labeled=False), path)
        else:
            yield from documents_from_items(iter_items(path), path)
        return
    report = read_report(path, kind)
    if report.warning:   # a damaged encoding, a charset the bytes contradict: one line on stderr
        import warnings

        from edu_clf.errors import EduClfWarning
        warnings.warn(f"{path}: {report.warning}", EduClfWarning, stacklevel=2)
    config = config or load_segment_config()
    # copies put right first (hard wraps, page counters, compilations: edu_clf/segment/prepare.py)
    yield from segment_text(prepare_text(report.text, config), doc_id or doc_id_for(path), config)


def unique_doc_ids(paths: Sequence[str]) -> dict[str, str]:
    """path → doc_id: the file's name without extension, or, where names clash across folders, the
    shortest tail of its path that tells it apart (`countyA/2024上半年` and `countyB/2024上半年`)."""
    by_stem: dict[str, list[str]] = {}
    for path in dict.fromkeys(paths):
        by_stem.setdefault(doc_id_for(path), []).append(path)
    out: dict[str, str] = {}
    for stem, group in by_stem.items():
        if len(group) == 1 or stem == "stdin":
            out.update({path: stem for path in group})
            continue
        for with_suffix in (False, True):
            tails = [Path(p).parts[:-1] + ((Path(p).name,) if with_suffix else (Path(p).stem,)) for p in group]
            for path, parts in zip(group, tails):
                if path in out:
                    continue
                for k in range(1 if with_suffix else 2, len(parts) + 1):
                    if sum(1 for other in tails if other[-k:] == parts[-k:]) == 1:
                        out[path] = "/".join(parts[-k:])
                        break
        for path in group:
            out.setdefault(path, Path(path).as_posix())
    return out


class WithPath:
    """A per-document metadata reader (`meta_of(doc_id, title, first_text)`) with the source `path` first.

    doc_id → the input file it came from, as `unique_doc_ids` named it (`x.p1`, a report of a
    compilation, is the file of `x`); items read from JSONL have no report file: "".
    """

    def __init__(self, meta_of: Callable[..., dict[str, str]] | None, paths: Sequence[str]) -> None:
        self.meta_of = meta_of
        self.by_id = {doc_id: path for path, doc_id in unique_doc_ids(
            [p for p in paths if p == "-" or report_kind(p) != "jsonl"]).items()}
        self.columns = ("path", *getattr(meta_of, "columns", ()))
        items = [p for p in paths if p != "-" and report_kind(p) == "jsonl"]
        self.items_file = items[0] if len(items) == 1 else ""   # items of one JSONL file: that file

    def path_of(self, doc_id: str) -> str:
        import re

        return self.by_id.get(doc_id) or self.by_id.get(re.sub(r"\.p\d+$", "", doc_id)) or self.items_file

    def __call__(self, doc_id: str, title: str = "", first_text: str = "") -> dict[str, str]:
        row = {"path": self.path_of(doc_id)}
        if self.meta_of is not None:
            row.update(self.meta_of(doc_id, title, first_text))
        return row


def check_input(path: str) -> None:
    """Read (and for JSONL, parse) a file without keeping it: raises the error reading it would."""
    kind = "txt" if path == "-" else report_kind(path)
    if kind == "jsonl":
        for _ in iter_items(path):
            pass
    elif path != "-":
        read_report(path, kind)


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


def iter_documents(inputs: Iterable[str], config: SegmentConfig | None = None, skip_errors: bool = False,
                   skipped: list[Skipped] | None = None, precheck: bool = False,
                   warn: Callable[[str], None] | None = None) -> Iterator[Document]:
    """Documents of every input (files, folders, `-`), in order, one file at a time.

    With `skip_errors`, a file that cannot be read is recorded in `skipped`
    and the rest go on; otherwise the first error is raised. With `precheck`,
    every file is read once before the first document is yielded, so that a
    bad file stops the run before any output is written (memory stays flat:
    nothing read in the check is kept).
    """
    config = config or load_segment_config()
    paths = list(iter_input_paths(list(inputs)))
    if precheck and not skip_errors:
        check_inputs(paths)
    return _documents(paths, config, skip_errors, skipped, warn)


def check_inputs(paths: Iterable[str]) -> None:
    """Read every file once (stdin excepted) and raise the first error: nothing is kept."""
    for path in paths:
        if path != "-":
            check_input(path)


def no_items_message(path: str) -> str:
    return f"{path}: no outline items found (empty, whitespace only, or only a title and page chrome)"


def no_items_error(inputs: Sequence[str], skipped: Sequence[Skipped] = ()) -> EduClfError:
    """The error of a run that found no item: the inputs, how many files they hold, and why none gave one.

    `skipped`: the files that could not be read (--skip-errors). Files a folder walk passed over are
    counted from the walk's own SkippedFileWarning; every other file was read and had no outline item.
    """
    import warnings
    from collections import Counter

    from edu_clf.errors import SkippedFileWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = list(iter_input_paths(list(inputs)))
    passed = Counter(w.message.reason for w in caught if isinstance(w.message, SkippedFileWarning))
    unreadable = len({s.path for s in skipped})
    why = [f"{n} skipped: {reason}" for reason, n in passed.most_common()]
    why += [f"{unreadable} could not be read"] if unreadable else []
    why += [f"{len(paths) - unreadable} had no outline items"] if len(paths) > unreadable else []
    names = ", ".join(inputs[:3]) + (f" and {len(inputs) - 3} more" if len(inputs) > 3 else "")
    n_files = len(paths) + sum(passed.values())
    if n_files == 0:
        return InputError("no report files found", names, hint="folders are searched for "
                          + ", ".join(FOLDER_SUFFIXES))
    return InputError(f"no items found in {n_files} file(s) ({'; '.join(why)})", names)


def _documents(paths: list[str], config: SegmentConfig, skip_errors: bool, skipped: list[Skipped] | None,
               warn: Callable[[str], None] | None) -> Iterator[Document]:
    doc_ids = unique_doc_ids(paths)
    for path in paths:
        try:
            docs = load_documents(path, config, doc_id=doc_ids[path]) if path == "-" or report_kind(path) != "jsonl" \
                else stream_documents(path, config)
        except EduClfError as exc:
            if not skip_errors:
                raise
            if skipped is not None:
                skipped.append(Skipped(path, exc.describe()))
            continue
        n_items = 0
        for doc in docs:
            n_items += len(doc.items)
            yield doc
        if n_items == 0 and warn is not None:
            warn(no_items_message(path))




def iter_chunks(documents: Iterable[Document], size: int) -> Iterator[list[Item]]:
    """Items of a document stream in chunks of about `size` (documents are never split)."""
    chunk: list[Item] = []
    for doc in documents:
        chunk.extend(doc.items)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_WORKER: dict[str, Any] = {}


def _init_worker(model: "TrainedModel", top_k: int, explain: int, config: Any = None,
                 render: Callable[[Prediction], Any] | None = None, meta_of: Any = None) -> None:
    import functools
    import os
    import signal

    # Ctrl-C reaches the whole process group: the parent alone reacts and shuts the pool down. A
    # SIGTERM sent to a worker stops the run as a SIGTERM to the parent would (exit 143, no temp file).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, functools.partial(_worker_terminated, os.getppid()))
    _WORKER.update(model=model, top_k=top_k, explain=explain, config=config, render=render, meta_of=meta_of)


def _worker_terminated(parent: int, signum: int, frame: Any) -> None:
    import os
    import signal

    try:
        os.kill(parent, signal.SIGTERM)
    except OSError:
        pass
    os._exit(128 + signum)


def _predict_chunk(chunk: list[Item]) -> list[Prediction]:
    return predict_items(_WORKER["model"], chunk, top_k=_WORKER["top_k"], explain=_WORKER["explain"])


def _label_files(paths: list[tuple[str, str]]) -> list[tuple[str, list[Prediction], Exception | None]]:
    """In a worker: read and segment a batch of files, label all their items in one call.

    Errors are returned per file, not raised, so the parent decides.
    """
    read: list[tuple[str, list[Item], Exception | None]] = []
    for path, doc_id in paths:
        try:
            read.append((path, [it for doc in load_documents(path, _WORKER["config"], doc_id=doc_id)
                                for it in doc.items], None))
        except EduClfError as exc:
            read.append((path, [], exc))
    labeled = _label_groups(_predict_chunk, [items for _, items, _ in read])
    render = _WORKER["render"]
    if render is not None:
        labeled = [[render(p) for p in predictions] for predictions in labeled]
    return [(path, predictions, error) for (path, _, error), predictions in zip(read, labeled)]


def _label_groups(label: Any, groups: Sequence[Sequence[Item]]) -> list[list[Prediction]]:
    """Label the items of several groups in one call of `label`, and split the predictions back per group."""
    predictions = iter(label([it for group in groups for it in group]))
    return [[next(predictions) for _ in group] for group in groups]


AUTO_JOBS_BYTES = 8 * 2**20   # a JSONL this large (~8,000 seed-length items) repays the workers' start
AUTO_JOBS_FILES = 64


def auto_jobs(paths: Sequence[str]) -> int:
    """Workers when the user does not say: one per CPU for large inputs (JSONL files over AUTO_JOBS_BYTES,
    or more than AUTO_JOBS_FILES report files), else none (this process alone)."""
    import os

    if len(paths) > AUTO_JOBS_FILES:
        return pool_size(len(paths))
    size = 0
    for path in paths:
        if path != "-" and path.lower().endswith(".jsonl"):
            try:
                size += os.stat(path).st_size
            except OSError:   # reading it will say what is wrong
                pass
    return pool_size(os.cpu_count() or 1) if size > AUTO_JOBS_BYTES else 1


def pool_size(jobs: int, tasks: int | None = None) -> int:
    """Worker processes for `jobs`: never more than the CPUs, nor than the tasks there are."""
    import os
    return max(1, min(jobs, os.cpu_count() or 1, tasks if tasks is not None else jobs))


@contextlib.contextmanager
def _pool(jobs: int, *initargs: Any) -> Iterator["_Pool"]:
    """A worker pool whose processes hold the model (forked where the platform allows).

    On any exit but the normal one (an error, Ctrl-C, SIGTERM, a closed generator) the workers are
    killed and joined at once, so that nothing hangs and no worker outlives the run.
    """
    if pool_size(jobs) > 1 and initargs and initargs[0] is not None:
        # the tables built on first use (dictionary, key tables) are built here once, and shared by the
        # forked workers, instead of once in each
        predict_items(initargs[0], ["一"])
    pool = _Pool(pool_size(jobs), initargs)
    try:
        yield pool
    except BaseException:
        pool.kill()
        raise
    pool.close()


def _worker_main(conn: Any, initargs: tuple) -> None:
    """A worker: run (function, argument) tasks from the parent, one at a time, and send back each result."""
    import os

    _init_worker(*initargs)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            os._exit(0)
        if task is None:
            os._exit(0)
        function, argument = task
        try:
            result = (True, function(argument))
        except Exception as exc:  # the parent re-raises it
            result = (False, exc)
        try:
            conn.send(result)
        except Exception:  # an exception that does not pickle
            conn.send((False, EduClfError(f"{type(result[1]).__name__}: {result[1]}")))


class _Pool:
    """Worker processes with one pipe each; a worker gets its next task when it hands back a result,
    and results come back in the order of the tasks.

    A worker has at most one task at a time, and shares no lock or queue with the others, so killing
    one (or all) can never leave the parent waiting on a lock held by the dead: the failure modes of
    multiprocessing.Pool and ProcessPoolExecutor on Ctrl-C and SIGTERM.
    """

    def __init__(self, size: int, initargs: tuple) -> None:
        import multiprocessing

        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        self.workers: list[tuple[Any, Any]] = []
        for _ in range(size):
            parent_end, child_end = context.Pipe()
            process = context.Process(target=_worker_main, args=(child_end, initargs), daemon=True)
            process.start()
            child_end.close()
            self.workers.append((process, parent_end))

    def imap(self, function: Callable[[Any], Any], arguments: Iterable[Any]) -> Iterator[Any]:
        """map over a stream: each worker gets its next task the moment it hands back a result, so no
        worker waits for a batch to end; at most one task per worker is in flight (memory stays flat)."""
        from collections import deque

        pending = iter(arguments)
        inflight: deque[int] = deque()
        for index in range(len(self.workers)):
            for argument in islice(pending, 1):
                self.workers[index][1].send((function, argument))
                inflight.append(index)
        while inflight:
            index = inflight.popleft()
            ok, result = self._receive(index)
            for argument in islice(pending, 1):
                self.workers[index][1].send((function, argument))
                inflight.append(index)
            if not ok:
                raise result
            yield result

    def _receive(self, index: int) -> tuple[bool, Any]:
        from multiprocessing.connection import wait

        process, conn = self.workers[index]
        while True:
            ready = wait([conn, process.sentinel])
            if conn in ready:
                try:
                    return conn.recv()
                except (EOFError, OSError):
                    pass
            if not process.is_alive():
                raise EduClfError(f"a worker process died (exit code {process.exitcode}: killed, or out of "
                                  f"memory); the run was stopped", hint="try again with fewer --jobs")

    def close(self) -> None:
        for process, conn in self.workers:
            try:
                conn.send(None)
            except OSError:
                pass
        for process, conn in self.workers:
            process.join(timeout=10)
        self.kill()

    def kill(self) -> None:
        """SIGKILL every worker still alive (a SIGTERM would be taken for the user's and passed on)."""
        for process, _ in self.workers:
            if process.is_alive():
                process.kill()
        for process, conn in self.workers:
            process.join(timeout=10)
            conn.close()


def predict_stream(model: "TrainedModel", documents: Iterable[Document], chunk_size: int = 2000,
                   top_k: int = 1, explain: int = 0, jobs: int = 1) -> Iterator[Prediction]:
    """Predictions for every item of every document, in order, chunk by chunk (flat memory).

    With `jobs` > 1, chunks are labeled by worker processes, one chunk per worker
    in flight, so memory stays flat there too.
    """
    chunks = iter_chunks(documents, chunk_size)
    if jobs <= 1:
        for chunk in chunks:
            yield from predict_items(model, chunk, top_k=top_k, explain=explain)
        return
    with _pool(jobs, model, top_k, explain) as pool:
        for result in pool.imap(_predict_chunk, chunks):
            yield from result


def predict_documents(model: "TrainedModel", documents: Iterable[Document], chunk_size: int = 2000,
                      top_k: int = 1, explain: int = 0) -> Iterator[LabeledDocument]:
    """Documents with their predictions, labeled chunk by chunk (documents are never split)."""
    pending: list[Document] = []
    size = 0

    def flush() -> Iterator[LabeledDocument]:
        labeled = _label_groups(lambda items: predict_items(model, items, top_k=top_k, explain=explain),
                                [doc.items for doc in pending])
        for doc, predictions in zip(pending, labeled):
            yield LabeledDocument(doc, tuple(predictions))

    for doc in documents:
        pending.append(doc)
        size += len(doc.items)
        if size >= chunk_size:
            yield from flush()
            pending, size = [], 0
    if pending:
        yield from flush()


def predict_files(model: "TrainedModel", paths: Sequence[str], config: Any, jobs: int, top_k: int = 1,
                  explain: int = 0, on_error: Any = None, on_empty: Any = None,
                  files_per_task: int = 32, render: Callable[[Prediction], Any] | None = None) -> Iterator[Any]:
    """Predictions for report files read, segmented and labeled by `jobs` worker processes.

    Files are handed out a batch per worker at a time and their predictions come
    back in input order. A file that cannot be read goes to `on_error(path,
    error)`, which raises to stop or returns to skip it; a file without items
    goes to `on_empty(path)`. With `render` (a top-level function), each
    prediction comes back as render(prediction), made in the worker: rendering
    output lines there leaves the parent only the writing.
    """
    doc_ids = unique_doc_ids(paths)
    remaining = iter([(path, doc_ids[path]) for path in paths])
    jobs = pool_size(jobs, len(paths))  # --jobs 1000 on 2 files forks 2 workers
    # a task is a batch of files, so that each labeling call gets enough items to be efficient
    batches = iter(lambda: list(islice(remaining, files_per_task)), [])
    with _pool(jobs, model, top_k, explain, config, render) as pool:
        for results in pool.imap(_label_files, batches):
            for path, predictions, error in results:
                if error is not None:
                    if on_error is None:
                        raise error
                    on_error(path, error)
                elif not predictions and on_empty is not None:
                    on_empty(path)
                yield from predictions


OUTER_LINES = 2   # an item's scores read its neighbours (cues, the sequence stage), whose own read theirs


def line_chunks(path: str, size: int, block: int = 1 << 22) -> Iterator[tuple[int, list[bytes], tuple[bytes, ...], tuple[bytes, ...]]]:
    """The raw lines of a JSONL file in chunks of `size`: (first line number, lines, the last OUTER_LINES
    non-blank lines before the chunk, the first OUTER_LINES after it). The outer lines give the chunk's
    first and last items their neighbours, and those neighbours theirs, so a chunk may split a document
    and label it as the whole file would. A chunk that fills up on blank lines takes them and ends before
    the next non-blank line. Chunks are cut from the file's blocks by slicing (nothing per line in Python:
    per line, this was most of the parent's work in a large run) and handed on once the lines after them
    are read. `block`: bytes read at a time."""
    from collections import deque

    from edu_clf.io.corpus import raw_line_blocks

    size = max(size, 1)
    before: tuple[bytes, ...] = ()
    waiting: deque[tuple[int, list[bytes], tuple[bytes, ...], list[bytes]]] = deque()
    pending: list[bytes] = []   # lines read and in no chunk yet, from line `first` on
    first = 1
    for _, lines in raw_line_blocks(path, block):
        if waiting and len(waiting[-1][3]) < OUTER_LINES:   # they have every non-blank line read so far
            head = _non_blank(lines, 0, OUTER_LINES)
            for _, _, _, after in waiting:
                after.extend(head[: OUTER_LINES - len(after)])
        pending += lines
        start = 0
        while True:
            end = start + size
            while end < len(pending) and not pending[end].strip():
                end += 1
            if end >= len(pending):
                break
            chunk = pending[start:end]
            waiting.append((first, chunk, before, _non_blank(pending, end, OUTER_LINES)))
            before = (*before, *_non_blank(chunk, len(chunk) - 1, OUTER_LINES, step=-1)[::-1])[-OUTER_LINES:]
            first, start = first + end - start, end
        del pending[:start]
        while waiting and len(waiting[0][3]) == OUTER_LINES:
            done = waiting.popleft()
            yield done[0], done[1], done[2], tuple(done[3])
    if pending:
        waiting.append((first, pending, before, []))
    for done in waiting:
        yield done[0], done[1], done[2], tuple(done[3])


def _non_blank(lines: list[bytes], start: int, n: int, step: int = 1) -> list[bytes]:
    """The first n non-blank lines from lines[start] on, going forward (step 1) or back (step -1)."""
    out: list[bytes] = []
    for i in range(start, len(lines) if step > 0 else -1, step):
        if lines[i].strip():
            out.append(lines[i])
            if len(out) == n:
                break
    return out


MetaOf = Callable[[str, str, str], dict[str, Any]]


class Rendered(NamedTuple):
    """A chunk's JSON lines as UTF-8 bytes, made where they were labeled: `text` is every finished line;
    `head`, the rows (without their closing brace) of a document begun in the chunk before, which end as
    that document's rows did (`tail` of the chunk before: (doc_id, the end of its rows)). Bytes, because
    they are written as they are: a str would be decoded here, pickled at four bytes a character and
    encoded again by the writer (about a tenth of a 100,000-item run)."""

    head: tuple[str, list[bytes]] | None
    text: bytes
    tail: tuple[str, bytes] | None


def label_lines(model: Any, path: str, task: tuple[int, list[bytes], tuple[bytes, ...], tuple[bytes, ...]], top_k: int = 1,
                explain: int = 0, render: bool = False, meta_of: MetaOf | None = None) -> Any:
    """Parse and label one chunk of line_chunks: its Predictions, or with `render` its JSON lines
    (Rendered), each row ending with its document's metadata, meta_of(doc_id, title, first text)."""
    from edu_clf.features.base import Records, to_records
    from edu_clf.io.corpus import item_of_line
    from edu_clf.io.limits import RemovedControls

    first, lines, before, after = task
    controls = RemovedControls(path)   # one warning for the chunk's lines
    items = [it for it in (item_of_line(raw, path, first + i, controls) for i, raw in enumerate(lines))
             if it is not None]
    controls.warn()
    outer: list[list[Item]] = []
    for side in (before, after):
        got: list[Item] = []
        for raw in side:   # (their control characters are counted with their own chunk)
            try:
                got.append(item_of_line(raw, path, 0, RemovedControls(path)))
            except EduClfError:   # it stops its own chunk; here only the lines on this chunk's side of it count
                if side is after:
                    break
                got = []
        outer.append(got)
    records = to_records([*outer[0], *items, *outer[1]])
    predictions = predict_items(model, items, top_k=top_k, explain=explain, records=Records(records),
                                first=len(outer[0]))
    if not render:
        return predictions
    runs: list[tuple[str, list[Prediction]]] = []
    for p in predictions:
        if not runs or runs[-1][0] != p.doc_id:
            runs.append((p.doc_id, []))
        runs[-1][1].append(p)
    head = None
    if runs and outer[0] and runs[0][0] == outer[0][-1].doc_id:   # the document goes on from before
        doc_id, rows = runs.pop(0)
        head = (doc_id, [json_bytes(p.to_dict())[:-2] for p in rows])
    text, tail = [], None
    for doc_id, rows in runs:
        end = row_end(meta_of(doc_id, rows[0].title, rows[0].text) if meta_of is not None else {}).encode()
        text.extend(json_bytes(p.to_dict())[:-2] + end for p in rows)
        tail = (doc_id, end)
    return Rendered(head, b"".join(text), tail)


def _label_lines(task: tuple[str, tuple[int, list[bytes], tuple[bytes, ...], tuple[bytes, ...]]]) -> Any:
    return label_lines(_WORKER["model"], task[0], task[1], _WORKER["top_k"], _WORKER["explain"],
                       _WORKER["render"] is not None, _WORKER["meta_of"])


def predict_jsonl(model: Any, paths: Sequence[str], jobs: int = 1, chunk_size: int = 2000, top_k: int = 1,
                  explain: int = 0, render: bool = False, meta_of: MetaOf | None = None) -> Iterator[Any]:
    """Predictions for the items of guide-format JSONL files, in order, chunk by chunk (flat memory).

    Each chunk is parsed, checked and labeled in one go, in this process or, with `jobs` > 1, by
    worker processes, one chunk per worker in flight; an invalid line stops the run at its chunk, after
    the rows of the chunks before. With `render`, what comes is finished JSON lines as UTF-8 bytes (a
    chunk at a time), each row ending with meta_of(doc_id, title, text of the document's first item
    in its chunk) — the metadata a document's first item gives, as long as a document's items are
    consecutive lines.
    """
    for path in paths:
        chunks = line_chunks(path, chunk_size)
        tail: tuple[str, str] | None = None

        def finished(result: Any) -> Iterator[Any]:
            nonlocal tail
            if not render:
                yield from result
                return
            if result.head is not None:
                doc_id, rows = result.head
                end = tail[1] if tail is not None and tail[0] == doc_id else row_end({}).encode()
                yield b"".join(row + end for row in rows)
            if result.tail is not None:   # a chunk of one document's rows only, or of blank lines, keeps it
                tail = result.tail
            if result.text:
                yield result.text

        if jobs <= 1:
            for task in chunks:
                yield from finished(label_lines(model, path, task, top_k, explain, render, meta_of))
            continue
        with _pool(jobs, model, top_k, explain, None, True if render else None, meta_of) as pool:
            for result in pool.imap(_label_lines, ((path, task) for task in chunks)):
                yield from finished(result)


def jsonl_of(prediction: Prediction) -> str:
    """The prediction's JSON Lines line (a `render` for predict_files)."""
    return json_line(prediction.to_dict())


__all__ = ["Skipped", "auto_jobs", "check_inputs", "documents_from_items", "iter_chunks", "iter_documents", "jsonl_of",
           "label_lines", "line_chunks", "predict_jsonl", "Rendered",
           "load_documents", "no_items_error", "no_items_message", "predict_documents", "predict_files", "predict_items", "predict_report",
           "predict_stream", "stream_documents", "unique_doc_ids", "WithPath"]
