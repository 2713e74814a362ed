"""Issue 22: per-article work done once, a lean request, worker processes, no silent profile guess.

Speed itself is measured by scripts (``scripts/bench_peers.py``, ``scripts/bench_batch.py``),
never timed here; these tests hold what the faster paths must not change. Model answers
are SYNTHETIC (tests/fakes.py).
"""

from __future__ import annotations

import json
import pickle
import random
from pathlib import Path
from typing import Any

import pytest
from fakes import QUOTE_MODE, FakeEndpoint, quote_article_answer
from typer.testing import CliRunner

from extractor import Extractor, Settings
from extractor.cli import app
from extractor.core.fields import field_roles
from extractor.model.compact import compact_schema
from extractor.model.providers import guess_provider
from extractor.pipeline import ArticlePipeline, default_workers
from extractor.schemas.health_news import HealthNewsArticle
from extractor.text import cleaning
from extractor.text.textnorm import PINYIN_ANNOTATION, Folded, _fold_char, fold

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "examples" / "seeds").glob("0*.txt"))


# --------------------------------------------------------------------------- no silent profile guess

@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/v1", "http://localhost:1234/v1", "http://[::1]:8000/v1",
                                 "http://127.0.0.2:5000/v1", "http://0.0.0.0:8080/v1"])
def test_a_loopback_url_is_the_openai_compatible_profile(url):
    assert guess_provider(url) == "openai_compatible"
    s = Settings(base_url=url, model="my-model")
    assert s.profile().name == "openai_compatible" and s.resolved_model() == "my-model"
    assert s.resolved_api_key() == "not-needed" and s.resolved_base_url() == url
    # llama.cpp's profile (8k context: 3 chunks a seed) only when asked for by name.
    assert Settings(base_url=url, provider="llamacpp").profile().name == "llamacpp"


def test_a_loopback_url_without_a_model_says_so():
    from extractor.core.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="no model set for provider 'openai_compatible'"):
        Settings(base_url="http://127.0.0.1:8080/v1").resolved_model()


@pytest.mark.parametrize("url,name", [("https://api.deepseek.com/v1", "deepseek"), ("https://api.openai.com/v1", "openai"),
                                      ("http://gpu-box:8000/v1", "vllm"), ("http://gpu-box:11434/v1", "ollama"),
                                      ("https://my-proxy.example.org/v1", "openai"), (None, "openai")])
def test_other_urls_keep_their_profiles(url, name):
    assert guess_provider(url) == name


def test_one_seed_is_one_chunk_with_a_loopback_url():
    ex = ArticlePipeline(Settings(base_url="http://127.0.0.1:9/v1", model="m"))
    for seed in SEEDS:
        assert len(ex.prepare(seed.read_text(encoding="utf-8")).chunks) == 1


def test_the_run_says_what_it_asks_and_writes_it_in_the_summary(tmp_path, monkeypatch):
    for var in ("EXTRACTOR_API_KEY", "OPENAI_API_KEY", "EXTRACTOR_BASE_URL", "EXTRACTOR_MODEL", "EXTRACTOR_PROVIDER"):
        monkeypatch.delenv(var, raising=False)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Report\n\nThe hospital has 120 beds.\n", encoding="utf-8")
    endpoint = FakeEndpoint({"quantities": []})
    with endpoint.serve() as url:
        res = CliRunner().invoke(app, ["run", str(folder), "--out", str(tmp_path / "out"), "--base-url", url,
                                       "--model", "my-model", "--no-local"])
    assert res.exit_code == 0, res.output
    first = next(line for line in res.output.splitlines() if line.strip())
    chunk = ArticlePipeline(Settings(base_url=url, model="my-model"))._chunk_budget()
    assert first.startswith("provider openai_compatible, model my-model, ") and f"chunks of up to {chunk:,} tokens" in first
    endpoint_info = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))["run"]["endpoint"]
    assert endpoint_info["provider"] == "openai_compatible" and endpoint_info["model"] == "my-model"
    assert endpoint_info["chunk_tokens"] == chunk > 8_000 and endpoint_info["base_url"] == url


# --------------------------------------------------------------------------- resolved once

def test_the_profile_is_read_once_and_settings_stay_values(monkeypatch):
    from extractor.model import settings as settings_module

    calls = []
    real = settings_module.get_profile
    monkeypatch.setattr(settings_module, "get_profile", lambda name: calls.append(name) or real(name))
    s = Settings(provider="deepseek")
    for _ in range(50):
        s.profile(), s.chunk_budget(3000), s.resolved_model()
    assert calls == ["deepseek"]
    assert s == Settings(provider="deepseek") and hash(s) == hash(Settings(provider="deepseek"))
    other = s.model_copy(update={"provider": "qwen"})
    assert other.profile().name == "qwen" and s.profile().name == "deepseek"
    assert pickle.loads(pickle.dumps(s)).profile().name == "deepseek"


