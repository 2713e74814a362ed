"""OpenAI Batch API mode: submit → status → collect, resumable, same outputs as a run.

The OpenAI files/batches endpoints are the SYNTHETIC in-memory fake of tests/fakes.py
(FakeBatchAPI), served in process; nothing reaches the network.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from fakes import FakeBatchAPI, FakeEndpoint, over
from typer.testing import CliRunner

from extractor import Extractor
from extractor.pipeline import ArticlePipeline
from extractor.runs.batchapi import collect, poll, submit
from extractor.runs.engines.batchapi import BatchApiEngine
from extractor.store import Store
from tests.test_batch import SYNTHETIC_FACTS, make_settings, write_articles

SECRET = "sk-test-SECRET"


def synthetic_extractor(api: FakeBatchAPI, **kw) -> Extractor:
    return Extractor(make_settings(api_key=SECRET, **kw), client=api.client(api_key=SECRET))


def read_lines(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "articles.jsonl").read_text(encoding="utf-8").splitlines()]


def test_submit_status_collect_same_outputs_as_a_run(tmp_path):
    d = tmp_path / "in"
    write_articles(d, 4)
    (d / "lines.jsonl").write_text(json.dumps({"id": "j1", "text": "County Hospital has 9 beds.\n"}) + "\n"
                                   + "not json\n", encoding="utf-8")
    api = FakeBatchAPI(in_progress_polls=2)
    out = tmp_path / "out"
    ex = synthetic_extractor(api)

    batch_id = submit(ex, [d], out=out)
    assert batch_id == "batch_1"
    # The bad jsonl line is an error record at once; nothing else is exported yet.
    lines = read_lines(out)
    assert [(x["status"], x["error_kind"]) for x in lines] == [("error", "input")]
    # The request bodies are what instructor sends in tools mode.
    body = json.loads(api.files["file-1"].decode().splitlines()[0])["body"]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "HealthNewsArticle"}}
    assert body["tools"][0]["function"]["name"] == "HealthNewsArticle"
    assert body["model"] == "gpt-4o-mini" and body["temperature"] == 0.0 and body["max_tokens"] == 4096

    st = poll(ex, out)
    assert (st.batch_id, st.status, st.ended) == ("batch_1", "in_progress", False)
    pending = collect(ex, out)
    assert pending.pending == 5 and pending.ok == 0  # not ended: nothing written
    st = poll(ex, out, batch_id)
    assert st.status == "completed" and st.completed == 5 and st.failed == 0

    s = collect(ex, out, batch_id)
    assert s.pending == 0 and (s.ok, s.failed, s.total) == (5, 0, 5) and s.exit_code == 0
    assert s.facts_by_type.get("quantity") == 5
    assert s.usage.prompt_tokens == 500 and s.usage.calls == 5
    assert s.usage.cost_usd is not None and s.usage.cost_usd > 0

    # The same articles through a normal run (SYNTHETIC chat server) give the same shape.
    ref = tmp_path / "ref"
    over(Extractor(make_settings()), FakeEndpoint(SYNTHETIC_FACTS).transport()).run([d], out=ref)
    got, want = read_lines(out), read_lines(ref)
    assert [x["source"] for x in got] == [x["source"] for x in want]
    assert [x["status"] for x in got] == [x["status"] for x in want]
    for g, w in zip(got, want):
        assert set(g) == set(w)
        if g["status"] == "ok":
            assert set(g["facts"][0]) == set(w["facts"][0])
            assert set(g["document"]) == set(w["document"])
            assert all(f["grounded"] for f in g["facts"])
    assert sorted(p.name for p in (out / "tables").iterdir()) == sorted(p.name for p in (ref / "tables").iterdir())
    with open(out / "tables" / "quantity.csv", encoding="utf-8-sig") as a, \
            open(ref / "tables" / "quantity.csv", encoding="utf-8-sig") as b:
        assert next(csv.reader(a)) == next(csv.reader(b))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ok"] == 5 and summary["error"] == 1


def test_cost_is_half_the_profile_price(tmp_path):
    d = tmp_path / "in"
    write_articles(d, 1)
    api = FakeBatchAPI()
    ex = synthetic_extractor(api)
    submit(ex, [d], out=tmp_path / "out")
    s = collect(ex, tmp_path / "out")
    full = ex.pipeline.model_client.price.cost(100, 20)
    assert s.usage.cost_usd == pytest.approx(full / 2)


def test_resumable_and_no_duplicates(tmp_path):
    d = tmp_path / "in"
    write_articles(d, 3)
    api = FakeBatchAPI()
    out = tmp_path / "out"
    ex = synthetic_extractor(api)
    first = submit(ex, [d], out=out)
    # Submitted but not collected: a second submit sends nothing again.
    assert submit(ex, [d], out=out) is None
    assert len(api.batches) == 1

    s1 = collect(ex, out, first)
    s2 = collect(ex, out, first)  # collecting twice
    assert (s1.ok, s1.requested, s2.requested, s2.reused) == (3, 3, 0, 3)  # collecting twice writes nothing new
    with Store(out) as st:
        assert st.count() == 3
        attempts = [r.attempts for r in st.iter_records()]
    assert attempts == [1, 1, 1]
    assert len(read_lines(out)) == 3

    # Nothing new after collecting: nothing submitted, no upload.
    uploads = api.calls.count("POST /v1/files")
    assert submit(ex, [d], out=out) is None
    assert api.calls.count("POST /v1/files") == uploads

    # One new article: only it is submitted.
    write_articles(d, 1, start=3)
    second = submit(ex, [d], out=out)
    assert second == "batch_2"
    assert len(api.files[api.batches[second]["input_file_id"]].decode().splitlines()) == 1
    assert collect(ex, out).ok == 1  # the latest batch by default
    assert len(read_lines(out)) == 4


def test_crash_mid_collect_can_be_rerun(tmp_path, monkeypatch):
    d = tmp_path / "in"
    write_articles(d, 3)
    api = FakeBatchAPI()
    out = tmp_path / "out"
    ex = synthetic_extractor(api)
    bid = submit(ex, [d], out=out)
    real_finish = ex.pipeline.finish
    calls = {"n": 0}

    def crashing_finish(prepared, outcomes):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("synthetic crash")
        return real_finish(prepared, outcomes)

    monkeypatch.setattr(ex.pipeline, "finish", crashing_finish)
    with pytest.raises(KeyboardInterrupt):
        collect(ex, out, bid)
    monkeypatch.setattr(ex.pipeline, "finish", real_finish)
    s = collect(ex, out, bid)
    assert (s.ok, s.requested, s.reused) == (3, 2, 1)
    with Store(out) as st:
        assert st.count() == 3 and st.count("ok") == 3


def test_failed_and_broken_lines_become_error_records(tmp_path):
    d = tmp_path / "in"
    write_articles(d, 4)
    api = FakeBatchAPI(fail=lambda cid: cid.endswith(":0") and _nth(cid) == 1,
                            broken=lambda cid: _nth(cid) == 2)
    out = tmp_path / "out"
    ex = synthetic_extractor(api)
    _ORDER.clear()
    bid = submit(ex, [d], out=out)
    s = collect(ex, out, bid)
    assert (s.ok, s.failed) == (2, 2) and s.exit_code == 1
    assert s.errors_by_kind == {"transport": 1, "validation": 1}
    errors = {x["error_kind"]: x for x in read_lines(out) if x["status"] == "error"}
    assert "context_length_exceeded" in errors["transport"]["error"]
    assert "HTTP 400" in errors["transport"]["error"]
    assert errors["validation"]["text"]  # the article's text is kept with the error
    # The failed articles are submitted again next time; the ok ones are not.
    api.fail = api.broken = lambda cid: False
    again = submit(ex, [d], out=out)
    assert again and len(api.files[api.batches[again]["input_file_id"]].decode().splitlines()) == 2
    assert collect(ex, out).ok == 2
    assert all(x["status"] == "ok" for x in read_lines(out))


_ORDER: dict[str, int] = {}


def _nth(cid: str) -> int:
    """The order in which an article's first request was seen (SYNTHETIC selection helper)."""
    sha = cid.split(":")[0]
    return _ORDER.setdefault(sha, len(_ORDER))


