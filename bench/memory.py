"""Peak memory of edu-clf's large-input runs through the command line, against issue 16's 1 GB.

    python bench/memory.py                       # every run below
    python bench/memory.py --items 100000        # a smaller JSONL
    python bench/memory.py --only jsonl          # text, jsonl, validate (comma-separated)

Each run is `python -m edu_clf …` in its own process:
  text      a 60 MB single-line text file (the seed reports' text with the line breaks taken out, repeated)
            through `predict FILE --format jsonl --out` and `segment FILE --format jsonl --out`;
  jsonl     a 600,000-item guide-format JSONL (seeds/labels.jsonl repeated with distinct doc_ids, as
            bench/cli_e2e.py's items_file, labels kept so that validate can check it) through
            `-q predict FILE --format jsonl --out`;
  validate  `validate` on the same JSONL: with the shipped [limits] (a file over max_input_bytes is refused
            by name), and with max_input_bytes raised above the file's size, as a user would in
            configs/segment.toml (here patched in the child process, the config file is not touched).

Peak memory is the child's ru_maxrss from wait4 (the RSS of its largest process), and the sum over its
process tree (workers included) sampled every 20 ms as PSS (/proc/PID/smaps_rollup), so that pages the
forked workers share with the parent count once, not once a process (RSS where PSS is not to be had).
The inputs live in a temporary folder under /tmp, removed at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "edu_clf"]
LIMIT = 2**30   # issue 16: no run exceeds 1 GB RSS
MIB = 2**20

# `edu-clf` with [limits] max_input_bytes raised (first argument), the config file left as it is
RAISED_LIMIT = r'''
import sys
import edu_clf.config as config
import edu_clf.io.limits as limits
raised = config.LimitsConfig(max_input_bytes=int(sys.argv.pop(1)), max_model_bytes=config.LimitsConfig().max_model_bytes)
config.load_limits = limits.load_limits = lambda path=None: raised
from edu_clf.cli import main
main(sys.argv[1:])
'''


def _tree(pid: int) -> list[int]:
    """pid and all its descendants (from /proc)."""
    out, todo = [], [pid]
    while todo:
        one = todo.pop()
        out.append(one)
        try:
            for task in os.listdir(f"/proc/{one}/task"):
                with open(f"/proc/{one}/task/{task}/children") as handle:
                    todo.extend(int(c) for c in handle.read().split())
        except OSError:
            pass
    return out


def _memory(pids: list[int]) -> int:
    """Proportional set size of the processes, summed (shared pages split among their sharers)."""
    total = 0
    for pid in pids:
        for name, key in ((f"/proc/{pid}/smaps_rollup", "Pss:"), (f"/proc/{pid}/status", "VmRSS:")):
            try:
                with open(name) as handle:
                    found = next((line for line in handle if line.startswith(key)), None)
            except OSError:
                continue
            if found is not None:
                total += int(found.split()[1]) * 1024
                break
    return total


def measure(cmd: list[str], env: dict[str, str] | None = None) -> dict:
    """Run `cmd`; its exit code, wall seconds, wait4 ru_maxrss and the sampled peak PSS of its process tree."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _memory(_tree(proc.pid)))
            done.wait(0.02)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stderr = proc.stderr.read()   # drained while it runs (the pipe never fills)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"code": proc.returncode, "seconds": seconds, "maxrss": usage.ru_maxrss * 1024, "tree": peak[0],
            "stderr": stderr.decode("utf-8", "replace")}


def single_line_text(path: Path, size: int) -> Path:
    """`size` bytes of report text on one line: the seeds' text without line breaks, repeated."""
    text = "".join(p.read_text(encoding="utf-8").replace("\r", "").replace("\n", "")
                   for p in sorted((ROOT / "seeds").glob("*.txt"))).encode("utf-8")
    with open(path, "wb") as handle:
        written = 0
        while written < size:
            chunk = text[: size - written]
            cut = chunk.decode("utf-8", "ignore").encode("utf-8")   # never end inside a character
            handle.write(cut)
            written += len(cut)
            if len(cut) < len(chunk):
                break
    return path


def items_file(path: Path, n: int) -> Path:
    """n guide-format items: seeds/labels.jsonl repeated, doc_id made distinct per round (labels kept)."""
    gold = [json.loads(line) for line in (ROOT / "seeds" / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(n):
            g = gold[i % len(gold)]
            rec = {"doc_id": f"{g['doc_id']}#{i // len(gold)}", "item": g["item"], "title": g["title"],
                   "headings": g["headings"], "text": g["text"], "kind": g["kind"], "topic": g["topic"]}
            handle.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return path


def report(name: str, result: dict) -> bool:
    peak = max(result["maxrss"], result["tree"])
    met = peak <= LIMIT and result["code"] == 0
    verdict = "met" if peak <= LIMIT else "NOT met"
    print(f"  {name:44} peak {peak / MIB:7.0f} MiB (largest process RSS {result['maxrss'] / MIB:5.0f}, tree PSS "
          f"{result['tree'] / MIB:5.0f})  limit {LIMIT / MIB:.0f} MiB {verdict:7}  {result['seconds']:6.1f} s"
          f"  exit {result['code']}", flush=True)
    if result["code"] != 0:
        tail = [line for line in result["stderr"].splitlines() if line.strip()][-2:]
        for line in tail:
            print(f"      {line[:160]}")
    return met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text-mb", type=int, default=60, help="size of the single-line text file (MB)")
    parser.add_argument("--items", type=int, default=600_000, help="items in the JSONL file")
    parser.add_argument("--only", default="text,jsonl,validate", help="runs to do, comma-separated")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    ok = True
    with tempfile.TemporaryDirectory(prefix="edu-clf-memory-", dir="/tmp") as tmp:
        tmp = Path(tmp)
        out = tmp / "out.jsonl"
        print(f"peak memory, python -m edu_clf (limit {LIMIT / MIB:.0f} MiB):", flush=True)
        if "text" in only:
            text = single_line_text(tmp / "single_line.txt", args.text_mb * 1000 * 1000)
            print(f" {text.stat().st_size / 1e6:.0f} MB single-line text file:", flush=True)
            for command in ("predict", "segment"):
                ok &= report(f"{command} FILE --format jsonl --out", measure(
                    CLI + ["-q", command, str(text), "--format", "jsonl", "--out", str(out)]))
            text.unlink()
        if only & {"jsonl", "validate"}:
            items = items_file(tmp / "items.jsonl", args.items)
            size = items.stat().st_size
            print(f" {args.items:,} items of guide-format JSONL ({size / 1e6:.0f} MB):", flush=True)
            if "jsonl" in only:
                ok &= report("-q predict FILE --format jsonl --out", measure(
                    CLI + ["-q", "predict", str(items), "--format", "jsonl", "--out", str(out)]))
            if "validate" in only:
                shipped = measure(CLI + ["validate", str(items)])
                ok &= report("validate FILE (shipped [limits])", shipped) or "larger than the limit" in shipped["stderr"]
                if "larger than the limit" in shipped["stderr"]:   # what it takes when a user raises the limit
                    ok &= report(f"validate FILE (max_input_bytes={(size + 1) / MIB:.0f} MiB)", measure(
                        [sys.executable, "-c", RAISED_LIMIT, str(size + 1), "validate", str(items)]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
