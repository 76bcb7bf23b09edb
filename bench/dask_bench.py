"""The Dask engine against the in-process path: items/s with 1 and 2 workers, the cost of a partition,
and a paper estimate for 10 M items on N workers.

    python bench/dask_bench.py --model models/default.npz [--items 100000]

Data: the items of the seeds and corpus/written, replicated (doc_ids made unique) to about --items
items in one guide-format JSONL file. In-process: `predict_stream` (what `edu-clf predict FILE.jsonl
--jobs J` runs) writing JSON lines to a file. Dask: `predict_partitioned` on a LocalCluster of W
workers (one thread each); the cluster's start and the workers' first model load are timed apart
from the steady runs. The per-partition cost is (T(200 partitions) - T(1)) / 199 on the first 2,000
items, 1 worker.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build_items(target: int, path: Path) -> int:
    from edu_clf.io import iter_input_paths
    from edu_clf.pipeline import iter_documents

    docs = list(iter_documents(list(iter_input_paths([*map(str, sorted((ROOT / "seeds").glob("*.txt"))),
                                                       str(ROOT / "corpus" / "written")]))))
    base = [it for d in docs for it in d.items]
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        copy = 0
        while count < target:
            for it in base:
                record = it.to_dict(labels=False)
                record["doc_id"] = f"{it.doc_id}~{copy}"
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
            copy += 1
    return count


def in_process(model_path: Path, items: Path, jobs: int, out: Path) -> float:
    from edu_clf.io.corpus import iter_items
    from edu_clf.pipeline import documents_from_items, jsonl_of, load_predictor, predict_stream

    model = load_predictor(model_path)
    started = time.perf_counter()
    with open(out, "w", encoding="utf-8") as stream:
        for p in predict_stream(model, documents_from_items(iter_items(items), str(items)), jobs=jobs):
            stream.write(jsonl_of(p))
    return time.perf_counter() - started


def dask_run(client, model_path: Path, items: Path, out: Path, size: int) -> tuple[float, int]:
    from edu_clf.pipeline_dask import predict_partitioned

    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    summary = predict_partitioned([str(items)], out, model_path, client=client, partition_size=size)
    return time.perf_counter() - started, summary.partitions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--partition-size", type=int, default=20_000)
    args = parser.parse_args()

    from edu_clf.pipeline_dask import dask_client, plan_partitions

    work = Path(tempfile.mkdtemp(prefix="dask-bench-"))
    try:
        items_path = work / "items.jsonl"
        n = build_items(args.items, items_path)
        print(f"data: {n} items, {items_path.stat().st_size / 1e6:.1f} MB of JSONL")
        started = time.perf_counter()
        plan = plan_partitions([str(items_path)], args.partition_size)
        plan_s = time.perf_counter() - started
        print(f"planning (client scan of the JSONL): {plan_s:.2f} s = {plan_s / n * 1e6:.2f} µs/item, "
              f"{len(plan)} partitions")
        rows = []
        for jobs in (1, 2):
            t = in_process(args.model, items_path, jobs, work / f"inproc{jobs}.jsonl")
            rows.append((f"in-process --jobs {jobs}", t, n / t))
        ref = (work / "inproc1.jsonl").read_bytes()
        c_part = None
        for workers in (1, 2):
            started = time.perf_counter()
            with dask_client(None, jobs=workers) as client:
                boot = time.perf_counter() - started
                first, _ = dask_run(client, args.model, items_path, work / "d", args.partition_size)
                steady, parts = dask_run(client, args.model, items_path, work / "d", args.partition_size)
                joined = b"".join((work / "d" / e.file).read_bytes() for e in plan)
                same = joined == ref
                rows.append((f"dask {workers} worker(s), {parts} partitions", steady, n / steady))
                print(f"dask {workers} worker(s): cluster start {boot:.1f} s; first run (workers load the model) "
                      f"{first:.1f} s; steady {steady:.2f} s; output identical to in-process: {same}")
                if workers == 1:
                    # the cost of a partition, on a short input so that the machine's noise stays small:
                    # the same 2,000 items as 1 partition and as ~200 partitions of 10
                    head = work / "head.jsonl"
                    with open(items_path, encoding="utf-8") as src:
                        head.write_text("".join(line for _, line in zip(range(2000), src)), encoding="utf-8")
                    one, p1 = dask_run(client, args.model, head, work / "h", 10**9)
                    many, pn = dask_run(client, args.model, head, work / "h", 10)
                    c_part = (many - one) / (pn - p1)
                    c_item = (steady - parts * c_part) / n
                    print(f"1 worker, 2,000 items: 1 partition {one:.2f} s, {pn} partitions {many:.2f} s → "
                          f"{c_part * 1e3:.1f} ms per partition; {c_item * 1e6:.1f} µs per item")
        print()
        print(f"{'run':<40} {'seconds':>8} {'items/s':>10}")
        for name, t, rate in rows:
            print(f"{name:<40} {t:>8.2f} {rate:>10,.0f}")
        if c_part is not None:
            print("\npaper estimate, 10 M items, partitions of 20,000 (500), plan scan on the client:")
            total, size = 10_000_000, 20_000
            for workers in (1, 2, 8, 32, 128):
                parts = total // size
                t = total * plan_s / n + (total * c_item + parts * c_part) / workers
                print(f"  {workers:>4} workers: {t / 60:6.1f} min  ({total / t:,.0f} items/s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
