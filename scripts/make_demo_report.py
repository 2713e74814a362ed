"""Build a synthetic batch run from the gold annotations and render its HTML report.

No real model run exists yet, so this turns ``gold/*.json`` into an ``articles.jsonl``
(spans found by exact search of each evidence in its seed), with a few made-up defects so
that every state of the page shows: a corrected value, a fuzzy alignment, an ungrounded
fact and a failed article. Optionally takes a screenshot with headless chromium.

    python scripts/make_demo_report.py --out /tmp/demo-run --screenshot docs/report-screenshot.png
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = Path("/work/shared/seeds")
GOLD = ROOT / "gold"

LIST_OF_TYPE = {
    "place": "places", "organisation": "organisations", "consortium": "consortia", "person": "people",
    "quantity": "quantities", "money": "money", "facility": "facilities", "event": "events",
}


def build_article(gold: dict, text: str, raw: bytes, *, defects: bool = True) -> dict:
    """One ``articles.jsonl`` record whose facts are the gold facts, grounded exactly."""
    facts, data = [], {v: [] for v in LIST_OF_TYPE.values()}
    for g in gold["facts"]:
        lst = LIST_OF_TYPE[g["type"]]
        path = f"{lst}[{len(data[lst])}]"
        data[lst].append({**g["data"], "evidence": g["evidence"]})
        start = text.find(g["evidence"])
        span = {"start": start, "end": start + len(g["evidence"])} if start >= 0 else None
        facts.append({
            "type": g["type"], "path": path, "data": dict(g["data"]), "evidence": g["evidence"],
            "span": span, "spans": [span] if span else [], "alignment": "exact" if span else "none",
            "score": 100.0 if span else 0.0, "grounded": span is not None, "corrections": [], "flags": [], "chunk": 0,
        })
    if defects and facts:
        # Show each state the page must handle, on facts of this article.
        q = next((f for f in facts if f["type"] == "quantity"), None)
        if q is not None:
            q["corrections"] = [{"field": "value", "model_value": q["data"]["value"] / 1000,
                                 "corrected_value": q["data"]["value"], "reason": "scale word in evidence"}]
            q["flags"] = ["value_corrected"]
        f = facts[-1]
        f["alignment"], f["score"] = "fuzzy", 91.0
        facts.append({
            "type": "quantity", "path": f"quantities[{len(data['quantities'])}]",
            "data": {"measure": "invented by the model", "value": 42, "unit": "person", "qualifier": "exact"},
            "evidence": "a quote that is not in the article", "span": None, "spans": [], "alignment": "none",
            "score": 40.0, "grounded": False, "corrections": [], "flags": ["ungrounded"], "chunk": 0,
        })
    n_chars = len(text)
    return {
        "source": gold["source"], "sha256": hashlib.sha256(raw).hexdigest(), "status": "ok", "error": None,
        "document": {"source": gold["source"], "sha256": hashlib.sha256(raw).hexdigest(),
                     "language": gold["language"], "title": text.strip().splitlines()[0][:80], "chars": n_chars,
                     "encoding": "utf-8", "format": "text"},
        "facts": facts, "data": data,
        "usage": {"prompt_tokens": 2000 + n_chars, "completion_tokens": 40 * len(facts),
                  "total_tokens": 2000 + n_chars + 40 * len(facts), "requests": 1, "calls": 1, "reasks": 0,
                  "transport_retries": 0, "cost_usd": None},
        "stats": {"total": len(facts), "exact": sum(f["alignment"] == "exact" for f in facts)},
        "schema_name": "health_news", "schema_version": "1.0", "prompt_name": "default", "prompt_version": "synthetic",
        "model": "synthetic-from-gold", "text": text,
    }


def build_run(out: Path, *, seeds: Path = SEEDS, gold_dir: Path = GOLD, with_failure: bool = True) -> Path:
    """Write ``out/articles.jsonl`` and ``out/summary.json`` from the gold files."""
    out.mkdir(parents=True, exist_ok=True)
    records = []
    for gf in sorted(gold_dir.glob("*.json")):
        gold = json.loads(gf.read_text(encoding="utf-8"))
        raw = (seeds / gold["source"]).read_bytes()
        records.append(build_article(gold, raw.decode("utf-8"), raw))
    if with_failure:
        records.append({"source": "999_failed_example.txt", "sha256": None, "status": "error",
                        "error": "ModelError: answer did not fit the schema after 2 re-asks",
                        "document": {"language": "en"},
                        "facts": [], "data": None, "usage": {"requests": 3, "calls": 1, "reasks": 2}, "text": ""})
    with (out / "articles.jsonl").open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    summary = {
        "articles": len(records), "ok": sum(r["status"] == "ok" for r in records),
        "errors": sum(r["status"] != "ok" for r in records),
        "facts": sum(len(r["facts"]) for r in records),
        "total_tokens": sum(r["usage"].get("total_tokens", 0) for r in records), "cost_usd": None,
        "note": "synthetic run built from gold annotations by scripts/make_demo_report.py",
    }
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return out


def screenshot(html: Path, png: Path, *, article: int = 0, size: str = "1500,900") -> None:
    """Screenshot of the report with headless chromium (Debian's ``/usr/bin/chromium``)."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--hide-scrollbars", f"--window-size={size}",
             f"--screenshot={png.resolve()}", f"{html.resolve().as_uri()}#a={article}"],
            check=True, capture_output=True, timeout=60,
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "extractor-demo-run")
    ap.add_argument("--screenshot", type=Path, default=None, help="PNG path, e.g. docs/report-screenshot.png")
    ap.add_argument("--article", type=int, default=0, help="article shown in the screenshot")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from extractor.outputs.report import write_report

    run = build_run(args.out)
    html = write_report(run)
    print(html)
    if args.screenshot:
        args.screenshot.parent.mkdir(parents=True, exist_ok=True)
        screenshot(html, args.screenshot, article=args.article)
        print(args.screenshot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
