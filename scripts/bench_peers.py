"""extractor beside a bare asyncio + instructor loop, interleaved, on real articles (issue 22).

Both tools run, one after the other in alternating order, as fresh child processes of
this one, against the same SYNTHETIC stand-in endpoint (aiohttp, its own process): every
chat completion is answered after a fixed latency (200 ms) by filling the schema the
request asks for with real lines of the article as quotes and real words of it in the
other text fields (``tests/fakes.quote_article_answer``; label mode: the ids marked in
the text). The inputs are ``--articles`` copies of the five seed articles
(``examples/seeds``), each copy made unique by a last line, so nothing is deduplicated.

* extractor: ``extractor run FOLDER --out OUT --provider openai --model bench``
  with its defaults (cleaning, mentions, grounding, the number check, the SQLite store
  and the exports);
* the baseline: ``scripts/peer_instructor.py`` (~40 lines: instructor's defaults, the
  built-in schema, one JSON line per article).

Printed per tool and concurrency, as ranges over the rounds: wall time and its ratio to
the baseline's in the same round, share of the ideal (articles x latency / concurrency),
CPU per article (user+sys of the whole process tree / articles, and the marginal figure:
minus a one-article run), peak memory of the process tree (RSS summed over the tree,
sampled every 20 ms), requests and request bytes per article, most requests in flight,
and the fixed cost (wall time of a one-article run, imports included).

    python scripts/bench_peers.py                         # 2,000 articles, 16 and 64 in flight, 3 rounds
    python scripts/bench_peers.py --articles 500 --rounds 1 --json out.json
    python scripts/bench_peers.py --extractor-args=--max-reasks=0
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "examples" / "seeds"
BASELINE = ROOT / "scripts" / "peer_instructor.py"


# --------------------------------------------------------------------------- the stand-in endpoint

class Answers:
    """The stand-in model's answers: the schema each request asks for, filled with real lines
    of its article as quotes and real words of it elsewhere (label mode: the marked ids).
    Computed once per schema and article text without its last line (copies of a seed
    differ in their last line only), so that the stand-in's own CPU stays small."""

    def __init__(self) -> None:
        sys.path.insert(0, str(ROOT / "tests"))
        from fakes import article_of, completion, quote_article_answer, user_text

        self._article_of, self._completion, self._fill, self._user_text = (article_of, completion,
                                                                             quote_article_answer, user_text)
        self._done: dict[str, bytes] = {}

    def __call__(self, raw: bytes) -> bytes:
        body = json.loads(raw)
        text = self._article_of(body) or self._user_text(body)
        seed = text.rstrip().rsplit("\n", 1)[0] if "\n" in text.strip() else text
        tools = json.dumps(body.get("tools") or body.get("response_format"), sort_keys=True)
        key = hashlib.sha1(f"{tools}\x00{seed}".encode()).hexdigest()
        if key not in self._done:
            # Real words of the article in every text field, so that names stated "as written" are found.
            words = tuple(w for w in seed.replace("⟦", " ").replace("⟧", " ").split() if len(w) >= 4)[:40]
            filled = self._fill(body, words or ("clinic",), items=2)
            choice = body.get("tool_choice")
            if isinstance(choice, dict):  # tools mode: the answer is a call of the requested tool
                reply = self._completion(filled, name=choice["function"]["name"], model="bench")
            else:
                reply = self._completion(filled, mode="json_schema", model="bench")
            self._done[key] = json.dumps(reply, ensure_ascii=False).encode()
        return self._done[key]


def serve(port: int, latency: float) -> None:
    """The SYNTHETIC endpoint (runs until killed)."""
    from aiohttp import web

    state = {"requests": 0, "bytes": 0, "in_flight": 0, "peak_in_flight": 0}
    answer = Answers()

    async def completions(request: web.Request) -> web.Response:
        raw = await request.read()
        state["requests"] += 1
        state["bytes"] += len(raw)
        state["in_flight"] += 1
        state["peak_in_flight"] = max(state["peak_in_flight"], state["in_flight"])
        try:
            await asyncio.sleep(latency)
        finally:
            state["in_flight"] -= 1
        return web.Response(body=answer(raw), content_type="application/json")

    async def stats(request: web.Request) -> web.Response:
        snapshot = dict(state)
        if request.query.get("reset"):
            state.update(requests=0, bytes=0, peak_in_flight=0)
        return web.json_response(snapshot)

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/chat/completions", completions)
    app.router.add_get("/stats", stats)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, backlog=1024)


