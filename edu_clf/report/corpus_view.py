"""The corpus view of the HTML page (several reports): heatmap, kind bars, problems by topic, items.

The data go into the page as one JSON block; a small script filters by topic,
kind, score, metadata and a search, and redraws the tables and charts from it:
documents × topics heatmap with documents × kinds bars, "problems by topic"
linking to the items in the outlines below, a sortable items table and a CSV
download of exactly what is shown. No network, nothing loaded from elsewhere.
"""
from __future__ import annotations

import html
import json
from typing import Any, Callable, Sequence

from edu_clf.config import LabelSchema, ReportConfig
from edu_clf.records import LabeledDocument

MetaOf = Callable[[str, str, str], dict[str, str]]


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


_VIEWS = {"traditional": "繁体", "ascii_punct": "英文标点", "no_context": "无上下文", "excerpt": "节选",
          "page2": "网页副本", "clean": "原文"}
_PARTS = {"seeds": "种子报告", "written": "撰写语料"}


def accuracy_note(metrics: dict[str, Any]) -> str:
    """What the model's scores mean, said honestly: what was measured, on what, and what to expect."""
    parts = []
    cv = metrics.get("cv", {})
    if "kind" in cv:
        parts.append(f"在 {cv.get('folds', '?')} 篇人工标注的种子报告上逐篇留出（训练时不见该篇）测得 "
                     f"{cv.get('n_scored', '?')} 个条目：类型 macro-F1 {cv['kind']['macro_f1']:.2f}，"
                     f"主题 macro-F1 {cv['topic']['macro_f1']:.2f}")
    written = metrics.get("cv_written", {})
    if "kind" in written:
        parts.append(f"在团队撰写的语料上逐位作者留出（{written.get('folds', '?')} 组，{written.get('n_scored', '?')} "
                     f"个条目）：类型 {written['kind']['macro_f1']:.2f}，主题 {written['topic']['macro_f1']:.2f}")
    views = {k: v for k, v in metrics.get("views", {}).items() if not k.endswith("/clean")}
    if views:
        worst = min(views.items(), key=lambda kv: kv[1].get("topic_f1", 1))
        part, _, view = worst[0].partition("/")
        parts.append(f"同样留出、但把报告改写成真实副本的样子（繁体、英文标点、无上下文、节选、网页副本，共 "
                     f"{len(views)} 种视图）时，最差的是{_PARTS.get(part, part)}的「{_VIEWS.get(view, view)}」：类型 "
                     f"{worst[1]['kind_f1']:.2f}，主题 {worst[1]['topic_f1']:.2f}")
    if not parts:
        return ("此模型未附交叉验证分数：页面上的得分是模型的概率，不是准确度。")
    return ("准确度说明：" + "；".join(parts) + "。这些数字都不是在训练数据上测的，但种子只有几篇、撰写语料出自"
            "团队之手：真实的、未见过的报告得分可能更低。得分（0–1）是模型的概率，低于阈值的条目标为不确定。")


def doc_meta(d: LabeledDocument, meta_of: MetaOf | None) -> dict[str, str]:
    """A document's metadata: `meta_of(doc_id, title, first item's text)`, or {} without a reader."""
    if meta_of is None:
        return {}
    return meta_of(d.document.doc_id, d.document.title, d.predictions[0].text if d.predictions else "")


def anchor(doc_id: str) -> str:
    """A document's HTML id part: its doc_id with whitespace as `_` (an id may hold no whitespace)."""
    return "".join("_" if ch.isspace() else ch for ch in doc_id)


def corpus_data(docs: Sequence[LabeledDocument], meta_of: MetaOf | None) -> dict[str, Any]:
    rows, items = [], []
    for index, d in enumerate(docs):
        doc = d.document
        meta = doc_meta(d, meta_of)
        rows.append({"id": doc.doc_id, "anchor": anchor(doc.doc_id), "title": doc.title or doc.doc_id,
                     "n": len(d.predictions),
                     **{k: meta.get(k, "") for k in ("path", "region", "year", "period", "genre")}})
        for p in d.predictions:
            items.append([index, p.item, p.kind, p.topic, round(p.kind_score, 3), round(p.topic_score, 3),
                          p.headings[-1] if p.headings else "", p.text])
    return {"docs": rows, "items": items}


