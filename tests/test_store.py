"""SQLite store: keys, atomic records, secrets never stored, SIGKILL mid-run then resume."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

from fakes import child_env

from extractor.model.settings import Settings
from extractor.store import Identity, NewRecord, Store, input_error_key, redact_settings

IDENT = Identity("health_news", "1.0", "default", "1", "gpt-4o-mini")


def test_put_upsert_and_status(tmp_path):
    with Store(tmp_path) as st:
        assert st.status_of("abc", IDENT) is None
        st.put(NewRecord(sha256="abc", identity=IDENT, source="a.txt", status="error", run_id=1, error="boom",
               error_kind="transport", text="hello"))
        assert st.status_of("abc", IDENT) == "error"
        st.put(NewRecord(sha256="abc", identity=IDENT, source="a.txt", status="ok", run_id=2, result_json="{}", text="hello"))
        assert st.status_of("abc", IDENT) == "ok"
        other = Identity("health_news", "1.0", "default", "1", "gpt-4o")
        assert st.status_of("abc", other) is None
        recs = list(st.iter_records())
        assert len(recs) == 1 and recs[0].attempts == 2 and recs[0].error is None


def test_stale_input_error_of_same_source_is_replaced(tmp_path):
    with Store(tmp_path) as st:
        st.put(NewRecord(sha256=input_error_key("a.txt"), identity=IDENT, source="a.txt", status="error", run_id=1,
               error="a.txt: is empty", error_kind="input"))
        st.put(NewRecord(sha256="real", identity=IDENT, source="a.txt", status="ok", run_id=2, result_json="{}"))
        assert st.count() == 1 and st.count("ok") == 1


def test_runs_log_has_settings_without_the_key(tmp_path):
    settings = Settings(provider="openai", api_key="sk-very-SECRET", model="gpt-4o-mini")
    assert "api_key" not in redact_settings(settings)
    with Store(tmp_path) as st:
        rid = st.start_run(settings=settings, identity=IDENT, inputs=["in"],
                           argv=["extractor", "run", "--api-key", "sk-very-SECRET", "--x-key=sk-very-SECRET"])
        st.finish_run(rid, status="finished", counts={"ok": 1})
        run = st.runs()[0]
    assert run["status"] == "finished" and run["settings_json"]["model"] == "gpt-4o-mini"
    assert "sk-very-SECRET" not in json.dumps(run)
    assert b"sk-very-SECRET" not in (tmp_path / "extractor.sqlite").read_bytes()


def test_wal_mode(tmp_path):
    Store(tmp_path).close()
    conn = sqlite3.connect(tmp_path / "extractor.sqlite")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


_CHILD = textwrap.dedent('''
    import json, sys
    from fakes import FakeEndpoint, over  # tests/fakes.py, on the path by child_env()
    from extractor.runs import run_batch
    from extractor import Extractor
    from extractor.model.settings import Settings

    ARGS = {"quantities": [{"measure": "beds", "value": 120, "unit": "bed",
                            "evidence": "The hospital has 120 beds."}]}
    # SYNTHETIC model answer, slow enough to be killed mid-run
    synthetic = FakeEndpoint(ARGS, latency=float(sys.argv[3]), prompt_tokens=10, completion_tokens=5)
    s = over(Extractor(Settings(provider="openai", api_key="k", model="gpt-4o-mini")),
             synthetic.transport()).run([sys.argv[1]], out=sys.argv[2], concurrency=4)
    print(json.dumps({"ok": s.ok, "cached": s.cached, "calls": s.model_calls}))
''')


def test_sigkill_mid_run_then_resume_loses_and_duplicates_nothing(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    n = 40
    for i in range(n):
        (d / f"a{i:03d}.txt").write_text(f"Report {i}.\nThe hospital has 120 beds.\n", encoding="utf-8")
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, str(script), str(d), str(out), "0.1"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=child_env())
    db = out / "extractor.sqlite"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.1)
        if db.exists():
            try:
                c = sqlite3.connect(db, timeout=1)
                done = c.execute("SELECT count(*) FROM records").fetchone()[0]
                c.close()
            except sqlite3.Error:
                continue
            if done >= 5:
                break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    c = sqlite3.connect(db)
    stored = c.execute("SELECT count(*) FROM records").fetchone()[0]
    c.close()
    assert 5 <= stored < n

    res = subprocess.run([sys.executable, str(script), str(d), str(out), "0.0"], capture_output=True, text=True,
                         timeout=120, env=child_env())
    assert res.returncode == 0, res.stderr[-2000:]
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    assert summary["ok"] == n and summary["cached"] >= stored and summary["calls"] == n - summary["cached"]
    with Store(out) as st:
        assert st.count() == n and st.count("ok") == n
        sources = [r.source for r in st.iter_records(latest_per_source=False)]
    assert len(sources) == len(set(sources)) == n


def test_no_url_credentials_in_the_run_log_or_the_lock_file(tmp_path):
    from extractor import Settings
    from extractor.store import OutputLock

    settings = Settings(provider="vllm", base_url="http://analyst:hunter2@gpu:8000/v1", model="m")
    argv = ["extractor", "run", "in", "--base-url", "http://analyst:hunter2@gpu:8000/v1"]
    with OutputLock(tmp_path, command=argv), Store(tmp_path) as st:
        st.start_run(settings=settings, identity=Identity("s", "1", "p", "1", "m"), inputs=["in"], argv=argv)
        lock_text = (tmp_path / ".lock").read_text(encoding="utf-8")
        row = st.conn.execute("SELECT argv, settings_json FROM runs").fetchone()
    assert "hunter2" not in lock_text and "gpu:8000" in lock_text
    assert "hunter2" not in row[0] + row[1] and "gpu:8000" in row[1]
