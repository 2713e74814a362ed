"""One self-contained HTML page to review a batch run: every fact at its place in the text.

The page needs no network: CSS and JavaScript are inline and the run's data is embedded
as JSON in a ``<script type="application/json">`` block, rendered one article at a time so
that a run of thousands of articles stays fast. Article text and model output are
untrusted: the page builds its DOM with ``textContent``/``createTextNode`` only, and the
embedded JSON escapes ``<``, ``>``, ``&``, U+2028 and U+2029 so that no string in it can
close the script block.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import Any

__all__ = ["write_report", "build_report_html", "safe_json_for_script", "RTL_LANGUAGES"]

RTL_LANGUAGES = frozenset({"fa", "ar", "he", "ur", "ps", "ckb", "yi", "dv", "ug"})

_FACT_KEYS = ("type", "path", "data", "evidence", "span", "spans", "alignment", "score", "grounded",
              "corrections", "flags", "chunk")


def safe_json_for_script(data: Any) -> str:
    """JSON that can sit inside ``<script type="application/json">`` whatever its strings hold.

    ``<``, ``>`` and ``&`` become ``\\u003c``-style escapes (valid JSON, same value), so
    ``</script>`` or ``<!--`` never appear; U+2028/U+2029 are escaped for old parsers.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=str)
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _direction(language: str | None) -> str:
    if not language:
        return "auto"
    base = language.split("-")[0].split("_")[0].lower()
    return "rtl" if base in RTL_LANGUAGES else "ltr"


def _read_articles(path: Path) -> tuple[list[dict], int]:
    articles, bad = [], 0
    if not path.exists():
        return articles, bad
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                # A half-written last line of an interrupted run must not hide the rest.
                bad += 1
                continue
            if isinstance(obj, dict):
                articles.append(obj)
            else:
                bad += 1
    return articles, bad


def _article_payload(a: dict) -> dict:
    doc = a.get("document") or {}
    language = doc.get("language") or a.get("language")
    text = a.get("text")
    if not isinstance(text, str):
        text = ""
    facts = []
    for f in a.get("facts") or []:
        if not isinstance(f, dict):
            continue
        facts.append({k: f.get(k) for k in _FACT_KEYS if k in f})
    source = a.get("source") or doc.get("source") or ""
    return {
        "source": str(source),
        "sha256": a.get("sha256") or doc.get("sha256"),
        "status": a.get("status") or "ok",
        "error": a.get("error"),
        "language": language,
        "dir": _direction(language),
        "title": doc.get("title"),
        "published": doc.get("published"),
        "outlet": doc.get("outlet"),
        "text": text,
        "facts": facts,
        "usage": a.get("usage") or {},
        "model": a.get("model"),
        "warnings": (doc.get("warnings") or []) + (a.get("warnings") or []),
    }


def _summarise(articles: list[dict], bad_lines: int) -> dict:
    usage_keys = ("prompt_tokens", "completion_tokens", "total_tokens", "requests", "reasks", "transport_retries")
    s: dict[str, Any] = {
        "articles": len(articles),
        "ok": sum(1 for a in articles if a["status"] == "ok"),
        "errors": sum(1 for a in articles if a["status"] != "ok"),
        "facts": 0, "grounded": 0, "ungrounded": 0, "flagged": 0, "corrected": 0,
        "by_type": {}, "cost_usd": None, "unreadable_lines": bad_lines,
        "failures": [{"source": a["source"], "error": a["error"]} for a in articles if a["status"] != "ok"],
        "models": sorted({str(a["model"]) for a in articles if a.get("model")}),
    }
    for k in usage_keys:
        s[k] = 0
    for a in articles:
        for f in a["facts"]:
            s["facts"] += 1
            s["grounded"] += bool(f.get("grounded"))
            s["ungrounded"] += not f.get("grounded")
            s["flagged"] += bool(f.get("flags"))
            s["corrected"] += bool(f.get("corrections"))
            t = str(f.get("type"))
            s["by_type"][t] = s["by_type"].get(t, 0) + 1
        u = a["usage"]
        for k in usage_keys:
            try:
                s[k] += int(u.get(k) or 0)
            except (TypeError, ValueError):
                pass
        if u.get("cost_usd") is not None:
            s["cost_usd"] = (s["cost_usd"] or 0.0) + float(u["cost_usd"])
    return s


