"""Start-up and end-to-end through the command line, start-up included, against the plain pipeline.

    python bench/cli_e2e.py                 # 20,000 and 100,000 items, 3 runs each
    python bench/cli_e2e.py --sizes 20000 --runs 1

Start-up: `edu-clf --help`, `--version`, `predict --text …`, `predict` on one seed
(`python -m edu_clf`, medians). End to end: N seed-length items (the seeds' items over and over, each
text ending in a number of its own, so that no two are the same) as guide-format JSONL
through `edu-clf predict items.jsonl --format jsonl` (the shipped runtime artifact),
against a plain pipeline in its own process (jieba.lcut + one TfidfVectorizer +
LogisticRegression per task, as bench/run.py's baseline, trained beforehand on the same
data and loaded from a joblib file), which reads the same JSONL and writes the same kind of JSON lines.
Every figure includes interpreter start-up, imports and model loading. `edu-clf` runs with its
default --jobs (one worker per CPU for a JSONL over 8 MB) and, for comparison, with -j 1; the plain
pipeline runs in one process, as a user would write it. Python's bytecode is cached as after a
normal install (this sandbox sets PYTHONDONTWRITEBYTECODE=1, which would add ~0.07 s to every start).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "edu_clf"]
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

PLAIN_TRAIN = r'''
import json, sys, joblib, jieba
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
jieba.setLogLevel(60)
from plain_cut import cut
rows = [json.loads(l) for path in sys.argv[2:] for l in open(path, encoding="utf-8")]
texts = [r["text"] for r in rows]
vec = TfidfVectorizer(tokenizer=cut, token_pattern=None, lowercase=False, sublinear_tf=True)
X = vec.fit_transform(texts)
heads = {task: LogisticRegression(max_iter=1000, class_weight="balanced").fit(X, [r[task] for r in rows])
         for task in ("kind", "topic")}
joblib.dump((vec, heads), sys.argv[1])
'''

PLAIN_CUT = r'''
import jieba


def cut(text):
    return jieba.lcut(text)
'''

PLAIN_PREDICT = r'''
import json, sys, joblib, jieba
jieba.setLogLevel(60)
vec, heads = joblib.load(sys.argv[1])
rows = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
X = vec.transform([r["text"] for r in rows])
out = {task: head.predict_proba(X) for task, head in heads.items()}
w = sys.stdout.write
for i, r in enumerate(rows):
    rec = dict(r)
    for task, head in heads.items():
        j = out[task][i].argmax()
        rec[task], rec[task + "_score"] = str(head.classes_[j]), round(float(out[task][i][j]), 4)
    w(json.dumps(rec, ensure_ascii=False) + "\n")
'''


def timed(cmd: list[str], runs: int, stdout=subprocess.DEVNULL) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=stdout, stderr=subprocess.DEVNULL, cwd=ROOT, env=ENV)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def items_file(folder: Path, n: int) -> Path:
    gold = [json.loads(line) for line in (ROOT / "seeds" / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    path = folder / f"items_{n}.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(n):
            g = gold[i % len(gold)]
            # a number of its own ends every text: edu-clf normalizes and counts cues once per distinct
            # text of a chunk, and 140 texts over and over would flatter it by about a tenth
            rec = {"doc_id": f"{g['doc_id']}#{i // len(gold)}", "item": g["item"], "title": g["title"],
                   "headings": g["headings"], "text": f"{g['text']}（{i}）"}
            handle.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,100000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    seed = str(ROOT / "seeds" / "000_a2250ef0bda6fe1b.txt")
    subprocess.run(CLI + ["predict", seed], check=True, capture_output=True, cwd=ROOT, env=ENV)  # caches bytecode
    print(f"start-up (median of 5, python -m edu_clf, {os.cpu_count()} CPUs):")
    targets = {"--help": 0.3, "--version": 0.3, "predict --text": 0.6, "predict one seed": 0.8}
    for name, cmd in (("--help", ["--help"]), ("--version", ["--version"]),
                      ("predict --text", ["predict", "--text", "下半年将加快推进城区学校扩建工程。"]),
                      ("predict one seed", ["predict", seed])):
        t = timed(CLI + cmd, 5)
        print(f"  {name:18} {t:6.3f} s   target ≤ {targets[name]} s  {'met' if t <= targets[name] else 'NOT met'}")
    python = timed([sys.executable, "-c", "pass"], 5)
    print(f"  (python -c pass    {python:6.3f} s: the interpreter's own start-up)")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        plain_model = tmp / "plain.joblib"
        (tmp / "train.py").write_text(PLAIN_TRAIN, encoding="utf-8")
        (tmp / "predict.py").write_text(PLAIN_PREDICT, encoding="utf-8")
        (tmp / "plain_cut.py").write_text(PLAIN_CUT, encoding="utf-8")   # a module, so the pickle finds it
        data = [str(ROOT / "seeds" / "labels.jsonl"), *map(str, sorted((ROOT / "corpus" / "labels").glob("*.jsonl")))]
        subprocess.run([sys.executable, str(tmp / "train.py"), str(plain_model), *data], check=True, cwd=ROOT)
        print("end to end, guide-format JSONL → JSON lines, start-up included (median of "
              f"{args.runs} interleaved rounds; the ratio is the median of the rounds' ratios):")
        for n in map(int, args.sizes.split(",")):
            path = items_file(tmp, n)
            commands = {"plain": [sys.executable, str(tmp / "predict.py"), str(plain_model), str(path)],
                        "edu-clf": CLI + ["-q", "predict", str(path), "--format", "jsonl"],
                        "edu-clf -j 1": CLI + ["-q", "predict", str(path), "--format", "jsonl", "-j", "1"]}
            # rounds of one run each, interleaved: this machine's speed drifts by tens of percent over
            # minutes, and a drift between the plain runs and ours would move the ratio
            rounds = [{name: timed(cmd, 1) for name, cmd in commands.items()} for _ in range(args.runs)]
            target = 10 if n <= 20000 else 20
            plain = statistics.median(r["plain"] for r in rounds)
            print(f"  {n:7d} items: plain {plain:6.2f} s ({n / plain:7.0f} items/s)")
            for name in ("edu-clf", "edu-clf -j 1"):
                ours = statistics.median(r[name] for r in rounds)
                ratios = [r["plain"] / r[name] for r in rounds]
                ratio = statistics.median(ratios)
                print(f"      {name:13} {ours:6.2f} s ({n / ours:8.0f} items/s)   {ratio:5.1f}× the plain pipeline"
                      f"   target ≥ {target}×  {'met' if ratio >= target else 'NOT met'}"
                      f"   (rounds: {', '.join(f'{x:.1f}×' for x in ratios)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