def _json_block(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def render_corpus(docs: Sequence[LabeledDocument], schema: LabelSchema, config: ReportConfig,
                  meta_of: MetaOf | None = None) -> tuple[str, str, str]:
    """(section HTML, CSS, script) of the corpus view."""
    data = corpus_data(docs, meta_of)
    labels = {"kinds": [[k, schema.name("kind", k), config.colors.get(k, "#888")] for k in schema.kind_ids],
              "topics": [[t, schema.name("topic", t)] for t in schema.topic_ids],
              "uncertain": config.uncertain_below}

    def select(name: str, label: str, options: list[tuple[str, str]]) -> str:
        opts = "".join(f"<option value='{_e(v)}'>{_e(t)}</option>" for v, t in options)
        return f"<label>{label}<select id=f-{name} data-filter={name}><option value=''>全部</option>{opts}</select></label>"

    def meta_options(key: str) -> list[tuple[str, str]]:
        values = sorted({d[key] for d in data["docs"] if d[key]})
        return [(v, v) for v in values] + ([("(未知)", "(未知)")] if any(not d[key] for d in data["docs"]) else [])

    filters = (select("topic", "主题", [(t, n) for t, n in labels["topics"]])
               + select("kind", "类型", [(k, n) for k, n, _ in labels["kinds"]])
               + select("region", "地区", meta_options("region")) + select("year", "年份", meta_options("year"))
               + select("genre", "文种", meta_options("genre"))
               + "<label>最低得分<input id=f-score type=range min=0 max=1 step=0.05 value=0>"
                 "<output id=f-score-out>0.00</output></label>"
               + "<label class=search>搜索<input id=f-search type=search placeholder='条目文字、标题或小标题'></label>"
               + "<button type=button id=f-reset>清除筛选</button>"
               + "<button type=button id=f-download>下载当前 CSV</button>")
    section = (
        "<section class='doc corpus' id=corpus><h2>语料总览</h2>"
        f"<div class=filters id=filters>{filters}</div><p class=shown id=shown></p>"
        "<h3>各文档的主题分布（占条目比例）与类型构成</h3><p class=more>选了主题时，类型构成是该主题条目中的比例；"
        "选了类型时，主题格是该类型条目占文档全部条目的比例。点击表头排序。</p>"
        "<div class=scroll><table class='sortable heat' id=doc-table><thead></thead><tbody></tbody></table></div>"
        "<h3>按主题列出的问题</h3><div id=problems class=problems></div>"
        "<h3>条目</h3><div class=scroll><table class=sortable id=item-table><thead></thead><tbody></tbody>"
        "</table></div><p class=more id=item-more></p></section>")
    script = (f"<script type=application/json id=corpus-data>{_json_block(data)}</script>"
              f"<script type=application/json id=corpus-labels>{_json_block(labels)}</script>"
              f"<script>{_SCRIPT}</script>")
    return section, _CSS, script


_CSS = """
.corpus h3{font-size:15px;margin:18px 0 6px;color:#37474f}
.filters{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;font-size:13px;background:#f5f7f8;
  border:1px solid #e0e0e0;border-radius:6px;padding:8px 12px}
.filters label{display:flex;align-items:center;gap:4px} .filters select,.filters input{font:inherit}
.filters .search input{width:200px} .filters button{font:inherit;cursor:pointer;border:1px solid #bbb;
  background:#fff;border-radius:4px;padding:2px 10px}
.shown{font-size:13px;color:#555;margin:6px 0}
.scroll{overflow-x:auto;max-width:100%}
table.sortable th{cursor:pointer;user-select:none;white-space:nowrap}
table.sortable th[aria-sort=ascending]::after{content:" ▲";font-size:10px}
table.sortable th[aria-sort=descending]::after{content:" ▼";font-size:10px}
.corpus table{font-size:12px} .corpus td,.corpus th{padding:2px 5px}
table.heat td.c{min-width:30px;text-align:center;color:#102027}
table.heat th.v{padding:6px 2px;font-weight:500;vertical-align:bottom}
th.v .vt{writing-mode:vertical-rl;display:inline-block;white-space:nowrap;line-height:1.2}
td.nw{white-space:nowrap} td.c.sel{outline:2px solid #f9a825;outline-offset:-2px}
td.kbars{min-width:90px} .kb{display:flex;height:12px;background:#f0f0f0;border-radius:2px;overflow:hidden}
.kb span{display:block;height:100%}
td.txt{text-align:left;max-width:560px} td.doct{text-align:left;min-width:150px;max-width:210px}
.problems{columns:2 360px;column-gap:24px;font-size:13px}
.problems .pt{break-inside:avoid;margin:0 0 10px} .problems .pt b{display:block;color:#c62828}
.problems ol{margin:2px 0 0;padding-left:20px} .problems a{color:#263238}
.more{font-size:12px;color:#777}
.item.filtered{display:none}
"""

_SCRIPT = r"""
(function () {
  var data = JSON.parse(document.getElementById('corpus-data').textContent);
  var L = JSON.parse(document.getElementById('corpus-labels').textContent);
  var kindName = {}, kindColor = {}, topicName = {};
  L.kinds.forEach(function (k) { kindName[k[0]] = k[1]; kindColor[k[0]] = k[2]; });
  L.topics.forEach(function (t) { topicName[t[0]] = t[1]; });
  var MAX_ROWS = 100;
  var sortState = {};
  var f = {};
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function meta(doc, key) { return doc[key] || '(未知)'; }
  function readFilters() {
    ['topic', 'kind', 'region', 'year', 'genre'].forEach(function (k) {
      f[k] = document.getElementById('f-' + k).value;
    });
    f.score = parseFloat(document.getElementById('f-score').value);
    f.search = document.getElementById('f-search').value.trim().toLowerCase();
    document.getElementById('f-score-out').textContent = f.score.toFixed(2);
  }
  function keep(it, anyTopic, anyKind) {
    var doc = data.docs[it[0]];
    if (f.topic && !anyTopic && it[3] !== f.topic) return false;
    if (f.kind && !anyKind && it[2] !== f.kind) return false;
    if (Math.min(it[4], it[5]) < f.score) return false;
    if (f.region && meta(doc, 'region') !== f.region) return false;
    if (f.year && meta(doc, 'year') !== f.year) return false;
    if (f.genre && meta(doc, 'genre') !== f.genre) return false;
    if (f.search) {
      var hay = (it[7] + ' ' + it[6] + ' ' + doc.title + ' ' + doc.id).toLowerCase();
      if (hay.indexOf(f.search) < 0) return false;
    }
    return true;
  }
  function pct(x) { return (100 * x).toFixed(0) + '%'; }
  function sortable(table, columns, rows, render) {
    var state = sortState[table.id] || {key: null, dir: 1};
    sortState[table.id] = state;
    var thead = table.tHead;
    if (thead.rows.length) {   // the header stays (a click must not land on a header being replaced)
      Array.prototype.forEach.call(thead.rows[0].cells, function (th) {
        if (th.dataset.key === state.key) th.setAttribute('aria-sort', state.dir > 0 ? 'ascending' : 'descending');
        else th.removeAttribute('aria-sort');
      });
    }
    var tr = el('tr');
    if (!thead.rows.length) columns.forEach(function (c) {
      var th = el('th', {'data-key': c.key, 'class': c.cls || '', title: c.title || c.label});
      if (c.cls === 'v') th.appendChild(el('span', {'class': 'vt'}, c.label)); else th.textContent = c.label;
      if (state.key === c.key) th.setAttribute('aria-sort', state.dir > 0 ? 'ascending' : 'descending');
      th.addEventListener('click', function () {
        state.dir = state.key === c.key ? -state.dir : (c.num ? -1 : 1);
        state.key = c.key; update();
      });
      tr.appendChild(th);
    });
    if (!thead.rows.length) thead.appendChild(tr);
    if (state.key) {
      var col = columns.filter(function (c) { return c.key === state.key; })[0];
      if (col) rows.sort(function (a, b) {
        var x = col.value(a), y = col.value(b);
        return (x < y ? -1 : x > y ? 1 : 0) * state.dir;
      });
    }
    var tbody = table.tBodies[0]; tbody.textContent = '';
    rows.forEach(function (r) { tbody.appendChild(render(r, columns)); });
  }
  function docTable() {
    // per document: n = the items shown; kind shares among the items of the chosen topic (any kind);
    // topic cells = items of the chosen kind on each topic, as a share of all the document's items left
    // by the other filters (score, metadata, search), so that a topic or kind filter still compares
    var per = data.docs.map(function (d, i) {
      return {i: i, doc: d, n: 0, base: 0, kindBase: 0, kinds: {}, topics: {}};
    });
    data.items.forEach(function (it) {
      if (!keep(it, true, true)) return;
      var r = per[it[0]]; r.base += 1;
      if (keep(it, false, true)) { r.kindBase += 1; r.kinds[it[2]] = (r.kinds[it[2]] || 0) + 1; }
      if (keep(it, true, false)) r.topics[it[3]] = (r.topics[it[3]] || 0) + 1;
      if (keep(it, false, false)) r.n += 1;
    });
    var rows = per.filter(function (r) { return r.n > 0; });
    var cols = [
      {key: 'title', label: '文档', cls: 't', value: function (r) { return r.doc.title; }},
      {key: 'region', label: '地区', cls: 't', value: function (r) { return r.doc.region; }},
      {key: 'year', label: '年份', value: function (r) { return r.doc.year; }},
      {key: 'genre', label: '文种', cls: 't', value: function (r) { return r.doc.genre; }},
      {key: 'n', label: '条目', num: true, value: function (r) { return r.n; }},
      {key: 'kinds', label: '类型构成', value: function (r) { return (r.kinds.problem || 0) / r.kindBase; }}
    ];
    L.kinds.forEach(function (k) {
      cols.push({key: 'k-' + k[0], label: k[1], num: true, title: k[1] + '占比',
                 value: function (r) { return (r.kinds[k[0]] || 0) / r.kindBase; }});
    });
    L.topics.forEach(function (t) {
      cols.push({key: 't-' + t[0], label: t[1], cls: 'v', num: true, title: t[1] + '占比',
                 value: function (r) { return (r.topics[t[0]] || 0) / r.base; }});
    });
    sortable(document.getElementById('doc-table'), cols, rows, function (r) {
      var tr = el('tr');
      var td = el('td', {'class': 'doct'}); var a = el('a', {href: '#doc-' + r.doc.anchor}, r.doc.title);
      td.appendChild(a); td.appendChild(el('div', {'class': 'docid'}, r.doc.id)); tr.appendChild(td);
      tr.appendChild(el('td', {'class': 't nw'}, r.doc.region || '—'));
      tr.appendChild(el('td', null, r.doc.year || '—'));
      tr.appendChild(el('td', {'class': 't nw'}, r.doc.genre || '—'));
      tr.appendChild(el('td', null, String(r.n)));
      var bars = el('td', {'class': 'kbars'}); var kb = el('div', {'class': 'kb'});
      L.kinds.forEach(function (k) {
        var share = (r.kinds[k[0]] || 0) / r.kindBase;
        if (share > 0) kb.appendChild(el('span', {style: 'width:' + (100 * share).toFixed(1) + '%;background:' +
                                                  k[2], title: k[1] + ' ' + pct(share)}));
      });
      bars.appendChild(kb); tr.appendChild(bars);
      L.kinds.forEach(function (k) { tr.appendChild(el('td', null, pct((r.kinds[k[0]] || 0) / r.kindBase))); });
      L.topics.forEach(function (t) {
        var share = (r.topics[t[0]] || 0) / r.base;
        var cell = el('td', {'class': 'c' + (f.topic === t[0] ? ' sel' : ''),
                             title: t[1] + '：' + (r.topics[t[0]] || 0) + ' / ' + r.base}, share ? pct(share) : '');
        cell.style.background = 'rgba(21,101,192,' + Math.min(1, share * 2.5).toFixed(2) + ')';
        if (share > 0.3) cell.style.color = '#fff';
        tr.appendChild(cell);
      });
      return tr;
    });
  }
  function problems(shown) {
    var box = document.getElementById('problems'); box.textContent = '';
    var by = {};
    shown.forEach(function (it) { if (it[2] === 'problem') (by[it[3]] = by[it[3]] || []).push(it); });
    var any = false;
    L.topics.forEach(function (t) {
      var list = by[t[0]]; if (!list) return;
      any = true;
      var div = el('div', {'class': 'pt'}); div.appendChild(el('b', null, t[1] + '（' + list.length + '）'));
      var ol = el('ol');
      list.forEach(function (it) {
        var doc = data.docs[it[0]];
        var li = el('li'); var a = el('a', {href: '#' + doc.anchor + '-' + it[1]}, it[7].slice(0, 60) +
                                        (it[7].length > 60 ? '…' : ''));
        li.appendChild(a); li.appendChild(el('span', {'class': 'docid'}, ' ' + (doc.region || doc.id)));
        ol.appendChild(li);
      });
      div.appendChild(ol); box.appendChild(div);
    });
    if (!any) box.textContent = '当前筛选下没有问题类条目。';
  }
  function itemTable(shown) {
    var cols = [
      {key: 'doc', label: '文档', cls: 't', value: function (it) { return data.docs[it[0]].title; }},
      {key: 'item', label: '#', num: true, value: function (it) { return it[1]; }},
      {key: 'kind', label: '类型', cls: 't', value: function (it) { return kindName[it[2]]; }},
      {key: 'ks', label: '类型得分', num: true, value: function (it) { return it[4]; }},
      {key: 'topic', label: '主题', cls: 't', value: function (it) { return topicName[it[3]]; }},
      {key: 'ts', label: '主题得分', num: true, value: function (it) { return it[5]; }},
      {key: 'text', label: '条目', cls: 't', value: function (it) { return it[7]; }}
    ];
    var rows = shown.slice();
    sortable(document.getElementById('item-table'), cols, rows, function () { return el('tr'); });
    var tbody = document.getElementById('item-table').tBodies[0]; tbody.textContent = '';
    rows.slice(0, MAX_ROWS).forEach(function (it) {
      var doc = data.docs[it[0]]; var tr = el('tr');
      tr.appendChild(el('td', {'class': 'doct'}, doc.title));
      var n = el('td'); n.appendChild(el('a', {href: '#' + doc.anchor + '-' + it[1]}, String(it[1]))); tr.appendChild(n);
      var k = el('td', {'class': 't'}, kindName[it[2]]); k.style.color = kindColor[it[2]]; tr.appendChild(k);
      tr.appendChild(el('td', null, it[4].toFixed(2)));
      tr.appendChild(el('td', {'class': 't'}, topicName[it[3]]));
      tr.appendChild(el('td', null, it[5].toFixed(2)));
      tr.appendChild(el('td', {'class': 'txt', title: it[7]}, it[7].length > 140 ? it[7].slice(0, 140) + '…' : it[7]));
      tbody.appendChild(tr);
    });
    document.getElementById('item-more').textContent = rows.length > MAX_ROWS ?
      '表中列出前 ' + MAX_ROWS + ' 条（共 ' + rows.length + ' 条）；下载的 CSV 含全部 ' + rows.length + ' 条。' : '';
    return rows;
  }
  var current = [];
  function outline(shown) {
    var keepIds = {};
    shown.forEach(function (it) { keepIds[data.docs[it[0]].anchor + '-' + it[1]] = true; });
    document.querySelectorAll('section.doc .item').forEach(function (e) {
      e.classList.toggle('filtered', !keepIds[e.id]);
    });
  }
  function update() {
    readFilters();
    var shown = data.items.filter(function (it) { return keep(it, false, false); });
    var docs = {}; shown.forEach(function (it) { docs[it[0]] = true; });
    document.getElementById('shown').textContent = '显示 ' + Object.keys(docs).length + ' / ' + data.docs.length +
      ' 篇文档，' + shown.length + ' / ' + data.items.length + ' 个条目';
    docTable(); problems(shown); current = itemTable(shown); outline(shown);
  }
  function csvCell(v) {
    v = String(v === undefined || v === null ? '' : v);
    if (/^[=+\-@\t\r]/.test(v)) v = "'" + v;
    return /[",\r\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
  }
  function download() {
    var head = ['doc_id', 'title', 'path', 'region', 'year', 'period', 'genre', 'item', 'heading', 'text', 'kind',
                'kind_score', 'topic', 'topic_score'];
    var lines = [head.join(',')];
    current.forEach(function (it) {
      var d = data.docs[it[0]];
      lines.push([d.id, d.title, d.path, d.region, d.year, d.period, d.genre, it[1], it[6], it[7], it[2], it[4], it[3],
                  it[5]].map(csvCell).join(','));
    });
    var blob = new Blob(['\ufeff' + lines.join('\r\n') + '\r\n'], {type: 'text/csv;charset=utf-8'});
    var a = el('a', {href: URL.createObjectURL(blob), download: 'edu-clf-items.csv'});
    document.body.appendChild(a); a.click(); a.remove();
  }
  document.querySelectorAll('#filters select, #filters input').forEach(function (e) {
    e.addEventListener(e.tagName === 'SELECT' ? 'change' : 'input', update);
  });
  document.getElementById('f-reset').addEventListener('click', function () {
    document.querySelectorAll('#filters select').forEach(function (e) { e.value = ''; });
    document.getElementById('f-score').value = 0; document.getElementById('f-search').value = ''; update();
  });
  document.getElementById('f-download').addEventListener('click', download);
  update();
})();
"""


__all__ = ["accuracy_note", "corpus_data", "doc_meta", "render_corpus"]
