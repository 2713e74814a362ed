"""The Ray engine (issue 14): same outputs as the asyncio engine, exactly once, run-wide limits.

The tests that need Ray share one local Ray instance (4 logical CPUs, so that fractional
actors fit on a 2-core machine) and talk to the fake endpoint of ``tests/fakes.py`` over loopback;
every model answer is SYNTHETIC. The first block of tests needs no Ray at all (pool
plan, Parquet records, resume import, requested-twice counting, the install hint).
"""

from __future__ import annotations

import csv
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from fakes import CLI, QUOTE_MODE, FakeEndpoint, cli_env
from fakes import write_bulletins as write_articles

from extractor import Extractor, Settings
from extractor.core.errors import ConfigurationError
from extractor.core.options import RunOptions
from extractor.runs.engines.ray import plan_pool
from extractor.runs.engines.ray_records import (
    StartedLog,
    compact,
    document_meta,
    missing_rows,
    read_records,
    records_location,
    requested_twice,
    started_counts,
    write_part,
)
from extractor.runs.runner import doc_json
from extractor.text.reading import document_from_text


def settings_for(srv: FakeEndpoint, **kw) -> Settings:
    base = dict(provider="openai", api_key="sk-test-ray-SECRET", model="fault-model", base_url=srv.base_url,
                max_reasks=0, timeout_s=20, max_transport_retries=2, backoff_initial_s=0.05, backoff_max_s=0.2,
                **QUOTE_MODE)
    base.update(kw)
    return Settings(**base)


def lines_of(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "articles.jsonl").read_text(encoding="utf-8").splitlines()]


