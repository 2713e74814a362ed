"""Batch layer: discovery, one record per article, resume without calls, run-wide 429 backoff.

Every model answer here is SYNTHETIC, served in process by tests/fakes.py's FakeEndpoint;
no real model is called.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from fakes import QUOTE_MODE, FakeEndpoint, over, user_text

from extractor import Extractor
from extractor.model.settings import Settings
from extractor.runs import RateLimiter, discover_inputs, estimate_batch
from extractor.runs.discovery import discover
from extractor.store import Store

SYNTHETIC_FACTS = {
    "quantities": [{"measure": "beds", "value": 120, "unit": "bed", "evidence": "The hospital has 120 beds."}],
    "organisations": [{"name": "County Hospital", "kind": "hospital", "evidence": "County Hospital"}],
}




def make_settings(**kw) -> Settings:
    base = dict(provider="openai", api_key="sk-test-SECRET", model="gpt-4o-mini", max_transport_retries=2,
                backoff_initial_s=0.01, backoff_max_s=0.05, max_reasks=0, **QUOTE_MODE)
    base.update(kw)
    return Settings(**base)


def write_articles(folder: Path, n: int, start: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + n):
        p = folder / f"a{i:04d}.txt"
        p.write_text(f"County Hospital report {i}\n\nThe hospital has 120 beds. It treated {i * 7 + 3} patients.\n",
                     encoding="utf-8")
        paths.append(p)
    return paths


def test_discovery_files_folders_globs_hidden_and_loops(tmp_path):
    d = tmp_path / "in"
    write_articles(d / "sub", 2)
    (d / "x.md").write_text("County Hospital has 3 clinics.\n")
    (d / "y.html").write_text("<html><body><p>County Hospital has 4 beds.</p></body></html>")
    (d / "z.csv").write_text("skip me")
    (d / ".hidden.txt").write_text("hidden")
    (d / ".git").mkdir()
    (d / ".git" / "c.txt").write_text("hidden too")
    (d / "loop").symlink_to(d)  # a folder containing itself
    (d / "self").symlink_to(d / "self")  # a symlink to itself
    files, errors = discover_inputs([d, str(tmp_path / "in" / "sub" / "*.txt"), tmp_path / "missing.txt"])
    names = sorted(p.name for p in files)
    assert names == ["a0000.txt", "a0001.txt", "x.md", "y.html"]
    msgs = " | ".join(str(e) for e in errors)
    assert msgs == f"{tmp_path / 'missing.txt'}: file not found"
    # What the walk passed over is not an error: each is reported with its reason.
    found = discover([d, str(tmp_path / "in" / "sub" / "*.txt"), tmp_path / "missing.txt"])
    assert {Path(s.path).name: s.reason for s in found.skipped} == {
        "z.csv": "unsupported_type", ".hidden.txt": "hidden", ".git": "hidden", "loop": "symlink_loop",
        "self": "symlink_loop"}


def test_a_glob_whose_fixed_part_passes_a_dot_folder_finds_its_files(tmp_path, monkeypatch):
    """`run '.hid/news/*.txt'` reads what `run .hid/news` reads: only what the pattern
    itself matches below its fixed folder is checked for dot-names."""
    news = tmp_path / ".hid" / "news"
    write_articles(news, 2)
    (news / ".draft.txt").write_text("hidden", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for pattern in (".hid/news/*.txt", str(news / "*.txt"), "./.hid/*/*.txt"):
        found = discover([pattern])
        assert sorted(p.name for p in found.files) == ["a0000.txt", "a0001.txt"], (pattern, found.to_dict())
        assert not found.skipped, pattern
    # A dot-name the pattern matches below its fixed part is still hidden.
    found = discover([str(news / ".*.txt")])
    assert not found.files and [(Path(s.path).name, s.reason) for s in found.skipped] == [(".draft.txt", "hidden")]
    assert sorted(p.name for p in discover([str(tmp_path / ".hid")]).files) == ["a0000.txt", "a0001.txt"]


def test_one_record_per_article_including_bad_inputs(tmp_path):
    d = tmp_path / "in"
    write_articles(d, 5)
    (d / "empty.txt").write_bytes(b"")
    (d / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (d / "lines.jsonl").write_text(
        json.dumps({"id": "j1", "text": "County Hospital has 9 beds."}) + "\n"
        + "not json\n"
        + json.dumps({"id": "j3", "text": ""}) + "\n", encoding="utf-8")
    (d / "self").symlink_to(d / "self")
    srv = FakeEndpoint(SYNTHETIC_FACTS)
    s = over(Extractor(make_settings()), srv.transport()).run([d, tmp_path / "nope.txt"], out=tmp_path / "out", concurrency=4)
    lines = [json.loads(x) for x in (tmp_path / "out" / "articles.jsonl").read_text().splitlines()]
    by_source = {}
    for line in lines:
        assert line["source"] not in by_source, "a source appears twice"
        by_source[line["source"]] = line
    assert len(lines) == 5 + 3 + 2 + 1  # txt, jsonl (1 ok, 2 bad), empty+binary, missing
    assert [(x.path, x.reason) for x in s.skipped] == [(str(d / "self"), "symlink_loop")]  # a link, not an article
    assert s.ok == 6 and s.failed == len(lines) - 6 and s.exit_code == 1
    assert srv.calls == 6
    errors = [line for line in lines if line["status"] == "error"]
    assert all(line["error"] and line["error_kind"] == "input" for line in errors)
    ok = [line for line in lines if line["status"] == "ok"]
    assert all(line["facts"] and line["text"] for line in ok)


def test_resume_makes_zero_calls_and_retries_errors(tmp_path):
    d = tmp_path / "in"
    write_articles(d, 6)
    # SYNTHETIC failure: the article numbered 2 gets a 400 (not retried) on the first run.
    srv = FakeEndpoint(lambda body: (400, {"error": {"message": "bad"}}) if "report 2\n" in user_text(body)
                       else SYNTHETIC_FACTS)
    ex = Extractor(make_settings())
    s1 = over(ex, srv.transport()).run([d], out=tmp_path / "out")
    assert (s1.ok, s1.failed) == (5, 1)
    assert s1.errors_by_kind == {"transport": 1}
    calls = srv.calls

    # Same command, errors not retried: zero model calls.
    s2 = over(ex, srv.transport()).run([d], out=tmp_path / "out", retry_errors=False)
    assert srv.calls == calls and s2.model_calls == 0
    assert (s2.cached, s2.ok, s2.failed) == (6, 5, 1)

    # Default: the failed article is tried again (and now succeeds); done ones are not.
    srv.answer = SYNTHETIC_FACTS
    s3 = over(ex, srv.transport()).run([d], out=tmp_path / "out")
    assert srv.calls == calls + 1 and (s3.ok, s3.failed, s3.cached) == (6, 0, 5)
    assert s3.exit_code == 0
    with Store(tmp_path / "out") as st:
        assert st.count() == 6 and st.count("ok") == 6
        runs = st.runs()
    assert [r["status"] for r in runs] == ["finished"] * 3
    assert all("api_key" not in r["settings_json"] for r in runs)
    assert b"sk-test-SECRET" not in (tmp_path / "out" / "extractor.sqlite").read_bytes()


def test_changed_model_is_a_new_key(tmp_path):
    d = tmp_path / "in"
    write_articles(d, 2)
    srv = FakeEndpoint(SYNTHETIC_FACTS)
    over(Extractor(make_settings()), srv.transport()).run([d], out=tmp_path / "out")
    over(Extractor(make_settings(model="gpt-4o")), srv.transport()).run([d], out=tmp_path / "out")
    assert srv.calls == 4
    lines = (tmp_path / "out" / "articles.jsonl").read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(x)["model"] == "gpt-4o" for x in lines)


def test_identical_content_is_extracted_once(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    for name in ("a.txt", "b.txt"):
        (d / name).write_text("County Hospital has 120 beds.\n")
    srv = FakeEndpoint(SYNTHETIC_FACTS, latency=0.05)
    s = over(Extractor(make_settings()), srv.transport()).run([d], out=tmp_path / "out")
    assert srv.calls == 1 and s.duplicates == 1 and s.ok == 2


def test_model_errors_become_records_and_do_not_stop_the_run(tmp_path):
    d = tmp_path / "in"
    write_articles(d, 4)
    # SYNTHETIC: one article always gets malformed JSON arguments -> validation failure.
    srv = FakeEndpoint(lambda body: '{"quantities": "oops"' if "report 1\n" in user_text(body) else SYNTHETIC_FACTS)
    s = over(Extractor(make_settings()), srv.transport()).run([d], out=tmp_path / "out")
    assert (s.ok, s.failed) == (3, 1)
    err = [json.loads(x) for x in (tmp_path / "out" / "articles.jsonl").read_text().splitlines()
           if json.loads(x)["status"] == "error"][0]
    assert err["error_kind"] == "validation" and "a0001" in err["source"] and err["text"]


async def test_rate_limiter_429_pauses_every_worker(tmp_path):
    """One 429 with Retry-After: no request of ANY worker starts during the pause."""
    d = tmp_path / "in"
    write_articles(d, 12)
    pause = 0.6
    state = {"first_429": None}

    def answer(body):
        if srv.calls == 3:
            state["first_429"] = time.monotonic()
            return 429, {"error": {"message": "slow"}}, {"Retry-After": str(pause)}
        return SYNTHETIC_FACTS

    srv = FakeEndpoint(answer, latency=0.05)
    limiter = RateLimiter()
    records = [r async for r in over(Extractor(make_settings()), srv.transport()).aiter_results([d], out=tmp_path / "out", concurrency=6, limiter=limiter)]
    assert len(records) == 12 and all(r.ok for r in records)
    t429 = state["first_429"]
    after = [r.t for r in srv.log if r.t > t429 and r.status != 429]
    assert after, "requests continued after the 429"
    assert min(after) - t429 >= pause * 0.9, "a worker sent a request during the run-wide pause"
    assert limiter.rate_limited == 1 and limiter.paused_s >= pause * 0.9


async def test_rate_limiter_rpm_spaces_requests():
    limiter = RateLimiter(rpm=600, burst_s=0.1)  # 10/s, burst 1
    t0 = time.monotonic()
    for _ in range(6):
        await limiter.acquire()
    assert time.monotonic() - t0 >= 0.45
    assert limiter.requests == 6


async def test_rate_limiter_tpm_big_request_does_not_deadlock():
    limiter = RateLimiter(tpm=60_000)  # 1000 tokens/s, bucket 1000
    t0 = time.monotonic()
    await limiter.acquire(5000)  # larger than the bucket: goes when full, leaves a debt
    await limiter.acquire(500)
    assert 0.3 < time.monotonic() - t0 < 10


def test_config_error_before_any_work(tmp_path):
    from extractor.core.errors import ConfigurationError

    settings = Settings(provider="openai", model="gpt-4o-mini")  # no key
    with pytest.raises(ConfigurationError, match="API key"):
        over(Extractor(settings), FakeEndpoint(SYNTHETIC_FACTS).transport()).run([tmp_path], out=tmp_path / "out")


def test_unreachable_endpoint_is_one_configuration_error(tmp_path):
    from extractor.core.errors import ConfigurationError

    write_articles(tmp_path / "in", 1)
    ex = Extractor(make_settings(base_url="http://127.0.0.1:9/v1"))
    with pytest.raises(ConfigurationError, match="cannot reach http://127.0.0.1:9/v1"):
        ex.run([tmp_path / "in"], out=tmp_path / "out")


def test_stop_event_ends_run_cleanly_and_resume_finishes(tmp_path):
    d = tmp_path / "in"
    write_articles(d, 30)
    srv = FakeEndpoint(SYNTHETIC_FACTS, latency=0.05)
    ex = Extractor(make_settings())

    async def go():
        stop = asyncio.Event()
        got = []
        async for rec in over(ex, srv.transport()).aiter_results([d], out=tmp_path / "out", concurrency=2, stop=stop):
            got.append(rec)
            if len(got) == 5:
                stop.set()
        return got

    first = asyncio.run(go())
    assert 5 <= len(first) < 30
    with Store(tmp_path / "out") as st:
        stored = st.count()
        assert st.runs()[-1]["status"] == "interrupted"
    calls = srv.calls
    s = over(ex, srv.transport()).run([d], out=tmp_path / "out")
    assert s.ok == 30 and s.cached == stored
    assert srv.calls - calls == 30 - stored


def test_dry_run_needs_no_key_and_no_calls(tmp_path):
    write_articles(tmp_path / "in", 3)
    ex = Extractor(Settings(provider="openai", model="gpt-4o-mini"))
    est = estimate_batch(ex, [tmp_path / "in"])
    assert est.articles == 3 and est.chunks == 3 and est.prompt_tokens > 0
    assert est.input_cost_usd is not None and est.input_cost_usd > 0


# --------------------------------------------------------------------------- review regressions

_T = "County Hospital: The hospital has 120 beds. "


def _lines(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "articles.jsonl").read_text(encoding="utf-8").splitlines()]


def _run(inputs, out, srv=None, **kw):
    srv = srv or FakeEndpoint(SYNTHETIC_FACTS)
    settings = kw.pop("settings", {})
    s = over(Extractor(make_settings(**settings)), srv.transport()).run([str(i) for i in inputs], out=out, handle_sigint=False, **kw)
    return s, srv


def test_duplicate_ids_line_numbers_and_copies_each_get_a_line(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    with open(d / "a.jsonl", "w") as f:
        f.write(json.dumps({"id": "x", "text": _T + "one"}) + "\n")
        f.write(json.dumps({"id": "x", "text": _T + "two"}) + "\n")
        f.write(json.dumps({"text": _T + "three, no id, line 3"}) + "\n")
        f.write(json.dumps({"id": 3, "text": _T + "four, id 3"}) + "\n")
    (d / "b.txt").write_text(_T + "same\n")
    (d / "c.txt").write_text(_T + "same\n")
    for _ in range(2):  # the re-run (all cached) exports the same lines
        s, srv = _run([d], tmp_path / "out")
        assert (s.ok, s.failed, s.total, s.duplicates) == (6, 0, 6, 1)
        lines = _lines(tmp_path / "out")
        assert len(lines) == 6
        sources = {x["source"].replace(str(d), "") for x in lines}
        assert sources == {"/a.jsonl#x", "/a.jsonl#x@L2", "/a.jsonl#L3", "/a.jsonl#3", "/b.txt", "/c.txt"}
        assert [x["duplicate_of"] for x in lines if x["source"].endswith("c.txt")] == [str(d / "b.txt")]
        assert json.loads((tmp_path / "out" / "summary.json").read_text())["articles"] == 6


def test_cached_hit_refreshes_the_exported_record(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "a.txt").write_text(_T + "version X\n")
    out = tmp_path / "out"
    _run([d], out, settings={"model": "gpt-4o-mini"})
    _run([d], out, settings={"model": "gpt-4o"})
    s, srv = _run([d], out, settings={"model": "gpt-4o-mini"})
    assert srv.calls == 0 and s.cached == 1
    assert [x["model"] for x in _lines(out)] == ["gpt-4o-mini"]
    (d / "a.txt").write_text(_T + "version Y\n")
    _run([d], out)
    (d / "a.txt").write_text(_T + "version X\n")
    s, srv = _run([d], out)
    assert srv.calls == 0 and [x["text"] for x in _lines(out)] == [_T + "version X\n"]


def test_stale_error_records_do_not_stay(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "a.jsonl").write_text(json.dumps({"id": "k1", "text": _T + "one"}) + "\n{broken json\n")
    out = tmp_path / "out"
    s, _ = _run([d], out)
    assert s.failed == 1
    (d / "a.jsonl").write_text(json.dumps({"id": "k1", "text": _T + "one"}) + "\n"
                               + json.dumps({"id": "k2", "text": _T + "two"}) + "\n")
    s, _ = _run([d], out)
    assert s.exit_code == 0
    assert [(x["source"], x["status"]) for x in _lines(out)] == [(f"{d}/a.jsonl#k1", "ok"), (f"{d}/a.jsonl#k2", "ok")]
    assert json.loads((out / "summary.json").read_text())["error"] == 0
    # A glob typo is an error of that run only.
    out2 = tmp_path / "out2"
    s, _ = _run([d, str(d / "*.jsnl")], out2)
    assert s.exit_code == 1
    assert any(x["status"] == "error" for x in _lines(out2))
    s, _ = _run([d], out2)
    assert s.exit_code == 0 and all(x["status"] == "ok" for x in _lines(out2))


def test_export_failure_does_not_crash_the_run(tmp_path, monkeypatch):
    import extractor.outputs.export as export

    def boom(*a, **k):
        raise OverflowError("int too big to convert")

    monkeypatch.setattr(export, "export_all", boom)
    write_articles(tmp_path / "in", 2)
    s, _ = _run([tmp_path / "in"], tmp_path / "out")
    assert (s.ok, s.failed) == (2, 0) and s.paths == {}
    with Store(tmp_path / "out") as st:
        assert st.count("ok") == 2


def test_interrupt_keeps_queued_records_in_the_counts(tmp_path):

    write_articles(tmp_path / "in", 120)
    srv = FakeEndpoint(SYNTHETIC_FACTS, latency=0.01)

    async def main():
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(0.8, stop.set)
        return await over(Extractor(make_settings()), srv.transport()).arun([str(tmp_path / "in")], out=tmp_path / "out", stop=stop, concurrency=32)

    s = asyncio.run(main())
    with Store(tmp_path / "out") as st:
        assert s.ok == st.count("ok")


def test_rate_limiter_reused_across_event_loops(tmp_path):
    lim = RateLimiter(rpm=60000, max_in_flight=2)
    for i in (1, 2):
        write_articles(tmp_path / f"in{i}", 4, start=10 * i)
        s, srv = _run([tmp_path / f"in{i}"], tmp_path / f"out{i}", srv=FakeEndpoint(SYNTHETIC_FACTS, latency=0.01),
                      limiter=lim, concurrency=2)
        assert (s.ok, s.failed, srv.calls) == (4, 0, 4)


def test_a_stop_ends_the_wait_for_a_rate_limit_token_of_an_unstarted_article():
    """With --rpm 1 the next token is a minute away: Ctrl-C must not wait for it, and
    the token is not spent."""
    import asyncio

    import httpx2

    from extractor.runs.ratelimit import NotStarted, RateLimitedTransport, article_gate

    limiter = RateLimiter(rpm=1)
    sent = []
    transport = RateLimitedTransport(httpx2.MockTransport(lambda r: sent.append(r) or httpx2.Response(200)), limiter)
    stopping = False

    async def main() -> float:
        nonlocal stopping
        async with httpx2.AsyncClient(transport=transport) as http:
            with article_gate(lambda: stopping):
                await http.post("http://x/v1/chat/completions", content=b"{}")  # the one token there is
            loop = asyncio.get_running_loop()
            t0 = loop.time()

            async def stop_soon() -> None:
                nonlocal stopping
                await asyncio.sleep(0.3)
                stopping = True

            stopper = asyncio.create_task(stop_soon())
            with pytest.raises(NotStarted), article_gate(lambda: stopping):
                await http.post("http://x/v1/chat/completions", content=b"{}")
            await stopper
            return loop.time() - t0

    waited = asyncio.run(main())
    assert len(sent) == 1 and limiter.requests == 1 and waited < 5


def test_a_traced_async_client_is_used_as_it_is_in_a_batch(tmp_path):
    """A wrapper on the client object (LangSmith's wrap_openai) survives the batch; run-wide
    limits that only our transport can keep are refused rather than silently ignored."""
    import httpx2
    import openai

    from extractor.core.errors import ConfigurationError

    d = tmp_path / "in"
    write_articles(d, 6)
    server = FakeEndpoint(SYNTHETIC_FACTS)
    client = openai.AsyncOpenAI(api_key="sk-test", base_url="http://synthetic.test/v1", max_retries=0,
                                http_client=httpx2.AsyncClient(transport=server.transport()))
    traced = []
    original = client.chat.completions.create

    async def trace(*args, **kwargs):
        traced.append(kwargs.get("model"))
        return await original(*args, **kwargs)

    client.chat.completions.create = trace
    ex = Extractor(make_settings(), async_client=client)
    with pytest.raises(ConfigurationError, match="rpm/tpm limits cannot be kept"):
        ex.run([d], out=tmp_path / "limited", rpm=60, handle_sigint=False, check_connection=False)
    summary = ex.run([d], out=tmp_path / "out", concurrency=2, handle_sigint=False, check_connection=False)
    assert summary.ok == 6 and len(traced) == 6 == len(server.requests)
