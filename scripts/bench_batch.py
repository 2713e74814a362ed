"""Benchmark of the batch against a SYNTHETIC loopback stand-in endpoint (issue 12).

The batch talks to it as a `vllm` provider (32k context: one chunk per seed article).
The stand-in (aiohttp, in its own process so its CPU is not counted) answers every chat
completion after a fixed latency (200 ms) by filling the schema the request asks for with
real lines of the article as quotes and real words of it elsewhere (label mode: the ids
marked in the text; ``scripts/bench_peers.py``'s ``Answers``), so that mentions, grounding
and the field checks do real work, and answers 429 when more than ``limit`` requests are
in flight. The batch runs with concurrency = limit, so the ideal throughput is
``limit / latency``. Throughput is measured on one-line articles and on real ones (copies
of the five seed articles, each made unique).

Every measured run is a fresh process; CPU is user+sys of that whole process.

    python scripts/bench_batch.py              # everything (about 3 minutes)
    python scripts/bench_batch.py --quick      # smaller sizes (about 1 minute)
    python scripts/bench_batch.py --json out.json

Printed:
* throughput as a share of the ideal at concurrency 16 and 64;
* marginal library CPU per article: (CPU of a big run - CPU of a small run) / (difference
  in articles), for one-line articles and for copies of the five seed articles;
* fixed cost: CPU of ``extractor run`` on one article, and wall time of ``extractor --help``;
* peak RSS at 1,000 and 10,000 one-line articles;
* prompt tokens per seed article, and how many of them are the schema and instructions;
* the re-run of a finished batch of 1,000: model calls and time over the fixed cost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "examples" / "seeds"


# --------------------------------------------------------------------------- stand-in server

def serve(port: int, latency: float, limit: int) -> None:
    """The SYNTHETIC model endpoint (runs until killed)."""
    from aiohttp import web

    state = {"in_flight": 0, "requests": 0, "ok": 0, "rejected": 0, "first_at": None, "last_done_at": None}

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_peers import Answers

    answer = Answers()

    async def completions(request: web.Request) -> web.Response:
        raw = await request.read()
        state["requests"] += 1
        if state["first_at"] is None:
            state["first_at"] = time.time()
        if state["in_flight"] >= limit:
            state["rejected"] += 1
            return web.json_response({"error": {"message": "too many requests"}}, status=429,
                                     headers={"Retry-After": str(latency)})
        state["in_flight"] += 1
        try:
            await asyncio.sleep(latency)
        finally:
            state["in_flight"] -= 1
        state["ok"] += 1
        state["last_done_at"] = time.time()
        return web.Response(body=answer(raw), content_type="application/json")

    async def stats(request: web.Request) -> web.Response:
        if request.query.get("reset"):
            state["first_at"] = state["last_done_at"] = None
        return web.json_response(state)

    app = web.Application()
    app.router.add_post("/v1/chat/completions", completions)
    app.router.add_get("/stats", stats)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def _stats(port: int, reset: bool = False) -> dict:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats{'?reset=1' if reset else ''}", timeout=5) as r:
        return json.loads(r.read())


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StandIn:
    def __init__(self, latency: float, limit: int):
        self.port = _free_port()
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve", str(self.port), str(latency), str(limit)])
        for _ in range(200):
            try:
                _stats(self.port)
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("the stand-in server did not start")

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait()


# --------------------------------------------------------------------------- inputs

def one_line_articles(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"a{i:06d}.txt").write_text(f"The County Hospital of Town {i} has {100 + i % 900} beds.\n",
                                              encoding="utf-8")
    return folder


def seed_articles(folder: Path, copies: int) -> Path:
    """``copies`` of each seed, each made distinct by a last line (so each is extracted)."""
    folder.mkdir(parents=True, exist_ok=True)
    seeds = sorted(SEEDS.glob("0*.txt"))
    for c in range(copies):
        for s in seeds:
            (folder / f"{s.stem}_{c:05d}.txt").write_text(s.read_text(encoding="utf-8") + f"\n[{c}]\n",
                                                          encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- one measured run

def worker(port: int, inputs: str, out: str, concurrency: int) -> None:
    """Run the batch once in this (fresh) process and print its measurements as JSON."""
    t_start = time.perf_counter()
    from extractor import Extractor, Settings

    settings = Settings(provider="vllm", base_url=f"http://127.0.0.1:{port}/v1", model="bench", api_key="x",
                        max_reasks=0)
    before = _stats(port, reset=True)
    started_at = time.time()
    t0 = time.perf_counter()
    summary = Extractor(settings).run([inputs], out=out, concurrency=concurrency, handle_sigint=False)
    wall = time.perf_counter() - t0
    after = _stats(port)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "n": summary.total, "ok": summary.ok, "failed": summary.failed, "cached": summary.cached,
        "wall_s": wall, "process_wall_s": time.perf_counter() - t_start, "cpu_s": ru.ru_utime + ru.ru_stime,
        "to_first_request_s": (after["first_at"] or started_at) - started_at,
        "answering_s": (after["last_done_at"] or 0) - (after["first_at"] or 0),
        "server_requests": after["requests"] - before["requests"], "server_429": after["rejected"] - before["rejected"],
        "peak_rss_mb": ru.ru_maxrss / 1024,
    }))


def measure(port: int, inputs: Path, out: Path, concurrency: int) -> dict:
    res = subprocess.run([sys.executable, __file__, "--worker", str(port), str(inputs), str(out), str(concurrency)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"worker failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def cli_cost(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(CPU s, wall s) of one ``extractor`` command in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import sys; from extractor.cli import main; sys.argv[0]='extractor'; "
                    "main()", *args], capture_output=True, env=env, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), wall


# --------------------------------------------------------------------------- the figures

def throughput(tmp: Path, latency: float, concurrency: int, n: int, kind: str = "one-line") -> dict:
    srv = StandIn(latency, concurrency)
    try:
        inputs = (one_line_articles(tmp / f"tp{concurrency}", n) if kind == "one-line"
                  else seed_articles(tmp / f"tps{concurrency}", max(1, n // 5)))
        r = measure(srv.port, inputs, tmp / f"out_tp{kind}{concurrency}", concurrency)
    finally:
        srv.close()
    ideal = concurrency / latency
    rate = r["ok"] / r["wall_s"]
    steady = r["ok"] / r["answering_s"] if r["answering_s"] > 0 else 0.0
    return {"kind": kind, "concurrency": concurrency, "n": r["n"], "articles_per_s": rate, "ideal": ideal,
            "ratio": rate / ideal, "cpu_ms_per_article": 1000 * r["cpu_s"] / max(1, r["n"]),
            "steady_ratio": steady / ideal, "to_first_request_s": r["to_first_request_s"],
            "429s": r["server_429"], "failed": r["failed"]}


def marginal_cpu(tmp: Path, port: int, kind: str, small: int, big: int) -> dict:
    make = one_line_articles if kind == "one-line" else seed_articles
    scale = 1 if kind == "one-line" else 5  # five seeds per copy
    runs = {}
    for n in (small, big):
        runs[n] = measure(port, make(tmp / f"{kind}{n}", n), tmp / f"out_{kind}{n}", 16)
    d_articles = (big - small) * scale
    ms = 1000 * (runs[big]["cpu_s"] - runs[small]["cpu_s"]) / d_articles
    return {"kind": kind, "articles": [small * scale, big * scale], "cpu_s": [runs[small]["cpu_s"], runs[big]["cpu_s"]],
            "marginal_ms_per_article": ms}


def prompt_tokens() -> list[dict]:
    from extractor import Extractor, Settings
    from extractor.text.chunking import estimate_tokens

    ex = Extractor(Settings(provider="vllm", base_url="http://127.0.0.1:9/v1", model="bench"))
    rows = []
    for s in sorted(SEEDS.glob("0*.txt")):
        prepared = ex.pipeline.prepare(s.read_text(encoding="utf-8"), source=s.name)
        article = sum(estimate_tokens(c.text) for c in prepared.chunks)
        rows.append({"seed": s.name, "prompt_tokens": prepared.prompt_tokens, "article_tokens": article,
                     "schema_and_instructions": prepared.prompt_tokens - article})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sizes")
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    ap.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.serve:
        serve(int(a.serve[0]), float(a.serve[1]), int(a.serve[2]))
        return
    if a.worker:
        worker(int(a.worker[0]), a.worker[1], a.worker[2], int(a.worker[3]))
        return

    q = a.quick
    res: dict = {"latency_s": a.latency, "machine": f"{os.cpu_count()} CPUs", "quick": q}
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp_name:
        tmp = Path(tmp_name)
        res["throughput"] = [throughput(tmp, a.latency, c, (240 if q else 480) * c // 16, kind)
                             for kind in ("one-line", "seeds") for c in (16, 64)]
        srv = StandIn(a.latency, 64)
        try:
            res["marginal_cpu"] = [marginal_cpu(tmp, srv.port, "one-line", 120, 360 if q else 600),
                                   marginal_cpu(tmp, srv.port, "seeds", 4, 20 if q else 40)]
            rss_sizes = (1000, 3000) if q else (1000, 10_000)
            res["rss"] = {n: measure(srv.port, one_line_articles(tmp / f"rss{n}", n), tmp / f"out_rss{n}", 64)
                          ["peak_rss_mb"] for n in rss_sizes}
            one = one_line_articles(tmp / "one", 1)
            env = {**os.environ, "EXTRACTOR_API_KEY": "x"}
            fixed_cpu, _ = cli_cost(["run", str(one), "--out", str(tmp / "out_one"), "--base-url",
                                     f"http://127.0.0.1:{srv.port}/v1", "--provider", "vllm", "--model", "bench",
                                     "--no-local", "--quiet"], env)
            _, help_wall = cli_cost(["--help"])
            res["fixed"] = {"run_one_article_cpu_s": fixed_cpu, "help_wall_s": help_wall}
            rerun_in = one_line_articles(tmp / "rerun", 1000)
            measure(srv.port, rerun_in, tmp / "out_rerun", 64)
            again = measure(srv.port, rerun_in, tmp / "out_rerun", 64)
            res["rerun"] = {"n": 1000, "model_calls": again["server_requests"], "cpu_s": again["cpu_s"],
                            "process_wall_s": again["process_wall_s"], "over_fixed_cpu_s": again["cpu_s"] - fixed_cpu}
        finally:
            srv.close()
    res["prompt_tokens"] = prompt_tokens()
    report(res)
    if a.json:
        a.json.write_text(json.dumps(res, indent=2))


def report(res: dict) -> None:
    print(f"stand-in latency {res['latency_s']}s; {res['machine']}{' (quick sizes)' if res['quick'] else ''}")
    for t in res["throughput"]:
        print(f"throughput, {t.get('kind', 'one-line'):>8} articles, at concurrency {t['concurrency']:>3}: "
              f"{t['articles_per_s']:6.1f}/s of ideal "
              f"{t['ideal']:.0f}/s = {100 * t['ratio']:5.1f}% end to end, {100 * t['steady_ratio']:5.1f}% from the "
              f"first request to the last answer (first request after {t['to_first_request_s']:.2f}s; "
              f"{t['n']} articles, {t['429s']} 429s, {t['failed']} failed; "
              f"{t.get('cpu_ms_per_article', 0):.1f} ms CPU per article)")
    for m in res["marginal_cpu"]:
        print(f"marginal CPU per {m['kind']} article: {m['marginal_ms_per_article']:.2f} ms "
              f"({m['articles'][0]} vs {m['articles'][1]} articles: {m['cpu_s'][0]:.2f}s vs {m['cpu_s'][1]:.2f}s)")
    f = res["fixed"]
    print(f"fixed cost: `extractor run` on one article {f['run_one_article_cpu_s']:.2f}s CPU; "
          f"`extractor --help` {f['help_wall_s']:.2f}s wall")
    sizes = sorted(res["rss"], key=int)
    print("peak RSS: " + ", ".join(f"{n} articles {res['rss'][n]:.0f} MB" for n in sizes)
          + f" ({100 * (res['rss'][sizes[-1]] / res['rss'][sizes[0]] - 1):+.1f}%)")
    r = res["rerun"]
    print(f"re-run of a finished batch of {r['n']}: {r['model_calls']} model calls, {r['process_wall_s']:.2f}s wall, "
          f"{r['over_fixed_cpu_s']:+.2f}s CPU over the fixed cost")
    print("prompt tokens per seed article (estimated; schema + instructions of them):")
    for p in res["prompt_tokens"]:
        print(f"  {p['seed']}: {p['prompt_tokens']} ({p['schema_and_instructions']})")


if __name__ == "__main__":
    main()