def fact_rows(out: Path) -> list[tuple]:
    """The quantity table's rows without the columns that name a run or a time."""
    with (out / "tables" / "quantity.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    drop = {k for k in (rows[0] if rows else {}) if "run" in k or k.endswith("_at") or "time" in k}
    return sorted(tuple(sorted((k, v) for k, v in r.items() if k not in drop)) for r in rows)


# --------------------------------------------------------------------------- no Ray needed


def test_pool_plan_splits_concurrency_and_never_exceeds_it():
    p = plan_pool(32, 2, {})
    assert (p.actors, p.in_flight, p.actor_cpus, p.batch_size) == (2, 16, 0.5, 16)  # one actor per CPU at most
    p = plan_pool(32, 16, {})
    assert (p.actors, p.in_flight, p.actor_cpus, p.batch_size) == (4, 8, 1.0, 8)
    for conc in (1, 2, 7, 8, 9, 16, 37, 64, 100, 257, 1000):
        for cpus in (1, 2, 4, 16, 128, 1024):
            plan = plan_pool(conc, cpus, {})
            assert 1 <= plan.actors <= min(conc, max(1, cpus)) and plan.total_in_flight <= conc
            assert plan.total_in_flight >= 0.85 * conc or conc < 8, (conc, cpus, plan)
            assert plan.actors * plan.actor_cpus <= max(cpus / 2, 0.1 * plan.actors) + 1e-9
    assert plan_pool(100, 64, {}).describe() == "10 actor(s) × 10 requests in flight, 1 CPU each, batches of 10"
    forced = plan_pool(16, 4, {"EXTRACTOR_RAY_ACTORS": "4", "EXTRACTOR_RAY_ACTOR_CPUS": "0.5",
                               "EXTRACTOR_RAY_BATCH": "2"})
    assert (forced.actors, forced.in_flight, forced.actor_cpus, forced.batch_size) == (4, 4, 0.5, 2)
    with pytest.raises(ConfigurationError, match="EXTRACTOR_RAY_ACTORS"):
        plan_pool(8, 4, {"EXTRACTOR_RAY_ACTORS": "many"})


def test_records_parts_import_and_requested_twice_without_ray(tmp_path):
    doc = document_from_text("County Hospital has 12 beds.", source="a.txt")
    assert json.loads(doc_json(doc)) == document_meta(doc)  # the worker stores what the runner would
    ex = Extractor(Settings(provider="openai", api_key="sk-test-ray-SECRET", model="gpt-4o-mini"))
    ident = ex.identity
    loc = records_location(tmp_path / "out")
    assert loc == str((tmp_path / "out" / "ray" / "records").resolve())
    assert records_location(tmp_path, "s3://bucket/prefix") == "s3://bucket/prefix"
    row = {"sha256": doc.sha256, "request_key": ident.request_key, "derive_key": "older-derivation",
           "source": "a.txt", "file": None, "status": "ok", "answers_json": "[]", "result_json": "{}",
           "document_json": "{}", "text": doc.text, "usage_json": "{}", "finished_at": 2.0}
    err = {**row, "sha256": "b" * 64, "source": "b.txt", "status": "error", "error": "boom", "error_kind": "transport",
           "answers_json": None, "result_json": None, "derive_key": None, "finished_at": 1.0}
    write_part(loc, [row, err])
    write_part(loc, [{**row, "finished_at": 3.0}])  # a retried block wrote its part twice
    write_part(loc, [{**row, "request_key": "another-request"}])
    (Path(loc) / ".tmp-part-half-written.parquet").write_bytes(b"PAR1 not a whole file")
    assert read_records(loc, ident.request_key).num_rows == 3
    assert read_records(str(tmp_path / "nowhere"), ident.request_key).num_rows == 0
    assert compact(loc) == 3  # the batch parts become one file; nothing is lost
    assert [p.name.split("-")[0] for p in Path(loc).glob("[!.]*.parquet")] == ["compact"]
    assert read_records(loc, ident.request_key).num_rows == 3 and compact(loc) == 0
    for part in Path(loc).glob("*.parquet"):
        assert b"sk-test-ray-SECRET" not in part.read_bytes()
    # What a new run hands the runner to store before it decides: the best row per content
    # (the latest ok one, with the derivation it was made with), none the store holds ok.
    rows = {r["sha256"]: r for r in missing_rows(loc, ident.request_key, frozenset())}
    assert set(rows) == {doc.sha256, "b" * 64}
    assert rows[doc.sha256]["finished_at"] == 3.0 and rows[doc.sha256]["derive_key"] == "older-derivation"
    assert rows["b" * 64]["status"] == "error"
    assert [r["sha256"] for r in missing_rows(loc, ident.request_key, frozenset({doc.sha256}))] == ["b" * 64]

    # The object-store code path (no rename: one PUT per part; listing; deletes), on
    # pyarrow's in-memory filesystem. S3 itself is not reached from the tests.
    uri = "mock:///bucket/records"
    write_part(uri, [row])
    write_part(uri, [err])
    assert read_records(uri, ident.request_key).num_rows == 2
    assert compact(uri) == 2 and read_records(uri, ident.request_key).num_rows == 2

    folder = tmp_path / "started"
    folder.mkdir()
    a, b = StartedLog(str(folder), "actor-a"), StartedLog(str(folder), "actor-b")
    for sha in ("k1", "k2", "k3"):
        a.start(sha)
    b.start("k3")  # a retried batch: k3 started again on another actor
    a.close()
    b.close()
    assert started_counts(folder) == Counter({"k1": 1, "k2": 1, "k3": 2})
    assert requested_twice(folder) == 1
    assert (folder / "actor-a.txt").read_text().startswith(f"# pid={os.getpid()} ")
    assert not StartedLog(str(tmp_path / "missing"), "x").enabled  # a node that cannot see OUT
    (folder / "unwritable.txt").mkdir()  # opening it for append fails, as on a read-only or full disk
    broken = StartedLog(str(folder), "unwritable")
    broken.start("k4")  # the article goes on; only the count of requests made twice loses it
    assert not broken.enabled


def test_ray_engine_without_ray_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    ex = Extractor(Settings(provider="openai", api_key="sk-test", model="gpt-4o-mini"))
    with pytest.raises(ConfigurationError, match=r"pip install 'grounded-extractor\[ray\]'"):
        ex.run([tmp_path], out=tmp_path / "out", engine="ray", handle_sigint=False, check_connection=False)


def test_ray_client_addresses_are_refused_with_the_way_that_works(tmp_path):
    pytest.importorskip("ray")
    ex = Extractor(Settings(provider="openai", api_key="sk-test", model="gpt-4o-mini"))
    with pytest.raises(ConfigurationError, match="ray_address='auto'"):
        ex.run([tmp_path], out=tmp_path / "out", engine="ray", ray_address="ray://head:10001", handle_sigint=False,
               check_connection=False)


def test_ray_client_is_refused_from_the_environment_too(tmp_path, monkeypatch):
    """ray.init reads RAY_ADDRESS when no address is given."""
    from extractor import Extractor, Settings
    from extractor.core.errors import ConfigurationError
    monkeypatch.setenv("RAY_ADDRESS", "ray://head:10001")
    ex = Extractor(Settings(provider="openai", api_key="sk-test", model="gpt-4o-mini"))
    with pytest.raises(ConfigurationError, match="ray://head:10001"):
        ex.run([tmp_path], out=tmp_path / "out", engine="ray", handle_sigint=False, check_connection=False)


def test_a_ray_address_without_the_ray_engine_is_an_error(tmp_path):
    from extractor.core.errors import ConfigurationError
    from extractor.core.options import RunOptions

    with pytest.raises(ConfigurationError, match="engine='ray'"):
        RunOptions(out=tmp_path, ray_address="auto")


# --------------------------------------------------------------------------- on a local Ray instance


@pytest.fixture(scope="module")
def ray_session():
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    started = not ray.is_initialized()
    if started:
        from extractor.runs.engines.ray import local_instance_config

        # The engine's own settings for a local instance: workers at the tests' priority,
        # so that a busy CI machine slows them no more than the rest of the suite.
        ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR,
                 _node_ip_address="127.0.0.1", **local_instance_config(None))
    yield ray
    if started:
        ray.shutdown()


