"""One self-contained HTML page that shows labeled reports at a glance.

For each document: its outline with every item coloured by kind and tagged
by topic with scores (uncertain items marked), the terms behind each label
(click an item), and a profile (topic × kind counts as a table and stacked
bars). For several documents, a comparison table. No network, no external
fonts or scripts: the page works offline and can be mailed as one file.
"""
from __future__ import annotations

import html
from collections import Counter
from datetime import datetime, timezone
from typing import Any, Sequence

from edu_clf import __version__
from edu_clf.config import LabelSchema, ReportConfig
from edu_clf.model.explain import readable_term
from edu_clf.records import LabeledDocument, Prediction
from edu_clf.report.corpus_view import anchor


# Characters that reorder or hide text (bidi embeddings, overrides and isolates; zero-width ones): a
# report could use them to make an item read otherwise than it is labeled. The page shows each as a
# visible mark such as ⟦U+202E⟧ (plain text, so that it is safe inside attributes too).
INVISIBLE = frozenset("\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066"
                      "\u2067\u2068\u2069\ufeff")
_SHOWN = {ord(ch): f"⟦U+{ord(ch):04X}⟧" for ch in INVISIBLE}


def _e(text: object) -> str:
    text = str(text)
    if not text.isascii() and not INVISIBLE.isdisjoint(text):
        text = text.translate(_SHOWN)
    return html.escape(text, quote=True)


def _css(config: ReportConfig) -> str:
    kinds = "".join(
        f".k-{k}{{border-left-color:{c};background:{c}0f}} .sw-{k}{{background:{c}}} .bar-{k}{{background:{c}}}\n"
        for k, c in config.colors.items())
    return """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;
  margin:0;color:#222;background:#fafafa;line-height:1.6}
header{background:#263238;color:#fff;padding:14px 28px}
header h1{margin:0;font-size:20px} header p{margin:4px 0 0;font-size:13px;color:#cfd8dc}
header p.note{max-width:1040px;color:#eceff1}
main{max-width:1240px;margin:0 auto;padding:16px 28px 60px}
.legend{position:sticky;top:0;z-index:2;background:#fff;border:1px solid #ddd;border-radius:6px;
  padding:8px 14px;margin:14px 0;display:flex;gap:18px;align-items:center;flex-wrap:wrap;font-size:14px}
.legend button{border:1px solid #ccc;background:#fff;border-radius:14px;padding:2px 10px;cursor:pointer;font:inherit}
.legend button[aria-pressed=false]{opacity:.35}
.sw{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:5px;vertical-align:-1px}
section.doc{background:#fff;border:1px solid #e0e0e0;border-radius:6px;padding:10px 22px 18px;margin:18px 0}
section.doc h2{font-size:18px;margin:10px 0 2px} .docid{color:#777;font-size:12px}
.profile{display:flex;gap:24px;flex-wrap:wrap;margin:10px 0 14px}
table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #e0e0e0;padding:2px 8px;text-align:right}
th{background:#f5f5f5} td.t,th.t{text-align:left}
.bars{min-width:320px;flex:1;font-size:12px}
.barrow{display:flex;align-items:center;margin:2px 0} .barrow .name{width:110px;flex:none;text-align:right;
  padding-right:8px;color:#555} .barrow .track{display:flex;height:14px;flex:1;background:#f0f0f0;border-radius:2px}
.barrow .n{width:30px;padding-left:6px;color:#555}
.h{font-weight:600;color:#37474f;margin:14px 0 4px} .h.l2{margin-left:18px;font-weight:500} .h.l3{margin-left:36px}
.item{border-left:5px solid #999;padding:6px 10px;margin:6px 0;border-radius:0 4px 4px 0;cursor:pointer}
.item .tag{font-size:12px;color:#333;margin-right:8px;white-space:nowrap}
.item .kind{font-weight:600}
.item.uncertain{outline:2px dashed #f9a825;outline-offset:-2px}
.item .unc{font-size:12px;color:#8d6e00;font-weight:600}
.item .text{display:block;margin-top:2px}
.why{display:none;font-size:12px;color:#444;margin-top:4px;background:#fff;border:1px solid #ddd;padding:4px 8px}
.item.open .why{display:block}
.hidden{display:none}
""" + kinds


