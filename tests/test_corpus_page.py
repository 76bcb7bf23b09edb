"""The corpus view of the HTML page (several reports), driven in headless Chromium: filters, search, sort,
the CSV download, links to the items, the honest accuracy note; no console errors."""
from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest

from edu_clf.config import load_report_config
from edu_clf.pipeline import load_documents, predict_documents
from edu_clf.report.corpus_view import accuracy_note
from edu_clf.report.html import render_report
from edu_clf.segment.meta import MetaReader

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
WRITTEN = sorted((ROOT / "corpus" / "written").glob("w1_0*.txt"))[:4]
SCREENSHOT = ROOT / "build" / "corpus-screenshot.png"
METRICS = {"cv": {"method": "leave-one-document-out", "folds": 5, "n_scored": 140,
                  "kind": {"macro_f1": 0.81}, "topic": {"macro_f1": 0.62}},
           "cv_written": {"folds": 15, "n_scored": 4700, "kind": {"macro_f1": 0.9}, "topic": {"macro_f1": 0.8}},
           "views": {"seeds/clean": {"kind_f1": 0.81, "topic_f1": 0.62},
                     "seeds/no_context": {"kind_f1": 0.7, "topic_f1": 0.55},
                     "seeds/traditional": {"kind_f1": 0.8, "topic_f1": 0.6}}}


@pytest.fixture(scope="module")
def page(seed_model, schema):
    paths = [*SEEDS, *WRITTEN]
    docs = [d for p in paths for d in load_documents(p)]
    labeled = list(predict_documents(seed_model, docs, explain=3))
    html = render_report(labeled, schema, load_report_config(), meta_of=MetaReader(paths=[str(p) for p in paths]),
                         metrics=METRICS)
    return labeled, html


def test_accuracy_note_says_what_was_measured_and_on_what():
    note = accuracy_note(METRICS)
    assert "5 篇人工标注的种子报告上逐篇留出" in note and "0.81" in note and "0.62" in note
    assert "逐位作者留出" in note and "种子报告的「无上下文」" in note and "可能更低" in note
    assert "不是准确度" in accuracy_note({})


def test_corpus_view_is_on_the_page_and_self_contained(page):
    labeled, html = page
    assert "id=corpus" in html and "id=corpus-data" in html and "id=accuracy" in html
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", html) and "@import" not in html
    assert html.count("<div class='item k-") == sum(len(d.predictions) for d in labeled)


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_chromium() is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_corpus_view_in_headless_chromium(tmp_path, page, schema):
    sync_api = pytest.importorskip("playwright.sync_api")
    labeled, html = page
    n_items = sum(len(d.predictions) for d in labeled)
    page_file = tmp_path / "corpus.html"
    page_file.write_text(html, encoding="utf-8")
    problems: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        tab = browser.new_page(viewport={"width": 1300, "height": 1500}, accept_downloads=True)
        tab.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
        tab.on("pageerror", lambda e: problems.append(str(e)))
        tab.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
        tab.goto(page_file.as_uri())
        doc_rows = tab.locator("#doc-table tbody tr")
        assert doc_rows.count() == len(labeled)
        assert tab.locator("#shown").inner_text().endswith(f"{n_items} / {n_items} 个条目")
        assert tab.locator("#doc-table td.c").count() == len(labeled) * len(schema.topic_ids)   # documents × topics
        assert "种子报告上逐篇留出" in tab.locator("#accuracy").inner_text()

        # filter by topic: every table row, problem and outline item left is of that topic
        tab.select_option("#f-topic", "teachers")
        kept = sum(p.topic == "teachers" for d in labeled for p in d.predictions)
        assert tab.locator("#shown").inner_text().endswith(f"{kept} / {n_items} 个条目")
        assert tab.locator(".item:visible").count() == kept
        shown_topics = set(tab.locator("#item-table tbody td:nth-child(5)").all_inner_texts())
        assert shown_topics == {"教师队伍建设"}
        # and by kind: the problems list links to the problem items of that topic
        tab.select_option("#f-kind", "problem")
        both = [(d.document.doc_id, p.item) for d in labeled for p in d.predictions
                if p.topic == "teachers" and p.kind == "problem"]
        links = tab.locator("#problems a")
        assert links.count() == len(both)
        if both:
            href = links.first.get_attribute("href")
            assert href == f"#{both[0][0]}-{both[0][1]}" and tab.locator(f'[id="{href[1:]}"]').count() == 1
        # metadata and score filters
        tab.click("#f-reset")
        tab.select_option("#f-region", "郧西县")
        assert tab.locator("#doc-table tbody tr").count() == 1
        tab.click("#f-reset")
        tab.locator("#f-score").fill("0.9")
        confident = sum(min(p.kind_score, p.topic_score) >= 0.9 for d in labeled for p in d.predictions)
        assert tab.locator("#shown").inner_text().endswith(f"{confident} / {n_items} 个条目")
        tab.click("#f-reset")

        # search
        tab.fill("#f-search", "营养")
        found = [p for d in labeled for p in d.predictions
                 if "营养" in p.text or "营养" in " ".join(p.headings[-1:]) or "营养" in d.document.title]
        assert tab.locator("#item-table tbody tr").count() == len(found) > 0

        # sort the items by topic score, then the documents by item count
        tab.locator("#item-table th[data-key=ts]").click()
        scores = [float(s) for s in tab.locator("#item-table tbody td:nth-child(6)").all_inner_texts()]
        assert scores == sorted(scores, reverse=True)
        assert tab.locator("#item-table th[data-key=ts]").get_attribute("aria-sort") == "descending"
        tab.locator("#item-table th[data-key=ts]").click()
        scores = [float(s) for s in tab.locator("#item-table tbody td:nth-child(6)").all_inner_texts()]
        assert scores == sorted(scores)
        tab.fill("#f-search", "")
        tab.locator("#doc-table th[data-key=n]").click()
        counts = [int(c) for c in tab.locator("#doc-table tbody td:nth-child(5)").all_inner_texts()]
        assert counts == sorted(counts, reverse=True)

        # the CSV download holds exactly what is shown
        tab.select_option("#f-kind", "plan")
        with tab.expect_download() as info:
            tab.click("#f-download")
        data = Path(info.value.path()).read_bytes().decode("utf-8")
        rows = list(csv.DictReader(io.StringIO(data.lstrip("\ufeff"))))
        plans = sum(p.kind == "plan" for d in labeled for p in d.predictions)
        assert len(rows) == plans and {r["kind"] for r in rows} == {"plan"}
        assert {"region", "year", "genre"} <= set(rows[0]) and any(r["region"] for r in rows)
        tab.click("#f-reset")
        SCREENSHOT.parent.mkdir(exist_ok=True)
        tab.screenshot(path=str(SCREENSHOT))
        browser.close()
    assert problems == []
    assert SCREENSHOT.stat().st_size > 10_000