def test_200_articles_exactly_once_same_facts_as_asyncio_and_resume_costs_nothing(ray_session, tmp_path):
    n = 200
    inp = tmp_path / "in"
    write_articles(inp, n)
    with FakeEndpoint.with_faults(seed=3, latency=0.02) as srv:
        ex = Extractor(settings_for(srv))
        base = ex.run([inp], out=tmp_path / "asyncio", concurrency=16, handle_sigint=False)
        srv.clear()
        out = tmp_path / "ray"
        summary = ex.run([inp], out=out, engine="ray", concurrency=16, handle_sigint=False)
        per_article = srv.requests_per_article()
        assert base.ok == n and summary.ok == n and summary.exit_code == 0
        assert summary.model_calls == n and summary.requested_twice == 0
        assert len(per_article) == n and max(per_article.values()) == 1
        lines = lines_of(out)
        assert len(lines) == n and len({x["source"] for x in lines}) == n
        assert fact_rows(out) == fact_rows(tmp_path / "asyncio") and len(fact_rows(out)) == n
        written = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        assert written["run"]["engine"] == "ray" and written["last_run"]["engine"] == "ray" and written["ok"] == n
        # The workers' Parquet records: one per article, no key in them.
        ident = ex.identity
        records = read_records(records_location(out), ident.request_key, columns=("sha256", "status"))
        assert records.num_rows == n and len(set(records.column("sha256").to_pylist())) == n
        assert not any(b"sk-test-ray-SECRET" in p.read_bytes() for p in (out / "ray").rglob("*") if p.is_file())

        # A re-run reads what is done and asks nothing (Ray is not even started).
        srv.clear()
        t0 = time.monotonic()
        again = ex.run([inp], out=out, engine="ray", concurrency=16, handle_sigint=False)
        assert again.model_calls == 0 and again.reused == n and srv.requests_per_article() == {}
        assert time.monotonic() - t0 < 20

        # A driver that died after the workers wrote: the store is gone, the Parquet records
        # are the source of truth; imported before deciding, so still 0 calls.
        (out / "extractor.sqlite").unlink()
        for extra in ("extractor.sqlite-wal", "extractor.sqlite-shm"):
            (out / extra).unlink(missing_ok=True)
        third = ex.run([inp], out=out, engine="ray", concurrency=16, handle_sigint=False)
        assert third.model_calls == 0 and third.ok == n and srv.requests_per_article() == {}
        assert fact_rows(out) == fact_rows(tmp_path / "asyncio")


def _actor_pids(out: Path) -> dict[int, list[str]]:
    """pid -> content hashes it started, from the actors' started logs."""
    pids: dict[int, list[str]] = {}
    for path in (out / "ray" / "started").glob("*/*.txt"):
        pid = None
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("# pid="):
                pid = int(line.split()[1].split("=")[1])
                pids.setdefault(pid, [])
            elif line and pid is not None:
                pids[pid].append(line)
    return pids