def test_missing_answer_is_an_error_record(tmp_path):
    d = tmp_path / "in"
    write_articles(d, 2)
    api = FakeBatchAPI()
    out = tmp_path / "out"
    ex = synthetic_extractor(api)
    bid = submit(ex, [d], out=out)
    poll(ex, out, bid)  # runs the batch
    b = api.batches[bid]
    lines = api.files[b["output_file_id"]].decode().splitlines()
    api.files[b["output_file_id"]] = (lines[0] + "\n").encode()  # the second answer never came
    s = collect(ex, out, bid)
    assert (s.ok, s.failed) == (1, 1)
    err = [x for x in read_lines(out) if x["status"] == "error"][0]
    assert "no answer for chunk 0" in err["error"]


def test_failed_batch_makes_error_records_and_can_be_resubmitted(tmp_path):
    d = tmp_path / "in"
    write_articles(d, 2)
    api = FakeBatchAPI(batch_fails=True)
    out = tmp_path / "out"
    ex = synthetic_extractor(api)
    bid = submit(ex, [d], out=out)
    s = collect(ex, out, bid)
    assert s.pending == 0 and (s.ok, s.failed) == (0, 2)
    assert "batch batch_1 failed" in read_lines(out)[0]["error"]
    assert all("model not available in batch" in x["error"] for x in read_lines(out))
    api.batch_fails = False
    again = submit(ex, [d], out=out)
    assert again and again != bid
    assert collect(ex, out).ok == 2


