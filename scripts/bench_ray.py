"""Benchmark: the Ray engine against the asyncio engine on one machine (issue 14).

A SYNTHETIC OpenAI-compatible stand-in (aiohttp, in its own process, loopback only:
no network) answers every chat completion after ``--latency`` seconds with a tool
call grounded in the article, and answers 429 (``Retry-After``) when more than
``--limit`` requests are in flight. Both engines run the same ``--articles``
one-line articles at ``--concurrency`` (= the limit), each in a fresh process:

    python scripts/bench_ray.py                          # 2,000 articles, 200 ms, limit 32
    python scripts/bench_ray.py --articles 500 --json out.json

Reported per engine: wall time and articles/s end to end; the time to the first
stored article (for Ray: starting a local Ray instance, the actor pool and the first
batch — its fixed start-up cost) and the steady rate after it; the ratio Ray/asyncio
of both; the exactly-once check (one line per article in ``articles.jsonl``, one
request per article at the stand-in, 0 requests on a re-run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ARTICLE_KEY = re.compile(r"ART-(\d+)")
SENTENCE = re.compile(r"[^.!?\n]*\d[^.!?\n]*[.!?]")


# --------------------------------------------------------------------------- stand-in server

def serve(port: int, latency: float, limit: int) -> None:
    """The SYNTHETIC model endpoint (runs until killed)."""
    from aiohttp import web

    state: dict = {"in_flight": 0, "requests": 0, "ok": 0, "rejected": 0, "per_article": {}, "peak": 0,
                   "first_t": None, "last_t": None}

    def answer_for(body: dict) -> bytes:
        text = ""
        for msg in body.get("messages") or []:
            if msg.get("role") == "user" and isinstance(msg.get("content"), str):
                text = msg["content"]
        m = ARTICLE_KEY.search(text)
        sentence = next((s.group(0).strip() for s in SENTENCE.finditer(text.split("BEGIN", 1)[-1])
                         if "surgeries" in s.group(0)), None)
        quantities = []
        if sentence:
            value = float(re.findall(r"(\d+) surgeries", sentence)[0])
            quantities = [{"measure": "surgeries", "value": value, "qualifier": "exact", "evidence": sentence}]
        args = json.dumps({"quantities": quantities})
        key = m.group(0) if m else "?"
        state["per_article"][key] = state["per_article"].get(key, 0) + 1
        return json.dumps({
            "id": "bench", "object": "chat.completion", "created": 0, "model": "bench",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": None, "tool_calls": [{"id": "c", "type": "function", "function": {
                    "name": "HealthNewsArticle", "arguments": args}}]}}],
            "usage": {"prompt_tokens": 300, "completion_tokens": 60, "total_tokens": 360}}).encode()

    async def completions(request: web.Request) -> web.Response:
        body = await request.json()
        state["requests"] += 1
        now = time.time()
        state["first_t"] = state["first_t"] or now
        if state["in_flight"] >= limit:
            state["rejected"] += 1
            return web.json_response({"error": {"message": "too many requests"}}, status=429,
                                     headers={"Retry-After": str(latency)})
        state["in_flight"] += 1
        state["peak"] = max(state["peak"], state["in_flight"])
        try:
            await asyncio.sleep(latency)
        finally:
            state["in_flight"] -= 1
        state["ok"] += 1
        state["last_t"] = time.time()
        return web.Response(body=answer_for(body), content_type="application/json")

    async def models(request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "bench", "object": "model"}]})

    async def stats(request: web.Request) -> web.Response:
        per = state["per_article"]
        return web.json_response({k: v for k, v in state.items() if k != "per_article"}
                                 | {"articles": len(per), "asked_twice": sum(1 for v in per.values() if v > 1)})

    async def reset(request: web.Request) -> web.Response:
        state.update(requests=0, ok=0, rejected=0, per_article={}, peak=0, first_t=None, last_t=None)
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", completions)
    app.router.add_get("/v1/models", models)
    app.router.add_get("/stats", stats)
    app.router.add_post("/reset", reset)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def _call(port: int, path: str, post: bool = False) -> dict:
    import urllib.request

    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=b"{}" if post else None,
                                 method="POST" if post else "GET")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- one measured run

def make_articles(folder: Path, n: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"a{i:06d}.txt").write_text(
            f"ART-{i:06d} The County Hospital of Town {i} performed {100 + i} surgeries last year.\n",
            encoding="utf-8")


def worker(port: int, inputs: str, out: str, concurrency: int, engine: str) -> None:
    """Run the batch once in this process; print its measurements as JSON (last line)."""
    from extractor import Extractor
    from extractor.model.settings import Settings
    from extractor.runs import RunOptions

    settings = Settings(provider="llamacpp", base_url=f"http://127.0.0.1:{port}/v1", model="bench", api_key="x",
                        max_reasks=0)
    stamps: list[float] = []
    t0 = time.perf_counter()
    summary = Extractor(settings).run([inputs], options=RunOptions(
        out=Path(out), concurrency=concurrency, engine=engine, handle_sigint=False,
        on_record=lambda rec: stamps.append(time.perf_counter())))
    wall = time.perf_counter() - t0
    lines = [json.loads(x) for x in (Path(out) / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    first = (stamps[0] - t0) if stamps else None
    steady = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 and stamps[-1] > stamps[0] else None
    print(json.dumps({"n": summary.total, "ok": summary.ok, "failed": summary.failed, "cached": summary.cached,
                      "model_calls": summary.model_calls, "requested_twice": summary.requested_twice,
                      "wall_s": wall, "first_record_s": first, "steady_per_s": steady,
                      "lines": len(lines), "distinct_sources": len({x["source"] for x in lines})}))


def _measure(port: int, inputs: Path, out: Path, concurrency: int, engine: str) -> dict:
    _call(port, "/reset", post=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXTRACTOR_", "OPENAI_"))}
    res = subprocess.run([sys.executable, __file__, "--worker", str(port), str(inputs), str(out), str(concurrency),
                          engine], capture_output=True, text=True, env=env)
    if res.returncode not in (0, 1):
        raise SystemExit(f"{engine} run failed (exit {res.returncode}):\n{res.stderr[-3000:]}")
    r = json.loads(res.stdout.strip().splitlines()[-1])
    r["server"] = _call(port, "/stats")
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=2_000, help="articles per run (default 2,000)")
    ap.add_argument("--latency", type=float, default=0.2, help="stand-in latency per request, seconds")
    ap.add_argument("--limit", type=int, default=32, help="stand-in concurrency limit (= --concurrency)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    ap.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.serve:
        serve(int(a.serve[0]), float(a.serve[1]), int(a.serve[2]))
        return
    if a.worker:
        port, inputs, out, conc, engine = a.worker
        worker(int(port), inputs, out, int(conc), engine)
        return

    port = _free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port), str(a.latency), str(a.limit)])
    ideal = a.limit / a.latency
    results: dict = {"articles": a.articles, "latency_s": a.latency, "limit": a.limit, "concurrency": a.limit,
                     "ideal_per_s": ideal, "cpus": os.cpu_count(), "loadavg_before": os.getloadavg()}
    try:
        for _ in range(100):
            try:
                _call(port, "/stats")
                break
            except OSError:
                time.sleep(0.1)
        with tempfile.TemporaryDirectory(prefix="bench_ray_") as tmp:
            root = Path(tmp)
            make_articles(root / "in", a.articles)
            for engine in ("asyncio", "ray"):
                r = _measure(port, root / "in", root / f"out-{engine}", a.limit, engine)
                again = _measure(port, root / "in", root / f"out-{engine}", a.limit, engine)
                r["rerun_requests"] = again["server"]["requests"]
                r["rerun_wall_s"] = again["wall_s"]
                results[engine] = r
    finally:
        server.terminate()
        server.wait()
    results["loadavg_after"] = os.getloadavg()
    asy, ray = results["asyncio"], results["ray"]
    results["ratio_end_to_end"] = (a.articles / ray["wall_s"]) / (a.articles / asy["wall_s"])
    if asy["steady_per_s"] and ray["steady_per_s"]:
        results["ratio_steady"] = ray["steady_per_s"] / asy["steady_per_s"]
    results["ray_fixed_startup_s"] = (ray["first_record_s"] or 0) - (asy["first_record_s"] or 0)

    print(f"{a.articles} articles, stand-in {a.latency * 1000:.0f} ms, limit {a.limit} = --concurrency "
          f"(ideal {ideal:.0f} articles/s); {results['cpus']} CPUs, load {results['loadavg_before'][0]:.1f}")
    print(f"{'engine':8} {'wall s':>7} {'art/s':>7} {'first s':>8} {'steady/s':>9} {'requests':>9} {'429s':>5} "
          f"{'peak':>5} {'lines':>6} {'twice':>6} {'re-run req':>10}")
    for name in ("asyncio", "ray"):
        r = results[name]
        s = r["server"]
        print(f"{name:8} {r['wall_s']:>7.1f} {a.articles / r['wall_s']:>7.1f} {r['first_record_s'] or 0:>8.2f} "
              f"{r['steady_per_s'] or 0:>9.1f} {s['requests']:>9} {s['rejected']:>5} {s['peak']:>5} "
              f"{r['lines']:>6} {s['asked_twice']:>6} {r['rerun_requests']:>10}")
    print(f"ratio ray/asyncio: end to end {results['ratio_end_to_end']:.2f}, "
          f"steady {results.get('ratio_steady', 0):.2f}; "
          f"Ray's fixed start-up cost {results['ray_fixed_startup_s']:.1f}s")
    once = all(results[e]["lines"] == a.articles == results[e]["distinct_sources"]
               and results[e]["server"]["asked_twice"] == 0 and results[e]["rerun_requests"] == 0
               for e in ("asyncio", "ray"))
    print(f"exactly once (one line per article, one request per article, 0 requests on re-run): "
          f"{'yes' if once else 'NO'}")
    if a.json:
        a.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