def test_killing_one_actor_mid_run_every_article_once_and_few_asked_twice(ray_session, tmp_path, monkeypatch):
    n = 200
    inp, out = tmp_path / "in", tmp_path / "out"
    write_articles(inp, n)
    monkeypatch.setattr(ray_session.data.DataContext.get_current(), "wait_for_min_actors_s", 120)  # both at work
    with FakeEndpoint.with_faults(seed=4, latency=0.2, key_pattern=r"ART-\d+") as srv:
        ex = Extractor(settings_for(srv))
        result: dict = {}
        runner = threading.Thread(target=lambda: result.setdefault(
            "summary", ex.run([inp], out=out, engine="ray", concurrency=16, handle_sigint=False)), daemon=True)
        runner.start()
        killed = None
        deadline = time.monotonic() + 120
        while killed is None and time.monotonic() < deadline and runner.is_alive():
            pids = _actor_pids(out)
            alive = [p for p in pids if Path(f"/proc/{p}").exists()]
            if len(alive) >= 2 and sum(len(v) for v in pids.values()) >= 40:
                victim = max(alive, key=lambda p: len(pids[p]))  # an actor at work
                try:
                    os.kill(victim, signal.SIGKILL)
                    killed = victim
                except ProcessLookupError:  # it ended meanwhile: pick again
                    pass
            time.sleep(0.05)
        runner.join(timeout=180)
        per_article = srv.requests_per_article()
    assert killed is not None, "the run ended before an actor could be killed"
    summary = result["summary"]
    assert summary.ok == n and summary.failed == 0
    lines = lines_of(out)
    assert len(lines) == n and len({x["source"] for x in lines}) == n
    asked_twice = {k for k, v in per_article.items() if v > 1}
    held = plan_pool(16, 4, {}).articles_held_per_actor  # what one actor holds at most: 2 batches of 8
    started_by_killed = set(_actor_pids(out)[killed])
    keys_by_sha = {}
    for line in lines:
        keys_by_sha[line["sha256"]] = "ART-" + Path(line["source"]).stem[1:]
    assert asked_twice <= {keys_by_sha[s] for s in started_by_killed}
    assert len(asked_twice) <= held
    assert len(asked_twice) <= summary.requested_twice <= held
    written = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert written["run"]["requested_twice"] == summary.requested_twice


def test_rpm_is_run_wide_across_actors(ray_session, tmp_path, monkeypatch):
    n, rpm = 45, 600  # 10 requests a second for the whole run, whatever the number of actors
    inp, out = tmp_path / "in", tmp_path / "out"
    write_articles(inp, n)
    # Both actors take part: the pool starts work once both are up (on a busy machine the
    # first could otherwise take every batch), in batches of 4.
    monkeypatch.setattr(ray_session.data.DataContext.get_current(), "wait_for_min_actors_s", 120)
    monkeypatch.setenv("EXTRACTOR_RAY_BATCH", "4")
    with FakeEndpoint.with_faults(seed=5, latency=0.05) as srv:
        summary = Extractor(settings_for(srv)).run([inp], out=out, engine="ray", concurrency=16, rpm=rpm,
                                                   handle_sigint=False)
        times = sorted(r.t for r in srv.log)
    assert summary.ok == n and len(times) == n
    assert len([p for p, keys in _actor_pids(out).items() if keys]) >= 2  # two actors shared the budget
    rate, burst = rpm / 60, rpm / 60 * 1.0  # the bucket holds one second's worth
    # Any stretch of arrivals at the server: the bucket's bound, plus one second's worth for
    # the jitter between a permit and its request's arrival while the actors warm up
    # (their first connection). The limiter alone grants exactly burst + rate × t.
    for i in range(len(times)):
        for j in range(i, len(times)):
            assert j - i + 1 <= burst + rate * (times[j] - times[i]) + rate * 1.0, (i, j, times[j] - times[i])
    steady = [t for t in times if t >= times[0] + 1.5]
    assert (len(steady) - 1) / (steady[-1] - steady[0]) <= rate * 1.05  # ≤ 10.5 requests/s


def test_stop_through_the_python_api_then_resume_once(ray_session, tmp_path):
    n = 120
    inp, out = tmp_path / "in", tmp_path / "out"
    write_articles(inp, n)
    with FakeEndpoint.with_faults(seed=6, latency=0.1) as srv:
        ex = Extractor(settings_for(srv))
        stop = threading.Event()
        seen: list = []

        def on_record(rec):
            seen.append(rec)
            if len(seen) == 30:
                stop.set()

        import asyncio

        async def main():
            aio_stop = asyncio.Event()

            async def watch():
                while not stop.is_set():
                    await asyncio.sleep(0.02)
                aio_stop.set()

            watcher = asyncio.create_task(watch())
            try:
                return await ex.arun([inp], out=out, engine="ray", concurrency=8,
                                     on_record=on_record, stop=aio_stop)
            finally:
                watcher.cancel()

        first = asyncio.run(main())
        assert first.interrupted and 30 <= first.ok + first.failed < n
        assert len(lines_of(out)) == first.ok + first.failed
        second = ex.run([inp], out=out, engine="ray", concurrency=8, handle_sigint=False)
        per_article = srv.requests_per_article()
    assert second.ok + second.failed == n and not second.interrupted
    lines = lines_of(out)
    assert len(lines) == n and len({x["source"] for x in lines}) == n and all(x["status"] == "ok" for x in lines)
    # Articles finished by the workers after the stop are imported, not asked again;
    # only those cut off in flight may be asked twice.
    assert len(per_article) == n and sum(v > 1 for v in per_article.values()) <= 16


