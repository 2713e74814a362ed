"""Exactly-once in every way people run it (issue 15).

* two runs on one output folder: the second is refused at once (exit 2, a message that
  names the folder and the other run) or queues behind it with ``--wait``; every article
  ends once in every output and is asked at most once;
* a post-processing setting changed between runs (``--keep-ungrounded``) re-derives the
  facts from the stored answers with 0 calls; a request setting (model, prompt version,
  chunk size) asks again; ``--refresh`` asks again;
* a store written by v0.1 is migrated, its records kept, and reused when its settings match;
* SIGKILL during the export leaves every output file complete (the old one or the new one).

Model answers are SYNTHETIC (tests/fakes.py's FakeEndpoint: over loopback for the CLI
runs, in process otherwise).
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx2
import pyarrow.parquet as pq
import pytest
from fakes import CLI, QUOTE_MODE, FakeEndpoint, cli_env, over, user_text
from fakes import write_bulletins as write_articles

from extractor import Extractor, OutputBusyError, Settings
from extractor.store import OutputLock, Store


def cli(inp: Path, out: Path, srv: FakeEndpoint, *extra: str) -> list[str]:
    return [sys.executable, "-c", CLI, "run", str(inp), "--out", str(out), "--base-url", srv.base_url,
            "--provider", "openai", "--model", "fault-model", "--timeout", "10", "--concurrency", "2",
            "--no-local", "--quiet", *extra]


def env() -> dict[str, str]:
    return cli_env("sk-test-once")


def wait_for_holder(out: Path, proc: subprocess.Popen, timeout: float = 60) -> dict:
    """The lock holder's record, once the first run has taken the folder."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the first run ended before the second started"
        try:
            holder = json.loads((out / ".lock").read_text(encoding="utf-8") or "null")
        except (OSError, ValueError):
            holder = None
        if holder:
            return holder
        time.sleep(0.02)
    raise AssertionError("the first run never took the lock")


def start_first_run(inp: Path, out: Path, srv: FakeEndpoint) -> tuple[subprocess.Popen, dict]:
    """A CLI run on ``inp`` into ``out``, returned with its lock record once it holds OUT."""
    first = subprocess.Popen(cli(inp, out, srv), env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return first, wait_for_holder(out, first)


def article_lines(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "articles.jsonl").read_text(encoding="utf-8").splitlines()]


# --------------------------------------------------------------------------- two runs, one folder


@pytest.mark.slow
def test_second_run_on_the_same_folder_is_refused_at_once(tmp_path):
    n = 30
    inp, out = tmp_path / "in", tmp_path / "out"
    write_articles(inp, n)
    # Latency enough for the first run to outlast the second's start (its Extractor loads openai
    # before it takes the folder).
    with FakeEndpoint(latency=0.6) as srv:
        first, holder = start_first_run(inp, out, srv)
        t0 = time.monotonic()
        second = subprocess.run(cli(inp, out, srv), env=env(), capture_output=True, text=True, timeout=60)
        refused_in = time.monotonic() - t0
        first_out, first_err = first.communicate(timeout=120)
        per_article = srv.requests_per_article()
    assert first.returncode == 0, first_err[-2000:]
    assert second.returncode == 2, (second.stdout[-1000:], second.stderr[-1000:])
    message = " ".join(second.stderr.split())
    assert str(out) in message and f"pid {holder['pid']}" in message and holder["host"] in message
    # The library's words (wait=True, out=), and the command line's flags for them.
    assert "wait=True" in message and "[command line: --wait; --out]" in message
    assert refused_in < 15  # at once: it neither waited for the first run nor read any article
    lines = article_lines(out)
    assert len(lines) == n and len({line["source"] for line in lines}) == n
    assert all(line["status"] == "ok" for line in lines)
    assert len(per_article) == n and max(per_article.values()) == 1, per_article
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["articles"] == n and summary["ok"] == n