_SCRIPT = """
document.querySelectorAll('.legend button[data-kind]').forEach(function (b) {
  b.addEventListener('click', function () {
    var on = b.getAttribute('aria-pressed') !== 'true';
    b.setAttribute('aria-pressed', on ? 'true' : 'false');
    document.querySelectorAll('.item.k-' + b.dataset.kind).forEach(function (el) {
      el.classList.toggle('hidden', !on);
    });
  });
});
document.querySelectorAll('.item').forEach(function (el) {
  el.addEventListener('click', function () { el.classList.toggle('open'); });
});
"""


def _profile(doc: LabeledDocument, schema: LabelSchema) -> str:
    counts = Counter((p.topic, p.kind) for p in doc.predictions)
    topics = [t for t in schema.topic_ids if any(counts[(t, k)] for k in schema.kind_ids)]
    head = "".join(f"<th>{_e(schema.name('kind', k))}</th>" for k in schema.kind_ids)
    rows = []
    for t in topics:
        cells = "".join(f"<td>{counts[(t, k)] or ''}</td>" for k in schema.kind_ids)
        rows.append(f"<tr><td class=t>{_e(schema.name('topic', t))}</td>{cells}"
                    f"<td>{sum(counts[(t, k)] for k in schema.kind_ids)}</td></tr>")
    table = f"<table class=profile-table><tr><th class=t>主题</th>{head}<th>合计</th></tr>{''.join(rows)}</table>"
    most = max([sum(counts[(t, k)] for k in schema.kind_ids) for t in topics] or [1])
    bars = []
    for t in topics:
        total = sum(counts[(t, k)] for k in schema.kind_ids)
        segments = "".join(
            f"<span class='bar-{k}' style='width:{100 * counts[(t, k)] / most:.1f}%' "
            f"title='{_e(schema.name('kind', k))} {counts[(t, k)]}'></span>"
            for k in schema.kind_ids if counts[(t, k)])
        bars.append(f"<div class=barrow><span class=name>{_e(schema.name('topic', t))}</span>"
                    f"<span class=track>{segments}</span><span class=n>{total}</span></div>")
    return f"<div class=profile>{table}<div class=bars>{''.join(bars)}</div></div>"


def _explanation(p: Prediction) -> str:
    if not p.explanation:
        return ""
    parts = []
    for task in ("kind", "topic"):
        terms = "，".join(f"{_e(readable_term(term))} (+{weight:.2f})" for term, weight in p.explanation.get(task, []))
        parts.append(f"<div><b>{'类型' if task == 'kind' else '主题'}依据</b>：{terms or '—'}</div>")
    return f"<div class=why>{''.join(parts)}</div>"


def _outline(doc: LabeledDocument, schema: LabelSchema, config: ReportConfig) -> str:
    out = []
    shown: tuple[str, ...] = ()
    for p in doc.predictions:
        headings = tuple(p.headings)
        common = 0
        while common < min(len(shown), len(headings)) and shown[common] == headings[common]:
            common += 1
        for level in range(common, len(headings)):
            out.append(f"<div class='h l{min(level + 1, 3)}'>{_e(headings[level])}</div>")
        shown = headings
        uncertain = min(p.kind_score, p.topic_score) < config.uncertain_below
        flag = "<span class=unc>⚠ 不确定</span>" if uncertain else ""
        out.append(
            f"<div class='item k-{_e(p.kind)}{' uncertain' if uncertain else ''}' id='{_e(anchor(p.doc_id))}-{p.item}' "
            f"data-item='{p.item}' data-kind='{_e(p.kind)}' data-topic='{_e(p.topic)}'>"
            f"<span class='tag kind'>{_e(schema.name('kind', p.kind))} {p.kind_score:.2f}</span>"
            f"<span class=tag>{_e(schema.name('topic', p.topic))} {p.topic_score:.2f}</span>{flag}"
            f"<span class=text>{_e(p.text)}</span>{_explanation(p)}</div>")
    return "".join(out)