def test_cli_joins_a_cluster_exits_130_on_ctrl_c_then_0_with_only_our_summary_on_stdout(ray_session, tmp_path):
    n = 40
    inp, out = tmp_path / "in", tmp_path / "out"
    write_articles(inp, n)
    address = ray_session.get_runtime_context().gcs_address  # HOST:PORT of the test's Ray instance
    env = cli_env("sk-test-ray-SECRET")
    with FakeEndpoint.with_faults(seed=7, latency=0.25) as srv:
        cmd = [sys.executable, "-c", CLI, "run", str(inp), "--out", str(out), "--engine", "ray", "--ray-address",
               address, "--base-url", srv.base_url, "--provider", "openai", "--model", "fault-model",
               "--concurrency", "2", "--log-json"]
        first = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(srv.requests_per_article()) < 6 and first.poll() is None:
            time.sleep(0.05)
        first.send_signal(signal.SIGINT)
        first_out, first_err = first.communicate(timeout=60)
        second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        per_article = srv.requests_per_article()
    assert first.returncode == 130, first_err[-3000:]
    interrupted = json.loads(first_out.strip().splitlines()[-1])["summary"]
    assert interrupted["interrupted"] and interrupted["engine"] == "ray" and interrupted["ok"] < n
    assert second.returncode == 0, second.stderr[-3000:]
    stdout_lines = second.stdout.strip().splitlines()
    assert len(stdout_lines) == 1  # stdout: our JSON summary and nothing of Ray's
    summary = json.loads(stdout_lines[0])["summary"]
    assert summary["ok"] == n and summary["engine"] == "ray" and not summary["interrupted"]
    lines = lines_of(out)
    assert len(lines) == n and len({x["source"] for x in lines}) == n
    assert len(per_article) == n and sum(v > 1 for v in per_article.values()) <= 4  # 2 batches of 2 in flight
    assert "sk-test-ray-SECRET" not in first_err + second.stderr + (out / ".lock").read_text(encoding="utf-8")


def test_extract_dataset_one_row_per_article(ray_session):
    from extractor.runs.ray import extract_dataset

    rows = [{"id": f"n{i}", "text": f"ART-{i:04d} Clinic news.\n\nThe clinic hired {10 + i} nurses in May.",
             "title": f"Clinic {i}"} for i in range(6)]
    rows.append({"id": "empty", "text": "   ", "title": None})
    ds = ray_session.data.from_items(rows, override_num_blocks=3)
    with FakeEndpoint.with_faults(seed=8) as srv:
        out = extract_dataset(ds, RunOptions(out=Path("."), concurrency=4), settings=settings_for(srv)).take_all()
    by_id = {r["id"]: r for r in out}
    assert len(out) == 7 and set(by_id) == {r["id"] for r in rows}
    assert by_id["empty"]["status"] == "error" and by_id["empty"]["error_kind"] == "input"
    for i in range(6):
        r = by_id[f"n{i}"]
        assert r["status"] == "ok" and r["source"] == f"n{i}" and len(r["sha256"]) == 64
        facts = json.loads(r["facts_json"])
        assert [f["data"]["value"] for f in facts] == [10 + i]
        assert json.loads(r["result_json"])["document"]["title"] == f"Clinic {i}"


def test_a_local_instance_runs_its_workers_at_normal_priority(ray_session):
    from extractor.runs.engines.ray import local_instance_config

    @ray_session.remote
    def niceness() -> int:
        return os.nice(0)

    assert ray_session.get(niceness.remote(), timeout=60) == os.nice(0)  # the tests' own priority, not 15
    assert local_instance_config("auto") == {} and local_instance_config("head:6379") == {}
