"""edu-clf benchmark: end-to-end predict, training cost curve, peak memory, model size.

Run from the project root:  python bench/run.py            (about 15 minutes on 2 cores)
                            python bench/run.py --quick    (smaller sizes, a smoke run)

Compares, in the same run and on the same data:
  edu-clf      the shipped pipeline (C port of jieba's HMM-off cut, C TF-IDF kernels, logistic heads)
  plain        jieba.lcut + scikit-learn TfidfVectorizer + LogisticRegression (two heads)
  fasttext     jieba.lcut + fastText supervised (two models), if fasttext is installed

"End-to-end" starts from raw report text: every pipeline is timed from segmented
items (our segmenter, timed separately and added to each) to labels.
Figures are medians of --runs runs (default 3).
"""
from __future__ import annotations

import argparse
import gc
import glob
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from edu_clf import kernels  # noqa: E402
from edu_clf.config import load_cues, load_label_schema, load_segment_config, load_train_config  # noqa: E402
from edu_clf.io.corpus import read_labeled  # noqa: E402
from edu_clf.model.evaluate import gold_matrix  # noqa: E402
from edu_clf.records import Item  # noqa: E402
from edu_clf.model import EduClassifier  # noqa: E402
from edu_clf.segment import segment_text  # noqa: E402
from edu_clf.io import read_report  # noqa: E402


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def replicate(items: list[Item], n: int) -> list[Item]:
    """n items: the labeled items repeated, each copy with its own doc_ids."""
    out = []
    copy = 0
    while len(out) < n:
        for it in items:
            out.append(Item(f"{it.doc_id}#{copy}", it.item, it.title, it.headings, it.text, None, it.kind,
                            it.topic, it.source))
            if len(out) == n:
                break
        copy += 1
    return out


# ------------------------------------------------------------------ baselines


def jieba_cut(text: str) -> list[str]:
    import jieba
    return jieba.lcut(text)


class Plain:
    """jieba.lcut + TfidfVectorizer + LogisticRegression, one per task: what a user would write first."""

    def fit(self, texts, y):
        import jieba
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        jieba.setLogLevel(60)
        self.vec = TfidfVectorizer(tokenizer=jieba_cut, token_pattern=None, lowercase=False, sublinear_tf=True)
        X = self.vec.fit_transform(texts)
        self.heads = [LogisticRegression(max_iter=1000, class_weight="balanced").fit(X, y[:, i]) for i in range(2)]
        return self

    def predict(self, texts):
        X = self.vec.transform(texts)
        return np.column_stack([h.predict(X) for h in self.heads])


class FastText:
    """jieba tokens → fastText supervised, one model per task."""

    def fit(self, texts, y):
        import fasttext
        import jieba
        jieba.setLogLevel(60)
        self.models = []
        tokens = [" ".join(jieba.lcut(t)).replace("\n", " ") for t in texts]
        for i in range(2):
            with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
                for label, line in zip(y[:, i], tokens):
                    f.write(f"__label__{label} {line}\n")
            self.models.append(fasttext.train_supervised(f.name, epoch=25, wordNgrams=2, verbose=0, thread=1))
            os.unlink(f.name)
        return self

    def predict(self, texts):
        import jieba
        tokens = [" ".join(jieba.lcut(t)).replace("\n", " ") for t in texts]
        out = []
        for m in self.models:
            labels, _ = m.predict(tokens, k=1)
            out.append([lab[0].replace("__label__", "") for lab in labels])
        return np.column_stack(out)


def fasttext_available() -> str | None:
    try:
        import fasttext  # noqa: F401
        return None
    except Exception as exc:  # pragma: no cover - depends on the machine
        return f"{type(exc).__name__}: {exc}"


# ------------------------------------------------------------------ parts


def load_data():
    schema = load_label_schema()
    files = [ROOT / "seeds" / "labels.jsonl"] + sorted(Path(p) for p in glob.glob(str(ROOT / "corpus/labels/*.jsonl")))
    items = read_labeled(files, schema)
    texts = []
    for path in sorted(glob.glob(str(ROOT / "seeds/*.txt"))) + sorted(glob.glob(str(ROOT / "corpus/written/*.txt"))):
        texts.append((Path(path).stem, read_report(path).text))
    return items, texts


def our_model(items):
    config = load_train_config()
    return EduClassifier.from_config(config, load_cues()).fit(items, gold_matrix(items))