def build_report_html(articles: list[dict], run_summary: dict | None = None, *, title: str = "Extraction report",
                      unreadable_lines: int = 0) -> str:
    """The report page for batch-run article records (as in ``articles.jsonl``)."""
    payload_articles = [_article_payload(a) for a in articles]
    data = {
        "summary": _summarise(payload_articles, unreadable_lines),
        "run_summary": run_summary or {},
        "articles": payload_articles,
    }
    return (
        _TEMPLATE.replace("__TITLE__", html.escape(title))
        .replace("__CSS__", _CSS)
        .replace("__JS__", _JS)
        .replace("__DATA__", safe_json_for_script(data))
    )


def write_report(out_dir: Path, *, path: Path | None = None) -> Path:
    """Write the HTML review page of a batch run folder and return its path.

    Reads ``out_dir/articles.jsonl`` and ``out_dir/summary.json`` (optional); writes
    ``out_dir/report.html`` unless ``path`` is given.
    """
    out_dir = Path(out_dir)
    articles_path = out_dir / "articles.jsonl"
    if not articles_path.exists():
        raise FileNotFoundError(f"{articles_path} not found: is {out_dir} the output folder of a run?")
    articles, bad = _read_articles(articles_path)
    summary: dict = {}
    summary_path = out_dir / "summary.json"
    if summary_path.exists():
        try:
            loaded = json.loads(summary_path.read_text(encoding="utf-8"))
            summary = loaded if isinstance(loaded, dict) else {"summary": loaded}
        except json.JSONDecodeError as exc:
            summary = {"error": f"summary.json unreadable: {exc}"}
    target = Path(path) if path else out_dir / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    page = build_report_html(articles, summary, title=f"Extraction report — {out_dir.name}", unreadable_lines=bad)
    # Written beside and renamed into place: a full disk leaves the previous page, never half of one.
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>__TITLE__</title>
<style>__CSS__</style>
</head>
<body>
<header id="summary" class="summary"></header>
<div class="layout">
  <nav id="list-pane" class="pane list-pane">
    <div class="controls">
      <input id="search" type="search" placeholder="Filter by name or title" aria-label="Filter articles">
      <select id="status-filter" aria-label="Status">
        <option value="">all</option><option value="ok">ok</option><option value="error">errors</option>
      </select>
    </div>
    <ol id="article-list" class="article-list"></ol>
    <div class="pager"><button id="prev" type="button">&#8249;</button><span id="page-info"></span><button id="next" type="button">&#8250;</button></div>
  </nav>
  <main id="article-pane" class="pane article-pane"></main>
  <aside id="facts-pane" class="pane facts-pane">
    <div class="controls">
      <select id="type-filter" aria-label="Fact type"><option value="">all types</option></select>
      <select id="align-filter" aria-label="Alignment">
        <option value="">any alignment</option><option value="exact">exact</option><option value="fuzzy">fuzzy</option><option value="none">none</option>
      </select>
      <label><input id="corrected-filter" type="checkbox"> corrected</label>
      <label><input id="problem-filter" type="checkbox"> ungrounded/flagged</label>
    </div>
    <table id="facts-table" class="facts-table">
      <thead><tr><th>#</th><th>type</th><th>fact</th><th>align</th><th>status</th></tr></thead>
      <tbody id="facts-body"></tbody>
    </table>
  </aside>
