"""`edu-clf profile`: shares per report / region / year against counts made by hand; formats; to_dataframe."""
from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import pytest

from edu_clf.cli import app
from edu_clf.report.profile import build_profile

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))


def _row(doc, item, kind, topic, region, year, score=0.9, title="t"):
    return {"doc_id": doc, "item": item, "title": title, "headings": [], "text": f"{doc} {item}", "kind": kind,
            "kind_score": score, "topic": topic, "topic_score": 0.9, "region": region, "region_level": "county",
            "region_source": "title", "year": year, "period": "全年", "year_source": "title", "genre": "总结",
            "genre_source": "title"}


@pytest.fixture()
def folder(tmp_path):
    """Three reports' predictions, in two files; the expected figures below are counted by hand."""
    a = [_row("A", 0, "achievement", "teachers", "甲县", "2020"), _row("A", 1, "achievement", "teachers", "甲县", "2020"),
         _row("A", 2, "problem", "teachers", "甲县", "2020"), _row("A", 3, "plan", "safety", "甲县", "2020")]
    b = [_row("B", 0, "problem", "safety", "乙市", "2020", score=0.3), _row("B", 1, "plan", "safety", "乙市", "2020"),
         _row("B", 2, "plan", "teachers", "乙市", "2020"), _row("C", 0, "achievement", "party_building", "甲县", "2021")]
    (tmp_path / "preds").mkdir()
    for name, rows in (("a.jsonl", a), ("b.jsonl", b)):
        (tmp_path / "preds" / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                               encoding="utf-8")
    return sorted(str(p) for p in (tmp_path / "preds").glob("*.jsonl"))


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_one_row_per_report_with_shares_counted_by_hand(runner, folder):
    result = runner.invoke(app, ["profile", *folder])
    assert result.exit_code == 0, result.output
    rows = {r["doc_id"]: r for r in _csv(result.stdout)}
    assert list(rows) == ["A", "B", "C"]
    a, b, c = rows["A"], rows["B"], rows["C"]
    assert (a["items"], a["achievement_share"], a["problem_share"], a["plan_share"]) == ("4", "0.5", "0.25", "0.25")
    assert (a["teachers_share"], a["safety_share"], a["party_building_share"]) == ("0.75", "0.25", "0.0")
    assert (a["teachers_problems"], a["safety_plans"], a["teachers_plans"]) == ("1", "1", "0")
    assert (b["items"], b["problem_share"], b["plan_share"], b["safety_share"]) == ("3", "0.3333", "0.6667", "0.6667")
    assert (b["safety_problems"], b["safety_plans"], b["teachers_plans"]) == ("1", "1", "1")
    assert (c["items"], c["achievement_share"], c["party_building_share"], c["region"]) == ("1", "1.0", "1.0", "甲县")


def test_by_region_and_by_year(runner, folder):
    by_region = {r["region"]: r for r in _csv(runner.invoke(app, ["profile", *folder, "--by", "region"]).stdout)}
    assert set(by_region) == {"甲县", "乙市"}
    jia = by_region["甲县"]
    assert (jia["docs"], jia["items"], jia["achievement_share"], jia["problem_share"], jia["teachers_share"]) == \
        ("2", "5", "0.6", "0.2", "0.6")
    by_year = {r["year"]: r for r in _csv(runner.invoke(app, ["profile", *folder, "--by", "year"]).stdout)}
    assert (by_year["2020"]["docs"], by_year["2020"]["items"], by_year["2020"]["plan_share"]) == ("2", "7", "0.4286")
    assert by_year["2021"]["items"] == "1"
    bad = runner.invoke(app, ["profile", *folder, "--by", "county_code"])
    assert bad.exit_code == 2 and "county_code" in bad.stderr and "region" in bad.stderr


def test_min_score_leaves_out_uncertain_items(runner, folder):
    rows = {r["doc_id"]: r for r in _csv(runner.invoke(app, ["profile", *folder, "--min-score", "0.5"]).stdout)}
    assert (rows["B"]["items"], rows["B"]["left_out"], rows["B"]["plan_share"]) == ("2", "1", "1.0")
    assert rows["A"]["left_out"] == "0"


