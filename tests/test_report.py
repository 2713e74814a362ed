"""The HTML report: escaping, embedded data, and (with chromium) rendering in a real browser."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from pathlib import Path

import pytest

from extractor.outputs.report import build_report_html, safe_json_for_script, write_report

ROOT = Path(__file__).resolve().parents[1]
SEEDS = Path("/work/shared/seeds")
CHROMIUM = Path("/usr/bin/chromium")

EVIL = ("<script>document.documentElement.setAttribute('data-pwned','1');document.title='PWNED'</script>"
        "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','2')\">"
        "</script><script>document.documentElement.setAttribute('data-pwned','3')</script>"
        "<!-- \u2028\u2029 & &amp; ")


def _demo_module():
    spec = importlib.util.spec_from_file_location("make_demo_report", ROOT / "scripts" / "make_demo_report.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _evil_article() -> dict:
    text = "Intro " + EVIL + " the hospital has 12 beds."
    ev = "the hospital has 12 beds"
    s = text.index(ev)
    return {
        "source": "evil<img src=x onerror=alert(1)>.txt", "status": "ok", "error": EVIL,
        "document": {"language": "en", "title": EVIL},
        "facts": [
            {"type": "quantity", "path": "quantities[0]", "data": {"measure": EVIL, "value": 12, "unit": "bed"},
             "evidence": ev, "span": {"start": s, "end": s + len(ev)}, "alignment": "exact", "grounded": True,
             "corrections": [], "flags": []},
            {"type": "organisation<script>", "path": "x", "data": {"name": EVIL}, "evidence": EVIL, "span": None,
             "alignment": "none", "grounded": False, "corrections": [], "flags": [EVIL]},
        ],
        "usage": {"total_tokens": 10}, "text": text,
    }


def _run_dir(tmp_path: Path, extra: list[dict]) -> Path:
    out = tmp_path / "run"
    if SEEDS.is_dir():
        _demo_module().build_run(out)
    else:
        out.mkdir(parents=True)
        (out / "articles.jsonl").write_text("")
    with (out / "articles.jsonl").open("a", encoding="utf-8") as fh:
        for a in extra:
            fh.write(json.dumps(a, ensure_ascii=False) + "\n")
    return out


def _articles(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "articles.jsonl").read_text(encoding="utf-8").split("\n") if x.strip()]


def test_safe_json_cannot_close_the_script_block():
    data = {"s": EVIL, "k<": ["</script>", "\u2028"]}
    out = safe_json_for_script(data)
    assert "<" not in out and ">" not in out and "&" not in out and "\u2028" not in out and "\u2029" not in out
    assert json.loads(out) == data


def test_html_has_no_raw_untrusted_markup():
    page = build_report_html([_evil_article()], {"note": EVIL})
    assert page.count("<script") == 2  # the data block and the page's own script
    assert "<img" not in page and "PWNED" in page  # present only inside escaped JSON
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    data = json.loads(m.group(1))
    assert data["articles"][0]["text"].startswith("Intro <script>")
    assert data["articles"][0]["dir"] == "ltr"
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page  # no network


def test_write_report_paths_and_summary(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    arts = [_evil_article(), {"source": "f.txt", "status": "error", "error": "timeout", "facts": [], "text": "",
                              "document": {"language": "fa"}}]
    (out / "articles.jsonl").write_text("\n".join(json.dumps(a) for a in arts) + "\n{truncated", encoding="utf-8")
    (out / "summary.json").write_text(json.dumps({"articles": 2, "cost_usd": 0.5}))
    p = write_report(out)
    assert p == out / "report.html" and p.exists()
    data = json.loads(re.search(r'id="report-data">(.*?)</script>', p.read_text(encoding="utf-8"), re.S).group(1))
    s = data["summary"]
    assert (s["articles"], s["ok"], s["errors"], s["unreadable_lines"]) == (2, 1, 1, 1)
    assert s["failures"] == [{"source": "f.txt", "error": "timeout"}]
    assert data["articles"][1]["dir"] == "rtl" and data["run_summary"]["cost_usd"] == 0.5
    assert write_report(out, path=tmp_path / "x" / "r.html").exists()
    with pytest.raises(FileNotFoundError):
        write_report(tmp_path / "nothing")


# --- in a real browser ------------------------------------------------------------------

browser = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium "
                             "(apt-get install -y chromium)")

COLLECTOR = (
    "<script>(function(){var d=document.documentElement;function add(m){"
    "d.setAttribute('data-js-errors',(d.getAttribute('data-js-errors')||'')+'|'+m);}"
    "window.onerror=function(m){add(String(m));};"
    "window.addEventListener('unhandledrejection',function(e){add('rejection '+e.reason);});"
    "var ce=console.error;console.error=function(){add('console '+Array.prototype.join.call(arguments,' '));"
    "return ce.apply(console,arguments);};})();</script>"
)


def _dump(html: Path, tmp_path: Path, article: int) -> tuple[str, str]:
    profile = tmp_path / f"profile{article}"
    proc = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=3000",
         "--dump-dom", f"{html.as_uri()}#a={article}"],
        capture_output=True, text=True, timeout=90,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, proc.stderr


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip("needs Debian chromium at /usr/bin/chromium")
    from lxml import html as lhtml

    tmp = tmp_path_factory.mktemp("report")
    out = _run_dir(tmp, [_evil_article()])
    page = write_report(out)
    instrumented = tmp / "instrumented.html"
    instrumented.write_text(page.read_text(encoding="utf-8").replace("<head>", "<head>" + COLLECTOR, 1), encoding="utf-8")
    arts = _articles(out)
    doms = {}
    for i in range(len(arts)):
        dom, log = _dump(instrumented, tmp, i)
        doms[i] = (lhtml.fromstring(dom), dom, log)
    return arts, doms


@browser
@pytest.mark.browser
def test_pages_load_without_errors(rendered):
    arts, doms = rendered
    for i, (tree, _dom, log) in doms.items():
        assert tree.get("data-js-errors") is None, (i, tree.get("data-js-errors"))
        assert "Uncaught" not in log, (i, log[-2000:])
        body = tree.find("body")
        assert body.get("data-ready") == "1" and body.get("data-current") == str(i)


@browser
@pytest.mark.browser
def test_highlights_are_at_their_spans(rendered):
    arts, doms = rendered
    checked = 0
    for i, a in enumerate(arts):
        tree = doms[i][0]
        (box,) = tree.xpath('//*[@id="article-text"]')
        assert box.text_content() == a["text"] or not a["text"]
        marks = box.xpath(".//mark")
        for m in marks:
            if "clipped" in (m.get("class") or ""):
                continue
            s, e = int(m.get("data-start")), int(m.get("data-end"))
            assert m.text_content() == a["text"][s:e]
        for n, f in enumerate(a["facts"]):
            if f.get("grounded") and f.get("span"):
                hits = [m for m in marks if str(n) in (m.get("data-facts") or "").split()]
                assert hits, (i, n)
                if "clipped" not in (hits[0].get("class") or ""):
                    assert hits[0].text_content() == a["text"][f["span"]["start"]:f["span"]["end"]]
                    checked += 1
        # Ungrounded facts are listed in the side table, not highlighted.
        rows = tree.xpath('//*[@id="facts-body"]/tr[@data-fact]')
        assert len(rows) == len(a["facts"])
    assert checked > 100 if SEEDS.is_dir() else checked >= 1


@browser
@pytest.mark.browser
@pytest.mark.skipif(not SEEDS.is_dir(), reason="seed articles not found")
def test_persian_article_is_rtl_and_chinese_ltr(rendered):
    arts, doms = rendered
    langs = {i: (a.get("document") or {}).get("language") for i, a in enumerate(arts)}
    fa = next(i for i, lang in langs.items() if lang == "fa")
    zh = next(i for i, lang in langs.items() if lang and lang.startswith("zh"))
    (box,) = doms[fa][0].xpath('//*[@id="article-text"]')
    assert box.get("dir") == "rtl" and box.get("data-direction") == "rtl"
    (box,) = doms[zh][0].xpath('//*[@id="article-text"]')
    assert box.get("data-direction") == "ltr"


@browser
@pytest.mark.browser
def test_untrusted_markup_does_not_execute(rendered):
    arts, doms = rendered
    evil = len(arts) - 1
    tree, dom, _ = doms[evil]
    for i, (t, _, _) in doms.items():
        assert t.get("data-pwned") is None, i
        assert t.findtext(".//title") != "PWNED"
    assert not tree.xpath('//*[@id="article-pane"]//img') and not tree.xpath('//*[@id="article-pane"]//script')
    assert not tree.xpath('//*[@id="facts-pane"]//img') and not tree.xpath('//*[@id="summary"]//img')
    (box,) = tree.xpath('//*[@id="article-text"]')
    assert "<script>document.documentElement" in box.text_content()  # shown as text
    assert "onerror" in tree.xpath('string(//*[contains(@class,"error-box")])')
