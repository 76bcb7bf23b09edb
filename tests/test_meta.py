"""Report metadata: region, year / period and genre from titles and opening lines; the sidecar CSV."""
from __future__ import annotations

import pytest

from edu_clf.errors import InputError
from edu_clf.segment.meta import META_FIELDS, MetaReader, find_genre, find_region, read_meta, read_sidecar


@pytest.mark.parametrize("title, region, level, year, period, genre", [
    ("郧西县教育局2016年工作总结", "郧西县", "county", "2016", "全年", "总结"),
    ("洪江市教育局2024年上半年工作总结", "洪江市", "city", "2024", "上半年", "总结"),
    ("新晃侗族自治县教育局2021年下半年工作计划", "新晃侗族自治县", "county", "2021", "下半年", "计划"),
    ("乌兰察布市集宁区教育局2023年工作总结", "乌兰察布市集宁区", "district", "2023", "全年", "总结"),
    ("翁牛特旗教育局2016年第一季度工作总结", "翁牛特旗", "county", "2016", "第一季度", "总结"),
    ("汝城县教育局2019年上半年工作总结及下半年工作打算", "汝城县", "county", "2019", "上半年及下半年", "总结"),
    ("杭州市余杭区教育局“十三五”教育事业发展工作总结", "杭州市余杭区", "district", "2016-2020", "十三五", "总结"),
    ("新化县教育局2022年校园安全工作总结", "新化县", "county", "2022", "", "专项总结"),
    ("襄州区教育局2018年教育工作要点", "襄州区", "district", "2018", "全年", "要点"),
    ("在淅川县2018年教育工作会议上的讲话", "淅川县", "county", "2018", "全年", "讲话"),
    ("蕲春县召开2019年全县教育工作会议", "蕲春县", "county", "2019", "", "会议报道"),
    ("绥棱县教育局局长2017年度述职述廉报告", "绥棱县", "county", "2017", "全年", "述职"),
    ("漾川县学前教育发展情况调研报告", "漾川县", "county", "", "", "调研报告"),
    ("沙坡县教育体育局关于自治区人民政府教育督导评估组反馈问题整改情况的报告", "沙坡县", "county", "", "", "整改报告"),
    ("靖川县人民政府关于义务教育发展基本均衡县创建工作的汇报", "靖川县", "county", "", "", "汇报"),
    ("凌江县2019年农村义务教育学生营养改善计划实施工作总结", "凌江县", "county", "2019", "", "专项总结"),
])
def test_titles(title, region, level, year, period, genre):
    meta = read_meta(title)
    assert (meta.region, meta.region_level, meta.year, meta.period, meta.genre) == (region, level, year, period,
                                                                                   genre)
    assert meta.region_source == ("title" if region else "") and meta.genre_source == "title"


def test_the_issuing_body_and_date_come_from_the_opening_lines():
    meta = read_meta("2021年溆浦教育工作上半年总结", "2021年溆浦教育工作上半年总结\n溆浦县教育局\n（2021年7月19日）\n"
                     "今年以来，全县教育系统在县委、县政府的坚强领导下……")
    assert (meta.region, meta.region_source, meta.year, meta.year_source) == ("溆浦县", "body", "2021", "title")
    undated = read_meta("教育局工作总结", "教育局工作总结\n发布时间:2019-06-25 16:08 信息来源:某某县教育局")
    assert (undated.year, undated.year_source) == ("2019", "body")


def test_prose_is_not_a_place():
    assert find_region("今年全县教育系统围绕县委、县政府的部署") == ("", "")
    assert find_region("我代表县委、县政府") == ("", "")
    assert find_genre("教育局2021年工作") == ""


def test_sidecar_overrides_and_adds_columns(tmp_path):
    report = tmp_path / "r1.txt"
    report.write_text("某某县教育局2020年工作总结\n一、成绩\n1.完成校舍改造。\n", encoding="utf-8")
    sidecar = tmp_path / "meta.csv"
    sidecar.write_text("\ufeffpath,region,year,province\nr1.txt,湖南省怀化市某某县,2021,湖南\n", encoding="utf-8")
    reader = MetaReader(read_sidecar(sidecar), [str(report)])
    meta = reader("r1", "某某县教育局2020年工作总结", "1.完成校舍改造。")
    assert meta["region"] == "湖南省怀化市某某县" and meta["region_source"] == "sidecar"
    assert meta["year"] == "2021" and meta["year_source"] == "sidecar"
    assert meta["genre"] == "总结" and meta["genre_source"] == "title"   # not in the sidecar: read from the title
    assert meta["province"] == "湖南" and list(meta)[:len(META_FIELDS)] == list(META_FIELDS)
    assert reader.columns[-1] == "province"
    other = reader("r2", "某区教育局2018年工作要点", "")
    assert other["province"] == "" and other["genre"] == "要点"


def test_sidecar_without_a_path_column_names_the_file(tmp_path):
    bad = tmp_path / "meta.csv"
    bad.write_text("name,region\nx,y\n", encoding="utf-8")
    with pytest.raises(InputError, match="no path column") as err:
        read_sidecar(bad)
    assert str(bad) in str(err.value)


def test_same_named_reports_in_two_folders_keep_their_own_issuing_body(runner, tmp_path):
    import json

    from edu_clf.cli import app
    body = "\n一、主要工作\n（一）全年新建公办幼儿园3所，新增学位900个。\n"
    for folder, county in (("a", "溆浦县"), ("b", "洪江市")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "2024上半年.txt").write_text(f"2024年上半年教育工作总结\n{county}教育局\n{body}",
                                                          encoding="utf-8")
    result = runner.invoke(app, ["predict", str(tmp_path), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert {(row["doc_id"], row["region"]) for row in rows} == {("a/2024上半年", "溆浦县"), ("b/2024上半年", "洪江市")}


def test_a_files_opening_lines_are_read_once(monkeypatch, tmp_path):
    """A long single-line file splits into hundreds of documents: its head was read for each (883 s for 60 MB)."""
    from edu_clf.segment.meta import MetaReader
    path = tmp_path / "r.txt"
    path.write_text("2024年工作总结\n某某县教育局\n正文", encoding="utf-8")
    reads = []
    monkeypatch.setattr(MetaReader, "_head", staticmethod(lambda p, chars=600: reads.append(p) or "某某县教育局"))
    reader = MetaReader(None, {str(path): "r"})
    for doc_id in ("r", "r#1", "r#2", "r.p2", "r.p3"):
        reader(doc_id, "2024年工作总结", "正文")
    assert reads == [str(path)]
