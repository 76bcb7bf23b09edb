"""Noisy copies of our own written reports segment to the clean copy's items (issue 15).

Each report of corpus/written/ picked below is rendered, inside the test, as a
user finds reports: a GBK web page with navigation, sidebar, share bar and
footer; a hard-wrapped text (a line break every 25–40 characters); a
document-site copy with uploader lines, a preview block and page counters cut
into sentences; a compilation of several reports with a table of contents;
Big5, UTF-16 and traditional-character copies. Every copy must give the clean
copy's items (same count; each text equal without whitespace, or character-bigram
Jaccard ≥ 0.95) and no chrome piece may become item text.

PDF and .docx copies are made by tests/test_pdf_docx.py's makers. Other copy kinds join
by adding a maker to COPIES: `make(report, folder) -> (path, chrome pieces)`.

`python -m tests.test_noisy_copies` prints, per kind of copy, items found /
expected and chrome pieces leaked.
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import pytest

from edu_clf.normalize import to_simplified
from edu_clf.pipeline import load_documents

ROOT = Path(__file__).resolve().parent.parent
WRITTEN = ROOT / "corpus" / "written"
# varied: a dated issuer block under the title, a plain summary, a survey report, 总结及打算, long ones
REPORTS = ["w5_01", "w8_07", "w11_07", "w7_04", "w13_03", "w14_07"]


@dataclass(frozen=True)
class Report:
    name: str
    text: str

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    @property
    def title(self) -> str:
        return next(line.strip() for line in self.lines if line.strip())

    @property
    def body_lines(self) -> list[str]:
        lines = self.lines
        first = next(i for i, line in enumerate(lines) if line.strip())
        return lines[first + 1:]


def report(name: str) -> Report:
    return Report(name, (WRITTEN / f"{name}.txt").read_text(encoding="utf-8"))


# ---------------------------------------------------------------- copy makers

NAV = ["首页", "政务公开", "教育动态", "通知公告", "招生考试", "办事服务", "互动交流"]
RELATED = ["全县秋季学期开学工作会议召开", "县教育局开展校园安全大检查", "我县举办中小学教师基本功比赛",
           "县教育局召开党风廉政建设工作会议"]
HOT = ["关于做好2024年义务教育招生工作的通知", "2024年县城学校教师选调公告"]
FOOTER = ["版权所有：某某县人民政府 主办：某某县教育局", "地址：某某县城关镇教育路18号 邮编：410000",
          "ICP备案号：湘ICP备05001234号-1 湘公网安备43092202000123号", "网站标识码：4309220001",
          "技术支持：某某网络科技有限公司", "建议使用1024×768以上分辨率、IE9以上浏览器浏览本站"]
TOOLS = ["分享到：微信 微博 QQ空间", "【打印本页】 【关闭窗口】"]


def web_page(r: Report, folder: Path) -> tuple[Path, list[str]]:
    """A county site's page in GBK: header, nav, breadcrumb, h1, info line, body, sidebar, share bar, footer."""
    p = "".join(f"<p style='text-indent:2em'>{html.escape(line)}</p>\n" for line in r.body_lines if line.strip())
    nav = "".join(f"<li><a href='/c{i}.html'>{name}</a></li>" for i, name in enumerate(NAV))
    related = "".join(f"<li><a href='/a{i}.html'>{t}</a><span>2024-01-0{i + 1}</span></li>" for i, t in enumerate(RELATED))
    hot = "".join(f"<li><a href='/h{i}.html'>{t}</a></li>" for i, t in enumerate(HOT))
    footer = "".join(f"<p>{html.escape(line)}</p>" for line in FOOTER)
    page = f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{html.escape(r.title)}_某某县人民政府网</title>
<script>var _hmt = _hmt || []; document.write("一、不是正文");</script>
<style>.content p {{ line-height: 2; }}</style></head>
<body>
<div class="top-bar">今天是：2024年1月15日 星期一 | <a href="#">设为首页</a> | <a href="#">加入收藏</a></div>
<div class="header"><img src="logo.png" alt="某某县人民政府"><span>某某县人民政府门户网站</span></div>
<div class="nav"><ul>{nav}</ul></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk">政务公开</a> &gt; 教育动态</div>
<div class="main">
 <div class="left-content">
  <h1 class="title">{html.escape(r.title)}</h1>
  <div class="info">发布时间：2024-01-15 09:30 来源：某某县教育局 浏览次数：1268 字号：[大 中 小]</div>
  <!-- 正文开始 -->
  <div class="content" id="zoom">
{p}  </div>
  <div class="share">{TOOLS[0]} <a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a></div>
 </div>
 <div class="sidebar">
  <div class="box"><h3>相关文章</h3><ul>{related}</ul></div>
  <div class="box"><h3>热点推荐</h3><ul>{hot}</ul></div>
 </div>
