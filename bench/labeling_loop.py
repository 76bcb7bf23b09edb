"""Labeling loop figures on the gold data (seeds + the written corpus's hand labels), issue 18.

    python bench/labeling_loop.py --quick           # about 5–10 minutes on 2 cores
    python bench/labeling_loop.py --json loop.json  # the full run: more rounds, a larger search

(a) label-error finder: 5 % of the kind labels and (separately) 5 % of the topic labels are
    flipped at random to another class; `evaluate --issues`'s ranking (confident learning on
    grouped out-of-fold probabilities) is scored by the share of flipped items in its top k
    (k = number flipped), against a random ranking of all items.
(b) suggest: learning curves. Held-out documents (a quarter of the writer / document groups)
    are the test set; the rest is the pool. Both strategies start from the same 50 random
    items and add 50 a round: margin-over-clusters suggestions vs random picks from the same
    pool. Kind and topic macro-F1 on the held-out documents after each round.
(c) bootstrap: coverage and precision per kind (and topic) of the structure rules on all gold.
(d) tune: HalvingRandomSearchCV over the config's knobs, GroupKFold over writer / document
    groups; the best config's grouped-CV scores against the default's, on the same folds.

Every fit uses model.calibration=none (temperature scaling never changes the most probable
class, so the F1 figures are the same, and the run is faster).
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

from edu_clf.config import load_cues, load_label_schema, load_silver_rules, load_train_config  # noqa: E402
from edu_clf.model.bootstrap import format_quality, silver_labels, silver_quality  # noqa: E402
from edu_clf.model.evaluate import gold_matrix  # noqa: E402
from edu_clf.model.issues import label_issue_records, out_of_fold_proba  # noqa: E402
from edu_clf.model.suggest import suggest_indices  # noqa: E402
from edu_clf.model.train import build_estimator, default_data_paths, load_training_items  # noqa: E402
from edu_clf.model import tune as tuning  # noqa: E402
from edu_clf.records import writer_group  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402

TASKS = ("kind", "topic")


def flip_labels(items, schema, rate, rng):
    """Items with `rate` of the kind labels and `rate` of the topic labels flipped (to another
    class, uniformly); returns (noisy items, {task: set of flipped indices})."""
    from dataclasses import replace
    noisy = list(items)
    flipped = {}
    for task in TASKS:
        ids = schema.ids(task)
        present = sorted({getattr(it, task) for it in items})
        chosen = rng.choice(len(items), size=int(round(rate * len(items))), replace=False)
        for i in chosen:
            old = getattr(noisy[i], task)
            noisy[i] = replace(noisy[i], **{task: rng.choice([c for c in present if c != old and c in ids])})
        flipped[task] = {int(i) for i in chosen}
    return noisy, flipped


def bench_issues(estimator, items, schema, folds, rng, log):
    noisy, flipped = flip_labels(items, schema, 0.05, rng)
    t = time.perf_counter()
    probas, classes = out_of_fold_proba(estimator, noisy, folds)
    records = label_issue_records(noisy, probas, classes)
    index = {(it.doc_id, it.item): i for i, it in enumerate(noisy)}
    out = {"seconds": round(time.perf_counter() - t, 1), "folds": folds}
    for task in TASKS:
        ranked = [index[(r["doc_id"], r["item"])] for r in records if r["task"] == task]
        k = len(flipped[task])
        hits = len(set(ranked[:k]) & flipped[task])
        random_hits = [len(set(rng.permutation(len(noisy))[:k]) & flipped[task]) for _ in range(200)]
        out[task] = {"flipped": k, "flagged": len(ranked), "top_k_share": hits / k,
                     "random_top_k_share": float(np.mean(random_hits)) / k,
                     "recall_all_flagged": len(set(ranked) & flipped[task]) / k,
                     "precision_all_flagged": len(set(ranked) & flipped[task]) / len(ranked) if ranked else 0.0}
        log(f"(a) {task}: {k} flipped of {len(noisy)}; {len(ranked)} flagged; share flipped in top-{k}: "
            f"{hits / k:.3f} vs random {out[task]['random_top_k_share']:.3f}; all flagged: recall "
            f"{out[task]['recall_all_flagged']:.3f}, precision {out[task]['precision_all_flagged']:.3f}")
    return out


def macro(gold, predicted):
    return float(f1_score(gold, predicted, average="macro", labels=sorted(set(gold)), zero_division=0))


def bench_suggest(estimator, items, rounds, step, rng, log):
    groups = np.array([writer_group(it.doc_id) for it in items])
    names = sorted(set(groups))
    test_groups = set(rng.choice(names, size=max(1, len(names) // 4), replace=False))
    test = [i for i in range(len(items)) if groups[i] in test_groups]
    pool = [i for i in range(len(items)) if groups[i] not in test_groups]
    y = gold_matrix(items)
    test_items = [items[i] for i in test]
    start = [int(i) for i in rng.choice(pool, size=step, replace=False)]
    curves = {}
    for strategy in ("suggest", "random"):
        pick_rng = np.random.default_rng(int(rng.integers(1 << 30)))
        labeled = list(start)
        curve = []
        for number in range(rounds):
            chosen = sorted(labeled)   # document order: neighbour features see the items around
            model = estimator.__class__(**estimator.get_params()).fit([items[i] for i in chosen], y[chosen])
            predicted = model.predict(test_items)
            curve.append({"labeled": len(labeled), "kind": macro(y[test, 0].astype(str), predicted[:, 0]),
                          "topic": macro(y[test, 1].astype(str), predicted[:, 1])})
            if number == rounds - 1:
                break
            taken = set(labeled)
            rest = [i for i in pool if i not in taken]
            if strategy == "suggest":
                picks = suggest_indices(model, [items[i] for i in rest], step)
                labeled += [rest[i] for i in picks]
            else:
                labeled += [int(i) for i in pick_rng.choice(rest, size=step, replace=False)]
        curves[strategy] = curve
    log(f"(b) held out {len(test)} items in {len(test_groups)} writer/document groups; pool {len(pool)} items")
    log(f"    {'labeled':>7}  {'kind suggest':>12} {'kind random':>11}  {'topic suggest':>13} {'topic random':>12}")
    for s, r in zip(curves["suggest"], curves["random"]):
        log(f"    {s['labeled']:7d}  {s['kind']:12.3f} {r['kind']:11.3f}  {s['topic']:13.3f} {r['topic']:12.3f}")
    for task in TASKS:
        area = {k: float(np.mean([p[task] for p in v])) for k, v in curves.items()}
        log(f"    {task} macro-F1 averaged over the curve: suggest {area['suggest']:.3f}, random {area['random']:.3f}")
    return {"test_items": len(test), "test_groups": len(test_groups), "pool": len(pool), "curves": curves}


def bench_bootstrap(items, schema, log):
    labels = silver_labels(items, load_cues(), load_silver_rules())
    quality = silver_quality(items, labels, schema.kind_ids)
    log("(c) silver labels from structure, against gold:")
    for line in format_quality(quality).splitlines():
        log("    " + line)
    return quality


def bench_tune(estimator, items, budget, folds, seed, log):
    t = time.perf_counter()
    result = tuning.tune(estimator, items, budget=budget, n_folds=folds, random_state=seed)
    log(f"(d) search: {budget} candidates, {folds}-fold GroupKFold (writer / document groups), "
        f"{time.perf_counter() - t:.0f} s; leaderboard (score = mean of kind and topic macro-F1):")
    for line in tuning.format_leaderboard(result).splitlines():
        log("    " + line)
    best = estimator.__class__(**estimator.get_params()).set_params(**result.best_params)
    scores = {"default": tuning.grouped_cv_scores(estimator, items, folds),
              "best": tuning.grouped_cv_scores(best, items, folds)}
    for name, s in scores.items():
        log(f"    {name:8} {folds}-fold grouped CV: kind macro-F1 {s['kind']:.3f}, topic macro-F1 {s['topic']:.3f}")
    log("    best: " + ", ".join(f"{k}={v}" for k, v in result.best_params.items()))
    return {"best_params": result.best_params, "scores": scores, "leaderboard": result.leaderboard}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and candidates (about 5–10 minutes)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="config override key=value")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--folds", type=int, default=3, help="grouped folds for (a) and (d)")
    parser.add_argument("--only", default="a,b,c,d", help="comma-separated parts to run")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    cfg = load_train_config(overrides=["model.calibration=none", *args.overrides])
    schema = load_label_schema()
    paths = default_data_paths(cfg)
    items = load_training_items(paths, schema)
    estimator = build_estimator(cfg)
    rng = np.random.default_rng(args.seed)
    parts = set(args.only.split(","))

    def log(line: str) -> None:
        print(line, flush=True)

    log(f"gold data: {len(items)} items in {len({it.doc_id for it in items})} documents "
        f"({len({writer_group(it.doc_id) for it in items})} writer/document groups) from {len(paths)} files"
        + ("; --quick" if args.quick else ""))
    out: dict = {"n_items": len(items), "quick": args.quick}
    started = time.perf_counter()
    if "a" in parts:
        out["issues"] = bench_issues(estimator, items, schema, args.folds, rng, log)
    if "b" in parts:
        out["suggest"] = bench_suggest(estimator, items, rounds=6 if args.quick else 10, step=50, rng=rng, log=log)
    if "c" in parts:
        out["bootstrap"] = bench_bootstrap(items, schema, log)
    if "d" in parts:
        out["tune"] = bench_tune(estimator, items, budget=4 if args.quick else 9, folds=args.folds, seed=args.seed,
                                 log=log)
    log(f"total {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