def test_the_text_is_cleaned_once(monkeypatch):
    calls = []
    real = cleaning.clean_text
    monkeypatch.setattr(cleaning, "clean_text", lambda *a, **k: calls.append(1) or real(*a, **k))
    text = SEEDS[1].read_text(encoding="utf-8")
    ex = ArticlePipeline(Settings(base_url="http://127.0.0.1:9/v1", model="m"))
    doc = ex.document(text)
    prepared = ex.prepare(doc)
    assert len(calls) == 1 and prepared.cleaned is doc.cleaned
    assert prepared.cleaned == real(text)  # the same cleaning as ever
    # A document that travels to another process leaves its cleaned text behind (it is cleaned there).
    again = pickle.loads(pickle.dumps(doc))
    assert again == doc and again.cleaned is None and again.cleaned_text() == doc.cleaned


def test_field_roles_are_read_once_and_handed_out_fresh():
    first = field_roles(HealthNewsArticle)
    first.clear()
    assert field_roles(HealthNewsArticle) and field_roles(HealthNewsArticle) == field_roles(HealthNewsArticle)


def _fold_per_character(text: str, *, drop_pinyin: bool = True, collapse_space: bool = True) -> Folded:
    """The fold as first written, one Python step per character: the reference."""
    skip = bytearray(len(text))
    if drop_pinyin:
        for m in PINYIN_ANNOTATION.finditer(text):
            skip[m.start():m.end()] = b"\x01" * (m.end() - m.start())
    out: list[str] = []
    idx: list[int] = []
    last_space = True
    for i, ch in enumerate(text):
        if skip[i]:
            continue
        if ch.isspace() and collapse_space:
            if not last_space:
                out.append(" ")
                idx.append(i)
            last_space = True
            continue
        for c in _fold_char(ch):
            if c.isspace() and collapse_space:
                if last_space:
                    continue
                c, last_space = " ", True
            else:
                last_space = False
            out.append(c)
            idx.append(i)
    if collapse_space and out and out[-1] == " ":
        out.pop()
        idx.pop()
    idx.append(len(text))
    return Folded(text="".join(out), to_original=tuple(idx), original_length=len(text))


def test_fold_is_the_per_character_fold():
    alphabet = list(" \t\n\u3000\xa0\u200b\u200cabcAB12۳٣醫院報(bào)ﷺ﷽ يىكة«»，。！ﬁ①Ⅻ…\u0640\u064e")
    rng = random.Random(22)
    texts = [s.read_text(encoding="utf-8") for s in SEEDS]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(3000)]
    for text in texts:
        for kw in ({}, {"collapse_space": False}, {"drop_pinyin": False}):
            assert fold(text, **kw) == _fold_per_character(text, **kw), (text, kw)


# --------------------------------------------------------------------------- a lean request