</div>
<script type="application/json" id="report-data">__DATA__</script>
<script>__JS__</script>
</body>
</html>
"""

_CSS = r"""
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI","Noto Sans","DejaVu Sans",sans-serif;color:#1d2330;background:#f4f5f7}
.summary{padding:8px 14px;background:#1d2330;color:#eef;display:flex;flex-wrap:wrap;gap:6px 18px;align-items:baseline}
.summary h1{font-size:16px;margin:0 12px 0 0}
.summary .stat b{color:#fff}
.summary details{flex-basis:100%;font-size:12px}
.summary details ul{margin:4px 0;padding-left:18px}
.summary .fail{color:#ffb4b4}
.layout{display:grid;grid-template-columns:260px minmax(0,1fr) 440px;height:calc(100vh - 48px)}
.pane{overflow:auto;border-right:1px solid #d6d9de;background:#fff}
.controls{display:flex;flex-wrap:wrap;gap:6px;padding:8px;border-bottom:1px solid #e4e6ea;position:sticky;top:0;background:#fff;z-index:1}
.controls input[type=search]{flex:1;min-width:0}
.article-list{list-style:none;margin:0;padding:0}
.article-list li{padding:6px 10px;border-bottom:1px solid #eef0f2;cursor:pointer}
.article-list li:hover{background:#f0f4ff}
.article-list li.current{background:#dde7ff}
.article-list li.error .name{color:#b00020}
.article-list .meta{font-size:11px;color:#667}
.article-list .name,.article-list .title{unicode-bidi:isolate;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;display:block}
.pager{display:flex;gap:8px;align-items:center;justify-content:center;padding:8px}
.article-pane{padding:14px 22px}
.article-head h2{margin:0 0 4px;font-size:18px;unicode-bidi:isolate}
.article-head .meta{color:#556;font-size:12px}
.error-box{background:#fdecee;border:1px solid #f5b5bd;color:#7a0012;padding:8px;margin:8px 0;white-space:pre-wrap}
.article-text{white-space:pre-wrap;overflow-wrap:anywhere;font-size:16px;line-height:1.9;margin-top:10px;padding:12px;border:1px solid #e4e6ea;border-radius:4px;background:#fffefb}
.article-text:lang(fa),.article-text:lang(ar){font-family:Vazirmatn,"Noto Naskh Arabic",Tahoma,"DejaVu Sans",sans-serif}
.article-text:lang(zh),.article-text:lang(zh-Hans),.article-text:lang(zh-Hant){font-family:"Noto Sans CJK SC","Noto Sans CJK TC","WenQuanYi Zen Hei","PingFang SC","Microsoft YaHei",sans-serif}
mark{unicode-bidi:isolate;border-radius:2px;padding:0 1px;background:#ffe9a8;color:inherit;cursor:pointer}
mark mark{padding:0}
mark.t-quantity{background:#ffe28a}
mark.t-money{background:#b9f0c0}
mark.t-organisation{background:#cfe0ff}
mark.t-consortium{background:#e2d4ff}
mark.t-person{background:#ffd3e3}
mark.t-place{background:#c8f1f4}
mark.t-facility{background:#ffd9b8}
mark.t-event{background:#e5e8b0}
mark.clipped{outline:1px dashed #999}
mark.focus{outline:2px solid #e0004d}
.facts-table{width:100%;border-collapse:collapse;font-size:12px}
.facts-table th,.facts-table td{border-bottom:1px solid #eef0f2;padding:4px 5px;text-align:start;vertical-align:top}
.facts-table tbody tr{cursor:pointer}
.facts-table tbody tr:hover{background:#f0f4ff}
.facts-table tr.problem{background:#fff3f3}
.facts-table .evidence{color:#556;display:block;unicode-bidi:isolate}
.facts-table .corr{color:#9a5b00;display:block}
.badge{display:inline-block;padding:0 5px;border-radius:8px;font-size:11px;background:#e4e6ea}
.badge.exact{background:#c9f2cf}.badge.fuzzy{background:#fff0b3}.badge.none{background:#ffd0d0}
.badge.t{background:#eef}
.empty{color:#889;padding:12px}
"""

_JS = r"""
(function () {
  'use strict';
  var PAGE = 50;
  var DATA = JSON.parse(document.getElementById('report-data').textContent);
  var ARTS = DATA.articles || [];
  var state = {index: 0, page: 0, filtered: ARTS.map(function (_, i) { return i; })};

  function $(id) { return document.getElementById(id); }
  // Every node is built here; untrusted strings only ever become text nodes or attribute values.
  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === 'text') e.textContent = String(v);
        else if (k === 'cls') e.className = String(v);
        else e.setAttribute(k, String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      e.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }
  function cssName(s) { return String(s || 'other').toLowerCase().replace(/[^a-z0-9_-]/g, '_'); }
  function fmt(n) { return (n === null || n === undefined) ? '–' : Number(n).toLocaleString('en'); }
  function baseName(s) { s = String(s || ''); var p = s.split(/[\\/]/); return p[p.length - 1] || s; }

  function factSummary(f) {
    var d = f.data || {};
    function s(x) { return (x === null || x === undefined) ? '' : String(x); }
    switch (f.type) {
      case 'quantity': return [s(d.value), s(d.unit), d.qualifier && d.qualifier !== 'exact' ? '(' + d.qualifier + ')' : '', '—', s(d.measure)].join(' ');
      case 'money': return [s(d.amount), s(d.currency), d.qualifier && d.qualifier !== 'exact' ? '(' + d.qualifier + ')' : '', d.purpose ? '— ' + d.purpose : ''].join(' ');
      case 'person': return [s(d.name), d.role ? '· ' + d.role : '', d.organisation ? '· ' + d.organisation : ''].join(' ');
      case 'event': return [s(d.kind), s(d.title), s(d.date)].join(' ');
      case 'consortium': return s(d.name) + (d.member_count ? ' (' + d.member_count + ' members)' : '') + (d.members && d.members.length ? ' [' + d.members.length + ' listed]' : '');
      default: return s(d.name || d.title || JSON.stringify(d));
    }
  }

  // ---- summary -----------------------------------------------------------------
  function renderSummary() {
    var S = DATA.summary || {}, box = $('summary');
    box.textContent = '';
    box.appendChild(el('h1', {text: document.title}));
    function stat(label, value) { box.appendChild(el('span', {cls: 'stat'}, label + ': ', el('b', {text: value}))); }
    stat('articles', fmt(S.articles));
    stat('ok', fmt(S.ok));
    stat('failed', fmt(S.errors));
    stat('facts', fmt(S.facts));
    stat('grounded', fmt(S.grounded));
    stat('ungrounded', fmt(S.ungrounded));
    stat('corrected', fmt(S.corrected));
    stat('tokens', fmt(S.total_tokens));
    stat('re-asks', fmt(S.reasks));
    stat('cost', S.cost_usd === null || S.cost_usd === undefined ? '–' : '$' + Number(S.cost_usd).toFixed(4));
    if (S.models && S.models.length) stat('model', S.models.join(', '));
    var det = el('details', null, el('summary', {text: 'details: fact types, failures, run summary'}));
    var types = el('ul');
    Object.keys(S.by_type || {}).sort().forEach(function (t) { types.appendChild(el('li', {text: t + ': ' + S.by_type[t]})); });
    det.appendChild(types);
    if (S.failures && S.failures.length) {
      var fl = el('ul');
      S.failures.forEach(function (f) { fl.appendChild(el('li', {cls: 'fail'}, el('bdi', {text: baseName(f.source)}), ': ', el('bdi', {text: f.error || 'unknown error'}))); });
      det.appendChild(el('div', {text: 'Failures (' + S.failures.length + '):'}));
      det.appendChild(fl);
    }
    if (S.unreadable_lines) det.appendChild(el('div', {cls: 'fail', text: S.unreadable_lines + ' unreadable line(s) in articles.jsonl'}));
    var run = DATA.run_summary || {};
    var keys = Object.keys(run);
    if (keys.length) {
      var rl = el('ul');
      keys.forEach(function (k) {
        var v = run[k];
        rl.appendChild(el('li', {text: k + ': ' + (typeof v === 'object' ? JSON.stringify(v) : String(v))}));
      });
      det.appendChild(el('div', {text: 'summary.json:'}));
      det.appendChild(rl);
    }
    box.appendChild(det);
  }

  // ---- article list ------------------------------------------------------------
  function applyListFilter() {
    var q = $('search').value.trim().toLowerCase(), st = $('status-filter').value;
    state.filtered = [];
    ARTS.forEach(function (a, i) {
      if (st === 'ok' && a.status !== 'ok') return;
      if (st === 'error' && a.status === 'ok') return;
      if (q && (String(a.source) + ' ' + String(a.title || '')).toLowerCase().indexOf(q) < 0) return;
      state.filtered.push(i);
    });
    state.page = 0;
    renderList();
  }
  function renderList() {
    var list = $('article-list'), pages = Math.max(1, Math.ceil(state.filtered.length / PAGE));
    state.page = Math.min(Math.max(0, state.page), pages - 1);
    list.textContent = '';
    state.filtered.slice(state.page * PAGE, (state.page + 1) * PAGE).forEach(function (i) {
      var a = ARTS[i];
      var li = el('li', {cls: (a.status !== 'ok' ? 'error ' : '') + (i === state.index ? 'current' : ''), 'data-index': i},
        el('span', {cls: 'name', dir: 'auto', text: baseName(a.source)}),
        a.title ? el('span', {cls: 'title', dir: 'auto', text: a.title}) : null,
        el('span', {cls: 'meta', text: [a.language || '?', (a.facts || []).length + ' facts', a.status].join(' · ')}));
      li.addEventListener('click', function () { select(i); });
      list.appendChild(li);
    });
    $('page-info').textContent = (state.page + 1) + ' / ' + pages + ' (' + state.filtered.length + ')';
  }

  // ---- highlights ----------------------------------------------------------------
  function cmpSpan(a, b) { return a.start - b.start || b.end - a.end; }
  function spanGroups(a) {
    var groups = {}, out = [], n = a.text.length;
    (a.facts || []).forEach(function (f, i) {
      if (!f.grounded || !f.span) return;
      var s = f.span.start, e = f.span.end;
      if (!(typeof s === 'number' && typeof e === 'number' && s >= 0 && e > s && e <= n)) return;
      var k = s + ':' + e;
      if (!groups[k]) { groups[k] = {start: s, end: e, ids: []}; out.push(groups[k]); }
      groups[k].ids.push(i);
    });
    return out.sort(cmpSpan);
  }
  function makeMark(a, g, st, en) {
    var f0 = a.facts[g.ids[0]];
    var m = el('mark', {
      cls: 't-' + cssName(f0.type) + ((st !== g.start || en !== g.end) ? ' clipped' : ''),
      'data-facts': g.ids.join(' '), 'data-start': g.start, 'data-end': g.end,
      title: g.ids.map(function (i) { return '#' + i + ' ' + a.facts[i].type + ': ' + factSummary(a.facts[i]); }).join('\n')
    });
    m.addEventListener('click', function (ev) { ev.stopPropagation(); focusFact(g.ids[0], false); });
    return m;
  }
  // Nested spans become nested marks; a span that crosses another's end is clipped there.
  function renderRange(a, parent, lo, hi, spans) {
    var text = a.text, pos = lo, rest = spans.slice();
    while (rest.length) {
      var s = rest.shift();
      var st = Math.max(s.start, pos, lo), en = Math.min(s.end, hi);
      if (st >= en) continue;
      if (st > pos) parent.appendChild(document.createTextNode(text.slice(pos, st)));
      var kids = [], later = [];
      rest.forEach(function (t) {
        if (t.start < en) {
          if (t.end <= en) kids.push(t);
          else later.push({start: en, end: t.end, ids: t.ids, orig: t.orig || t});
        } else later.push(t);
      });
      rest = later.sort(cmpSpan);
      var g = s.orig || s;
      var m = makeMark(a, {start: g.start, end: g.end, ids: g.ids}, st, en);
      renderRange(a, m, st, en, kids);
      parent.appendChild(m);
      pos = en;
    }
    if (pos < hi) parent.appendChild(document.createTextNode(text.slice(pos, hi)));
  }

  // ---- article view --------------------------------------------------------------
  function select(i) {
    if (!ARTS.length) return;
    state.index = Math.min(Math.max(0, i | 0), ARTS.length - 1);
    var pos = state.filtered.indexOf(state.index);
    if (pos >= 0) state.page = Math.floor(pos / PAGE);
    renderList();
    renderArticle();
    renderFacts();
    try { history.replaceState(null, '', '#a=' + state.index); } catch (e) { /* file:// in some browsers */ }
  }
  function renderArticle() {
    var pane = $('article-pane'), a = ARTS[state.index];
    pane.textContent = '';
    var head = el('div', {cls: 'article-head'},
      el('h2', {dir: 'auto', text: a.title || baseName(a.source)}),
      el('div', {cls: 'meta'}, el('bdi', {text: a.source}), ' · ', a.language || 'language unknown', ' · ', a.status,
        a.published ? ' · ' + a.published : '', a.outlet ? ' · ' : '', a.outlet ? el('bdi', {text: a.outlet}) : null,
        ' · ' + (a.facts || []).length + ' facts'));
    pane.appendChild(head);
    if (a.status !== 'ok' || a.error) pane.appendChild(el('div', {cls: 'error-box', dir: 'auto', text: a.error || ('status: ' + a.status)}));
    (a.warnings || []).forEach(function (w) { pane.appendChild(el('div', {cls: 'meta', dir: 'auto', text: '⚠ ' + w})); });
    var box = el('div', {id: 'article-text', cls: 'article-text', dir: a.dir || 'auto', lang: a.language || null, 'data-index': state.index});
    renderRange(a, box, 0, a.text.length, spanGroups(a));
    if (!a.text) box.appendChild(el('span', {cls: 'empty', text: '(no text)'}));
    pane.appendChild(box);
    // Reading the computed direction forces layout; tests and tools read it from here.
    box.setAttribute('data-direction', getComputedStyle(box).direction);
    document.body.setAttribute('data-current', String(state.index));
  }

  // ---- facts table -----------------------------------------------------------------
  function renderTypeOptions() {
    var types = {};
    ARTS.forEach(function (a) { (a.facts || []).forEach(function (f) { types[f.type] = 1; }); });
    var sel = $('type-filter');
    Object.keys(types).sort().forEach(function (t) { sel.appendChild(el('option', {value: t, text: t})); });
  }
  function renderFacts() {
    var a = ARTS[state.index], body = $('facts-body');
    var tf = $('type-filter').value, af = $('align-filter').value;
    var cf = $('corrected-filter').checked, pf = $('problem-filter').checked;
    body.textContent = '';
    var shown = 0;
    (a.facts || []).forEach(function (f, i) {
      var corrected = f.corrections && f.corrections.length > 0;
      var problem = !f.grounded || (f.flags && f.flags.length > 0);
      if (tf && f.type !== tf) return;
      if (af && (f.alignment || 'none') !== af) return;
      if (cf && !corrected) return;
      if (pf && !problem) return;
      shown++;
      var factCell = el('td', null, el('bdi', {dir: 'auto', text: factSummary(f)}),
        el('span', {cls: 'evidence', dir: 'auto', text: '“' + (f.evidence || '') + '”'}));
      (f.corrections || []).forEach(function (c) {
        factCell.appendChild(el('span', {cls: 'corr', text: 'corrected ' + c.field + ': ' + JSON.stringify(c.model_value) + ' → ' + JSON.stringify(c.corrected_value) + (c.reason ? ' (' + c.reason + ')' : '')}));
      });
      var status = [f.grounded ? 'grounded' : 'ungrounded'].concat(f.flags || []);
      var tr = el('tr', {cls: problem ? 'problem' : '', 'data-fact': i},
        el('td', {text: String(i)}),
        el('td', null, el('span', {cls: 'badge t', text: f.type})),
        factCell,
        el('td', null, el('span', {cls: 'badge ' + cssName(f.alignment || 'none'), text: f.alignment || 'none'})),
        el('td', {text: status.join(', ')}));
      tr.addEventListener('click', function () { focusFact(i, true); });
      body.appendChild(tr);
    });
    if (!shown) body.appendChild(el('tr', null, el('td', {colspan: 5, cls: 'empty', text: 'no facts match the filters'})));
  }
  function focusFact(i, scroll) {
    var marks = document.querySelectorAll('#article-text mark');
    var target = null;
    for (var k = 0; k < marks.length; k++) {
      marks[k].classList.remove('focus');
      if (!target && (' ' + marks[k].getAttribute('data-facts') + ' ').indexOf(' ' + i + ' ') >= 0) target = marks[k];
    }
    if (target) { target.classList.add('focus'); if (scroll) target.scrollIntoView({block: 'center'}); }
    var row = document.querySelector('#facts-body tr[data-fact="' + (i | 0) + '"]');
    if (row && !scroll) row.scrollIntoView({block: 'nearest'});
  }

  // ---- wiring --------------------------------------------------------------------
  $('search').addEventListener('input', applyListFilter);
  $('status-filter').addEventListener('change', applyListFilter);
  $('prev').addEventListener('click', function () { state.page--; renderList(); });
  $('next').addEventListener('click', function () { state.page++; renderList(); });
  ['type-filter', 'align-filter', 'corrected-filter', 'problem-filter'].forEach(function (id) {
    $(id).addEventListener('change', renderFacts);
  });
  document.addEventListener('keydown', function (ev) {
    if (ev.target && /INPUT|SELECT|TEXTAREA/.test(ev.target.tagName)) return;
    if (ev.key === 'j' || ev.key === 'ArrowDown') select(state.index + 1);
    if (ev.key === 'k' || ev.key === 'ArrowUp') select(state.index - 1);
  });
  renderSummary();
  renderTypeOptions();
  var m = /[#&]a=(\d+)/.exec(location.hash || '');
  if (ARTS.length) select(m ? parseInt(m[1], 10) : 0);
  else $('article-pane').appendChild(el('p', {cls: 'empty', text: 'This run has no articles.'}));
  document.body.setAttribute('data-ready', '1');
})();
"""