def _comparison(docs: Sequence[LabeledDocument], schema: LabelSchema, config: ReportConfig) -> str:
    rows = []
    for d in docs:
        n = len(d.predictions)
        problems = sum(p.kind == "problem" for p in d.predictions)
        topics = Counter(p.topic for p in d.predictions).most_common(config.leading_topics)
        leading = "，".join(f"{_e(schema.name('topic', t))} {c}" for t, c in topics)
        rows.append(f"<tr><td class=t><a href='#doc-{_e(anchor(d.document.doc_id))}'>{_e(d.document.title or d.document.doc_id)}"
                    f"</a><div class=docid>{_e(d.document.doc_id)}</div></td><td>{n}</td><td>{(problems / n if n else 0):.0%}</td><td class=t>{leading}</td></tr>")
    return ("<section class=doc id=compare><h2>文档对比</h2><table><tr><th class=t>文档</th><th>条目</th>"
            f"<th>问题占比</th><th class=t>主要主题</th></tr>{''.join(rows)}</table></section>")


def render_report(docs: Sequence[LabeledDocument], schema: LabelSchema, config: ReportConfig,
                  model_note: str = "", meta_of: Any = None, metrics: dict[str, Any] | None = None) -> str:
    """The whole page as a string; several documents also get the corpus view (report/corpus_view.py).

    `meta_of(doc_id, title, text)` gives each document's metadata (edu_clf.segment.meta.MetaReader), and
    its source file under "path" when it has one (edu_clf.pipeline.WithPath);
    `metrics`, the model's metadata metrics, become the page's accuracy note.
    """
    from edu_clf.report.corpus_view import accuracy_note, doc_meta, render_corpus

    note_html = f"<p class=note id=accuracy>{_e(accuracy_note(metrics))}</p>" if metrics is not None else ""
    corpus, corpus_css, corpus_script = render_corpus(docs, schema, config, meta_of) if len(docs) > 1 \
        else ("", "", "")
    legend = "".join(
        f"<button type=button data-kind='{_e(k)}' aria-pressed=true><span class='sw sw-{_e(k)}'></span>"
        f"{_e(schema.name('kind', k))}</button>" for k in schema.kind_ids)
    legend += (f"<span><span class=sw style='outline:2px dashed #f9a825;background:#fff'></span>"
               f"不确定（得分低于 {config.uncertain_below:.2f}）</span><span>点击条目查看判断依据</span>")
    sections = []
    for d in docs:
        doc = d.document
        path = doc_meta(d, meta_of).get("path", "")   # the source file as the user named it (pipeline.WithPath)
        source = f" · 文件 <span class=path>{_e(path)}</span>" if path else ""
        sections.append(
            f"<section class=doc id='doc-{_e(anchor(doc.doc_id))}'><h2>{_e(doc.title or doc.doc_id)}</h2>"
            f"<div class=docid>{_e(doc.doc_id)} · {len(d.predictions)} 个条目{source}</div>"
            f"{_profile(d, schema)}{_outline(d, schema, config)}</section>")
    total = sum(len(d.predictions) for d in docs)
    created = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    comparison = _comparison(docs, schema, config) if len(docs) > 1 else ""
    return (
        "<!DOCTYPE html><html lang=zh-CN><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        f"<title>edu-clf 报告分析（{len(docs)} 篇）</title><style>{_css(config)}{corpus_css}</style></head><body>"
        f"<header><h1>教育工作报告条目分析</h1><p>{len(docs)} 篇文档，{total} 个条目 · edu-clf {__version__}"
        f"{(' · ' + _e(model_note)) if model_note else ''} · {created}</p>{note_html}</header><main>"
        f"<div class=legend id=legend><b>类型</b>{legend}</div>{corpus}{comparison}{''.join(sections)}</main>"
        f"<script>{_SCRIPT}</script>{corpus_script}</body></html>")
