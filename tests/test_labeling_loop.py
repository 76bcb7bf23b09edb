"""Teaching edu-clf your own labels (issue 18): train on user labels, validate, label errors,
suggestions, silver labels, tuning — each through the CLI on small data."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from edu_clf.cli import app
from tests.conftest import GOLD

ROOT = Path(__file__).resolve().parent.parent
SEED2 = ROOT / "seeds" / "002_faffd9a2ed2f71c6.txt"
# a small, quick model: word unigrams only, no calibration (same code paths as the default)
TINY = ["model.calibration=none", "model.max_iter=150", "features.text_chars=false", 'features.topic_blocks=["words"]',
        "features.context_dropout=0", "features.word_ngram_max=1", "features.min_df=3"]
SHIP_SEEDS = ['data.train=["seeds/labels.jsonl"]']   # the "shipped data" of these tests: the gold seeds


def run(runner, *args):
    return runner.invoke(app, [str(a) for a in args])


def sets(overrides):
    return [part for o in overrides for part in ("--set", o)]


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def gold_records():
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


def user_records(n=6):
    return [{"doc_id": "mine_01", "item": i, "title": "某县教育局2025年工作总结", "headings": ["一、主要工作"],
             "text": text, "kind": kind, "topic": topic, "source": "user"}
            for i, (text, kind, topic) in enumerate([
                ("全年新建改建校舍3万平方米。", "achievement", "infrastructure"),
                ("部分农村学校教师结构性缺编。", "problem", "teachers"),
                ("下半年将开展防溺水专项教育。", "plan", "safety"),
                ("完成教师培训1200人次。", "achievement", "teachers"),
                ("校园安全隐患排查仍不彻底。", "problem", "safety"),
                ("明年将推进智慧校园建设。", "plan", "informatization")][:n])]


@pytest.fixture(scope="module")
def tiny_model(runner, tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny") / "tiny.skops"
    result = run(runner, "-q", "train", GOLD, "--only", "--no-cv", "--out", out, *sets(TINY))
    assert result.exit_code == 0, result.stderr
    return out


# ---------------------------------------------------------------- validate


def test_validate_lists_every_error_with_file_and_line(runner, tmp_path):
    good = {"doc_id": "d", "item": 0, "text": "x", "kind": "plan", "topic": "general"}
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([json.dumps(good), "{oops", json.dumps(good | {"item": 1, "kind": "plam"}),
                               json.dumps(good | {"item": 2, "source": "mine"}), json.dumps(good)]) + "\n",
                    encoding="utf-8")
    result = run(runner, "validate", path)
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("edu-clf: error:")]
    assert [line.split(":")[3] for line in lines[:4]] == ["2", "3", "4", "5"]
    assert "invalid JSON" in lines[0] and "unknown kind 'plam'" in lines[1]
    assert "unknown source 'mine'" in lines[2] and "user" in lines[2]
    assert "duplicate item" in lines[3] and f"{path}:1" in lines[3]
    assert "4 error(s)" in lines[4] and "1 item(s) valid" in lines[4]


def test_validate_refuses_prediction_output_unless_checked(runner, tmp_path):
    predicted = {"doc_id": "d", "item": 0, "text": "x", "kind": "plan", "kind_score": 0.61, "topic": "general",
                 "topic_score": 0.4}
    raw = write_jsonl(tmp_path / "pred.jsonl", [predicted, predicted | {"item": 1}])
    result = run(runner, "validate", raw)
    assert result.exit_code == 1
    assert result.stderr.count("prediction output") == 2 and '"checked": true' in result.stderr
    checked = write_jsonl(tmp_path / "checked.jsonl", [predicted | {"checked": True, "source": "user"}])
    result = run(runner, "validate", checked)
    assert result.exit_code == 0 and "ok: 1 labeled items" in result.stdout


# ---------------------------------------------------------------- train


def test_train_adds_user_labels_to_shipped_data_or_only(runner, tmp_path):
    mine = write_jsonl(tmp_path / "mine.jsonl", user_records())
    n_gold = len(gold_records())
    added = tmp_path / "added.skops"
    result = run(runner, "train", mine, "--no-cv", "--out", added, "--user-weight", "3", *sets(TINY + SHIP_SEEDS))
    assert result.exit_code == 0, result.stderr
    assert f"adding 6 item(s) from 1 file(s) to the shipped training data ({n_gold} items" in result.stderr
    assert "--only" in result.stderr
    meta = json.loads(run(runner, "info", added, "--json").stdout)
    assert meta["data"]["n_items"] == n_gold + 6
    assert meta["data"]["sources"] == {"seed": n_gold, "user": 6}
    assert meta["data"]["weights"] == {"seed": 1.0, "user": 3.0}
    only = tmp_path / "only.skops"
    result = run(runner, "train", mine, "--only", "--no-cv", "--out", only, *sets(TINY))
    assert result.exit_code == 0, result.stderr
    assert "adding" not in result.stderr
    assert json.loads(run(runner, "info", only, "--json").stdout)["data"]["sources"] == {"user": 6}


def test_sample_weight_changes_the_fit():
    from edu_clf.config import load_train_config
    from edu_clf.model.evaluate import gold_matrix
    from edu_clf.model.train import build_estimator
    from edu_clf.records import Item

    items = [Item(doc_id=f"d{i % 3}", item=i, title="", headings=(), text=r["text"], kind=r["kind"],
                  topic=r["topic"]) for i, r in enumerate(user_records() * 2)]
    cfg = load_train_config(overrides=TINY + ["features.min_df=1"])
    y = gold_matrix(items)
    plain = build_estimator(cfg).fit(items, y).predict_proba(items)[0]
    ones = build_estimator(cfg).fit(items, y, sample_weight=np.ones(len(items))).predict_proba(items)[0]
    heavy = build_estimator(cfg).fit(items, y, sample_weight=np.r_[np.full(6, 5.0), np.ones(6)]).predict_proba(items)[0]
    assert np.allclose(plain, ones) and not np.allclose(plain, heavy)
    with pytest.raises(ValueError, match="one finite weight"):
        build_estimator(cfg).fit(items, y, sample_weight=np.ones(3))


# ---------------------------------------------------------------- label issues


def test_find_label_issues_is_confident_learning():
    from edu_clf.model.issues import find_label_issues

    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4], [0.45, 0.55]])
    labels = np.array([0, 0, 1, 1, 1, 0])
    found = find_label_issues(labels, probs)
    # thresholds: class 0 mean(0.9, 0.8, 0.45); class 1 mean(0.8, 0.7, 0.4)
    assert np.allclose(found.thresholds, [0.7166666, 0.6333333])
    # item 4 (given 1, p0 = 0.6 below t0) is above no threshold: not counted; item 5 (given 0) is p1 0.55 < t1
    assert found.is_issue.tolist() == [False] * 6
    probs[4] = [0.75, 0.25]           # now confidently class 0 while labeled 1
    probs[5] = [0.1, 0.9]             # confidently class 1 while labeled 0
    found = find_label_issues(labels, probs)
    assert found.ranked().tolist() == [5, 4]      # self-confidence 0.1, then 0.25
    assert found.suggested[[4, 5]].tolist() == [0, 1]
    assert found.confident_joint.sum() == 6


def test_evaluate_issues_ranks_flipped_labels_first(runner, tmp_path):
    records = gold_records()
    plans = [i for i, r in enumerate(records) if r["kind"] == "plan" and r["headings"]][:4]
    for i in plans:
        records[i]["kind"] = "problem"
    data = write_jsonl(tmp_path / "flipped.jsonl", records)
    out = tmp_path / "issues.jsonl"
    result = run(runner, "evaluate", data, "--issues", "--folds", "3", "--out", out, *sets(TINY))
    assert result.exit_code == 0, result.stderr
    found = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["rank"] for r in found] == list(range(1, len(found) + 1))
    assert [r["score"] for r in found] == sorted(r["score"] for r in found)
    kind = [r for r in found if r["task"] == "kind"]
    flipped = {(records[i]["doc_id"], records[i]["item"]) for i in plans}
    top = [(r["doc_id"], r["item"]) for r in kind[:len(plans) * 2]]
    assert len(flipped & set(top)) >= 3
    hit = next(r for r in kind if (r["doc_id"], r["item"]) in flipped)
    assert hit["given"] == "problem" and hit["suggested"] == "plan" and 0 <= hit["score"] < 0.5
    assert "likely label error(s)" in result.stderr


# ---------------------------------------------------------------- suggest


def test_suggest_writes_guide_jsonl_ready_to_label(runner, tiny_model, tmp_path):
    out = tmp_path / "next.jsonl"
    result = run(runner, "suggest", SEED2, "--n", "5", "--model", tiny_model, "--out", out)
    assert result.exit_code == 0, result.stderr
    picks = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(picks) == 5 and len({(p["doc_id"], p["item"]) for p in picks}) == 5
    assert [p["suggest_rank"] for p in picks] == [1, 2, 3, 4, 5]
    assert [p["margin"] for p in picks] == sorted(p["margin"] for p in picks)
    assert all(p["kind"] == "" and p["topic"] == "" and p["source"] == "user" and p["text"] for p in picks)
    # unfilled, the file does not validate; labeled, it does — and --labeled skips those items next time
    assert "missing field(s): kind, topic" in run(runner, "validate", out).stderr
    labeled = write_jsonl(tmp_path / "done.jsonl", [p | {"kind": "plan", "topic": "general"} for p in picks])
    assert run(runner, "validate", labeled).exit_code == 0
    again = run(runner, "suggest", SEED2, "--n", "5", "--model", tiny_model, "--labeled", labeled)
    assert again.exit_code == 0
    second = {(p["doc_id"], p["item"]) for p in map(json.loads, again.stdout.splitlines())}
    assert len(second) == 5 and not second & {(p["doc_id"], p["item"]) for p in picks}


# ---------------------------------------------------------------- bootstrap


def test_bootstrap_silver_labels_and_their_precision(runner, tmp_path):
    def rec(doc, i, title, headings, text, kind, topic):
        return {"doc_id": doc, "item": i, "title": title, "headings": headings, "text": text, "kind": kind,
                "topic": topic}
    gold = write_jsonl(tmp_path / "gold.jsonl", [
        rec("a", 0, "某县教育局2025年工作总结", ["一、主要工作及成效", "（一）教师队伍建设"], "完成培训。", "achievement", "teachers"),
        rec("a", 1, "某县教育局2025年工作总结", ["二、存在的问题"], "校园安全隐患仍存在。", "problem", "safety"),
        rec("a", 2, "某县教育局2025年工作总结", ["二、存在的问题"], "资金不足。", "problem", "governance"),
        rec("b", 0, "某县教育局2026年工作计划", [], "推进学前教育普及。", "plan", "school_system"),
        rec("c", 0, "在全县教育工作会议上的讲话", [], "同志们，大家好。", "achievement", "general"),
    ])
    out = tmp_path / "silver.jsonl"
    result = run(runner, "bootstrap", gold, "--out", out, "--gold", gold, "--json")
    assert result.exit_code == 0, result.stderr
    assert "wrote" in result.stdout and "3 of 5 items" in result.stdout
    silver = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(s["doc_id"], s["item"], s["kind"], s["topic"], s["source"]) for s in silver] == [
        ("a", 0, "achievement", "teachers", "silver"), ("a", 1, "problem", "safety", "silver"),
        ("b", 0, "plan", "school_system", "silver")]
    assert silver[0]["rules"] == {"kind": "heading", "topic": "heading"}
    assert silver[2]["rules"] == {"kind": "title", "topic": "lead"}
    quality = json.loads(result.stdout[result.stdout.index("{"):])
    kind = quality["kind"]["per_class"]
    assert kind["problem"] == {"gold": 2, "coverage": 1.0, "labeled": 2, "precision": 1.0}
    assert kind["achievement"]["coverage"] == 0.5          # the speech gets no kind
    assert quality["kind"]["coverage"] == 0.8 and quality["kind"]["precision"] == 1.0
    assert quality["topic"]["per_class"]["governance"]["coverage"] == 0.0   # "资金不足" matches no topic word
    assert run(runner, "validate", out).exit_code == 0


# ---------------------------------------------------------------- tune


def test_tune_leaderboard_and_best_config_file(runner, tmp_path):
    from edu_clf.config import load_train_config

    records = [r for r in gold_records() if r["doc_id"][:3] in ("000", "001", "003", "004")]
    data = write_jsonl(tmp_path / "small.jsonl", records)
    out = tmp_path / "best.toml"
    result = run(runner, "tune", data, "--budget", "3", "--folds", "2", "--no-compare", "--out", out, *sets(TINY))
    assert result.exit_code == 0, result.stderr
    board = [line.split() for line in result.stdout.splitlines()[1:] if line[:4].strip().isdigit()]
    assert len(board) == 4       # 3 candidates on a third of the items, then the best one on all
    third = len(records) // 3
    assert board[0][1] == "1" and int(board[0][2]) == 3 * third
    assert [row[1:3] for row in board[1:]] == [["0", str(third)]] * 3
    best = dict(kv.split("=") for kv in result.stdout.split("best: ")[1].splitlines()[0].split(", "))
    cfg = load_train_config(out)
    assert cfg.model.C == float(best["C"]) and cfg.features.min_df == int(best["min_df"])
    assert cfg.features.context_dropout == float(best["context_dropout"])
    assert cfg.model.max_iter == 150 and cfg.features.text_chars is False   # the rest is the base config
    assert result.stdout.strip().endswith(f"wrote {out}")