def _resolved(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _resolved(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: _resolved(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_resolved(v, defs) for v in node]
    return node


def _without_titles_and_empty_defaults(node: Any, *, root: bool = True) -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if (k == "title" and not root and isinstance(v, str)) or (k == "default" and v in (None, [], {})):
                continue
            if k == "properties":
                out[k] = {name: _without_titles_and_empty_defaults(sub, root=False) for name, sub in v.items()}
            else:
                out[k] = _without_titles_and_empty_defaults(v, root=False)
        return out
    if isinstance(node, list):
        return [_without_titles_and_empty_defaults(v, root=False) for v in node]
    return node


@pytest.mark.parametrize("form", [{}, QUOTE_MODE], ids=["labels", "quotes"])
def test_the_compact_schema_says_the_same_in_fewer_bytes(form):
    ex = ArticlePipeline(Settings(base_url="http://127.0.0.1:9/v1", model="m", **form))
    full = ex.response_model.model_json_schema()
    compact = compact_schema(full)
    # Resolved, the compact schema is the full one without titles and empty defaults: same
    # types, enums, required fields and descriptions everywhere.
    assert _resolved(compact, compact["$defs"]) == _without_titles_and_empty_defaults(_resolved(full, full["$defs"]))
    size = len(json.dumps(compact, ensure_ascii=False, separators=(",", ":")).encode())
    assert size < 0.8 * len(json.dumps(full, ensure_ascii=False, separators=(",", ":")).encode())
    assert compact["title"] == full["title"]  # the tool's name


def test_requests_carry_the_compact_schema_and_validate_the_same_answers():
    def answer(body: dict) -> dict:
        return quote_article_answer(body, tuple(w for w in SEEDS[0].read_text(encoding="utf-8").split()
                                                if len(w) >= 4)[:40])

    text = SEEDS[0].read_text(encoding="utf-8")
    results = {}
    for compact in (True, False):
        endpoint = FakeEndpoint(answer=answer)
        s = Settings(provider="openai", api_key="sk-test", model="m", compact_schema=compact, **QUOTE_MODE)
        results[compact] = Extractor(s, client=endpoint.client(api_key="sk-test")).extract(text)
        sent = endpoint.requests[0]["tools"][0]["function"]["parameters"]
        assert ("$ref" in json.dumps(sent["$defs"]["Quantity"])) is compact
        assert ('"title": "Evidence"' in json.dumps(sent)) is not compact
    assert [f.model_dump() for f in results[True].facts] == [f.model_dump() for f in results[False].facts]
    assert results[True].facts


# --------------------------------------------------------------------------- worker processes

def test_default_workers():
    assert default_workers(1) == default_workers(2) == 0 and default_workers(8) == 7


def test_worker_processes_give_the_same_records(tmp_path, monkeypatch):
    folder = tmp_path / "in"
    folder.mkdir()
    for seed in SEEDS[:3]:
        (folder / seed.name).write_text(seed.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "empty.txt").write_text("   \n", encoding="utf-8")

    def answer(body: dict) -> dict:
        return quote_article_answer(body, ("医院", "Kermanshah"))

    def not_here(*args: object, **kw: object) -> None:
        raise AssertionError("prepare ran in the parent process")

    rows = {}
    for workers in (0, 1):
        if workers:  # the stages must run in the worker, where this patch does not reach
            monkeypatch.setattr(ArticlePipeline, "prepare", not_here)
            monkeypatch.setattr(ArticlePipeline, "finish", not_here)
        endpoint = FakeEndpoint(answer=answer)
        with endpoint.serve() as url:
            s = Settings(base_url=url, model="m", max_transport_retries=0)
            summary = Extractor(s).run([folder], out=tmp_path / f"out{workers}", handle_sigint=False,
                                       engine_options={"workers": workers})
        assert (summary.ok, summary.failed) == (3, 1)
        lines = (tmp_path / f"out{workers}" / "articles.jsonl").read_text(encoding="utf-8").splitlines()
        keep = ("source", "status", "error", "document", "facts", "data", "mentions", "sentences", "warnings")
        rows[workers] = sorted(json.dumps({k: json.loads(x)[k] for k in keep}, sort_keys=True) for x in lines)
    assert rows[0] == rows[1]


def test_answers_paid_for_survive_worker_processes_that_die(tmp_path):
    """The worker processes die (the OOM killer) while the requests are answered: the
    answers are paid for, so the articles are finished here and stored; the same run
    again asks nothing."""
    import contextlib
    import multiprocessing
    import os
    import signal
    import threading

    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(2):
        (folder / f"a{i}.txt").write_text(f"County Hospital report {i}\n\nThe hospital has 120 beds. "
                                          f"It treated {i * 7 + 3} patients.\n", encoding="utf-8")
    killed: list[int] = []
    lock = threading.Lock()

    def synthetic_answer_while_the_workers_die(body: dict) -> dict:
        with lock:  # the two requests arrive together: the workers are killed once
            for child in [] if killed else multiprocessing.active_children():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signal.SIGKILL)
                killed.append(child.pid or 0)
        return quote_article_answer(body)

    endpoint = FakeEndpoint(answer=synthetic_answer_while_the_workers_die)
    with endpoint.serve() as url:
        s = Settings(base_url=url, model="m", provider="openai", api_key="sk-test-x1234567",
                     max_transport_retries=0, labels=False, evidence_mode="quote")
        first = Extractor(s).run([folder], out=tmp_path / "out", handle_sigint=False, engine_options={"workers": 1})
        assert killed and endpoint.calls == 2
        assert (first.ok, first.failed) == (2, 0)
        again = Extractor(s).run([folder], out=tmp_path / "out", handle_sigint=False, engine_options={"workers": 0})
    assert endpoint.calls == 2 and again.requested == 0 and again.ok == 2


def test_the_token_estimate_is_the_per_character_count():
    from extractor.text.chunking import _is_dense, estimate_tokens

    def per_character(text: str) -> int:
        dense = other = 0
        for ch in text:
            if ch.isascii():
                other += 1
            elif _is_dense(ch):
                dense += 1
            else:
                other += 2
        return dense + (other + 3) // 4

    rng = random.Random(22)
    texts = [s.read_text(encoding="utf-8") for s in SEEDS]
    texts += ["".join(chr(rng.choice([rng.randint(0, 0x7F), rng.randint(0x80, 0xFFFF), rng.randint(0x4E00, 0x9FFF)]))
                      for _ in range(rng.randint(0, 60))) for _ in range(3000)]
    for text in texts:
        assert estimate_tokens(text) == per_character(text), text
