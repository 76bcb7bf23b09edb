"""The HTML report: self-contained, every item on the page; checked in headless Chromium."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edu_clf.cli import app
from edu_clf.config import load_report_config
from edu_clf.report.html import render_report
from edu_clf.records import Document, Item
from edu_clf.model.persist import save_model
from edu_clf.pipeline import predict_documents
from edu_clf.pipeline import load_documents

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
SCREENSHOT = ROOT / "build" / "report-screenshot.png"


@pytest.fixture(scope="module")
def labeled(seed_model):
    docs = [d for p in SEEDS for d in load_documents(p)]
    return list(predict_documents(seed_model, docs, explain=4))


def test_every_item_and_the_legend_are_on_the_page(labeled, schema):
    page = render_report(labeled, schema, load_report_config())
    n_items = sum(len(d.predictions) for d in labeled)
    assert len(re.findall(r"<div class='item k-", page)) == n_items
    assert 'id=legend' in page and page.count("class=profile>") == len(labeled)
    assert "id=compare" in page  # several documents: a comparison table


def test_page_is_self_contained_and_escapes_text(seed_model, schema):
    doc = Document("d", "标题<b>", (Item("d", 0, "标题<b>", ("一、<i>",), "<script>alert(1)</script>下半年将推进。"),))
    page = render_report(list(predict_documents(seed_model, [doc])), schema, load_report_config())
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page)
    assert "id=compare" not in page


def test_report_command_writes_the_file(tmp_path, seed_model):
    model = save_model(seed_model, tmp_path / "m.skops")
    out = tmp_path / "r.html"
    result = CliRunner().invoke(app, ["report", str(SEEDS[0]), "--out", str(out), "--model", str(model)])
    assert result.exit_code == 0 and out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_same_named_files_in_two_folders_get_two_anchors_and_show_their_paths(tmp_path, monkeypatch, model_path):
    """a/2024上半年.txt and b/2024上半年.txt: two sections with distinct anchors, each naming its file as given."""
    for folder, seed in (("a", SEEDS[0]), ("b", SEEDS[1])):
        (tmp_path / "reports" / folder).mkdir(parents=True)
        (tmp_path / "reports" / folder / "2024上半年.txt").write_text(seed.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["report", "reports", "--out", "r.html", "--model", str(model_path)])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    sections = dict(re.findall(r"<section class=doc id='(doc-[^']*)'>(.*?)</section>", page))
    assert sorted(sections) == ["doc-a/2024上半年", "doc-b/2024上半年"]
    for folder in ("a", "b"):
        shown = re.findall(r"<span class=path>([^<]*)</span>", sections[f"doc-{folder}/2024上半年"])
        assert shown == [f"reports/{folder}/2024上半年.txt"]
    assert '"path":"reports/a/2024上半年.txt"' in page   # the corpus view's data (and its CSV download) too


def test_the_path_is_escaped(seed_model, schema):
    doc = Document("d", "标题", (Item("d", 0, "标题", ("一、",), "下半年将推进。"),))
    page = render_report(list(predict_documents(seed_model, [doc])), schema, load_report_config(),
                         meta_of=lambda doc_id, title, text: {"path": "x/<b>&\u202e.txt"})
    assert "<span class=path>x/&lt;b&gt;&amp;⟦U+202E⟧.txt</span>" in page


def test_anchors_hold_no_whitespace_and_links_find_them(seed_model, schema):
    docs = [Document(d, "标题", (Item(d, 0, "标题", ("一、",), "下半年将推进。"),)) for d in ("县 2024 总结", "另一份")]
    page = render_report(list(predict_documents(seed_model, docs)), schema, load_report_config())
    ids = set(re.findall(r"\bid='([^']*)'", page))
    assert "doc-县_2024_总结" in ids and "县_2024_总结-0" in ids
    assert not any(ch.isspace() for i in ids for ch in i)
    assert set(re.findall(r"href='#([^']*)'", page)) <= ids
    assert '"anchor":"县_2024_总结"' in page     # the corpus view's links use it too


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_chromium() is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_report_in_headless_chromium(tmp_path, labeled, schema):
    sync_api = pytest.importorskip("playwright.sync_api")
    page_file = tmp_path / "report.html"
    page_file.write_text(render_report(labeled, schema, load_report_config()), encoding="utf-8")
    problems: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1200, "height": 1500})
        page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
        page.goto(page_file.as_uri())
        items = page.locator(".item")
        assert items.count() == sum(len(d.predictions) for d in labeled)
        assert page.locator("#legend").is_visible()
        assert page.locator(".profile").first.is_visible() and page.locator("#compare").is_visible()
        first = items.first
        first.click()
        assert first.locator(".why").is_visible()  # the explanation opens on click
        kind = first.get_attribute("data-kind")
        page.locator(f".legend button[data-kind={kind}]").click()
        assert not first.is_visible()  # the legend filters by kind
        page.locator(f".legend button[data-kind={kind}]").click()
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))
        browser.close()
    assert problems == []
    assert SCREENSHOT.stat().st_size > 10_000


def test_explanations_are_readable():
    from edu_clf.model.explain import readable_term
    assert readable_term("context:N:存在") == "所在标题含「存在」"
    assert readable_term("cue:title:plan") == "文档标题有计划类词"
    assert readable_term("words:精神 和") == "词「精神和」"