</div>
<div id="footer">{footer}</div>
</body></html>"""
    path = folder / f"{r.name}.web.html"
    path.write_bytes(page.encode("gb18030"))
    chrome = NAV[1:] + RELATED + HOT + FOOTER + ["设为首页", "加入收藏", "当前位置", "浏览次数", "不是正文",
                                               "某某县人民政府网", "分享到", "打印本页", "相关文章", "热点推荐"]
    return path, chrome


def wrap_width(r: Report) -> int:
    return 25 + (sum(map(ord, r.name)) % 16)      # 25–40 characters, fixed per report


def hard_wrapped(r: Report, folder: Path) -> tuple[Path, list[str]]:
    """Every line broken every 25–40 characters, as a copy out of a PDF viewer."""
    n = wrap_width(r)
    out = []
    for line in r.lines:
        out.extend([line[i:i + n] for i in range(0, len(line), n)] or [""])
    path = folder / f"{r.name}.wrapped.txt"
    path.write_text("\n".join(out), encoding="utf-8")
    return path, []


def doc_site(r: Report, folder: Path) -> tuple[Path, list[str]]:
    """A document-sharing site's copy: uploader lines, buttons, a preview, page counters inside sentences."""
    body = "\n".join(r.body_lines)
    first = next(line for line in r.body_lines if len(line.strip()) > 20)
    pages = max(2, len(body) // 1200 + 1)
    cuts, pos = [], 1200
    while pos < len(body):       # a page ends mid-sentence: inside a line, after a Chinese character
        while pos < len(body) and not ("\u4e00" <= body[pos - 1] <= "\u9fff" and "\u4e00" <= body[pos] <= "\u9fff"):
            pos += 1
        if pos < len(body):
            cuts.append(pos)
        pos += 1200
    pieces, last = [], 0
    for k, cut in enumerate(cuts, start=2):
        pieces.append(body[last:cut])
        pieces.append(f"\n第{k - 1}页 / 共{pages}页\n{r.title}.docx_第{k}页\n")
        last = cut
    pieces.append(body[last:])
    head = [r.title, f"上传人：edu***{len(r.name)}  上传时间：2024-03-0{len(r.name) % 9 + 1}  文档编号：{8000 + len(body)}",
            f"格式：DOCX  页数：{pages}  大小：{len(body) // 40}KB", "VIP专免", "海报", "侵权投诉", "下载 相关 举报", "内容预览", "",
            first[:120] + "……", "", f"{r.title}.docx_第1页"]
    text = "\n".join(head) + "\n" + "".join(pieces) + f"\n第{pages}页 / 共{pages}页\n点击查看更多>>\n"
    path = folder / f"{r.name}.docsite.txt"
    path.write_text(text, encoding="utf-8")
    chrome = ["上传人", "文档编号", "页数：", "VIP专免", "侵权投诉", "下载相关举报", "内容预览", "共{}页".format(pages),
              ".docx_第", "点击查看更多"]
    return path, chrome


def encoded(encoding: str, traditional: bool = False) -> Callable[[Report, Path], tuple[Path, list[str]]]:
    def make(r: Report, folder: Path) -> tuple[Path, list[str]]:
        text = r.text
        if traditional:
            text = _s2tw().convert(text)     # Taiwan forms (為, 啟): what Big5 files hold
        path = folder / f"{r.name}.{encoding}{'.trad' if traditional else ''}.txt"
        path.write_bytes("".join(_encodable(ch, encoding) for ch in text).encode(encoding))
        return path, []
    return make


@lru_cache(maxsize=None)
def _s2tw():
    import opencc
    return opencc.OpenCC("s2tw")


@lru_cache(maxsize=None)
def _encodable(ch: str, encoding: str) -> str:
    """The character, or its simplified form where the encoding lacks it (as Big5 lacks a few)."""
    for form in (ch, to_simplified(ch)):
        try:
            form.encode(encoding)
            return form
        except UnicodeEncodeError:
            continue
    return "?"


COPIES: dict[str, Callable[[Report, Path], tuple[Path, list[str]]]] = {
    "web-gbk": web_page,
    "hard-wrapped": hard_wrapped,
    "doc-site": doc_site,
    "gb18030": encoded("gb18030"),
    "utf-16": encoded("utf-16"),
    "utf-16-le": encoded("utf-16-le"),
    "big5": encoded("big5hkscs", traditional=True),
    "traditional": encoded("utf-8", traditional=True),
}
# What a clean item reads as in a kind of copy (traditional copies went through s2tw: 着 → 著).
def _taiwan(encoding: str) -> Callable[[str], str]:
    def form(text: str) -> str:
        return "".join(_encodable(ch, encoding) for ch in _s2tw().convert(text))
    return form


EXPECTED_FORM: dict[str, Callable[[str], str]] = {"big5": _taiwan("big5hkscs"), "traditional": _taiwan("utf-8")}


def pdf_copy(r: Report, folder: Path) -> tuple[Path, list[str]]:
    """A PDF with a text layer, a running header and page numbers (tests/test_pdf_docx.make_pdf)."""
    from tests.test_pdf_docx import FOOTERS, HEADERS, make_pdf

    k = sum(map(ord, r.name))
    header, footer = HEADERS[k % len(HEADERS)], FOOTERS[k % len(FOOTERS)]
    path = folder / f"{r.name}.layer.pdf"
    path.write_bytes(make_pdf(r.text.split("\n"), header, footer))
    return path, [header]


def docx_copy(r: Report, folder: Path) -> tuple[Path, list[str]]:
    """A .docx with automatic numbering, a text box, tracked changes, and end matter holding a table
    (tests/test_pdf_docx.make_docx; no table in the body, which would be an item the clean text lacks)."""
    from tests.test_pdf_docx import END_MATTER, TABLE, make_docx

    data, _, _ = make_docx(r.text, table=False)
    path = folder / f"{r.name}.word.docx"
    path.write_bytes(data)
    return path, [*END_MATTER, "已删除的旧表述", "已移走的旧表述", *TABLE[1]]


COPIES.update({"pdf": pdf_copy, "docx": docx_copy})


def compilation(reports: list[Report], folder: Path) -> tuple[Path, list[str]]:
    """Several reports under one title with a table of contents, run together."""
    toc = [f"{k}.{r.title}{'…' * 12}{k * 3}" for k, r in enumerate(reports, start=1)]
    text = "\n".join([f"某某县教育局工作总结汇编({len(reports)}篇)", "目录", *toc, ""]
                     + [r.text.strip("\n") for r in reports]) + "\n"
    path = folder / "compilation.txt"
    path.write_text(text, encoding="utf-8")
    return path, ["汇编", "目录", "…" * 6]


# ---------------------------------------------------------------- comparing


def squash(text: str) -> str:
    return to_simplified("".join(text.split()))


def bigram_jaccard(a: str, b: str) -> float:
    x, y = {a[i:i + 2] for i in range(len(a) - 1)}, {b[i:i + 2] for i in range(len(b) - 1)}
    return len(x & y) / len(x | y) if x | y else 1.0


def same_item(a: str, b: str) -> bool:
    a, b = squash(a), squash(b)
    return a == b or bigram_jaccard(a, b) >= 0.95


def items_of(path: Path) -> list[str]:
    return [it.text for doc in load_documents(path) for it in doc.items]


def leaked(copy_items: list[str], clean_items: list[str], chrome: list[str]) -> list[str]:
    """Chrome pieces found in the copy's items more often than in the clean copy's."""
    got, want = "\n".join(map(squash, copy_items)), "\n".join(map(squash, clean_items))
    return [c for c in chrome if got.count(squash(c)) > want.count(squash(c))]


def matched(copy_items: list[str], clean_items: list[str]) -> int:
    """Clean items found, in order, in the copy (a greedy alignment)."""
    found, j = 0, 0
    for want in clean_items:
        for k in range(j, min(len(copy_items), j + 5)):
            if same_item(copy_items[k], want):
                found, j = found + 1, k + 1
                break
    return found


def check(copy_items: list[str], clean_items: list[str], chrome: list[str]) -> None:
    assert not leaked(copy_items, clean_items, chrome), f"chrome in items: {leaked(copy_items, clean_items, chrome)}"
    assert len(copy_items) == len(clean_items), \
        f"{len(copy_items)} items, expected {len(clean_items)}; first difference: " + next(
            (f"{a[:40]!r} vs {b[:40]!r}" for a, b in zip(copy_items, clean_items) if not same_item(a, b)), "at the end")
    for got, want in zip(copy_items, clean_items):
        assert same_item(got, want), f"{got[:60]!r} != {want[:60]!r}"


# ---------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def clean() -> dict[str, list[str]]:
    return {name: items_of(WRITTEN / f"{name}.txt") for name in REPORTS}


@pytest.mark.parametrize("kind", sorted(COPIES))
@pytest.mark.parametrize("name", REPORTS)
def test_copy_segments_to_the_clean_items(tmp_path, clean, kind, name):
    path, chrome = COPIES[kind](report(name), tmp_path)
    form = EXPECTED_FORM.get(kind, str)
    check(items_of(path), [form(t) for t in clean[name]], chrome)


def test_clean_reports_are_left_as_they_are():
    """prepare_text changes no item of a clean seed or written report (they are not hard-wrapped …)."""
    from edu_clf.io import read_report
    from edu_clf.segment import segment_text
    from edu_clf.segment.prepare import prepare_text

    for path in sorted((ROOT / "seeds").glob("*.txt")) + sorted(WRITTEN.glob("*.txt")):
        text = read_report(path).text
        assert prepare_text(text) == text or [it.text for d in segment_text(prepare_text(text)) for it in d.items] \
            == [it.text for d in segment_text(text) for it in d.items], path


def test_web_copy_has_the_real_title(tmp_path):
    r = report(REPORTS[0])
    path, _ = web_page(r, tmp_path)
    docs = load_documents(path)
    assert [d.title for d in docs] == [r.title]


def test_compilation_splits_into_its_reports_and_drops_the_toc(tmp_path, clean):
    reports = [report(name) for name in REPORTS[:3]]
    path, chrome = compilation(reports, tmp_path)
    docs = load_documents(path)
    assert [d.title for d in docs] == [r.title for r in reports]
    check([it.text for d in docs for it in d.items], [t for r in reports for t in clean[r.name]], chrome)


def test_html_tag_soup_keeps_the_body():
    from edu_clf.io import html_to_text

    body = "<p>一、基本情况</p><p>全县共有学校52所，在校学生3.1万人。</p>"
    pages = {
        "unclosed head": f"<html><head><title>某县2024年工作总结_某县人民政府网</title><body>{body}</body></html>",
        "unclosed nav": f"<html><body><nav><a href='/'>首页</a><a href='/x'>政务公开</a><div>{body}</div></body></html>",
        "role=navigation": f"<html><body><div role='navigation'><a>首页</a> <a>新闻</a></div><div>{body}</div></body></html>",
        "unterminated comment": f"<html><body><!-- 统计代码 <div>{body}</div></body></html>",
    }
    for what, page in pages.items():
        text = html_to_text(page)
        assert "全县共有学校52所" in text and "一、基本情况" in text, what
        assert "首页" not in text and "统计代码" not in text and "新闻" not in text, what


def test_page_title_strips_the_site_name():
    from edu_clf.io.html import strip_site_name

    assert strip_site_name("2024年上半年工作总结_某某县人民政府网") == "2024年上半年工作总结"
    assert strip_site_name("某县2024年工作总结 - 某某县教育局") == "某县2024年工作总结"
    assert strip_site_name("某某县教育局 | 某县2024年工作计划") == "某县2024年工作计划"


def test_declared_charset_is_checked_against_the_bytes():
    from edu_clf.io.html import read_html

    page = "<html><head><meta charset='gb2312'></head><body><p>一、全县学校安全工作扎实推进。</p></body></html>"
    right = read_html(page.encode("gb18030"))
    assert right.encoding == "gb18030" and "安全工作" in right.text and right.warning is None
    wrong = read_html(page.encode("utf-8"))          # declares gb2312, is UTF-8
    assert "安全工作" in wrong.text and "declares charset gb18030" in (wrong.warning or "")


def test_segmenter_rules_from_the_writers_reports():
    from edu_clf.segment import segment_text

    text = ("某县教育局2024年上半年工作总结\n县教育局党组书记、局长 张某某\n尊敬的各位领导：\n一、主要成绩\n"
            "（一）办学条件改善。全县新建学校3所，师生比达到12:1、生均校舍面积增加。\n（二）队伍建设加强。招聘教师100名。\n"
            "述职人：张某某\n联系人：李四，联系电话：0731-1234567\n某县教育科技体育局\n2024年7月1日\n")
    [doc] = segment_text(text)
    assert doc.title == "某县教育局2024年上半年工作总结"
    assert [it.text for it in doc.items] == ["（一）办学条件改善。全县新建学校3所，师生比达到12:1、生均校舍面积增加。",
                                             "（二）队伍建设加强。招聘教师100名。"]


def test_big5_and_damaged_utf8_are_read(tmp_path):
    from edu_clf.io import read_report

    (tmp_path / "b.txt").write_bytes("一、學校安全工作紮實推進。全縣學校開展安全教育。".encode("big5"))
    assert read_report(tmp_path / "b.txt").encoding == "big5"
    data = ("一、学校安全工作扎实推进。全县学校开展安全教育。" * 20).encode("utf-8")
    (tmp_path / "u.txt").write_bytes(data[:6] + b"\xff" + data[6:12] + b"\x80\x80" + data[12:])
    got = read_report(tmp_path / "u.txt")
    assert got.encoding == "utf-8" and "全县学校开展安全教育" in got.text
    assert got.warning and got.warning.startswith("3 invalid UTF-8")


def test_doc_ids_are_unique_across_folders_and_rows_carry_the_path(runner, tmp_path):
    from edu_clf.cli import app

    r = report(REPORTS[1])
    for county in ("countyA", "countyB"):
        (tmp_path / county).mkdir()
        (tmp_path / county / "2024上半年.txt").write_text(r.text, encoding="utf-8")
    result = runner.invoke(app, ["segment", str(tmp_path), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert {row["doc_id"] for row in rows} == {"countyA/2024上半年", "countyB/2024上半年"}
    assert {row.get("path") for row in rows} == {str(tmp_path / c / "2024上半年.txt") for c in ("countyA", "countyB")}


# the copies of one report that `edu-clf predict` must label as its clean text (issue 15, "Done when")
PREDICTED = ("web-gbk", "pdf", "docx", "gb18030", "big5", "utf-16", "traditional", "hard-wrapped", "doc-site")


def predict_copies(runner, model: Path, r: Report, folder: Path) -> dict[str, list[tuple[str, str, str]]]:
    """`edu-clf predict FOLDER --format jsonl` over r's clean text and its PREDICTED copies: kind of copy
    ("clean" for the text itself) → (text, kind, topic) of each item, told apart by the rows' path."""
    from edu_clf.cli import app

    folder.mkdir()
    (folder / "clean.txt").write_text(r.text, encoding="utf-8")
    kind_of = {str(folder / "clean.txt"): "clean"}
    kind_of.update({str(COPIES[kind](r, folder)[0]): kind for kind in PREDICTED})
    result = runner.invoke(app, ["--quiet", "predict", str(folder), "--model", str(model), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    rows: dict[str, list[tuple[str, str, str]]] = {}
    for line in result.stdout.splitlines():
        row = json.loads(line)
        rows.setdefault(kind_of[row["path"]], []).append((row["text"], row["kind"], row["topic"]))
    return rows


def test_predict_on_a_folder_of_copies_gives_the_clean_items_and_labels(runner, model_path, tmp_path):
    """.html, .pdf, .docx, GB18030 / Big5 / UTF-16 and traditional copies: the clean text's items, labeled alike."""
    rows = predict_copies(runner, model_path, report(REPORTS[0]), tmp_path / "copies")
    assert sorted(rows) == sorted(["clean", *PREDICTED])
    want = rows.pop("clean")
    assert len(want) > 10
    for kind, got in rows.items():
        form = EXPECTED_FORM.get(kind, str)
        assert len(got) == len(want), kind
        assert all(same_item(g, form(w)) for (g, _, _), (w, _, _) in zip(got, want)), kind
        assert [(k, t) for _, k, t in got] == [(k, t) for _, k, t in want], kind


# ---------------------------------------------------------------- the measured table


def measure() -> list[tuple[str, int, int, int]]:
    """(kind of copy, items found, items expected, chrome pieces leaked) over all picked reports."""
    import tempfile

    rows = []
    clean = {name: items_of(WRITTEN / f"{name}.txt") for name in REPORTS}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for kind, make in COPIES.items():
            found = expected = leaks = 0
            form = EXPECTED_FORM.get(kind, str)
            for name in REPORTS:
                path, chrome = make(report(name), folder)
                got, want = items_of(path), [form(t) for t in clean[name]]
                found += matched(got, want) if len(got) == len(want) else min(matched(got, want), len(got))
                expected += len(want)
                leaks += len(leaked(got, want, chrome))
            rows.append((kind, found, expected, leaks))
        reports = [report(name) for name in REPORTS[:3]]
        path, chrome = compilation(reports, folder)
        got = items_of(path)
        want = [t for r in reports for t in clean[r.name]]
        rows.append(("compilation", matched(got, want), len(want), len(leaked(got, want, chrome))))
    return rows


if __name__ == "__main__":
    print(f"{'copy':<14}{'found/expected':>16}{'chrome leaked':>15}")
    for kind, found, expected, leaks in measure():
        print(f"{kind:<14}{f'{found}/{expected}':>16}{leaks:>15}")
