"""Benchmark of the batch layer against a SYNTHETIC local OpenAI-compatible stand-in.

The stand-in (aiohttp, in its own process so its CPU is not counted) answers every
chat completion with the same synthetic tool call after a fixed latency, and answers
429 with ``Retry-After`` when more than ``--limit`` requests are in flight. The batch
runs with concurrency = limit, so the ideal throughput is ``limit / latency``.

Each measured run is a fresh process, so peak RSS is per run and comparable:

    python scripts/bench_batch.py                      # N = 2,000 and 10,000
    python scripts/bench_batch.py --n 1000 --json out.json

Reported: articles/s vs ideal, library CPU ms per article (process CPU time / N: the
event loop, reading, cleaning, prompting, parsing, grounding, SQLite, no waiting),
peak RSS at two sizes (does memory grow with N?), and a re-run of a finished batch of
1,000 articles (model calls must be 0; target < 2 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ARGS = {
    "quantities": [{"measure": "beds", "value": 120, "unit": "bed", "evidence": "The hospital has 120 beds."}],
    "organisations": [{"name": "County Hospital", "kind": "hospital", "evidence": "County Hospital"}],
}


# --------------------------------------------------------------------------- stand-in server

def serve(port: int, latency: float, limit: int) -> None:
    """The SYNTHETIC model endpoint (runs until killed)."""
    from aiohttp import web

    state = {"in_flight": 0, "requests": 0, "ok": 0, "rejected": 0}
    answer = json.dumps({
        "id": "bench", "object": "chat.completion", "created": 0, "model": "bench",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": None, "tool_calls": [{"id": "c", "type": "function", "function": {
                "name": "HealthNewsArticle", "arguments": json.dumps(ARGS)}}]}}],
        "usage": {"prompt_tokens": 300, "completion_tokens": 60, "total_tokens": 360}}).encode()

    async def completions(request: web.Request) -> web.Response:
        await request.read()
        state["requests"] += 1
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
        return web.Response(body=answer, content_type="application/json")

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(state)

    app = web.Application()
    app.router.add_post("/v1/chat/completions", completions)
    app.router.add_get("/stats", stats)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def _stats(port: int) -> dict:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as r:
        return json.loads(r.read())


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- one measured run

def make_articles(folder: Path, n: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"a{i:06d}.txt").write_text(
            f"County Hospital news {i}\n\nThe hospital has 120 beds. It treated {i * 7 + 3} patients last year, "
            f"and its {i % 40 + 2} clinics opened on weekends.\n", encoding="utf-8")


def worker(port: int, inputs: str, out: str, concurrency: int) -> None:
    """Run the batch once in this process and print its measurements as JSON."""
    from extractor import Extractor
    from extractor.model.settings import Settings
    from extractor.runs import run_batch

    settings = Settings(provider="llamacpp", base_url=f"http://127.0.0.1:{port}/v1", model="bench", api_key="x",
                        max_reasks=0)
    ex = Extractor(settings)
    before = _stats(port)
    cpu0, t0 = time.process_time(), time.perf_counter()
    summary = run_batch(ex, [inputs], out=out, concurrency=concurrency, handle_sigint=False)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    after = _stats(port)
    print(json.dumps({
        "n": summary.total, "ok": summary.ok, "failed": summary.failed, "cached": summary.cached,
        "wall_s": wall, "cpu_s": cpu, "server_requests": after["requests"] - before["requests"],
        "server_429": after["rejected"] - before["rejected"], "rate_limited": summary.rate_limited,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


def _measure(port: int, inputs: Path, out: Path, concurrency: int) -> dict:
    res = subprocess.run([sys.executable, __file__, "--worker", str(port), str(inputs), str(out), str(concurrency)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"worker failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000, help="articles in the large run (default 10,000)")
    ap.add_argument("--small", type=int, default=2_000, help="articles in the small run for the memory comparison")
    ap.add_argument("--rerun", type=int, default=1_000, help="articles in the re-run measurement")
    ap.add_argument("--latency", type=float, default=0.2, help="server latency per request, seconds")
    ap.add_argument("--limit", type=int, default=8, help="server concurrency limit (= batch concurrency)")
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

    port = _free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port), str(a.latency), str(a.limit)])
    try:
        for _ in range(100):
            try:
                _stats(port)
                break
            except OSError:
                time.sleep(0.1)
        ideal = a.limit / a.latency
        results: dict = {"latency_s": a.latency, "limit": a.limit, "ideal_articles_per_s": ideal, "runs": {}}
        with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp:
            tmp = Path(tmp)
            sizes = sorted({a.small, a.n} - {0})
            for n in sizes:
                make_articles(tmp / f"in{n}", n)
                r = _measure(port, tmp / f"in{n}", tmp / f"out{n}", a.limit)
                r["articles_per_s"] = r["ok"] / r["wall_s"]
                r["pct_of_ideal"] = 100 * r["articles_per_s"] / ideal
                r["cpu_ms_per_article"] = 1000 * r["cpu_s"] / max(1, r["n"])
                results["runs"][str(n)] = r
            make_articles(tmp / "rerun", a.rerun)
            _measure(port, tmp / "rerun", tmp / "outrerun", a.limit)
            r = _measure(port, tmp / "rerun", tmp / "outrerun", a.limit)
            results["rerun"] = {"n": a.rerun, "wall_s": r["wall_s"], "model_calls": r["server_requests"],
                                "cached": r["cached"]}
    finally:
        server.terminate()
        server.wait()

    runs = results["runs"]
    if len(runs) >= 2:
        small, large = runs[str(min(map(int, runs)))], runs[str(max(map(int, runs)))]
        results["rss_growth_mb"] = large["peak_rss_mb"] - small["peak_rss_mb"]
    print(f"ideal throughput: {ideal:.1f} articles/s (limit {a.limit} / latency {a.latency}s)")
    print(f"{'N':>7} {'art/s':>8} {'% ideal':>8} {'CPU ms/art':>11} {'peak RSS MB':>12} {'429s':>6} {'failed':>7}")
    for n, r in runs.items():
        print(f"{n:>7} {r['articles_per_s']:>8.1f} {r['pct_of_ideal']:>8.1f} {r['cpu_ms_per_article']:>11.2f} "
              f"{r['peak_rss_mb']:>12.1f} {r['server_429']:>6} {r['failed']:>7}")
    if "rss_growth_mb" in results:
        print(f"peak RSS growth from the small to the large run: {results['rss_growth_mb']:+.1f} MB")
    rr = results["rerun"]
    print(f"re-run of a finished batch of {rr['n']}: {rr['wall_s']:.2f}s, model calls {rr['model_calls']}, "
          f"cached {rr['cached']}")
    if a.json:
        a.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