def test_excel_csv_has_a_bom_and_chinese_names(runner, folder, tmp_path):
    out = tmp_path / "regions.csv"
    result = runner.invoke(app, ["profile", *folder, "--by", "region", "--excel", "--names", "zh", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith("\ufeff地区,文档数,条目数,成绩/进展占比".encode("utf-8")) and b"\r\n" in data
    text = data.decode("utf-8")
    assert "教师队伍建设占比" in text and "校园安全稳定问题数" in text


def test_jsonl_parquet_and_xlsx(runner, folder, tmp_path):
    lines = runner.invoke(app, ["profile", *folder, "--format", "jsonl"]).stdout.splitlines()
    assert [json.loads(line)["items"] for line in lines] == [4, 3, 1]
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "p.parquet"
    assert runner.invoke(app, ["profile", *folder, "--format", "parquet", "--out", str(out)]).exit_code == 0
    table = pq.read_table(out).to_pylist()
    assert [r["doc_id"] for r in table] == ["A", "B", "C"] and table[0]["achievement_share"] == 0.5
    binary = runner.invoke(app, ["profile", *folder, "--format", "xlsx"])
    assert binary.exit_code == 2 and "--out" in binary.stderr
    openpyxl = pytest.importorskip("openpyxl")
    xlsx = tmp_path / "p.xlsx"
    assert runner.invoke(app, ["profile", *folder, "--by", "year", "--format", "xlsx", "--out", str(xlsx)]).exit_code == 0
    sheet = openpyxl.load_workbook(xlsx).active
    values = list(sheet.values)
    assert values[0][:3] == ("year", "docs", "items") and values[1][:3] == ("2020", 2, 7)


def test_a_missing_extra_names_the_install(monkeypatch, folder):
    import builtins
    from edu_clf.errors import UsageError
    from edu_clf.report.profile import write_profile
    real = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name.startswith("pyarrow"):
            raise ImportError(name)
        return real(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    with pytest.raises(UsageError, match=r"pip install 'edu-clf\[parquet\]'"):
        write_profile(build_profile([], None or _schema(), "doc"), io.BytesIO(), "parquet")


def _schema():
    from edu_clf.config import load_label_schema
    return load_label_schema()


def test_reports_are_labeled_on_the_fly_one_row_each(runner, model_path, tmp_path):
    seeds = [str(SEEDS[0]), str(SEEDS[1]), str(SEEDS[3])]
    result = runner.invoke(app, ["-q", "profile", *seeds, "--model", str(model_path)])
    assert result.exit_code == 0, result.output
    rows = _csv(result.stdout)
    predicted = runner.invoke(app, ["-q", "predict", *seeds, "--model", str(model_path), "--format", "jsonl"])
    preds = [json.loads(line) for line in predicted.stdout.splitlines()]
    assert [r["doc_id"] for r in rows] == list(dict.fromkeys(p["doc_id"] for p in preds))
    for row in rows:
        mine = [p for p in preds if p["doc_id"] == row["doc_id"]]
        kinds = Counter(p["kind"] for p in mine)
        assert int(row["items"]) == len(mine)
        assert float(row["problem_share"]) == round(kinds["problem"] / len(mine), 4)
        assert int(row["teachers_plans"]) == sum(p["kind"] == "plan" and p["topic"] == "teachers" for p in mine)
    assert rows[1]["region"] == "新晃侗族自治县" and rows[2]["year"] == "2024"
    # the predictions file profiles the same as the reports it came from
    saved = tmp_path / "preds.jsonl"
    saved.write_text(predicted.stdout, encoding="utf-8")
    again = _csv(runner.invoke(app, ["-q", "profile", str(saved)]).stdout)
    assert again == rows


def test_to_dataframe_of_profiles_and_predictions(folder, seed_model):
    pytest.importorskip("pandas")
    from edu_clf import to_dataframe
    from edu_clf.report.profile import read_prediction_rows
    rows = [r for path in folder for r in read_prediction_rows(path)]
    df = build_profile(rows, _schema(), by="region").to_dataframe()
    assert list(df["region"]) == ["乙市", "甲县"] and list(df["items"]) == [3, 5]
    preds = seed_model.predict(["下半年将加快推进城区学校扩建工程。", "部分学校师资不足。"], top_k=2)
    frame = to_dataframe(preds)
    assert len(frame) == 2 and {"kind", "kind_score", "kind_2", "topic_2_score"} <= set(frame.columns)
    assert frame.loc[0, "kind"] == preds[0].kind
