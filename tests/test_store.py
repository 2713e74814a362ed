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


# --------------------------------------------------------------------------- the store is the ledger


def _new_store(out) -> None:
    with Store(out) as st:
        st.start_run(settings={}, identity=IDENT, inputs=[])


def test_a_store_that_is_not_a_ledger_any_more_is_refused(tmp_path):
    import pytest

    from extractor.core.errors import StoreDamagedError

    store = tmp_path / "extractor.sqlite"
    _new_store(tmp_path)
    (tmp_path / "articles.jsonl").write_text('{"source": "a.txt"}\n{"source": "b.txt"}\n', encoding="utf-8")
    size = store.stat().st_size
    cases = {
        "empty (0 bytes)": b"",
        "not a SQLite database": os.urandom(size),
        "truncated": store.read_bytes()[: size // 2],
    }
    good = store.read_bytes()
    for words, data in cases.items():
        store.write_bytes(data)
        with pytest.raises(StoreDamagedError) as ei:
            Store(tmp_path)
        assert words in str(ei.value) and "articles.jsonl lists 2 article(s)" in str(ei.value)
        assert "--rebuild-store" in str(ei.value)
        assert store.read_bytes() == data  # refused before SQLite could touch it
    store.write_bytes(good)
    Store(tmp_path).close()
    store.unlink()
    with pytest.raises(StoreDamagedError, match="is missing, but articles.jsonl lists 2"):
        Store(tmp_path)
    # With nothing elsewhere, an empty or missing store is a new one.
    (tmp_path / "articles.jsonl").unlink()
    store.write_bytes(b"")
    Store(tmp_path).close()


def test_a_ray_record_set_recovers_a_missing_store_for_the_ray_engine_only(tmp_path):
    import pytest

    from extractor.core.errors import StoreDamagedError
    from extractor.store.integrity import check_store

    parts = tmp_path / "ray" / "records"
    parts.mkdir(parents=True)
    (parts / "part-1.parquet").write_bytes(b"PAR1")
    check_store(tmp_path / "extractor.sqlite")  # the Ray engine imports the parts first
    with pytest.raises(StoreDamagedError, match="run with --engine ray"):
        check_store(tmp_path / "extractor.sqlite", ray_recovers=False)


_LOSE_THE_LOG = textwrap.dedent("""
    import os, sqlite3, sys
    out = sys.argv[1]
    con = sqlite3.connect(os.path.join(out, "extractor.sqlite"), isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA wal_autocheckpoint=0")
    for i in range(30):
        con.execute("INSERT INTO runs (started_at, status) VALUES (?, 'running')", (float(i),))
    os.unlink(os.path.join(out, "extractor.sqlite-wal"))
    os._exit(0)  # as SIGKILL: no close, no checkpoint
""")


def test_a_log_deleted_before_a_kill_is_refused_then_rebuilt(tmp_path):
    import pytest

    from extractor.core.errors import StoreDamagedError
    from extractor.outputs.rebuild import rebuild_store

    _new_store(tmp_path)
    subprocess.run([sys.executable, "-c", _LOSE_THE_LOG, str(tmp_path)], check=True)
    with pytest.raises(StoreDamagedError) as ei:
        Store(tmp_path)
    assert "extractor.sqlite-wal" in str(ei.value) and "page(s) of its last writes are gone" in str(ei.value)
    report = rebuild_store(tmp_path)
    assert report.rebuilt and any(n.startswith("extractor.sqlite-shm.damaged-") for n in report.moved_aside)
    with Store(tmp_path) as st:
        assert len(st.runs()) == 1  # what the store file held is kept; what the lost log held is gone


def test_a_log_deleted_under_an_open_store_is_saved_at_the_next_write(tmp_path):
    with Store(tmp_path) as st:
        st.conn.execute("PRAGMA wal_autocheckpoint=0")
        for i in range(20):
            st.put(NewRecord(sha256=f"{i:064x}", identity=IDENT, source=f"a{i}.txt", status="ok", run_id=None,
                   result_json="{}"))
        os.unlink(tmp_path / "extractor.sqlite-wal")
        st.put(NewRecord(sha256="f" * 64, identity=IDENT, source="z.txt", status="ok", run_id=None, result_json="{}"))
        # As after a SIGKILL: the file alone (read as it is) holds every record.
        con = sqlite3.connect(f"file:{tmp_path / 'extractor.sqlite'}?immutable=1", uri=True)
        try:
            assert con.execute("SELECT count(*) FROM records").fetchone()[0] == 21
        finally:
            con.close()


def test_storage_failures_are_named_in_one_line():
    import errno

    from extractor.core.errors import StoreDamagedError
    from extractor.store.failures import storage_error

    assert "no space left" in str(storage_error(OSError(errno.ENOSPC, "x", "out/a")))
    assert "read-only" in str(storage_error(OSError(errno.EROFS, "x")))
    assert "file too large" in str(storage_error(OSError(errno.EFBIG, "x")))
    wrapped = RuntimeError("export failed")
    wrapped.__cause__ = sqlite3.OperationalError("database or disk is full")
    assert "no space left" in str(storage_error(wrapped, "out"))
    assert isinstance(storage_error(sqlite3.DatabaseError("database disk image is malformed")), StoreDamagedError)
    assert storage_error(ValueError("a bug")) is None


def test_a_journal_write_in_a_thread_and_a_record_write_do_not_share_a_transaction(tmp_path):
    """The Batch API engine writes its journal from a worker thread (``reconcile`` runs in
    ``asyncio.to_thread``) while the runner stores records on the event loop, both on the
    store's one connection: each transaction must stay whole, neither failing the other."""
    import threading

    entered, release = threading.Event(), threading.Event()

    class PausedIdentity:
        """IDENT, but the journal write pauses inside its transaction until released."""

        request_key = IDENT.request_key

        def as_tuple(self):
            entered.set()
            release.wait(10)
            return IDENT.as_tuple()

    errors: list[BaseException] = []

    def guarded(fn):
        def run():
            try:
                fn()
            except BaseException as exc:  # reported by the test, not lost in the thread
                errors.append(exc)
        return threading.Thread(target=run)

    with Store(tmp_path) as st:
        journal = guarded(lambda: st.batch_jobs.add(job_id="j1", identity=PausedIdentity(), settings_json="{}",
                                                    endpoint="/v1/chat/completions", input_path="in.jsonl",
                                                    articles=1, items=[("c1", "a" * 64, "a.txt", "a.txt", 0, 1)]))
        record = guarded(lambda: st.put(NewRecord(sha256="b" * 64, identity=IDENT, source="b.txt", status="error",
                                                  run_id=None, error="bad input", error_kind="input")))
        journal.start()
        assert entered.wait(10)
        record.start()
        record.join(0.3)  # the record waits for the journal's transaction (or, unguarded, fails now)
        release.set()
        journal.join(10)
        record.join(10)
        assert errors == []
        assert st.batch_jobs.get("j1") is not None and [r[0] for r in st.batch_jobs.items("j1")] == ["a" * 64]
        assert st.lookup("b" * 64, IDENT) is not None


def test_a_salvaged_store_keeps_the_texts_of_submitted_batch_articles(tmp_path):
    """--rebuild-store copies the texts kept for Batch API articles not collected yet: without
    them an answer already paid for could not be stored once its file is gone."""
    from extractor.core.identity import Identity

    sha = "a" * 64
    with Store(tmp_path / "a") as store:
        store.batch_jobs.add(job_id="j1", identity=Identity("s", "1", "p", "1", "m"), settings_json="{}",
                             endpoint="/v1/chat/completions", input_path="in", articles=1,
                             items=[(f"{sha}:0", sha, "a.txt", "/in/a.txt", 0, 1)], texts=[(sha, "{}", "hello text")])
    with Store(tmp_path / "b", check=False) as rebuilt:
        copied = rebuilt.salvage(tmp_path / "a" / "extractor.sqlite")
        assert copied["batch_texts"] == 1
        assert rebuilt.batch_jobs.kept_text(sha) == ("{}", "hello text")