def _stats(port: int, reset: bool = False) -> dict:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats{'?reset=1' if reset else ''}", timeout=10) as r:
        return json.loads(r.read())


class StandIn:
    def __init__(self, latency: float):
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve", str(self.port), str(latency)])
        for _ in range(400):
            try:
                _stats(self.port)
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("the stand-in endpoint did not start")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait()


# --------------------------------------------------------------------------- inputs

def seed_copies(folder: Path, n: int) -> Path:
    """``n`` articles: the five seeds in turn, each copy made unique by its last line."""
    folder.mkdir(parents=True, exist_ok=True)
    seeds = [s.read_text(encoding="utf-8") for s in sorted(SEEDS.glob("0*.txt"))]
    for i in range(n):
        (folder / f"a{i:06d}.txt").write_text(seeds[i % len(seeds)].rstrip("\n") + f"\n\n[copy {i}]\n",
                                              encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- one measured run

def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            continue
    return out


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_measured(cmd: list[str], env: dict[str, str]) -> dict:
    """Wall, CPU (user+sys of the process and every child it waited for) and the peak of the
    tree's summed RSS of one command."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], sum(_rss_kb(p) for p in _tree(proc.pid)))
                done.wait(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        # wait4, not wait: its rusage is this child's (and its reaped children's) alone.
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd[:4])}... failed ({proc.returncode}):\n"
                             f"{err.read().decode(errors='replace')[-3000:]}")
    return {"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "peak_rss_mb": max(peak[0], ru.ru_maxrss) / 1024}


def extractor_cmd(inputs: Path, out: Path, base_url: str, concurrency: int, extra: list[str]) -> list[str]:
    exe = Path(sys.executable).with_name("extractor")
    return [str(exe), "run", str(inputs), "--out", str(out), "--base-url", base_url, "--provider", "openai",
            "--model", "bench", "--concurrency", str(concurrency), "--quiet", *extra]


def baseline_cmd(inputs: Path, out: Path, base_url: str, concurrency: int, extra: list[str]) -> list[str]:
    return [sys.executable, str(BASELINE), str(inputs), str(out / "results.jsonl"), base_url, "bench",
            str(concurrency)]


def outcome(tool: str, out: Path) -> dict:
    """Articles ok and facts kept, read from what the tool wrote."""
    if tool == "extractor":
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        return {"ok": summary["ok"], "facts": summary["facts"]}
    ok = facts = 0
    for line in (out / "results.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        if "data" in row:
            ok += 1
            facts += sum(len(v) for v in row["data"].values() if isinstance(v, list))
    return {"ok": ok, "facts": facts}


TOOLS = {"extractor": extractor_cmd, "instructor": baseline_cmd}


def one_run(tool: str, stand_in: StandIn, inputs: Path, tmp: Path, concurrency: int, extra: list[str],
            env: dict[str, str]) -> dict:
    out = tmp / f"out_{tool}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    _stats(stand_in.port, reset=True)
    r = run_measured(TOOLS[tool](inputs, out, stand_in.base_url, concurrency, extra), env)
    s = _stats(stand_in.port)
    return {**r, "requests": s["requests"], "request_bytes": s["bytes"], "peak_in_flight": s["peak_in_flight"],
            **outcome(tool, out)}


# --------------------------------------------------------------------------- the figures

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[16, 64])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--tools", nargs="+", default=list(TOOLS), choices=list(TOOLS))
    ap.add_argument("--extractor-args", default="", help="extra arguments for `extractor run` (one string)")
    ap.add_argument("--json", type=Path, help="write every measurement here")
    ap.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.serve:
        serve(int(a.serve[0]), float(a.serve[1]))
        return
    extra = a.extractor_args.split()
    env = {**os.environ, "EXTRACTOR_API_KEY": "x", "PYTHONPATH": str(ROOT)}
    runs: list[dict] = []
    load = [os.getloadavg()[0]]
    stand_in = StandIn(a.latency)
    try:
        with tempfile.TemporaryDirectory(prefix="bench_peers_") as name:
            tmp = Path(name)
            many, one = seed_copies(tmp / "many", a.articles), seed_copies(tmp / "one", 1)
            for rnd in range(a.rounds):
                # Alternate the order each round, so that neither tool always runs on a warmer machine.
                order = a.tools if rnd % 2 == 0 else a.tools[::-1]
                for tool in order:
                    r = one_run(tool, stand_in, one, tmp, 16, extra, env)
                    runs.append({"round": rnd, "tool": tool, "articles": 1, "concurrency": 16, **r})
                for c in a.concurrency:
                    for tool in order:
                        r = one_run(tool, stand_in, many, tmp, c, extra, env)
                        runs.append({"round": rnd, "tool": tool, "articles": a.articles, "concurrency": c, **r})
                        print(f"round {rnd + 1} {tool:>10} at {c:>3}: {r['wall_s']:6.1f}s wall, "
                              f"{1000 * r['cpu_s'] / a.articles:5.1f} ms CPU/article, {r['peak_rss_mb']:4.0f} MB, "
                              f"{r['requests']} requests, ok {r['ok']}", file=sys.stderr, flush=True)
                load.append(os.getloadavg()[0])
    finally:
        stand_in.close()
    res = {"articles": a.articles, "latency_s": a.latency, "rounds": a.rounds, "cpus": os.cpu_count(),
           "load_1min": load, "extractor_args": extra, "runs": runs}
    report(res)
    if a.json:
        a.json.write_text(json.dumps(res, indent=2))


def _range(values: list[float], fmt: str) -> str:
    if not values:
        return "-"
    lo, hi = min(values), max(values)
    return format(lo, fmt) if format(lo, fmt) == format(hi, fmt) else f"{format(lo, fmt)}–{format(hi, fmt)}"


def report(res: dict) -> None:
    runs, n, lat = res["runs"], res["articles"], res["latency_s"]
    load = ", ".join(f"{x:.1f}" for x in res["load_1min"])
    print(f"{n} articles (copies of the five seeds), stand-in latency {lat}s, {res['cpus']} CPUs, "
          f"{res['rounds']} interleaved round(s); 1-min load average at round ends: {load}")
    if res["extractor_args"]:
        print(f"extractor run {' '.join(res['extractor_args'])}")
    fixed = {t: [r for r in runs if r["tool"] == t and r["articles"] == 1] for t in TOOLS}
    for c in sorted({r["concurrency"] for r in runs if r["articles"] > 1}):
        ideal = n * lat / c
        print(f"\nat {c} in flight (ideal {ideal:.2f}s)")
        print(f"  {'tool':<11}{'wall s':>13}{'× baseline':>12}{'% ideal':>10}{'CPU ms/art':>12}{'marginal':>10}"
              f"{'peak MB':>10}{'× base':>11}{'req/art':>9}{'KB/art':>8}{'in flight':>10}{'facts/art':>10}")
        by_round = {(r["tool"], r["round"]): r for r in runs if r["concurrency"] == c and r["articles"] > 1}
        for tool in TOOLS:
            mine = [r for (t, _), r in by_round.items() if t == tool]
            if not mine:
                continue
            ratio = [r["wall_s"] / by_round[("instructor", r["round"])]["wall_s"] for r in mine
                     if ("instructor", r["round"]) in by_round]
            rss_ratio = [r["peak_rss_mb"] / by_round[("instructor", r["round"])]["peak_rss_mb"] for r in mine
                         if ("instructor", r["round"]) in by_round]
            one_cpu = {r["round"]: r["cpu_s"] for r in fixed[tool]}
            marginal = [1000 * (r["cpu_s"] - one_cpu[r["round"]]) / (n - 1) for r in mine if r["round"] in one_cpu]
            print(f"  {tool:<11}{_range([r['wall_s'] for r in mine], '.1f'):>13}{_range(ratio, '.2f'):>12}"
                  f"{_range([100 * ideal / r['wall_s'] for r in mine], '.0f'):>10}"
                  f"{_range([1000 * r['cpu_s'] / n for r in mine], '.1f'):>12}{_range(marginal, '.1f'):>10}"
                  f"{_range([r['peak_rss_mb'] for r in mine], '.0f'):>10} {_range(rss_ratio, '.2f'):>10}"
                  f"{_range([r['requests'] / n for r in mine], '.2f'):>9}"
                  f"{_range([r['request_bytes'] / r['requests'] / 1024 * r['requests'] / n for r in mine], '.1f'):>8}"
                  f"{_range([r['peak_in_flight'] for r in mine], '.0f'):>10}"
                  f"{_range([r['facts'] / n for r in mine if r['facts'] is not None], '.1f'):>10}")
    print("\nfixed cost, one article (wall, imports included; CPU):")
    for tool, rows in fixed.items():
        if rows:
            print(f"  {tool:<11}{_range([r['wall_s'] for r in rows], '.2f')} s wall, "
                  f"{_range([r['cpu_s'] for r in rows], '.2f')} s CPU, "
                  f"{_range([r['peak_rss_mb'] for r in rows], '.0f')} MB")


if __name__ == "__main__":
    main()
