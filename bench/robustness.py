"""Robustness table: grouped-CV quality on the views a real copy has.

    python bench/robustness.py                       # the default config, every view
    python bench/robustness.py --set features.normalize=false --json before.json
    python bench/robustness.py --parts seeds --errors seeds-errors.csv   # every wrong item, per view

Seeds are scored leave-one-document-out, the written corpus leave-one-writer-out
(no writer on both sides). Every fold trains on clean copies of everything
outside its group and labels the held-out documents under each view of
edu_clf.model.views. Prints kind and topic macro-F1, ECE and mean score per part and
view; the "Δ kind" column is each view's kind macro-F1 minus the clean one.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from edu_clf.config import load_label_schema, load_train_config  # noqa: E402
from edu_clf.model.evaluate import Evaluation, cross_validate_views  # noqa: E402
from edu_clf.model.train import build_estimator, default_data_paths, load_training_items  # noqa: E402
from edu_clf.model.views import VIEWS  # noqa: E402
from edu_clf.records import writer_group  # noqa: E402


def corpus_part(doc_id: str) -> str:
    """seeds, written-1 (w1–w8, the short regular corpus) or written-2 (w9 on)."""
    if not doc_id.startswith("w"):
        return "seeds"
    return "written-1" if int(doc_id[1:].split("_")[0]) <= 8 else "written-2"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="config override key=value")
    parser.add_argument("--views", default=",".join(VIEWS), help="comma-separated views")
    parser.add_argument("--parts", default="seeds,written", help="seeds, written or both")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--errors", type=Path, help="also write every item a view gets wrong (either task) here, "
                        "as CSV for a spreadsheet: where a view's figure comes from")
    parser.add_argument("--jobs", type=int, default=2, help="folds fitted in parallel")
    parser.add_argument("--data", nargs="+", type=Path, help="labeled files (default: the config's training data)")
    args = parser.parse_args(argv)

    cfg = load_train_config(overrides=args.overrides)
    schema = load_label_schema()
    items = load_training_items(args.data or default_data_paths(cfg), schema)
    views = args.views.split(",")
    start = time.perf_counter()
    results = cross_validate_views(build_estimator(cfg), items, views, args.parts.split(","),
                                   progress=lambda i, n: print(f"fold {i}/{n}", file=sys.stderr, flush=True),
                                   n_jobs=args.jobs)
    elapsed = time.perf_counter() - start

    rows, evals = [], {}
    for (part, view), ev in results.items():
        groups = {"seeds": [ev]} if part == "seeds" else {}
        if part == "written":   # the whole written corpus, and its two corpora apart
            from edu_clf.model.evaluate import evaluate_predictions
            groups["written"] = [ev]
            for sub in ("written-1", "written-2"):
                index = [i for i, it in enumerate(ev.items) if corpus_part(it.doc_id) == sub]
                if index:
                    groups[sub] = [evaluate_predictions([ev.items[i] for i in index], ev.predicted[index],
                                                        ev.method, ev.folds, ev.scores[index])]
        for name, (e,) in groups.items():
            evals[(name, view)] = e
            rows.append({"part": name, "view": view, "method": e.method, "n": len(e.items),
                         "kind_f1": e.tasks["kind"].macro_f1, "kind_acc": e.tasks["kind"].accuracy,
                         "kind_ece": e.ece("kind"), "kind_mean": float(e.scores[:, 0].mean()),
                         "topic_f1": e.tasks["topic"].macro_f1, "topic_acc": e.tasks["topic"].accuracy,
                         "topic_ece": e.ece("topic"), "topic_mean": float(e.scores[:, 1].mean())})
    clean = {r["part"]: r["kind_f1"] for r in rows if r["view"] == "clean"}
    for r in rows:   # excerpt, page2 and hard_wrapped hold some items only: the clean figures on those same items
        same = _clean_on_same_items(evals, r["part"], r["view"])
        r["kind_f1_clean_same"], r["kind_ece_clean_same"], r["topic_ece_clean_same"] = (
            (same.tasks["kind"].macro_f1, same.ece("kind"), same.ece("topic")) if same is not None else (None,) * 3)
        r["delta_same_90"] = delta_interval(evals, r["part"], r["view"])
    print(f"config overrides: {args.overrides or 'none'}; {len(items)} items; {elapsed:.0f} s")
    print("Δ kind: kind macro-F1 minus the clean view's; Δ same: minus the clean view's on the same items "
          "(a view of some items only, such as excerpt, has another mix of kinds); 90%: Δ same's interval, "
          "held-out documents (seeds) or writers (written) resampled; (clean): the clean view's ECE on the same "
          "items, so that a view's ECE can be told from its mix of items (the topic head reads no title or heading, "
          "so in a view that keeps the items' texts its topic scores are the clean view's)")
    print(f"{'part':10} {'view':12} {'n':>5} {'kind F1':>8} {'Δ kind':>7} {'Δ same':>7} {'90%':>15} {'kind ECE':>8} "
          f"{'(clean)':>7} {'topic F1':>8} {'topic ECE':>9} {'(clean)':>7}  method")
    for r in sorted(rows, key=lambda r: (r["part"], views.index(r["view"]))):
        delta = r["kind_f1"] - clean[r["part"]] if r["part"] in clean else float("nan")
        same = r["kind_f1"] - r["kind_f1_clean_same"] if r["kind_f1_clean_same"] is not None else float("nan")
        band = f"[{r['delta_same_90'][0]:+.3f},{r['delta_same_90'][1]:+.3f}]" if r["delta_same_90"] else ""
        kind_same, topic_same = (f"{r[k]:7.3f}" if r[k] is not None else f"{'':7}"
                                 for k in ("kind_ece_clean_same", "topic_ece_clean_same"))
        print(f"{r['part']:10} {r['view']:12} {r['n']:5d} {r['kind_f1']:8.3f} {delta:+7.3f} {same:+7.3f} {band:>15} "
              f"{r['kind_ece']:8.3f} {kind_same} {r['topic_f1']:8.3f} {r['topic_ece']:9.3f} {topic_same}  {r['method']}")
    if args.json:
        args.json.write_text(json.dumps({"overrides": args.overrides, "rows": rows}, indent=1), encoding="utf-8")
    if args.errors:
        write_errors(args.errors, results, views)
    return 0


ERROR_COLUMNS = ["part", "corpus", "view", "doc_id", "item", "kind", "predicted_kind", "kind_score", "topic",
                 "predicted_topic", "topic_score", "title", "headings", "text"]


def error_rows(results: dict, views: list[str]) -> list[dict]:
    """One row per item a view gets wrong (kind or topic), with gold, prediction and the predicted labels'
    scores, in part and view order."""
    rows = []
    for (part, view), ev in sorted(results.items(), key=lambda kv: (kv[0][0], views.index(kv[0][1]))):
        for i in ev.wrong():
            item, (kind, topic), (kind_score, topic_score) = ev.items[i], ev.predicted[i], ev.scores[i]
            rows.append({"part": part, "corpus": corpus_part(item.doc_id), "view": view, "doc_id": item.doc_id,
                         "item": item.item, "kind": item.kind, "predicted_kind": str(kind),
                         "kind_score": round(float(kind_score), 3), "topic": item.topic,
                         "predicted_topic": str(topic), "topic_score": round(float(topic_score), 3),
                         "title": item.title, "headings": " / ".join(item.headings), "text": item.text})
    return rows


def write_errors(path: Path, results: dict, views: list[str]) -> None:
    """error_rows as CSV (UTF-8 with a byte-order mark, so that spreadsheets read the Chinese), written
    whole or not at all."""
    import csv

    from edu_clf.io.atomic import atomic_path
    rows = error_rows(results, views)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=ERROR_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} wrong items (kind or topic) written to {path}", file=sys.stderr)


def macro_f1(gold: np.ndarray, predicted: np.ndarray) -> float:
    """Macro-F1 over the classes present in `gold` (as edu_clf.model.evaluate.task_report), for codes."""
    scores = []
    for label in np.unique(gold):
        tp = np.sum((gold == label) & (predicted == label))
        fp, fn = np.sum((gold != label) & (predicted == label)), np.sum((gold == label) & (predicted != label))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores))


def same_items(clean, viewed) -> list[tuple[int, int]]:
    """(index in the view, index in the clean view) of each item the view holds, matched by (doc_id, item)."""
    where = {(it.doc_id, it.item): i for i, it in enumerate(clean.items)}
    return [(k, where[(it.doc_id, it.item)]) for k, it in enumerate(viewed.items) if (it.doc_id, it.item) in where]


def delta_interval(evals: dict, part: str, view: str, rounds: int = 1000, seed: int = 0) -> tuple[float, float] | None:
    """90% interval of "Δ same" (the view's kind macro-F1 minus the clean view's on the same items),
    resampling the held-out groups with replacement: documents for the seeds, writers for the written
    corpus. How far one item more or less right moves the figure: the seeds' views hold 28 to 140 items."""
    clean, viewed = evals.get((part, "clean")), evals.get((part, view))
    if clean is None or viewed is None or view == "clean":
        return None
    pairs = same_items(clean, viewed)
    if not pairs:
        return None
    groups: dict[str, list[tuple[int, int]]] = {}
    for k, i in pairs:
        key = viewed.items[k].doc_id if part == "seeds" else writer_group(viewed.items[k].doc_id)
        groups.setdefault(key, []).append((k, i))
    gold = np.array([it.kind for it in viewed.items])
    mine, theirs = viewed.predicted[:, 0].astype(str), clean.predicted[:, 0].astype(str)
    members = [np.array(g) for g in groups.values()]
    rng = np.random.default_rng(seed)
    deltas = []
    for _ in range(rounds):
        index = np.concatenate([members[g] for g in rng.integers(0, len(members), len(members))])
        deltas.append(macro_f1(gold[index[:, 0]], mine[index[:, 0]]) - macro_f1(gold[index[:, 0]], theirs[index[:, 1]]))
    low, high = np.percentile(deltas, [5, 95])
    return float(low), float(high)


def _clean_on_same_items(evals: dict, part: str, view: str) -> Evaluation | None:
    """The evaluation of the clean view's predictions and scores on the items `view` holds (None without a
    clean view)."""
    from edu_clf.model.evaluate import evaluate_predictions

    clean, viewed = evals.get((part, "clean")), evals.get((part, view))
    if clean is None or viewed is None:
        return None
    index = [i for _, i in same_items(clean, viewed)]
    if not index:
        return None
    return evaluate_predictions([clean.items[i] for i in index], clean.predicted[index], clean.method, clean.folds,
                                clean.scores[index])


if __name__ == "__main__":
    sys.exit(main())