def test_api_key_never_written(tmp_path):
    d = tmp_path / "in"
    write_articles(d, 2)
    api = FakeBatchAPI()
    out = tmp_path / "out"
    ex = synthetic_extractor(api)
    collect(ex, out, submit(ex, [d], out=out))
    assert f"Bearer {SECRET}" in api.auth_headers  # the key was used...
    for p in out.rglob("*"):
        if p.is_file():
            assert SECRET.encode() not in p.read_bytes(), p  # ...and never stored
    with Store(out) as st:
        jobs = st.conn.execute("SELECT settings_json FROM batch_jobs").fetchall()
    assert jobs and all("api_key" not in j[0] for j in jobs)


def test_collect_refuses_other_settings(tmp_path):
    d = tmp_path / "in"
    write_articles(d, 1)
    api = FakeBatchAPI()
    out = tmp_path / "out"
    bid = submit(synthetic_extractor(api), [d], out=out)
    from extractor.core.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="same settings"):
        collect(synthetic_extractor(api, model="gpt-4o"), out, bid)


def test_cli_submit_status_collect(tmp_path, monkeypatch):
    from extractor.cli import app

    d = tmp_path / "in"
    write_articles(d, 2)
    api = FakeBatchAPI(in_progress_polls=1)  # the run looks once right after submitting: still running
    out = tmp_path / "out"
    real_client = ArticlePipeline.model_client

    def fake_client(self):  # the CLI builds its own Extractor: give it the SYNTHETIC API
        if self._model_client is None:
            self._client_args["client"] = api.client(api_key=SECRET)
        return real_client.fget(self)

    monkeypatch.setattr(ArticlePipeline, "model_client", property(fake_client))
    for where in ("extractor.model.endpoint", "extractor.runs.runner"):  # no network here
        monkeypatch.setattr(f"{where}.check_endpoint", lambda *a, **k: None)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    for var in ("EXTRACTOR_MODEL", "EXTRACTOR_BASE_URL", "EXTRACTOR_PROVIDER", "EXTRACTOR_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    runner = CliRunner()
    r = runner.invoke(app, ["run", str(d), "--out", str(out), "--provider", "openai", "--model", "gpt-4o-mini",
                            "--batch-api"])
    assert r.exit_code == 0, r.output
    assert "batch_1" in r.output and "batch-collect" in r.output
    r = runner.invoke(app, ["batch-status", str(out)])
    assert r.exit_code == 0, r.output
    assert "batch_1" in r.output
    r = runner.invoke(app, ["batch-collect", str(out), "--batch-id", "batch_1", "--poll-interval", "0"])
    assert r.exit_code == 0, r.output
    assert len(read_lines(out)) == 2 and all(x["status"] == "ok" for x in read_lines(out))
    r = runner.invoke(app, ["batch-collect", str(out)])  # again: nothing new, still fine
    assert r.exit_code == 0, r.output
    assert len(read_lines(out)) == 2
    # One --wait: polling for the batch and queueing for the folder are one wish.
    from extractor.store.lock import OutputLock
    with OutputLock(out):
        r = runner.invoke(app, ["batch-collect", str(out), "--no-wait"])
    assert r.exit_code == 2 and "being written by another run" in r.output, r.output


def test_chunked_differently_raises_and_marks_nothing_collected(tmp_path):
    from extractor.core.errors import ConfigurationError

    d = tmp_path / "in"
    write_articles(d, 2)
    api = FakeBatchAPI()
    out = tmp_path / "out"
    ex = synthetic_extractor(api)
    bid = submit(ex, [d], out=out)
    poll(ex, out, bid)
    with Store(out) as st:
        st.conn.execute("UPDATE batch_items SET chunks=chunks+1")
    with pytest.raises(ConfigurationError, match="chunked differently"):
        collect(ex, out, bid)
    with Store(out) as st:
        assert st.conn.execute("SELECT count(*) FROM batch_items WHERE collected=1").fetchone()[0] == 0
        assert st.count() == 0


def test_jsonl_with_other_field_names_is_collected(tmp_path):
    """The fields a job's JSONL was read with are kept with the job, so collect finds each article."""
    from extractor import RunOptions

    d = tmp_path / "in"
    d.mkdir()
    rows = [{"uid": f"x{i}", "body": f"County Hospital report.\n\nThe hospital has {100 + i} beds."} for i in range(3)]
    (d / "news.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    api = FakeBatchAPI()
    ex = synthetic_extractor(api)
    out = tmp_path / "out"
    batch_id = submit(ex, [d], RunOptions(out=out, text_field="body", id_field="uid"))
    summary = collect(synthetic_extractor(api), out, batch_id, wait=True, poll_interval=0)
    assert summary.ok == 3 and summary.failed == 0
    assert sorted(line["source"].rsplit("#", 1)[1] for line in read_lines(out)) == ["x0", "x1", "x2"]


def test_copies_and_already_done_articles_appear_once_each_after_collect(tmp_path):
    """A copy of an article in the same submission, and an article added to a finished folder's
    inputs under a new name, each get their row, like in a run."""
    d = tmp_path / "in"
    write_articles(d, 2)
    first = sorted(d.iterdir())[0]
    (d / "copy_of_first.txt").write_bytes(first.read_bytes())
    api = FakeBatchAPI()
    out = tmp_path / "out"
    ex = synthetic_extractor(api)
    submit(ex, [d], out=out)
    s = collect(ex, out, "batch_1")
    assert s.pending == 0 and len(api.files["file-1"].decode().splitlines()) == 2  # the copy is not paid for
    assert sorted(Path(x["source"]).name for x in read_lines(out)) == sorted(p.name for p in d.iterdir())
    (d / "renamed.txt").write_bytes(first.read_bytes())  # done content under a new name: nothing to submit
    assert submit(ex, [d], out=out) is None and len(api.batches) == 1
    from extractor.outputs.export import export_all
    export_all(out)
    assert sorted(Path(x["source"]).name for x in read_lines(out)) == sorted(p.name for p in d.iterdir())


def test_a_pending_batch_of_another_model_does_not_answer_this_one(tmp_path):
    d = tmp_path / "in"
    write_articles(d, 3)
    api = FakeBatchAPI(in_progress_polls=100)
    out = tmp_path / "out"
    assert submit(synthetic_extractor(api), [d], out=out) == "batch_1"  # still in progress
    other = Extractor(make_settings(api_key=SECRET, model="gpt-4o"), client=api.client(api_key=SECRET))
    assert submit(other, [d], out=out) == "batch_2"
    assert len(api.files["file-2"].decode().splitlines()) == 3


def test_a_v01_job_still_pending_is_not_submitted_again(tmp_path):
    """A job sent by v0.1 (its key migrated to ``v0.1/...``) still holds its articles."""
    import dataclasses

    from extractor.store.sqlite import legacy_request_key
    from extractor.text.reading import read_document

    d = tmp_path / "in"
    paths = write_articles(d, 3)
    api = FakeBatchAPI()
    out = tmp_path / "out"
    ex = synthetic_extractor(api)
    doc = read_document(paths[0])
    v01 = dataclasses.replace(ex.identity, request_key=legacy_request_key(ex.identity))
    with Store(out) as st:
        st.batch_jobs.add(job_id="v01job", identity=v01, settings_json="{}", endpoint="/v1/chat/completions",
                          input_path=str(out / "batches" / "old.jsonl"), articles=1,
                          items=[(f"{doc.sha256}:0", doc.sha256, doc.source, str(paths[0]), 0, 1)])
        st.batch_jobs.set_batch("v01job", "batch_v01", "in_progress")
    submit(ex, [d], out=out)
    sent = [json.loads(line)["custom_id"] for line in api.files["file-1"].decode().splitlines()]
    assert len(sent) == 2 and f"{doc.sha256}:0" not in sent


def test_collect_uses_the_environments_base_url_with_its_credentials(tmp_path, monkeypatch):
    from extractor.runs.batchapi import job_settings

    d = tmp_path / "in"
    write_articles(d, 1)
    api = FakeBatchAPI()
    out = tmp_path / "out"
    ex = Extractor(make_settings(api_key=SECRET, base_url="http://proxy-user:pw@proxy:8080/v1"),
                   client=api.client(api_key=SECRET))
    submit(ex, [d], out=out)
    assert "pw@" not in (out / "extractor.sqlite").read_bytes().decode("utf-8", "replace")
    monkeypatch.setenv("EXTRACTOR_BASE_URL", "http://proxy-user:pw@proxy:8080/v1")
    assert job_settings(out).base_url == "http://proxy-user:pw@proxy:8080/v1"
    monkeypatch.setenv("EXTRACTOR_BASE_URL", "http://elsewhere:8080/v1")  # another endpoint: the job's own
    assert job_settings(out).base_url == "http://proxy:8080/v1"


def test_batch_result_lines_are_split_at_newlines_only(tmp_path):
    lines = [json.dumps({"custom_id": f"c{i}", "response": {"body": {"text": f"a{sep}b"}}}, ensure_ascii=False)
             for i, sep in enumerate(["\u2028", "\u0085", "\x0c"])]
    cache = tmp_path / "batch.output.jsonl"
    cache.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = BatchApiEngine._cached(None, "file-synthetic", cache)  # type: ignore[arg-type]  # read from the cache
    assert sorted(got) == ["c0", "c1", "c2"]
    assert got["c1"]["response"]["body"]["text"] == "a\u0085b"


def test_an_article_submitted_through_a_followed_link_is_collected(tmp_path):
    """Submitted with follow_symlinks, an article read through a link leading out of the
    input folder is collected too (collect reads the files again as the submit did)."""
    from extractor.core.options import RunOptions

    d = tmp_path / "in"
    write_articles(d, 1)
    elsewhere = tmp_path / "elsewhere"
    write_articles(elsewhere, 2)
    (d / "linked.txt").symlink_to(elsewhere / "a0001.txt")
    api = FakeBatchAPI()
    out = tmp_path / "out"
    ex = synthetic_extractor(api)
    bid = submit(ex, [d], options=RunOptions(out=out, follow_symlinks=True))
    s = collect(ex, out, bid)
    assert (s.ok, s.pending, s.failed) == (2, 0, 0), s
    assert sorted(Path(x["source"]).name for x in read_lines(out)) == ["a0000.txt", "linked.txt"]


# --------------------------------------------------------------------------- files gone before the collect

def _kept_texts(out: Path) -> int:
    with Store(out) as st:
        return st.conn.execute("SELECT count(*) FROM batch_texts").fetchone()[0]


def _beds(line: dict) -> list[float]:
    return [f["data"]["value"] for f in line["facts"] if f["type"] == "quantity"]


def _gone_and_changed(d: Path) -> tuple[Path, Path, Path]:
    """Submitted articles a0000 (to delete), a0001 (to change), a0002 (kept)."""
    gone, changed, kept = sorted(d.iterdir())
    gone.unlink()
    changed.write_text("County Hospital report, revised\n\nThe hospital now has 300 beds.\n", encoding="utf-8")
    return gone, changed, kept


def test_a_file_deleted_or_changed_before_the_collect_keeps_its_answer(tmp_path, caplog):
    """Nothing paid for is lost: the answers of a deleted and a changed file are derived
    from the texts kept at submit, stored under the paths submitted, and named in warnings;
    collecting sends nothing; the changed file's new content is asked once, next run."""
    d = tmp_path / "in"
    originals = {p.name: p.read_text(encoding="utf-8") for p in write_articles(d, 3)}
    api = FakeBatchAPI()
    out = tmp_path / "out"
    ex = synthetic_extractor(api)
    bid = submit(ex, [d], out=out)
    assert _kept_texts(out) == 3  # written with the job, before anything was sent
    gone, changed, kept = _gone_and_changed(d)
    uploads, batches = api.calls.count("POST /v1/files"), len(api.batches)

    with caplog.at_level("WARNING", logger="extractor"):
        s = collect(ex, out, bid)
    assert (s.ok, s.failed, s.pending, s.requested, s.from_submitted) == (3, 0, 0, 3, 2), s
    assert (api.calls.count("POST /v1/files"), len(api.batches)) == (uploads, batches)  # 0 new requests
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any(str(gone) in w and "deleted or moved since it was submitted" in w
               and "derived from the text submitted" in w for w in warned), warned
    assert any(str(changed) in w and "changed since it was submitted" in w for w in warned), warned
    assert not any(str(kept) in w for w in warned)
    with Store(out) as st:
        records = {Path(r.source).name: r for r in st.iter_records(latest_per_source=False)}
        assert st.batch_jobs.get(bid)["collected_at"] is not None
    assert sorted(records) == ["a0000.txt", "a0001.txt", "a0002.txt"]
    assert all(r.status == "ok" and r.text == originals[name] for name, r in records.items())  # the submitted texts
    lines = {Path(x["source"]).name: x for x in read_lines(out)}
    assert sorted(lines) == ["a0000.txt", "a0001.txt", "a0002.txt"]
    assert _beds(lines["a0001.txt"]) == [120]  # the answer to what was submitted
    assert any("deleted or moved since it was submitted" in w for w in lines["a0000.txt"]["document"]["warnings"])
    assert _kept_texts(out) == 0  # kept only until the records were stored

    # Collecting again: nothing new; the next run asks for the changed file's new content only.
    again = collect(ex, out, bid)
    assert (again.requested, again.reused, again.from_submitted, again.ok) == (0, 1, 0, 1)  # only the file still there
    nxt = submit(ex, [d], out=out)
    assert nxt and nxt != bid
    sent = [json.loads(x)["custom_id"] for x in api.files[api.batches[nxt]["input_file_id"]].decode().splitlines()]
    from extractor.text.reading import read_document
    assert [c.split(":")[0] for c in sent] == [read_document(changed).sha256]
    assert collect(ex, out, nxt).ok == 1
    lines = {Path(x["source"]).name: x for x in read_lines(out)}
    assert _beds(lines["a0001.txt"]) == [300] and lines["a0000.txt"]["status"] == "ok"


def test_the_same_run_command_collects_what_it_can_and_submits_the_new_content(tmp_path, caplog):
    """``extractor run IN --engine batchapi`` twice: the second collects the three answers
    (two from the texts submitted) and submits the changed file's new content."""
    d = tmp_path / "in"
    write_articles(d, 3)
    api = FakeBatchAPI(in_progress_polls=1)  # the first run sees its batch still running
    out = tmp_path / "out"
    ex = synthetic_extractor(api)
    first = ex.run([d], out=out, engine="batchapi")
    assert first.pending == 3 and first.ok == 0
    gone, changed, _ = _gone_and_changed(d)
    with caplog.at_level("WARNING", logger="extractor"):
        second = ex.run([d], out=out, engine="batchapi")
    assert (second.ok, second.from_submitted, second.pending, second.lost_answers) == (3, 2, 1, []), second
    assert len(api.batches) == 2
    assert len(api.files[api.batches["batch_2"]["input_file_id"]].decode().splitlines()) == 1
    warned = " ".join(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert str(gone) in warned and str(changed) in warned
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["run"]["from_submitted"] == 2


def test_what_became_of_a_submitted_file(tmp_path):
    from extractor.runs.discovery import what_became_of
    from extractor.text.reading import iter_documents, read_document

    d = tmp_path / "in"
    a, b, c = write_articles(d, 3)
    sha_a, sha_b, sha_c = (read_document(p).sha256 for p in (a, b, c))
    (d / "lines.jsonl").write_text(json.dumps({"id": "x", "text": "County Hospital has 9 beds."}) + "\n")
    (line,) = iter_documents(d / "lines.jsonl")
    assert what_became_of(a, sha_a) is None and what_became_of(d / "lines.jsonl", line.sha256) is None
    a.unlink()
    b.write_text("other text", encoding="utf-8")
    c.unlink()
    c.mkdir()  # a folder in its place
    (d / "lines.jsonl").write_text(json.dumps({"id": "x", "text": "County Hospital has 10 beds."}) + "\n")
    assert what_became_of(a, sha_a) == "deleted or moved"
    assert what_became_of(b, sha_b) == "changed"
    assert (what_became_of(c, sha_c) or "").startswith("made unreadable (")
    assert what_became_of(d / "lines.jsonl", line.sha256) == "changed (its line is no longer in the file)"


def _store_before_kept_texts(out: Path, monkeypatch) -> None:
    """An empty store with the migrations shipped before texts were kept (m001-m006)."""
    import sqlite3

    from extractor.store import migrations

    before = [m for m in migrations.MIGRATIONS if m[0] != "m007_batch_texts"]
    assert len(before) == len(migrations.MIGRATIONS) - 1
    out.mkdir()
    con = sqlite3.connect(out / "extractor.sqlite", isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    monkeypatch.setattr(migrations, "MIGRATIONS", before)
    migrations.migrate(con)
    monkeypatch.undo()
    con.close()


def test_a_store_made_before_texts_were_kept_is_migrated_and_reports_a_lost_answer(tmp_path, monkeypatch, caplog):
    """m007 adds the kept texts to an existing store, its jobs untouched. A job it holds
    has no kept text: an article whose file is gone is reported (file and batch), not
    silently dropped, and left uncollected, so the file put back is collected."""
    import sqlite3

    from extractor.store.migrations import applied

    d = tmp_path / "in"
    paths = write_articles(d, 3)
    api = FakeBatchAPI()
    ex = synthetic_extractor(api)
    submitted = tmp_path / "submitted"
    bid = submit(ex, [d], out=submitted)
    # The same job as a store made before the migration holds it: its journal, no texts.
    old = tmp_path / "old"
    _store_before_kept_texts(old, monkeypatch)
    con = sqlite3.connect(old / "extractor.sqlite", isolation_level=None)
    assert "batch_texts" not in {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    con.execute("ATTACH DATABASE ? AS new", (str(submitted / "extractor.sqlite"),))
    for table in ("batch_jobs", "batch_items"):
        con.execute(f"INSERT INTO {table} SELECT * FROM new.{table}")
    con.execute("DETACH DATABASE new")
    jobs_before = con.execute("SELECT * FROM batch_jobs").fetchall()
    con.close()

    with Store(old) as st:
        assert applied(st.conn)[-1] == "m007_batch_texts"
        assert st.conn.execute("SELECT * FROM batch_jobs").fetchall() == jobs_before
        assert st.conn.execute("SELECT count(*) FROM batch_texts").fetchone()[0] == 0

    saved = paths[0].read_bytes()
    paths[0].unlink()
    with caplog.at_level("WARNING", logger="extractor"):
        s = collect(ex, old, bid)
    assert (s.ok, s.failed, s.from_submitted) == (2, 0, 0)
    assert len(s.lost_answers) == 1 and str(paths[0]) in s.lost_answers[0] and bid in s.lost_answers[0]
    assert any(str(paths[0]) in r.getMessage() and bid in r.getMessage() for r in caplog.records
               if r.levelname == "WARNING")
    with Store(old) as st:
        assert st.batch_jobs.get(bid)["collected_at"] is None  # today's behaviour: the article still waits
    paths[0].write_bytes(saved)
    back = collect(ex, old, bid)
    assert (back.requested, back.ok, back.lost_answers) == (1, 3, [])
    assert len(api.batches) == 1


def test_a_deleted_file_in_a_failed_batch_is_an_error_record_named_after_it(tmp_path):
    """A batch that failed as a whole: the article whose file is gone gets its error record
    too (the text submitted kept with it), so it is reported, not skipped; no text is left."""
    d = tmp_path / "in"
    gone, _ = write_articles(d, 2)
    api = FakeBatchAPI(batch_fails=True)
    out = tmp_path / "out"
    ex = synthetic_extractor(api)
    bid = submit(ex, [d], out=out)
    gone.unlink()
    s = collect(ex, out, bid)
    assert (s.ok, s.failed, s.from_submitted) == (0, 2, 1)
    lines = {Path(x["source"]).name: x for x in read_lines(out)}
    assert sorted(lines) == ["a0000.txt", "a0001.txt"] and "batch batch_1 failed" in lines["a0000.txt"]["error"]
    assert lines["a0000.txt"]["text"]
    assert _kept_texts(out) == 0
