"""Reliability under a misbehaving model endpoint (FakeEndpoint.with_faults of tests/fakes.py, loopback only).

Batches of a few hundred SYNTHETIC short articles go through the real openai client,
instructor and our retry policy against a real HTTP server that injects 429s (with and
without Retry-After), 5xx, connection resets, answers slower than the client timeout,
truncated bodies, malformed tool-call JSON, schema-breaking JSON, empty choice lists,
refusals and ungrounded answers. Asserted: every article ends as exactly one outcome,
the retry budgets hold per article (counted on the server side), Retry-After is
honoured (measured on the server side), the wall time stays bounded, and the batch
layer's summary matches its records.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from pathlib import Path

import pytest
from fakes import FAULTS, QUOTE_MODE, FakeEndpoint

from extractor import Extractor, Settings
from extractor.core.errors import ModelCallError
from extractor.core.types import ExtractionResult

MODEL_KINDS = {"transport", "validation", "refusal", "empty"}
# Faults the client retries below instructor (our tenacity policy).
TRANSIENT = {"429_ra", "429", "500", "502", "503", "reset", "slow", "truncated"}
# Faults that make instructor re-ask (the answer did not parse / fit / ground).
REASK = {"bad_body", "bad_args", "schema", "half_grounded"}
TERMINAL = {"empty": "empty", "refusal": "refusal"}

MIX = {
    "429_ra": 0.03, "429": 0.04, "500": 0.03, "502": 0.03, "503": 0.03, "reset": 0.04, "slow": 0.02,
    "truncated": 0.03, "bad_body": 0.02, "bad_args": 0.04, "schema": 0.04, "empty": 0.015, "refusal": 0.015,
    "ungrounded": 0.03,
}


def article(i: int) -> str:
    """A SYNTHETIC short article with a unique key and a sentence that states a number."""
    return (
        f"ART-{i:04d} Health bureau bulletin {i}.\n\n"
        f"The County Hospital of Town {i} performed {100 + i} surgeries last year. "
        f"It also opened {i % 7 + 2} new village clinics in the district.\n"
    )


def key(i: int) -> str:
    return f"ART-{i:04d}"


# The client timeout must only ever fire on the server's deliberately slow answers: on a
# machine busy with other work an ordinary answer can take longer than half a second, and
# a timeout the fault plan did not schedule breaks the per-article request counts. So the
# timeout is generous and the slow fault much slower still (SLOW_S).
TIMEOUT_S = 2.0
SLOW_S = 6.0


def make_settings(srv: FakeEndpoint, **kw) -> Settings:
    base = dict(provider="openai", model="fault-model", api_key="sk-test-faults", base_url=srv.base_url,
                timeout_s=TIMEOUT_S, max_reasks=1, max_transport_retries=2, backoff_initial_s=0.01,
                backoff_max_s=0.05, max_retry_after_s=2.0, **QUOTE_MODE)
    base.update(kw)
    return Settings(**base)


async def run_all(ex: Extractor, texts: list[str], concurrency: int = 16) -> list[ExtractionResult | BaseException]:
    sem = asyncio.Semaphore(concurrency)

    async def one(t: str):
        async with sem:
            return await ex.aextract(t)

    try:
        return await asyncio.gather(*(one(t) for t in texts), return_exceptions=True)
    finally:
        await ex.aclose()


def expected_outcome(srv: FakeEndpoint, k: str, s: Settings) -> set[str]:
    """What the retry policy must make of the faults the server will serve to article ``k``.

    Replays the seeded fault sequence through the documented policy: transient faults
    are retried up to ``max_transport_retries`` times per request, answer faults re-ask
    up to ``max_reasks`` times, empty and refusal end the call. Returns the possible
    outcomes ('ok' or a ModelCallError kind) and the exact request count.
    """
    n = 0
    seen_ungrounded = False
    for attempt in range(s.max_reasks + 1):
        fault = None
        for _try in range(s.max_transport_retries + 1):
            n += 1
            fault = srv.faults.choose(k, n)
            if fault not in TRANSIENT:
                break
        else:
            return {"transport"}, n  # type: ignore[return-value]
        if fault == "ok":
            return {"ok"}, n  # type: ignore[return-value]
        if fault in TERMINAL:
            return {TERMINAL[fault]}, n  # type: ignore[return-value]
        if fault == "ungrounded":
            # It quotes nothing of the article: not asked again (no re-ask pays for itself
            # there); accepted, its fact dropped by grounding.
            return {"ok"}, n  # type: ignore[return-value]
        assert fault in REASK
        if attempt == s.max_reasks:
            # Only quotes failed on the last answer: accepted, its fact dropped by grounding.
            if fault == "half_grounded":
                return {"ok"}, n  # type: ignore[return-value]
            if fault == "bad_body" and seen_ungrounded:
                # KNOWN BUG (see test_fallback_only_for_the_last_answer): an earlier ungrounded
                # answer is accepted when the last body did not parse.
                return {"ok", "validation"}, n  # type: ignore[return-value]
            return {"validation"}, n  # type: ignore[return-value]
        seen_ungrounded |= fault == "half_grounded"
    raise AssertionError("unreachable")


def check_outcomes(srv: FakeEndpoint, s: Settings, keys: list[str], results: list) -> Counter:
    budget = (s.max_reasks + 1) * (s.max_transport_retries + 1)
    per_article = srv.requests_per_article()
    tally: Counter = Counter()
    mismatches = []
    for k, res in zip(keys, results):
        sent = per_article.get(k, 0)
        assert 1 <= sent <= budget, f"{k}: {sent} requests, budget {budget}"
        if isinstance(res, ExtractionResult):
            outcome = "ok"
            assert res.usage.requests == sent, f"{k}: usage says {res.usage.requests} requests, server saw {sent}"
            assert res.usage.transport_retries <= s.max_transport_retries * (s.max_reasks + 1)
            assert res.usage.reasks <= s.max_reasks
            for f in res.facts:
                assert f.grounded and f.span is not None
        elif isinstance(res, ModelCallError):
            outcome = res.kind
            assert res.kind in MODEL_KINDS
            assert res.last_error and res.kind in str(res)
            assert 1 <= res.attempts <= budget
        else:
            raise AssertionError(f"{k}: neither a result nor a ModelCallError: {type(res).__name__}: {res!r}")
        tally[outcome] += 1
        possible, n_expected = expected_outcome(srv, k, s)
        if outcome not in possible or sent != n_expected:
            mismatches.append((k, outcome, possible, sent, n_expected, [r.fault for r in srv.requests_of(k)]))
    assert not mismatches, f"{len(mismatches)} articles did not follow the retry policy, e.g. {mismatches[:5]}"
    return tally


# --------------------------------------------------------------------------- async API


def test_fault_mix_every_article_one_outcome_within_budget():
    n = 240
    with FakeEndpoint.with_faults(MIX, seed=1234, retry_after="0.2", slow_s=SLOW_S) as srv:
        s = make_settings(srv)
        texts = [article(i) for i in range(n)]
        t0 = time.monotonic()
        results = asyncio.run(run_all(Extractor(s), texts, concurrency=24))
        wall = time.monotonic() - t0
        assert len(results) == n
        tally = check_outcomes(srv, s, [key(i) for i in range(n)], results)
        # Each fault class was actually served, and the total adds up.
        for fault in FAULTS:
            assert srv.counts[fault] > 0, f"fault {fault} never served: {dict(srv.counts)}"
        assert sum(srv.counts.values()) == len(srv.log) == sum(srv.requests_per_article().values())
        assert tally["ok"] > n * 0.7 and sum(tally.values()) == n
    # Bounded: timeouts 2 s, Retry-After 0.2 s, backoff ≤ 0.05 s; generous for a busy 2-core
    # box, still far below what unbounded retries or an ignored timeout would take.
    assert wall < 90, f"fault-mix batch took {wall:.1f}s"


def test_transport_budget_exhausted_is_transport_error():
    plan = lambda k, n: "503" if int(k[4:]) % 2 else "reset"  # noqa: E731
    with FakeEndpoint.with_faults(plan=plan) as srv:
        s = make_settings(srv, max_transport_retries=3, max_reasks=2)
        results = asyncio.run(run_all(Extractor(s), [article(i) for i in range(20)]))
        for i, res in enumerate(results):
            assert isinstance(res, ModelCallError) and res.kind == "transport", res
            assert res.attempts == 4 and srv.requests_per_article()[key(i)] == 4
            assert ("503" in res.last_error) if i % 2 else ("cannot reach" in res.last_error)
            assert "sk-test-faults" not in str(res)


def test_slow_answers_time_out_and_fail_as_transport():
    with FakeEndpoint.with_faults(plan=lambda k, n: "slow", slow_s=SLOW_S) as srv:
        s = make_settings(srv, timeout_s=1.0, max_transport_retries=1)
        t0 = time.monotonic()
        results = asyncio.run(run_all(Extractor(s), [article(i) for i in range(10)], concurrency=10))
        wall = time.monotonic() - t0
        assert all(isinstance(r, ModelCallError) and r.kind == "transport" for r in results), results
        assert all("timed out" in r.last_error.lower() for r in results)
        assert srv.counts["slow"] == 20
    # 2 attempts of 1 s each (plus a busy machine's slack), not 2 x the server's 6 s.
    assert wall < 8.0, wall


@pytest.mark.parametrize("fault,kind", [("schema", "validation"), ("bad_args", "validation"),
                                        ("bad_body", "validation"), ("empty", "empty"), ("refusal", "refusal")])
def test_answer_faults_every_time(fault, kind):
    with FakeEndpoint.with_faults(plan=lambda k, n: fault) as srv:
        s = make_settings(srv, max_reasks=2)
        results = asyncio.run(run_all(Extractor(s), [article(i) for i in range(8)]))
        expected_requests = 3 if kind == "validation" else 1
        for i, res in enumerate(results):
            assert isinstance(res, ModelCallError) and res.kind == kind, res
            assert srv.requests_per_article()[key(i)] == expected_requests


def test_ungrounded_every_time_keeps_article_but_drops_fact_without_a_reask():
    """A model that quotes nothing of the article is not asked again: a re-ask would not pay
    for itself (issue 22: 3 requests per article, then the facts dropped anyway)."""
    with FakeEndpoint.with_faults(plan=lambda k, n: "ungrounded") as srv:
        s = make_settings(srv, max_reasks=2)
        results = asyncio.run(run_all(Extractor(s), [article(i) for i in range(8)]))
        for i, res in enumerate(results):
            assert isinstance(res, ExtractionResult), res
            assert res.facts == [] and res.stats.dropped == 1 and res.usage.reasks == 0
            assert srv.requests_per_article()[key(i)] == 1
            assert any("not in the article" in w for w in res.warnings)


def test_half_grounded_every_time_is_asked_again_and_keeps_what_it_grounded():
    """An answer with grounded facts to keep and a quote not found is asked again (within
    max_reasks); the last answer is accepted, the grounded fact kept, the other dropped."""
    with FakeEndpoint.with_faults(plan=lambda k, n: "half_grounded") as srv:
        s = make_settings(srv, max_reasks=2)
        results = asyncio.run(run_all(Extractor(s), [article(i) for i in range(4)]))
        for i, res in enumerate(results):
            assert isinstance(res, ExtractionResult), res
            assert len(res.facts) == 1 and res.facts[0].grounded and res.stats.dropped == 1
            assert res.usage.reasks == 2 and srv.requests_per_article()[key(i)] == 3
            assert any("quotes not found" in w for w in res.warnings)


@pytest.mark.parametrize("sequence,expected", [
    (["schema", "half_grounded"], "ok"),           # the last answer failed only its quotes: accepted
    (["half_grounded", "schema"], "validation"),
    (["half_grounded", "bad_args"], "validation"),
    (["half_grounded", "bad_body"], "validation"),  # the last answer is broken, not just its quotes
    (["ungrounded", "schema"], "ok"),               # nothing quoted: accepted at once, never asked again
])
def test_fallback_only_for_the_last_answer(sequence, expected):
    with FakeEndpoint.with_faults(plan=lambda k, n: sequence[n - 1] if n <= len(sequence) else "ok") as srv:
        s = make_settings(srv, max_reasks=len(sequence) - 1, max_transport_retries=0)
        (res,) = asyncio.run(run_all(Extractor(s), [article(0)]))
        got = "ok" if isinstance(res, ExtractionResult) else getattr(res, "kind", repr(res))
        assert got == expected, res


def test_retry_after_is_honoured_and_capped():
    # Even articles: one 429 with Retry-After 0.4 s; odd: 429 with Retry-After 30 s, capped to 0.3 s.
    plan = lambda k, n: ("429_ra" if n == 1 else "ok")  # noqa: E731
    with FakeEndpoint.with_faults(plan=plan, retry_after="0.4") as srv:
        s = make_settings(srv, max_retry_after_s=5.0)
        results = asyncio.run(run_all(Extractor(s), [article(i) for i in range(12)], concurrency=12))
        assert all(isinstance(r, ExtractionResult) for r in results)
        gaps = []
        for i in range(12):
            first, second = srv.requests_of(key(i))
            assert (first.fault, first.status, second.fault) == ("429_ra", 429, "ok")
            gaps.append(second.t - first.t_done)
        assert min(gaps) >= 0.4 - 0.02, gaps
        assert max(gaps) < 0.4 + 3.0, gaps  # scheduling slack on a busy machine; never the uncapped 30 s
        assert all(r.usage.transport_retries == 1 for r in results)
    with FakeEndpoint.with_faults(plan=plan, retry_after="30") as srv:
        s = make_settings(srv, max_retry_after_s=0.3)
        t0 = time.monotonic()
        results = asyncio.run(run_all(Extractor(s), [article(i) for i in range(6)], concurrency=6))
        assert all(isinstance(r, ExtractionResult) for r in results)
        for i in range(6):
            first, second = srv.requests_of(key(i))
            assert 0.3 - 0.02 <= second.t - first.t_done < 5.0  # capped at 0.3 s, not the 30 s asked
        assert time.monotonic() - t0 < 15  # the 30 s hint was capped: far below 30 s


def test_429_without_retry_after_uses_short_backoff():
    plan = lambda k, n: ("429" if n <= 2 else "ok")  # noqa: E731
    with FakeEndpoint.with_faults(plan=plan) as srv:
        s = make_settings(srv, backoff_initial_s=0.05, backoff_max_s=0.1)
        results = asyncio.run(run_all(Extractor(s), [article(i) for i in range(10)], concurrency=10))
        assert all(isinstance(r, ExtractionResult) and r.usage.transport_retries == 2 for r in results)
        for i in range(10):
            reqs = srv.requests_of(key(i))
            assert [r.fault for r in reqs] == ["429", "429", "ok"]
            for a, b in zip(reqs, reqs[1:]):
                assert b.t - a.t_done < 0.1 + 2.0  # backoff_max_s plus a busy machine's scheduling slack


def test_sync_extract_under_faults():
    mix = {"503": 0.15, "reset": 0.1, "429_ra": 0.05, "schema": 0.1}
    with FakeEndpoint.with_faults(mix, seed=7, retry_after="0.1") as srv:
        s = make_settings(srv)
        keys, results = [], []
        with Extractor(s) as ex:
            for i in range(30):
                keys.append(key(i))
                try:
                    results.append(ex.extract(article(i)))
                except ModelCallError as exc:
                    results.append(exc)
        check_outcomes(srv, s, keys, results)


# --------------------------------------------------------------------------- batch layer

run_batch = pytest.importorskip("extractor.runs").run_batch


def write_articles(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"a{i:04d}.txt"
        p.write_text(article(i), encoding="utf-8")
        paths.append(p)
    return paths


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


BATCH_MIX = {k: v for k, v in MIX.items() if k not in ("429_ra", "429")} | {"429_ra": 0.01, "429": 0.01}


def test_run_batch_fault_mix_summary_matches_records(tmp_path):
    n = 200
    write_articles(tmp_path / "in", n)
    # 3 unreadable inputs ride along: the run goes on and records them.
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    (tmp_path / "in" / "binary.txt").write_bytes(b"\x00\x01\x02garbage\x00")
    (tmp_path / "in" / "ws.md").write_text("   \n\t\n", encoding="utf-8")
    out = tmp_path / "out"
    with FakeEndpoint.with_faults(BATCH_MIX, seed=99, retry_after="0.1", slow_s=SLOW_S) as srv:
        s = make_settings(srv)
        records = []
        t0 = time.monotonic()
        summary = Extractor(s).run([tmp_path / "in"], out=out, concurrency=24, handle_sigint=False,
                            on_record=records.append)
        wall = time.monotonic() - t0
        assert wall < 90, wall
        budget = (s.max_reasks + 1) * (s.max_transport_retries + 1)
        per_article = srv.requests_per_article()
        assert set(per_article) == {key(i) for i in range(n)}
        assert max(per_article.values()) <= budget
        # The run's request count is what the server saw.
        assert summary.model_calls == len(srv.log)
        # Each article ended as the retry policy says it must, given the faults it met.
        for r in records:
            if r.error_kind == "input":
                continue
            k = "ART-" + Path(r.source).stem[1:]
            possible, n_expected = expected_outcome(srv, k, s)
            got = "ok" if r.ok else r.error_kind
            assert got in possible and per_article[k] == n_expected, (k, got, possible, [
                x.fault for x in srv.requests_of(k)])

    total = n + 3
    assert summary.total == total and summary.ok + summary.failed == total and len(records) == total
    assert summary.errors_by_kind.get("input") == 3
    assert summary.cached == 0 and summary.duplicates == 0 and not summary.interrupted
    rec_sources = [r.source for r in records]
    assert len(set(rec_sources)) == total
    assert Counter(r.status for r in records) == {"ok": summary.ok, "error": summary.failed}
    assert Counter(r.error_kind for r in records if not r.ok) == summary.errors_by_kind
    assert set(summary.errors_by_kind) <= MODEL_KINDS | {"input"}

    lines = read_jsonl(out / "articles.jsonl")
    assert len(lines) == total and len({line["source"] for line in lines}) == total
    assert {line["source"] for line in lines} == set(rec_sources)
    assert Counter(line["status"] for line in lines) == {"ok": summary.ok, "error": summary.failed}
    for line in lines:
        if line["status"] == "error":
            assert line["error"] and line["error_kind"]
    on_disk = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert on_disk["articles"] == total and on_disk["ok"] == summary.ok and on_disk["error"] == summary.failed
    assert on_disk["errors_by_kind"] == summary.errors_by_kind
    assert sum(summary.facts_by_type.values()) == on_disk["facts"]

    import sqlite3

    con = sqlite3.connect(out / "extractor.sqlite")
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT count(*) FROM records").fetchone()[0] == total
        assert dict(con.execute("SELECT status, count(*) FROM records GROUP BY status").fetchall()) == {
            k: v for k, v in {"ok": summary.ok, "error": summary.failed}.items() if v}
    finally:
        con.close()

    # Re-run with a clean server: ok articles make no call, failed model calls are retried.
    failed_model = sum(v for k, v in summary.errors_by_kind.items() if k != "input")
    with FakeEndpoint() as srv2:
        s2 = make_settings(srv2)
        again = Extractor(s2).run([tmp_path / "in"], out=out, concurrency=8, handle_sigint=False)
        assert len(srv2.log) == failed_model
        assert again.ok == n and again.failed == 3 and again.cached == summary.ok
    assert len(read_jsonl(out / "articles.jsonl")) == total


def test_run_batch_retry_after_pauses_the_article(tmp_path):
    write_articles(tmp_path / "in", 10)
    plan = lambda k, n: ("429_ra" if n == 1 and k in ("ART-0003", "ART-0007") else "ok")  # noqa: E731
    with FakeEndpoint.with_faults(plan=plan, retry_after="0.5") as srv:
        summary = Extractor(make_settings(srv)).run([tmp_path / "in"], out=tmp_path / "out", concurrency=4,
                            handle_sigint=False)
        assert summary.ok == 10 and summary.rate_limited == 2
        for k in ("ART-0003", "ART-0007"):
            first, second = srv.requests_of(k)
            assert second.t - first.t_done >= 0.5 - 0.02
