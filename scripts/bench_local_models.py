"""Benchmark of local GGUF models behind ``--local`` on the seed articles, scored against gold/.

For each model and each evidence mode, one ``extractor run SEEDS --out OUT --local
[--local-model PATH]`` (the real CLI, the real llama.cpp server, one model at a time,
``n_threads=2``), then ``extractor eval OUT GOLD --json`` on the gold files of exactly
the seeds that ran. Printed as a markdown table (and written as JSON lines with
``--json``):

* seconds per article (the run's own wall time, without starting the server);
* valid answers: articles whose every chunk got a schema-valid answer, of those run;
  requests and re-asks per article;
* facts the model proposed, and facts kept (grounded) in the tables;
* precision / recall / F1 against gold/, overall and for quantity + money together.

Every model file is described first: its SHA-256, size, and what its GGUF header says
(name, architecture, trained context, licence).

    python scripts/bench_local_models.py                                   # SmolLM2, quote mode, 5 seeds
    python scripts/bench_local_models.py --seeds 001,004 --mode quote
    python scripts/bench_local_models.py --model qwen=/tmp/q.gguf --model smollm2 --mode quote --mode label

``--mode`` names an evidence mode: ``quote`` (today's default) needs no flag; other modes
pass the CLI flags in ``MODE_FLAGS`` (or ``--mode-flags NAME="--flag value"`` for a mode the
CLI gained since). A model is ``smollm2`` (the bundled one) or ``NAME=PATH`` to a GGUF file.
The machine this was written on has 2 shared cores: expect minutes per article.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractor.model.ggufinfo import read_gguf_info  # noqa: E402
from extractor.model.localserver import file_sha256  # noqa: E402

SEEDS = ROOT / "examples" / "seeds"
GOLD = ROOT / "gold"
# How each evidence mode is asked for on the command line. Quote mode is the default;
# the others are the flags of the label-mode / sentence-citation work (issue 24) and can
# be overridden with --mode-flags until they land.
MODE_FLAGS: dict[str, list[str]] = {
    "quote": ["--no-labels", "--evidence", "quote"],
    "label": ["--labels", "--evidence", "sentence"],
    "sentence": ["--no-labels", "--evidence", "sentence"],
}
NUMERIC_TYPES = ("quantity", "money")
# The CLI of this checkout, run by this interpreter.
CLI = [sys.executable, "-c", "import sys; from extractor.cli import main; sys.argv[0] = 'extractor'; main()"]


def bundled_model() -> Path:
    from extractor.model.localserver import default_model_path

    return default_model_path()


def describe_model(name: str, path: Path) -> dict[str, Any]:
    info = read_gguf_info(path)
    return {"model": name, "file": path.name, "bytes": path.stat().st_size, "sha256": file_sha256(path),
            "gguf_name": info.name, "architecture": info.architecture, "context_length": info.context_length,
            "gguf_license": info.license, "template_renders_tools": info.template_renders_tools}


def run_cli(args: list[str], *, timeout_s: float, log: Path) -> tuple[int, float]:
    """Run ``extractor ARGS``; on timeout SIGTERM (the CLI stops its llama.cpp server), then SIGKILL."""
    began = time.monotonic()
    with open(log, "w") as fh:
        proc = subprocess.Popen([*CLI, *args], stdout=fh, stderr=subprocess.STDOUT,
                                cwd=ROOT, start_new_session=True)
        try:
            code = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                code = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                code = proc.wait()
            code = 124
        except BaseException:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
            raise
    return code, time.monotonic() - began


def scores(report: dict[str, Any]) -> dict[str, Any]:
    by_type = report.get("by_type") or {}
    numeric = {k: sum((by_type.get(t) or {}).get(k, 0) for t in NUMERIC_TYPES) for k in ("tp", "fp", "fn")}
    p = numeric["tp"] / (numeric["tp"] + numeric["fp"]) if numeric["tp"] + numeric["fp"] else None
    r = numeric["tp"] / (numeric["tp"] + numeric["fn"]) if numeric["tp"] + numeric["fn"] else None
    overall = report.get("overall") or {}
    return {"precision": overall.get("precision"), "recall": overall.get("recall"), "f1": overall.get("f1"),
            "gold": overall.get("gold"), "tp": overall.get("tp"),
            "num_precision": p, "num_recall": r, "num_tp": numeric["tp"], "num_gold": numeric["tp"] + numeric["fn"]}


def bench_one(model: str, path: Path | None, mode: str, flags: list[str], seeds: list[Path], work: Path,
              timeout_s: float) -> dict[str, Any]:
    inputs, gold, out = work / "in", work / "gold", work / "out"
    for folder in (inputs, gold):
        folder.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        (inputs / seed.name).write_bytes(seed.read_bytes())
        (gold / (seed.stem + ".json")).write_bytes((GOLD / (seed.stem + ".json")).read_bytes())
    args = ["run", str(inputs), "--out", str(out), "--local", "--log-json", *flags]
    if path is not None:
        args += ["--local-model", str(path)]
    code, elapsed = run_cli(args, timeout_s=timeout_s, log=work / "run.log")
    row: dict[str, Any] = {"model": model, "mode": mode, "seeds": [s.stem[:3] for s in seeds], "exit": code,
                           "elapsed_s": round(elapsed, 1), "command": "extractor " + shlex.join(args)}
    articles = []
    if (out / "articles.jsonl").is_file():
        articles = [json.loads(line) for line in (out / "articles.jsonl").read_text(encoding="utf-8").splitlines()
                    if line.strip()]
    n = max(1, len(seeds))
    summary = json.loads((out / "summary.json").read_text()) if (out / "summary.json").is_file() else {}
    wall = ((summary.get("last_run") or {}).get("finished_at") or 0) - ((summary.get("last_run") or {})
                                                                          .get("started_at") or 0)
    row.update({
        "s_per_article": round((wall if wall > 0 else elapsed) / n, 1),
        "valid": sum(1 for a in articles if a.get("status") == "ok"),
        "errors": sorted({a.get("error_kind") for a in articles if a.get("status") != "ok"} - {None}),
        "requests_per_article": round(sum((a.get("usage") or {}).get("requests", 0) for a in articles) / n, 2),
        "reasks_per_article": round(sum((a.get("usage") or {}).get("reasks", 0) for a in articles) / n, 2),
        "completion_tokens": sum((a.get("usage") or {}).get("completion_tokens", 0) for a in articles),
        "proposed": sum((a.get("stats") or {}).get("total", 0) for a in articles),
        "kept": sum(len(a.get("facts") or []) for a in articles),
    })
    if articles:
        ev = subprocess.run([*CLI, "eval", str(out), str(gold), "--json"],
                            capture_output=True, text=True, cwd=ROOT)
        try:
            row.update(scores(json.loads(ev.stdout)))
        except json.JSONDecodeError:
            row["eval_error"] = (ev.stderr or ev.stdout)[-500:]
    return row


def fmt(x: Any) -> str:
    return "–" if x is None else f"{x:.2f}" if isinstance(x, float) else str(x)


def table(rows: list[dict[str, Any]]) -> str:
    head = ("| model | mode | seeds | s/article | valid answers | requests/article | proposed | kept | P | R | F1 "
            "| quantity+money P | quantity+money R |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['mode']} | {','.join(r['seeds'])} | {fmt(r.get('s_per_article'))} | "
            f"{r.get('valid', 0)}/{len(r['seeds'])}{' (' + ', '.join(r['errors']) + ')' if r.get('errors') else ''} | "
            f"{fmt(r.get('requests_per_article'))} | {r.get('proposed', 0)} | {r.get('kept', 0)} | "
            f"{fmt(r.get('precision'))} | {fmt(r.get('recall'))} | {fmt(r.get('f1'))} | "
            f"{fmt(r.get('num_precision'))} | {fmt(r.get('num_recall'))} "
            f"({r.get('num_tp', 0)}/{r.get('num_gold', 0)}) |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", action="append", default=[], help="smollm2, or NAME=PATH to a GGUF file (repeatable)")
    ap.add_argument("--mode", action="append", default=[], help="evidence mode: quote, label, sentence (repeatable)")
    ap.add_argument("--mode-flags", action="append", default=[], metavar='NAME="FLAGS"',
                    help="CLI flags of a mode, e.g. label=\"--evidence label\"")
    ap.add_argument("--seeds", default="", help="comma-separated seed prefixes (default: all five)")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per model and mode")
    ap.add_argument("--work", type=Path, help="keep the runs here (default: a temporary folder)")
    ap.add_argument("--json", type=Path, help="append the rows as JSON lines here")
    args = ap.parse_args(argv)

    flags = dict(MODE_FLAGS)
    for spec in args.mode_flags:
        name, _, value = spec.partition("=")
        flags[name] = shlex.split(value)
    modes = args.mode or ["quote"]
    unknown = [m for m in modes if m not in flags]
    if unknown:
        ap.error(f"unknown mode(s) {unknown}: give their CLI flags with --mode-flags")
    wanted = [p for p in args.seeds.split(",") if p]
    seeds = sorted(p for p in SEEDS.glob("*.txt") if not wanted or any(p.name.startswith(w) for w in wanted))
    if not seeds:
        ap.error(f"no seed matches {args.seeds!r} in {SEEDS}")
    models: list[tuple[str, Path | None]] = []
    for spec in args.model or ["smollm2"]:
        name, _, path = spec.partition("=")
        models.append((name, Path(path).expanduser().resolve() if path else None))

    print("## Models\n")
    for name, path in models:
        d = describe_model(name, path or bundled_model())
        print(f"- {name}: `{d['file']}`, {d['bytes'] / 1e6:.1f} MB, sha256 `{d['sha256']}`; GGUF header: "
              f"{d['gguf_name']!r}, {d['architecture']}, trained context {d['context_length']}, licence "
              f"{d['gguf_license']!r}, chat template writes tools: {d['template_renders_tools']}")
    print()
    rows = []
    base = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="bench-local-"))
    for name, path in models:
        for mode in modes:
            work = base / f"{name}-{mode}"
            if work.exists():
                raise SystemExit(f"{work} exists: choose another --work")
            print(f"running {name} in {mode} mode on {len(seeds)} seed(s) ...", file=sys.stderr, flush=True)
            row = bench_one(name, path, mode, flags[mode], seeds, work, args.timeout)
            rows.append(row)
            print(f"  {row['command']}\n  exit {row['exit']}, {row['elapsed_s']} s; log: {work / 'run.log'}",
                  file=sys.stderr, flush=True)
            if args.json:
                with open(args.json, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
