"""Crash safety of `extractor run`: SIGKILL at random points, restart, nothing lost or doubled.

The CLI runs as a subprocess against tests/fakes.py's FakeEndpoint over loopback
(127.0.0.1, SYNTHETIC answers, a little latency and some transient faults). It is killed with SIGKILL at seeded random
moments several times and restarted with the same command; at the end articles.jsonl
holds every article exactly once and the SQLite store passes ``PRAGMA integrity_check``.
A SIGINT run exits cleanly (code 130) and says how to resume.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fakes import CLI, FakeEndpoint, cli_env
from fakes import write_bulletins as write_articles

pytest.importorskip("extractor.runs")
pytestmark = pytest.mark.slow

N = 150


def command(inp: Path, out: Path, srv: FakeEndpoint, *extra: str) -> list[str]:
    return [sys.executable, "-c", CLI, "run", str(inp), "--out", str(out), "--base-url", srv.base_url,
            "--provider", "openai", "--model", "fault-model", "--timeout", "2", "--max-reasks", "1",
            "--max-transport-retries", "3", "--concurrency", "4", "--no-local", *extra]


def env() -> dict[str, str]:
    return cli_env("sk-test-crash")


def integrity(out: Path) -> str:
    con = sqlite3.connect(out / "extractor.sqlite", timeout=10)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def stored(out: Path, status: str | None = None) -> dict[str, str]:
    """source -> status of the records in the store (read-only, while no run is live)."""
    p = out / "extractor.sqlite"
    if not p.exists():
        return {}
    con = sqlite3.connect(p, timeout=10)
    try:
        rows = con.execute("SELECT source, status FROM records").fetchall()
    finally:
        con.close()
    return {s: st for s, st in rows if status is None or st == status}


def key_of(source: str) -> str:
    return "ART-" + Path(source).stem[1:]


def test_sigkill_at_random_points_then_resume(tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out"
    write_articles(inp, N)
    rng = random.Random(20240607)
    kills = 0
    with FakeEndpoint.with_faults({"503": 0.05, "reset": 0.03, "429": 0.02}, seed=5, latency=0.04) as srv:
        cmd = command(inp, out, srv, "--quiet")
        done_before: set[str] = set()
        for attempt in range(4):
            log_start = len(srv.log)
            proc = subprocess.Popen(cmd, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            # Wait until the run is under way (it has made a request), then kill at a random moment.
            t0 = time.monotonic()
            while len(srv.log) == log_start and proc.poll() is None and time.monotonic() - t0 < 30:
                time.sleep(0.02)
            time.sleep(rng.uniform(0.05, 1.2))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.communicate(timeout=30)
            assert integrity(out) == "ok", f"store corrupt after kill {attempt}"
            # Articles finished before this run were not asked for again.
            asked = {r.article for r in srv.log[log_start:]}
            assert not (asked & done_before), f"finished articles asked again: {sorted(asked & done_before)[:5]}"
            ok_now = stored(out, "ok")
            assert set(stored(out)) <= {str(p) for p in inp.iterdir()}
            done_before = {key_of(s) for s in ok_now}
        assert kills >= 3, "the run finished before it could be killed: raise N or the latency"
        log_start = len(srv.log)
        final = subprocess.run(cmd, env=env(), capture_output=True, text=True, timeout=120)
        asked = {r.article for r in srv.log[log_start:]}
        assert not (asked & done_before)
    assert final.returncode in (0, 1), final.stderr[-2000:]
    assert integrity(out) == "ok"
    lines = [json.loads(x) for x in (out / "articles.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    sources = [line["source"] for line in lines]
    assert len(sources) == N and len(set(sources)) == N, f"{len(sources)} lines, {len(set(sources))} distinct"
    assert set(sources) == {str(p) for p in inp.iterdir()}
    con = sqlite3.connect(out / "extractor.sqlite")
    try:
        assert con.execute("SELECT count(*) FROM records").fetchone()[0] == N
        assert con.execute("SELECT count(DISTINCT source) FROM records").fetchone()[0] == N
        runs = con.execute("SELECT status FROM runs ORDER BY id").fetchall()
    finally:
        con.close()
    assert len(runs) == kills + (4 - kills) + 1
    assert runs[-1][0] == "finished"
    # Killed runs cannot log their end: they stay 'running' (no false 'finished').
    assert [r[0] for r in runs[:-1]].count("finished") == 4 - kills
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["articles"] == N and summary["ok"] + summary["error"] == N


def start_until_requests(cmd: list[str], srv: FakeEndpoint, n: int) -> subprocess.Popen:
    """The CLI run ``cmd`` in a child process, returned once the endpoint has seen ``n`` requests."""
    proc = subprocess.Popen(cmd, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    while len(srv.log) < n and proc.poll() is None and time.monotonic() - t0 < 60:
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    return proc


def test_sigint_exits_cleanly_and_says_how_to_resume(tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out"
    write_articles(inp, N)
    with FakeEndpoint(latency=0.05) as srv:
        cmd = command(inp, out, srv, "--quiet")
        proc = start_until_requests(cmd, srv, 20)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 130, (proc.returncode, stdout[-1500:], stderr[-1500:])
        text = stdout + stderr
        assert "Traceback" not in text, text[-3000:]
        assert "interrupted" in text.lower() and "resume" in text.lower(), text[-1500:]
        # The resume hint is the command itself.
        assert str(out) in text and "run" in text
        assert integrity(out) == "ok"
        lines = (out / "articles.jsonl").read_text(encoding="utf-8").splitlines()
        assert 0 < len(lines) < N and len(lines) == len(stored(out))
        # Resume: the rest is done, nothing twice.
        before = {key_of(s) for s in stored(out, "ok")}
        log_start = len(srv.log)
        final = subprocess.run(cmd, env=env(), capture_output=True, text=True, timeout=120)
        assert final.returncode == 0, final.stderr[-2000:]
        assert not ({r.article for r in srv.log[log_start:]} & before)
        # The first Ctrl-C stored the answers of the requests in flight: none is bought twice.
        assert not ({r.article for r in srv.log[log_start:]} & {r.article for r in srv.log[:log_start]})
    lines = [json.loads(x) for x in (out / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(lines) == N and len({line["source"] for line in lines}) == N
    assert all(line["status"] == "ok" for line in lines)


def test_a_second_sigint_aborts_at_once_and_writes_no_exports(tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out"
    write_articles(inp, N)
    with FakeEndpoint(latency=30) as srv:  # answers that would keep a graceful stop waiting
        cmd = command(inp, out, srv, "--quiet")
        proc = start_until_requests(cmd, srv, 4)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        assert proc.poll() is None  # the first waits for the answers in flight
        proc.send_signal(signal.SIGINT)
        aborted_at = time.monotonic()
        stdout, stderr = proc.communicate(timeout=60)
        assert time.monotonic() - aborted_at < 15, "the abort waited for something"
        assert proc.returncode == 130, (proc.returncode, stdout[-1500:], stderr[-1500:])
        text = stdout + stderr
        assert "Traceback" not in text and "aborted" in text, text[-3000:]
        assert integrity(out) == "ok" and not (out / "articles.jsonl").exists()
        import sqlite3
        con = sqlite3.connect(out / "extractor.sqlite")
        try:
            assert con.execute("SELECT status FROM runs ORDER BY id DESC LIMIT 1").fetchone()[0] == "interrupted"
        finally:
            con.close()


# --------------------------------------------------------------------------- the store is the ledger


def _damage(out: Path, how: str) -> None:
    store = out / "extractor.sqlite"
    if how == "zero-byte":
        store.write_bytes(b"")  # : > out/extractor.sqlite
    elif how == "truncated":
        data = store.read_bytes()
        store.write_bytes(data[: len(data) // 2])
    elif how == "garbage":
        store.write_bytes(random.Random(3).randbytes(store.stat().st_size))
    elif how == "deleted":
        store.unlink()


@pytest.mark.parametrize("how", ["zero-byte", "truncated", "garbage", "deleted"])
def test_a_damaged_store_is_refused_then_rebuilt_from_the_exports_without_paying_twice(tmp_path, how):
    n = 20
    inp, out = tmp_path / "in", tmp_path / "out"
    write_articles(inp, n)
    with FakeEndpoint() as srv:
        cmd = command(inp, out, srv, "--quiet")
        first = subprocess.run(cmd, env=env(), capture_output=True, text=True, timeout=120)
        assert first.returncode == 0, first.stderr[-2000:]
        assert srv.calls == n
        _damage(out, how)
        refused = subprocess.run(cmd, env=env(), capture_output=True, text=True, timeout=120)
        assert srv.calls == n, "the damaged store was opened as new and the articles paid for again"
        assert refused.returncode == 3, (refused.stdout[-2000:], refused.stderr[-2000:])
        lines = [x for x in refused.stderr.splitlines() if x.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in refused.stderr, lines
        assert "extractor.sqlite" in lines[0] and f"articles.jsonl lists {n} article(s)" in lines[0]
        assert "--rebuild-store" in lines[0] and "--out" in lines[0]
        rebuilt = subprocess.run([*cmd, "--rebuild-store"], env=env(), capture_output=True, text=True, timeout=120)
        assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
        assert srv.calls == n, "articles recorded in the exports were asked again"
        assert f"{n} put back from articles.jsonl" in rebuilt.stderr
    assert integrity(out) == "ok"
    lines = [json.loads(x) for x in (out / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(lines) == n and all(x["status"] == "ok" and x["facts"] for x in lines)
    kept = [p.name for p in out.iterdir() if ".damaged-" in p.name]
    assert bool(kept) == (how != "deleted")  # the damaged file is kept aside, never deleted


def test_a_wal_deleted_under_a_run_is_saved_into_the_store_before_a_kill(tmp_path):
    """`rm out/extractor.sqlite-wal` during a run, then SIGKILL: the run wrote its records
    into the store file as soon as it saw its log gone; the re-run pays for none of them
    (v0.2: 103 records kept of ~160 answered, no warning)."""
    inp, out = tmp_path / "in", tmp_path / "out"
    write_articles(inp, N)
    with FakeEndpoint(latency=0.05) as srv:
        cmd = command(inp, out, srv, "--quiet")
        proc = start_until_requests(cmd, srv, 15)
        Path(f"{out / 'extractor.sqlite'}-wal").unlink()
        t0 = time.monotonic()
        while len(srv.log) < 45 and proc.poll() is None and time.monotonic() - t0 < 60:
            time.sleep(0.02)
        time.sleep(0.5)
        killed_at = time.monotonic()
        proc.send_signal(signal.SIGKILL)
        _, stderr = proc.communicate(timeout=30)
        assert "was deleted or replaced while this run wrote into it" in " ".join(stderr.split())
        answered = {r.article for r in srv.log if r.t_done and r.t_done < killed_at - 0.3}
        assert len(answered) >= 40
        log_start = len(srv.log)
        final = subprocess.run(cmd, env=env(), capture_output=True, text=True, timeout=180)
        assert final.returncode == 0, final.stderr[-2000:]
        asked_again = {r.article for r in srv.log[log_start:]} & answered
    assert not asked_again, f"{len(asked_again)} answered article(s) were paid for again"
    assert integrity(out) == "ok"
    lines = (out / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == N


def test_a_wal_lost_with_its_records_is_refused_not_silently_repaid(tmp_path):
    """The log deleted while the run is frozen, then SIGKILL: its last records are gone
    for good. The next run says so and asks nothing; --rebuild-store is the user's call."""
    inp, out = tmp_path / "in", tmp_path / "out"
    write_articles(inp, N)
    with FakeEndpoint(latency=0.05) as srv:
        cmd = command(inp, out, srv, "--quiet")
        proc = start_until_requests(cmd, srv, 15)
        time.sleep(0.3)  # a few records committed into the log
        proc.send_signal(signal.SIGSTOP)
        Path(f"{out / 'extractor.sqlite'}-wal").unlink()
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        log_start = len(srv.log)
        refused = subprocess.run(cmd, env=env(), capture_output=True, text=True, timeout=120)
        assert len(srv.log) == log_start, "the run paid again for what the lost log held"
        assert refused.returncode == 3, refused.stderr[-2000:]
        lines = [x for x in refused.stderr.splitlines() if x.strip()]
        assert len(lines) == 1 and "extractor.sqlite-wal" in lines[0] and "deleted" in lines[0]
        assert "--rebuild-store" in lines[0]
        rebuilt = subprocess.run([*cmd, "--rebuild-store"], env=env(), capture_output=True, text=True, timeout=180)
        assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
        assert "kept aside: extractor.sqlite-shm.damaged-" in rebuilt.stderr
    assert integrity(out) == "ok"
    assert len((out / "articles.jsonl").read_text(encoding="utf-8").splitlines()) == N