def report_line(name: str, value: str, ratio: str = "") -> None:
    print(f"  {name:<34}{value:>22}  {ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--predict-items", type=int, default=100_000)
    parser.add_argument("--baseline-items", type=int, default=20_000,
                        help="items for the slow baselines' predict timing (their rate is linear in n)")
    parser.add_argument("--stream-items", type=int, default=1_000_000)
    args = parser.parse_args()
    targets: list[tuple[str, str, bool]] = []
    if args.quick:
        args.predict_items, args.baseline_items, args.stream_items, args.runs = 10_000, 2_000, 50_000, 1
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    print(f"edu-clf bench on {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; medians of {args.runs} runs")
    items, texts = load_data()
    print(f"data: {len(items)} labeled items, {len(texts)} raw reports; inner loops: {kernels.status()}")
    seg_config = load_segment_config()  # read once, as `edu-clf predict` does

    # ---- segmentation (shared by every pipeline)
    per_round = sum(len(d.items) for _, t in texts for d in segment_text(t, "b", seg_config))
    rounds = max(1, args.predict_items // per_round + 1)
    def segment_all() -> None:
        # each report's documents are dropped once made, as in a stream: keeping all 100k items
        # alive would time Python's cyclic GC walking a growing heap (it halved the measured rate)
        for _ in range(rounds):
            for s, t in texts:
                segment_text(t, s, seg_config)
    seg_time = median_time(segment_all, args.runs)
    n_seg = per_round * rounds
    raw_items = [it for _ in range(rounds) for s, t in texts for d in segment_text(t, s, seg_config)
                 for it in d.items]
    raw_items = raw_items[: args.predict_items]
    chars = sum(len(it.text) for it in raw_items)
    print(f"\n1. End-to-end predict from raw text, {len(raw_items)} items ({chars / 1e6:.1f} M characters)")
    seg_rate = n_seg / seg_time
    report_line("segmenter alone", f"{seg_rate:,.0f} items/s")

    ours = our_model(items)
    y = gold_matrix(items)
    texts_train = [it.text for it in items]
    plain = Plain().fit(texts_train, y)
    ft_missing = fasttext_available()
    ft = FastText().fit(texts_train, y) if ft_missing is None else None

    def e2e_rate(classify_time: float, n: int) -> float:
        return n / (classify_time + n / seg_rate)

    def ours_predict():  # in the chunks `edu-clf predict` uses (--chunk-size 2000)
        for i in range(0, len(raw_items), 2000):
            ours.predict(raw_items[i:i + 2000])
    t_ours = median_time(ours_predict, args.runs)
    base = raw_items[: args.baseline_items]
    base_texts = [it.text for it in base]
    t_plain = median_time(lambda: plain.predict(base_texts), args.runs)
    r_ours = e2e_rate(t_ours, len(raw_items))
    r_plain = e2e_rate(t_plain, len(base))
    report_line("edu-clf (1 core)", f"{r_ours:,.0f} items/s",
                f"classify alone {len(raw_items) / t_ours:,.0f} items/s, {chars / t_ours / 1e6:.2f} M chars/s")
    import rjieba
    texts_raw = [it.text for it in raw_items]
    t_rj = median_time(lambda: [rjieba.cut(t, False) for t in texts_raw], args.runs)
    report_line("rjieba tokenizing alone", f"{len(raw_items) / t_rj:,.0f} items/s",
                f"{chars / t_rj / 1e6:.2f} M chars/s (jieba-rs, words as Python lists)")
    t_tok = t_rj
    if kernels.KERNELS is not None:
        from edu_clf.features.tokenize import native_words
        t_tok = median_time(lambda: [native_words(t) for t in texts_raw], args.runs)
        report_line("jieba port (C) tokenizing alone", f"{len(raw_items) / t_tok:,.0f} items/s",
                    f"{chars / t_tok / 1e6:.2f} M chars/s (C, words as Python lists): the tokenizer's limit")
    report_line(f"plain jieba+sklearn ({len(base)} items)", f"{r_plain:,.0f} items/s",
                f"edu-clf is {r_ours / r_plain:.1f}x faster")
    if ft is not None:
        t_ft = median_time(lambda: ft.predict(base_texts), args.runs)
        r_ft = e2e_rate(t_ft, len(base))
        report_line(f"jieba+fastText ({len(base)} items)", f"{r_ft:,.0f} items/s",
                    f"edu-clf is {r_ours / r_ft:.1f}x faster")
    else:
        report_line("jieba+fastText", "not run", f"fasttext does not import: {ft_missing}")
    agree = (ours.predict(raw_items[:5000]) == ours.predict(raw_items[:5000])).all()
    report_line("repeat predictions identical", str(bool(agree)))
    per_item = {"segmenter": 1e6 / seg_rate, "classify": t_ours / len(raw_items) * 1e6,
                "tokenizing the item texts alone": t_tok / len(raw_items) * 1e6}
    report_line("time per item (µs)", ", ".join(f"{k} {v:.1f}" for k, v in per_item.items()))
    targets.append(("end-to-end >= 10,000 items/s on 1 core", f"{r_ours:,.0f} items/s", r_ours >= 10_000))
    targets.append(("end-to-end >= 10x the plain pipeline", f"{r_ours / r_plain:.1f}x", r_ours / r_plain >= 10))
    if ft is not None:
        targets.append(("end-to-end ahead of jieba + fastText", f"{r_ours / r_ft:.1f}x", r_ours > r_ft))

    # ---- training cost curve
    print("\n2. Training time (fit on n items, both heads)")
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    curve = {}
    for n in sizes:
        data = replicate(items, n)
        yy = gold_matrix(data)
        runs = args.runs if n <= 10_000 else 1
        t = median_time(lambda: EduClassifier.from_config(load_train_config(), load_cues()).fit(data, yy), runs)
        tp = median_time(lambda: Plain().fit([d.text for d in data], yy), 1) if n <= 10_000 or not args.quick else None
        curve[n] = t
        if n == 100_000:
            targets.append(("training on 100k items < 60 s", f"{t:.1f} s", t < 60))
        line = f"plain {tp:.1f} s (edu-clf/plain time ratio {t / tp:.1f})" if tp else ""
        if ft is not None and n <= 10_000:
            tf = median_time(lambda: FastText().fit([d.text for d in data], yy), 1)
            line += f"; fastText {tf:.1f} s"
        report_line(f"edu-clf n={n:,} ({runs} run{'s' if runs > 1 else ''})", f"{t:.1f} s", line)

    # ---- model size
    print("\n3. Model file size")
    from edu_clf.config import default_model_path
    path = default_model_path()
    if path.exists():
        report_line("shipped default model", f"{path.stat().st_size / 1e6:.1f} MB", str(path.relative_to(ROOT)))
        targets.append(("default model file < 20 MB", f"{path.stat().st_size / 1e6:.1f} MB",
                        path.stat().st_size < 20e6))
    import joblib
    with tempfile.TemporaryDirectory() as tmp:
        joblib.dump(plain, Path(tmp) / "plain.joblib", compress=3)
        report_line("plain pipeline (joblib)", f"{(Path(tmp) / 'plain.joblib').stat().st_size / 1e6:.1f} MB")
        if ft is not None:
            ft.models[0].save_model(str(Path(tmp) / "ft.bin"))
            report_line("fastText (kind model only)", f"{(Path(tmp) / 'ft.bin').stat().st_size / 1e6:.1f} MB")

    # ---- streaming memory
    print(f"\n4. Peak memory streaming {args.stream_items:,} items through `edu-clf predict` (a child process)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "reports"
        folder.mkdir()
        reports = [p for p in sorted(glob.glob(str(ROOT / "corpus/written/*.txt")))]
        per_copy = sum(len(d.items) for p in reports for d in segment_text(read_report(p).text, "x"))
        copies = args.stream_items // per_copy + 1
        for c in range(copies):
            sub = folder / f"{c:05d}"
            sub.mkdir()
            for p in reports:
                os.link(p, sub / Path(p).name)
        # the child reports its own high-water mark (VmHWM): ru_maxrss would include the fork of this process
        child = ("import sys, atexit\n"
                 "def peak():\n"
                 "    for line in open('/proc/self/status'):\n"
                 "        if line.startswith('VmHWM'): sys.stderr.write('PEAK ' + line.split()[1] + '\\n')\n"
                 "atexit.register(peak)\n"
                 "from edu_clf.cli import main\n"
                 "main(sys.argv[1:])\n")
        cmd = [sys.executable, "-c", child, "-q", "predict", str(folder), "--format", "jsonl"]
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - start
        peaks = [line for line in proc.stderr.decode().splitlines() if line.startswith("PEAK ")]
        peak = int(peaks[-1].split()[1]) / 1024 if peaks else float("nan")
        n_streamed = per_copy * copies
        status = "ok" if proc.returncode == 0 else f"exit {proc.returncode}: {proc.stderr.decode()[-200:]}"
        report_line(f"{n_streamed:,} items from {copies * len(reports):,} files", f"{peak:,.0f} MB peak RSS",
                    f"{elapsed:.0f} s, {n_streamed / elapsed:,.0f} items/s incl. reading + JSON output; {status}")
        if n_streamed >= 1_000_000:
            targets.append(("peak memory streaming 1M items < 1 GB", f"{peak:,.0f} MB", peak < 1024))
        cmd2 = cmd + ["--jobs", "2"]
        start = time.perf_counter()
        subprocess.run(cmd2, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elapsed2 = time.perf_counter() - start
        report_line("same with --jobs 2", f"{n_streamed / elapsed2:,.0f} items/s", f"{elapsed / elapsed2:.2f}x of 1 job")

    print("\n5. Targets (issue 5)")
    for name, value, met in targets:
        report_line(name, value, "met" if met else "NOT met")


if __name__ == "__main__":
    main()