@pytest.mark.slow
def test_wait_queues_behind_the_other_run_and_asks_nothing_twice(tmp_path):
    n = 20
    inp, out = tmp_path / "in", tmp_path / "out"
    write_articles(inp, n)
    # Latency enough for the first run to outlast the second's start (its Extractor loads openai first).
    with FakeEndpoint(latency=0.6) as srv:
        first, _ = start_first_run(inp, out, srv)
        second = subprocess.Popen(cli(inp, out, srv, "--wait", "--log-json"), env=env(), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        first.communicate(timeout=120)
        second_out, second_err = second.communicate(timeout=120)
        per_article = srv.requests_per_article()
    assert first.returncode == 0 and second.returncode == 0, second_err[-2000:]
    assert "waiting for the run that holds" in second_err
    summary = json.loads(second_out.strip().splitlines()[-1])["summary"]
    assert summary["model_calls"] == 0 and summary["requested"] == 0 and summary["reused"] == n
    assert len(per_article) == n and max(per_article.values()) == 1
    lines = article_lines(out)
    assert len(lines) == n and len({line["source"] for line in lines}) == n


@pytest.mark.slow
def test_deleting_the_lock_file_does_not_let_a_second_run_in(tmp_path):
    """`rm out/.lock` during a run, then a second run: the folder itself is locked, so the
    second run is refused at once and no article is paid for twice (v0.2: 205 of 300)."""
    n = 40
    inp, out = tmp_path / "in", tmp_path / "out"
    write_articles(inp, n)
    with FakeEndpoint(latency=0.1) as srv:
        first, _ = start_first_run(inp, out, srv)
        (out / ".lock").unlink()
        second = subprocess.run(cli(inp, out, srv), env=env(), capture_output=True, text=True, timeout=60)
        # A third one, with --wait, queues behind the first instead of running beside it.
        third = subprocess.Popen(cli(inp, out, srv, "--wait"), env=env(), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        first_out, first_err = first.communicate(timeout=120)
        third_out, third_err = third.communicate(timeout=120)
        per_article = srv.requests_per_article()
    assert first.returncode == 0, first_err[-2000:]
    assert second.returncode == 2, (second.stdout[-1000:], second.stderr[-1000:])
    message = " ".join(second.stderr.split())
    assert "being written by another run" in message and "OUT/.lock, which names it, was removed" in message
    assert third.returncode == 0, third_err[-2000:]
    assert len(per_article) == n and max(per_article.values()) == 1, per_article
    lines = article_lines(out)
    assert len(lines) == n and len({line["source"] for line in lines}) == n


def test_a_lock_file_replaced_before_it_is_locked_is_locked_again(tmp_path):
    lock = OutputLock(tmp_path)
    real_open = lock._open
    replaced = []

    def open_then_replace() -> int:
        fd = real_open()
        if not replaced:  # someone swaps the file between our open and our flock
            (tmp_path / ".lock").unlink()
            (tmp_path / ".lock").write_text("")
            replaced.append(True)
        return fd

    lock._open = open_then_replace  # type: ignore[method-assign]
    with lock:
        assert replaced and lock._names(lock._fd)  # the file at the path is the one locked
        with pytest.raises(OutputBusyError):
            OutputLock(tmp_path).acquire()


def hold_lock(out: Path, command: list[str], seconds: float = 120) -> subprocess.Popen:
    """Another process holding OUT's lock (as ``command``), returned once it holds it."""
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from extractor.store import OutputLock
        with OutputLock({str(out)!r}, command={command!r}):
            print("held", flush=True)
            time.sleep({seconds})
    """)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def _has_open(pid: int, path: Path) -> bool:
    try:
        return any(os.readlink(f) == str(path) for f in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False


@pytest.mark.slow
def test_ctrl_c_ends_a_run_waiting_for_the_folder(tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out"
    write_articles(inp, 3)
    holder = hold_lock(out, ["extractor", "run", "other"])
    try:
        with FakeEndpoint() as srv:
            waiting = subprocess.Popen(cli(inp, out, srv, "--wait"), env=env(), stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 60  # until it has the lock file open: it is waiting
            while not _has_open(waiting.pid, out / ".lock") and time.monotonic() < deadline:
                assert waiting.poll() is None, waiting.communicate()[1][-2000:]
                time.sleep(0.1)
            time.sleep(0.5)
            waiting.send_signal(signal.SIGINT)
            _, err = waiting.communicate(timeout=20)  # hung until the holder ended, before
            assert srv.calls == 0
    finally:
        holder.kill()
        holder.wait()
    assert waiting.returncode == 130, err[-2000:]


def test_lock_names_its_holder_and_dies_with_it(tmp_path):
    holder = hold_lock(tmp_path, ["extractor", "run", "x"])
    try:
        with pytest.raises(OutputBusyError) as err:
            OutputLock(tmp_path).acquire()
        assert err.value.holder["pid"] == holder.pid and "extractor run x" in str(err.value)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # The kernel released the lock with the process: no stale lock after SIGKILL.
    with OutputLock(tmp_path) as lock:
        assert lock.held


def test_python_api_is_refused_too(tmp_path):
    with OutputLock(tmp_path / "out"):
        ex = Extractor(Settings(provider="openai", api_key="sk-x", model="m"))
        with pytest.raises(OutputBusyError):
            over(ex, FakeEndpoint(script=[]).transport()).run([tmp_path], out=tmp_path / "out")


# --------------------------------------------------------------------------- settings between runs

TEXT = "Town {i} bulletin.\n\nThe hospital has {beds} beds.\nIt hired nurses.\n"


def synthetic_answer_with_an_unfounded_fact(body: dict) -> dict:
    """SYNTHETIC answer: one fact quoted from the article, one whose quote is not in it."""
    beds = int(user_text(body).split("The hospital has ")[1].split(" beds")[0])
    return {"quantities": [
        {"measure": "beds", "value": beds, "unit": "bed", "evidence": f"The hospital has {beds} beds."},
        {"measure": "clinics opened", "value": 12, "evidence": "The mayor opened 12 new clinics downtown."},
    ]}


def counting_endpoint() -> FakeEndpoint:
    """Answers every request with the answer above; ``.calls`` counts them."""
    return FakeEndpoint(synthetic_answer_with_an_unfounded_fact, prompt_tokens=10, completion_tokens=5)


def settings(**kw) -> Settings:
    return Settings(**{"provider": "openai", "api_key": "sk-test", "model": "gpt-4o-mini", "max_reasks": 0,
                       **QUOTE_MODE, **kw})


@pytest.fixture
def articles(tmp_path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    for i in range(8):
        (d / f"a{i}.txt").write_text(TEXT.format(i=i, beds=100 + i), encoding="utf-8")
    return d


def run(tmp_path: Path, articles: Path, endpoint: FakeEndpoint, **kw):
    opts = {k: kw.pop(k) for k in ("refresh",) if k in kw}
    return over(Extractor(settings(**kw)), endpoint.transport()).run([articles], out=tmp_path / "out", handle_sigint=False, **opts)


def flagged_facts(out: Path) -> int:
    return sum(1 for line in article_lines(out) for f in line["facts"] if "ungrounded" in f["flags"])


def test_keep_ungrounded_after_a_default_run_rederives_with_zero_calls(tmp_path, articles):
    t = counting_endpoint()
    first = run(tmp_path, articles, t)
    assert first.requested == 8 and t.calls == 8 and flagged_facts(tmp_path / "out") == 0
    second = run(tmp_path, articles, t, ungrounded="flag")
    assert t.calls == 8 and second.model_calls == 0
    assert second.rederived == 8 and second.requested == 0 and second.ok == 8
    assert flagged_facts(tmp_path / "out") == 8
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["run"]["rederived"] == 8 and summary["run"]["requested"] == 0
    # Back to the default: re-derived again, still no call; then nothing to do at all.
    third = run(tmp_path, articles, t)
    assert t.calls == 8 and third.rederived == 8 and flagged_facts(tmp_path / "out") == 0
    fourth = run(tmp_path, articles, t)
    assert t.calls == 8 and fourth.reused == 8 and fourth.rederived == 0


def bundled_default_prompt() -> Path:
    """The file of the default template the library uses now (the highest version)."""
    from extractor.model.prompting import list_templates

    t = list_templates()["default"]
    return Path(__file__).resolve().parent.parent / "prompts" / f"{t.name}.v{t.version}.md"


@pytest.mark.parametrize("change", ["model", "prompt_version", "chunk_tokens", "clean", "temperature",
                                    "max_output_tokens"])
def test_a_changed_request_setting_asks_again(tmp_path, articles, change):
    t = counting_endpoint()
    run(tmp_path, articles, t)
    bumped = tmp_path / "default.v9.md"  # the same template under a new version number
    current = bundled_default_prompt().read_text(encoding="utf-8")
    bumped.write_text(re.sub(r'version = "[^"]+"', 'version = "9"', current, count=1), encoding="utf-8")
    values = {"model": "gpt-4o", "prompt_version": str(bumped), "chunk_tokens": 700, "clean": False,
              "temperature": 0.3, "max_output_tokens": 999}
    key = "prompt" if change == "prompt_version" else change
    again = run(tmp_path, articles, t, **{key: values[change]})
    assert again.requested == 8 and again.model_calls == 8 and t.calls == 16


def test_the_same_question_from_another_place_asks_nothing(tmp_path, articles):
    """The bundled template read from its file: same name, version and text, same request."""
    t = counting_endpoint()
    run(tmp_path, articles, t)
    again = run(tmp_path, articles, t, prompt=str(bundled_default_prompt()))
    assert again.requested == 0 and again.reused == 8 and t.calls == 8


def test_refresh_asks_again(tmp_path, articles):
    t = counting_endpoint()
    run(tmp_path, articles, t)
    again = run(tmp_path, articles, t, refresh=True)
    assert again.requested == 8 and t.calls == 16
    with Store(tmp_path / "out") as st:
        assert st.count() == 8 and {r.attempts for r in st.iter_records()} == {2}


# --------------------------------------------------------------------------- v0.1 stores

V01_DDL = """
CREATE TABLE records (sha256 TEXT NOT NULL, schema_name TEXT NOT NULL, schema_version TEXT NOT NULL,
    prompt_name TEXT NOT NULL, prompt_version TEXT NOT NULL, model TEXT NOT NULL, source TEXT,
    status TEXT NOT NULL CHECK (status IN ('ok', 'error')), error TEXT, error_kind TEXT, result_json TEXT,
    document_json TEXT, text TEXT, usage_json TEXT, attempts INTEGER NOT NULL DEFAULT 1, run_id INTEGER,
    created_at REAL NOT NULL, updated_at REAL NOT NULL,
    PRIMARY KEY (sha256, schema_name, schema_version, prompt_name, prompt_version, model));
CREATE INDEX records_source ON records (source);
CREATE TABLE sources (source TEXT PRIMARY KEY, sha256 TEXT NOT NULL, schema_name TEXT NOT NULL,
    schema_version TEXT NOT NULL, prompt_name TEXT NOT NULL, prompt_version TEXT NOT NULL, model TEXT NOT NULL,
    file TEXT, scope TEXT NOT NULL DEFAULT 'article', duplicate_of TEXT, run_id INTEGER, updated_at REAL NOT NULL);
CREATE INDEX sources_file ON sources (file);
CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, started_at REAL NOT NULL, finished_at REAL,
    status TEXT NOT NULL DEFAULT 'running', argv TEXT, inputs_json TEXT, settings_json TEXT, schema_name TEXT,
    schema_version TEXT, prompt_name TEXT, prompt_version TEXT, model TEXT, counts_json TEXT);
CREATE TABLE batch_jobs (batch_id TEXT PRIMARY KEY, created_at REAL NOT NULL, updated_at REAL NOT NULL,
    status TEXT NOT NULL, input_file_id TEXT NOT NULL, output_file_id TEXT, error_file_id TEXT,
    endpoint TEXT NOT NULL, schema_name TEXT NOT NULL, schema_version TEXT NOT NULL, prompt_name TEXT NOT NULL,
    prompt_version TEXT NOT NULL, model TEXT NOT NULL, settings_json TEXT, requests INTEGER NOT NULL,
    articles INTEGER NOT NULL, collected_at REAL, errors_json TEXT);
CREATE TABLE batch_items (batch_id TEXT NOT NULL, custom_id TEXT NOT NULL, sha256 TEXT NOT NULL, source TEXT,
    path TEXT NOT NULL, chunk_index INTEGER NOT NULL, chunks INTEGER NOT NULL,
    collected INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (batch_id, custom_id));
PRAGMA user_version=2;
"""


def v01_store(tmp_path: Path, articles: Path, ex: Extractor, settings_json: dict) -> Path:
    """A store as v0.1 wrote it (its schema, its key), holding a finished result per article."""
    out = tmp_path / "out"
    out.mkdir()
    con = sqlite3.connect(out / "extractor.sqlite")
    con.executescript(V01_DDL)
    con.execute("INSERT INTO runs (id, started_at, finished_at, status, settings_json, schema_name, schema_version,"
                " prompt_name, prompt_version, model) VALUES (1, 0, 1, 'finished', ?, ?, ?, ?, ?, ?)",
                (json.dumps(settings_json), *ex.identity.as_tuple()))
    client = Extractor(ex.settings, client=counting_endpoint().client(api_key="sk-x"))
    for p in sorted(articles.iterdir()):
        result = client.extract_file(p)
        sha = result.document.sha256
        con.execute("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, 'ok', NULL, NULL, ?, ?, ?, ?, 1, 1, 0, 0)",
                    (sha, *ex.identity.as_tuple(), str(p), result.model_dump_json(),
                     result.document.model_dump_json(), p.read_text(encoding="utf-8"),
                     result.usage.model_dump_json()))
        con.execute("INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'article', NULL, 1, 0)",
                    (str(p), sha, *ex.identity.as_tuple(), os.path.abspath(p)))
    con.commit()
    con.close()
    return out


def test_a_v01_store_is_migrated_and_reused_when_its_settings_match(tmp_path, articles):
    ex = Extractor(settings())
    out = v01_store(tmp_path, articles, ex, ex.settings.model_dump(mode="json", exclude={"api_key"}))
    with Store(out) as st:
        assert st.count("ok") == 8  # kept, under their v0.1 key
    t = counting_endpoint()
    again = run(tmp_path, articles, t)
    assert t.calls == 0 and again.reused == 8 and again.ok == 8
    assert len(article_lines(out)) == 8
    with Store(out) as st:  # re-keyed to this run's request, not copied
        assert st.count() == 8 and all(r.request_key == ex.identity.request_key for r in st.iter_records())


def test_a_v01_store_with_other_settings_is_asked_again_not_served(tmp_path, articles):
    ex = Extractor(settings())
    logged = ex.settings.model_dump(mode="json", exclude={"api_key"})
    out = v01_store(tmp_path, articles, ex, {**logged, "chunk_tokens": 900})
    t = counting_endpoint()
    again = run(tmp_path, articles, t)
    assert t.calls == 8 and again.requested == 8
    assert len(article_lines(out)) == 8  # one line per article: the new records


def test_a_v01_record_does_not_answer_a_bounded_request(tmp_path, articles):
    """v0.1 never bounded answers: a run that does asks again (a different question)."""
    ex = Extractor(settings())
    out = v01_store(tmp_path, articles, ex, ex.settings.model_dump(mode="json", exclude={"api_key"}))
    t = counting_endpoint()
    again = run(tmp_path, articles, t, max_list_items=3)
    assert t.calls == 8 and again.requested == 8 and again.reused == 0
    assert len(article_lines(out)) == 8


def test_a_failed_refresh_keeps_the_answer_already_paid_for(tmp_path, articles):
    first = run(tmp_path, articles, counting_endpoint())
    assert first.ok == 8
    before = {line["source"]: line["facts"] for line in article_lines(tmp_path / "out")}
    failing = FakeEndpoint(answer=lambda body: httpx2.Response(400, json={"error": {"message": "bad request"}}))
    again = run(tmp_path, articles, failing, refresh=True)
    # Failed (the refresh did not happen: exit 1), and said to keep what the outputs show.
    assert failing.calls == 8 and again.failed == 8 and again.kept_previous == 8 and again.exit_code == 1
    lines = article_lines(tmp_path / "out")
    assert {line["source"]: line["facts"] for line in lines} == before
    assert all(line["status"] == "ok" for line in lines)


# --------------------------------------------------------------------------- SIGKILL during export

_EXPORTER = textwrap.dedent("""
    import sys
    from extractor.outputs.export import export_all
    while True:
        export_all(sys.argv[1])
        print("exported", flush=True)
""")


def check_outputs_parse(out: Path, n: int) -> None:
    lines = article_lines(out)
    assert len(lines) == n
    json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for path in (out / "tables").glob("*.csv"):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        assert rows and all(len(r) == len(rows[0]) for r in rows), path
    for path in (out / "tables").glob("*.parquet"):
        pq.read_table(path)
    leftovers = [p.name for p in out.rglob("*") if ".tmp-" in p.name]
    assert all(p.startswith(".") for p in leftovers)  # temp files are hidden and never the output itself


@pytest.mark.slow
def test_sigkill_during_export_leaves_every_output_complete(tmp_path):
    n = 300
    d = tmp_path / "in"
    d.mkdir()
    for i in range(n):
        (d / f"a{i:04d}.txt").write_text(TEXT.format(i=i, beds=100 + i), encoding="utf-8")
    t = counting_endpoint()
    over(Extractor(settings(ungrounded="flag")), t.transport()).run([d], out=tmp_path / "out", handle_sigint=False)
    out = tmp_path / "out"
    rng = random.Random(15)
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, "-c", _EXPORTER, str(out)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "exported"  # one whole export, then the next is killed mid-way
        time.sleep(rng.uniform(0.0, 0.8))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        check_outputs_parse(out, n)


# --------------------------------------------------------------------------- stopping


def test_a_stop_starts_no_new_request_and_keeps_the_answers_in_flight(tmp_path):
    """Workers beyond --concurrency hold jobs while they wait for a request slot; after the
    stop none of them may send: only the requests already in flight are paid for."""
    import asyncio
    import threading

    inp = tmp_path / "in"
    write_articles(inp, 12)
    sent_after_stop = []
    stop = asyncio.Event()
    stopped = threading.Event()

    def answer(body: dict) -> dict:
        if stopped.is_set():
            sent_after_stop.append(body)
        return {"quantities": []}

    srv = FakeEndpoint(answer, latency=0.5)

    async def main():
        ex = Extractor(Settings(provider="openai", api_key="sk-test", model="synthetic-model"))

        async def stop_when_two_are_in_flight():
            while len(srv.raw) < 2:
                await asyncio.sleep(0.01)
            stopped.set()
            stop.set()

        stopper = asyncio.create_task(stop_when_two_are_in_flight())
        summary = await over(ex, srv.transport()).arun([inp], out=tmp_path / "out", concurrency=2, stop=stop, check_connection=False)
        await stopper
        return summary

    summary = asyncio.run(main())
    assert summary.interrupted and sent_after_stop == []
    assert srv.calls == 2 and summary.ok == 2  # the two in flight were answered and stored
    again = over(Extractor(Settings(provider="openai", api_key="sk-test", model="synthetic-model")), FakeEndpoint({"quantities": []}).transport()).run([inp], out=tmp_path / "out", check_connection=False, handle_sigint=False)
    assert again.requested == 10 and again.ok == 12


def test_an_abort_landing_in_the_runs_own_code_writes_no_exports_and_logs_the_run_as_interrupted(tmp_path):
    """The second Ctrl-C raises KeyboardInterrupt wherever the process is, e.g. in a hook."""
    import asyncio

    inp = tmp_path / "in"
    write_articles(inp, 6)
    out = tmp_path / "out"

    def abort(record):
        raise KeyboardInterrupt

    async def main():
        ex = Extractor(Settings(provider="openai", api_key="sk-test", model="synthetic-model"))
        await over(ex, FakeEndpoint({"quantities": []}).transport()).arun([inp], out=out, concurrency=2, on_record=abort, check_connection=False)

    with pytest.raises(KeyboardInterrupt):
        asyncio.run(main())
    assert not (out / "articles.jsonl").exists()
    con = sqlite3.connect(out / "extractor.sqlite")
    try:
        assert con.execute("SELECT status FROM runs").fetchall() == [("interrupted",)]
    finally:
        con.close()
    with OutputLock(out):  # released
        pass


def test_a_failing_hook_ends_the_run_as_failed_with_its_exports(tmp_path):
    inp = tmp_path / "in"
    write_articles(inp, 6)
    out = tmp_path / "out"

    def broken_hook(record):
        raise ValueError("the application's hook is broken")

    ex = Extractor(Settings(provider="openai", api_key="sk-test", model="synthetic-model"))
    with pytest.raises(ValueError, match="hook is broken"):
        over(ex, FakeEndpoint({"quantities": []}).transport()).run([inp], out=out, concurrency=2, on_record=broken_hook, handle_sigint=False, check_connection=False)
    con = sqlite3.connect(out / "extractor.sqlite")
    try:
        assert con.execute("SELECT status FROM runs").fetchall() == [("failed",)]
    finally:
        con.close()
    assert (out / "articles.jsonl").exists()  # what was stored is exported
