"""The Batch API without a crash window (issue 15): a submit killed right after
``batches.create`` (before the store learnt the batch id) is resumed by finding the batch
by its tag, never by creating a second one; every article is then collected once.

The files/batches API is the SYNTHETIC in-memory fake of tests/fakes.py (FakeBatchAPI),
served over loopback so that a child process can use it and be killed with it running.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx2
from fakes import FakeBatchAPI
from test_batch import make_settings, write_articles
from test_batchapi import SECRET

from extractor import Extractor
from extractor.runs.batchapi import JOB_TAG, collect, poll, submit
from extractor.store import Store

_CHILD = textwrap.dedent("""
    import os, sys
    import openai.resources.batches as batches
    from extractor import Extractor, RunOptions, Settings
    from extractor.runs.batchapi import submit

    real_create = batches.Batches.create

    def create_then_die(self, *args, **kwargs):
        batch = real_create(self, *args, **kwargs)
        print("created", batch.id, flush=True)
        os._exit(137)  # the process dies before the store learns the batch id

    batches.Batches.create = create_then_die
    settings = Settings(provider="openai", model="gpt-4o-mini", api_key=sys.argv[3], base_url=sys.argv[1],
                        labels=False, evidence_mode="quote")  # as make_settings: the same request
    submit(Extractor(settings), [sys.argv[2]], RunOptions(out=sys.argv[4]))
""")


def test_submit_killed_after_create_is_resumed_without_a_second_batch(tmp_path):
    d = tmp_path / "in"
    write_articles(d, 6)
    out = tmp_path / "out"
    api = FakeBatchAPI()
    with api.serve() as base_url:
        child = subprocess.run([sys.executable, "-c", _CHILD, base_url, str(d), SECRET, str(out)],
                               capture_output=True, text=True, timeout=120)
        assert child.returncode == 137, child.stderr[-2000:]
        assert child.stdout.startswith("created ")
        assert len(api.batches) == 1
        (created,) = api.batches
        with Store(out) as st:  # the job was written down before the batch existed
            (job,) = st.batch_jobs.unresolved()
            assert job["batch_id"] is None and job["input_file_id"]
        assert api.batches[created]["metadata"][JOB_TAG] == job["job_id"]

        ex = Extractor(make_settings(api_key=SECRET, base_url=base_url))
        # The next submit finds the batch by its tag and submits nothing new.
        assert submit(ex, [d], out=out) == created
        assert len(api.batches) == 1
        assert poll(ex, out).batch_id == created
        summary = collect(ex, out, wait=True, poll_interval=0)
    assert len(api.batches) == 1 and summary.ok == 6 and summary.failed == 0
    lines = [json.loads(x) for x in (out / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 6 and len({line["source"] for line in lines}) == 6
    assert all(line["status"] == "ok" for line in lines)
    # Each article was in the one batch once.
    custom = [r["custom_id"] for r in api.seen_requests]
    assert len(custom) == len(set(custom)) == 6


def test_submit_killed_before_create_completes_the_submit_once(tmp_path):
    """Died after the upload, before create: the next submit creates the batch from the upload."""
    d = tmp_path / "in"
    write_articles(d, 4)
    out = tmp_path / "out"
    api = FakeBatchAPI()
    child = _CHILD.replace("batch = real_create(self, *args, **kwargs)\n    print(\"created\", batch.id, flush=True)\n",
                           "print('before create', flush=True)\n")
    with api.serve() as base_url:
        res = subprocess.run([sys.executable, "-c", child, base_url, str(d), SECRET, str(out)],
                             capture_output=True, text=True, timeout=120)
        assert res.returncode == 137, res.stderr[-2000:]
        assert not api.batches and len(api.files) == 1
        # The local copy of the requests is gone: the upload is done, so it is not needed.
        with Store(out) as st:
            (job,) = st.batch_jobs.unresolved()
        Path(job["input_path"]).unlink()
        # A wrong key in this shell (401) says so and gives up nothing: the job stays.
        import openai
        import pytest

        wrong_key = Extractor(make_settings(api_key="sk-wrong", base_url=base_url))

        def refuse(*args, **kwargs):
            raise openai.AuthenticationError("invalid api key", body=None, response=httpx2.Response(
                401, request=httpx2.Request("POST", base_url + "/batches")))

        wrong_key.pipeline.model_client.client.batches.create = refuse
        with pytest.raises(openai.AuthenticationError):
            submit(wrong_key, [d], out=out)
        with Store(out) as st:
            assert [j["job_id"] for j in st.batch_jobs.unresolved()] == [job["job_id"]]
        ex = Extractor(make_settings(api_key=SECRET, base_url=base_url))
        batch_id = submit(ex, [d], out=out)
        assert len(api.batches) == 1 and len(api.files) == 1  # the upload was reused
        summary = collect(ex, out, batch_id, wait=True, poll_interval=0)
    assert summary.ok == 4
    assert Path(out / "articles.jsonl").read_text(encoding="utf-8").count("\n") == 4
