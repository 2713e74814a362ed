"""The command line: exit codes, dry run without a key, one-line config errors, resume.

The model is a SYNTHETIC OpenAI-compatible server over loopback (tests/fakes.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import FakeEndpoint
from typer.testing import CliRunner

from extractor.cli import app

runner = CliRunner()
KEY_VARS = ["EXTRACTOR_API_KEY", "OPENAI_API_KEY", "EXTRACTOR_BASE_URL", "EXTRACTOR_MODEL", "EXTRACTOR_PROVIDER"]

SYNTHETIC_ARGS = {"quantities": [{"measure": "beds", "value": 120, "unit": "bed",
                                  "evidence": "The hospital has 120 beds."}]}


@pytest.fixture
def synthetic_server():
    """SYNTHETIC chat-completions endpoint over loopback: always the same tool-call answer."""
    endpoint = FakeEndpoint(SYNTHETIC_ARGS, prompt_tokens=50, completion_tokens=10)
    with endpoint.serve() as url:
        yield url, endpoint


@pytest.fixture(autouse=True)
def no_keys(monkeypatch):
    for var in KEY_VARS:
        monkeypatch.delenv(var, raising=False)


def _articles(folder: Path, n: int = 3) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"a{i}.txt").write_text(f"Report {i}\n\nThe hospital has 120 beds.\n", encoding="utf-8")
    return folder


def test_usage_error_is_2():
    assert runner.invoke(app, ["run"]).exit_code == 2
    assert runner.invoke(app, ["run", "x", "--out", "o", "--concurrency", "0"]).exit_code == 2


def test_dry_run_without_key(tmp_path):
    res = runner.invoke(app, ["run", str(_articles(tmp_path / "in")), "--out", str(tmp_path / "out"), "--dry-run",
                              "--no-local"])
    assert res.exit_code == 0, res.output
    assert "estimated prompt tokens" in res.output and "articles" in res.output
    assert not (tmp_path / "out" / "extractor.sqlite").exists()


def test_missing_key_is_one_line_and_exit_2(tmp_path):
    res = runner.invoke(app, ["run", str(_articles(tmp_path / "in")), "--out", str(tmp_path / "out"), "--no-local",
                              "--provider", "openai"])
    assert res.exit_code == 2
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: no API key") and "EXTRACTOR_API_KEY" in lines[0]
    assert "Traceback" not in res.output


def test_unreachable_endpoint_is_one_line_and_exit_2(tmp_path, monkeypatch):
    monkeypatch.setenv("EXTRACTOR_API_KEY", "k")
    res = runner.invoke(app, ["run", str(_articles(tmp_path / "in")), "--out", str(tmp_path / "out"),
                              "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--no-local"])
    assert res.exit_code == 2
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert len(lines) == 1 and "cannot reach http://127.0.0.1:9/v1" in lines[0] and "EXTRACTOR_BASE_URL" in lines[0]


def test_run_ok_then_resume_without_calls_then_failures_exit_1(tmp_path, synthetic_server):
    url, model = synthetic_server
    inp = _articles(tmp_path / "in")
    args = ["run", str(inp), "--out", str(tmp_path / "out"), "--base-url", url, "--model", "synthetic",
            "--provider", "llamacpp", "--quiet", "--no-local", "--concurrency", "2"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert model.calls == 3
    assert "articles.jsonl" in res.output and "summary.json" in res.output
    res = runner.invoke(app, args)
    assert res.exit_code == 0 and model.calls == 3
    (inp / "empty.txt").write_bytes(b"")
    res = runner.invoke(app, args)
    assert res.exit_code == 1 and model.calls == 3
    lines = (tmp_path / "out" / "articles.jsonl").read_text().splitlines()
    assert len(lines) == 4


def test_log_json(tmp_path, synthetic_server):
    url, model = synthetic_server
    res = runner.invoke(app, ["run", str(_articles(tmp_path / "in", 2)), "--out", str(tmp_path / "out"),
                              "--base-url", url, "--model", "synthetic", "--provider", "llamacpp", "--log-json",
                              "--no-local"])
    assert res.exit_code == 0, res.output
    events = [json.loads(x) for x in res.output.splitlines() if x.startswith("{")]
    assert sum(1 for e in events if e.get("event") == "article") == 2
    assert any("summary" in e for e in events)


def test_extract_prints_json(tmp_path, synthetic_server):
    url, _ = synthetic_server
    f = _articles(tmp_path / "in", 1) / "a0.txt"
    res = runner.invoke(app, ["extract", str(f), "--base-url", url, "--model", "synthetic", "--provider", "llamacpp",
                              "--no-local"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["facts"][0]["type"] == "quantity" and data["facts"][0]["grounded"] is True


@pytest.mark.parametrize("kind", ["folder", "fifo", "missing"])
def test_extract_says_what_a_path_that_is_not_a_file_is(tmp_path, monkeypatch, kind):
    import os

    monkeypatch.setenv("EXTRACTOR_API_KEY", "sk-test")
    path = tmp_path / "article.txt"
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    res = runner.invoke(app, ["extract", str(path), "--base-url", "http://127.0.0.1:9/v1", "--model", "m",
                              "--provider", "openai", "--no-local"])
    assert res.exit_code == 1, res.output
    said = {"folder": "is a directory, not a file", "fifo": "is a named pipe (FIFO), not a regular file",
            "missing": "file not found"}[kind]
    assert f"{path}: {said}" in " ".join(res.output.split()), res.output


def test_schemas_and_providers():
    res = runner.invoke(app, ["schemas"])
    assert res.exit_code == 0 and "health_news" in res.output
    res = runner.invoke(app, ["providers"])
    assert res.exit_code == 0 and "deepseek" in res.output and "llamacpp" in res.output


def test_out_is_a_file_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "outfile").write_text("x")
    res = runner.invoke(app, ["run", str(_articles(tmp_path / "in")), "--out", str(tmp_path / "outfile"), "-q",
                              "--no-local"])
    assert res.exit_code == 2, res.output
    assert "is a file" in res.output and "Traceback" not in res.output


def test_dry_run_with_missing_input_exits_2(tmp_path):
    # A path that does not exist is a mistaken command (exit 2), not an article that failed.
    res = runner.invoke(app, ["run", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "o"), "--dry-run",
                              "--no-local"])
    assert res.exit_code == 2, res.output
    assert "nope.txt: file not found" in res.output and not (tmp_path / "o").exists()


def test_dry_run_with_an_unusable_input_exits_1(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    res = runner.invoke(app, ["run", str(_articles(tmp_path / "in", 1)), str(tmp_path / "empty.txt"), "--out",
                              str(tmp_path / "o"), "--dry-run", "--no-local"])
    assert res.exit_code == 1, res.output


@pytest.mark.parametrize("args", [["--help"], ["schemas"], ["providers"], ["run", "{inp}", "--out", "{out}", "--dry-run",
                                                                            "--provider", "vllm", "--model", "m",
                                                                            "--base-url", "http://127.0.0.1:9/v1"]])
def test_commands_that_call_no_model_do_not_import_openai(tmp_path, args):
    """openai (and instructor) take over a second to import: only commands that call a model pay it."""
    import subprocess
    import sys

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("The hospital has 120 beds.\n", encoding="utf-8")
    argv = [a.format(inp=tmp_path / "in", out=tmp_path / "out") for a in args]
    code = ("import sys\nfrom extractor.cli import main\nsys.argv = ['extractor'] + sys.argv[1:]\n"
            "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
            "print('IMPORTED', sorted(m for m in ('openai', 'instructor') if m in sys.modules))")
    res = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120)
    assert "IMPORTED []" in res.stdout, (res.stdout[-500:], res.stderr[-1500:])


# --------------------------------------------------------------------------- mistakes leave nothing behind


@pytest.mark.parametrize("case", ["missing path", "glob matching nothing", "empty folder", "only other types",
                                  "no key", "unknown schema", "unknown provider", "unreachable endpoint",
                                  "unknown engine", "ray client address"])
def test_a_mistaken_command_is_exit_2_and_creates_no_output_folder(tmp_path, monkeypatch, case):
    inp = _articles(tmp_path / "in")
    args = ["run", str(inp), "--out", str(tmp_path / "out"), "--no-local", "--provider", "openai", "--model", "m"]
    if case != "no key":
        monkeypatch.setenv("EXTRACTOR_API_KEY", "sk-test")
    if case == "missing path":
        args[1:2] = [str(inp), str(tmp_path / "typo")]
    elif case == "glob matching nothing":
        args[1] = str(tmp_path / "in" / "*.md")
    elif case == "empty folder":
        (tmp_path / "empty").mkdir()
        args[1] = str(tmp_path / "empty")
    elif case == "only other types":
        (tmp_path / "docs").mkdir()
        (tmp_path / "docs" / "a.pdf").write_bytes(b"%PDF-1.4")
        (tmp_path / "docs" / ".b.txt").write_text("hidden")
        args[1] = str(tmp_path / "docs")
    elif case == "unknown schema":
        args += ["--schema", "no_such_schema"]
    elif case == "unknown provider":
        args[args.index("--provider") + 1] = "no-such-provider"
    elif case == "unreachable endpoint":
        args += ["--base-url", "http://127.0.0.1:9/v1"]
    elif case == "unknown engine":
        args += ["--engine", "nosuch"]
    elif case == "ray client address":
        monkeypatch.delenv("RAY_ADDRESS", raising=False)
        args += ["--engine", "ray", "--ray-address", "ray://head:10001"]
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in res.output, lines
    assert not (tmp_path / "out").exists(), f"{case}: the output folder was created"
    if case in ("empty folder", "only other types"):
        assert "nothing to extract" in lines[0]
    if case == "only other types":
        assert "1 unsupported type" in lines[0] and "1 hidden" in lines[0]
    if case == "missing path":
        assert "typo: file not found" in lines[0]
    if case == "unknown engine":
        assert "unknown engine 'nosuch'" in lines[0]
    if case == "ray client address":
        assert "ray://head:10001" in lines[0] and "Ray Client" in lines[0]


def test_the_python_api_checks_the_engine_before_the_output_folder_exists(tmp_path, monkeypatch):
    from extractor import Extractor, Settings
    from extractor.core.errors import ConfigurationError

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    s = Settings(provider="openai", model="m", api_key="sk-test", base_url="http://127.0.0.1:9/v1")
    inp = _articles(tmp_path / "in", 1)
    with pytest.raises(ConfigurationError, match="unknown engine 'nosuch'"):
        Extractor(s).run([inp], out=tmp_path / "out", engine="nosuch", handle_sigint=False)
    with pytest.raises(ConfigurationError, match="Ray Client"):
        Extractor(s).run([inp], out=tmp_path / "out", engine="ray", ray_address="ray://head:10001",
                         handle_sigint=False)
    assert not (tmp_path / "out").exists()


def test_help_documents_the_exit_codes():
    for args in (["--help"], ["run", "--help"], ["report", "--help"]):
        res = runner.invoke(app, args)
        text = " ".join(res.output.split())
        assert res.exit_code == 0
        for code in ("0 every article ok", "1 some articles failed", "2 usage or configuration error",
                     "3 storage or environment", "130 interrupted"):
            assert code in text, (args, code)


def test_failed_articles_say_which_are_worth_retrying(tmp_path, synthetic_server):
    url, model = synthetic_server
    inp = _articles(tmp_path / "in")
    (inp / "empty.txt").write_bytes(b"")
    (inp / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    res = runner.invoke(app, ["run", str(inp), "--out", str(tmp_path / "out"), "--base-url", url, "--model",
                              "synthetic", "--provider", "llamacpp", "--quiet", "--no-local"])
    assert res.exit_code == 1, res.output
    text = " ".join(res.output.split())
    assert "2 will fail again until the file is fixed (input: 2)" in text
    assert "re-run the same command to retry" not in text  # nothing a re-run would fix
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["failed"]["retryable"] == 0 and summary["failed"]["not_retryable"] == 2
    assert sorted(Path(x["source"]).name for x in summary["failed"]["not_retryable_sources"]) == [
        "empty.txt", "image.txt"]


def test_an_oversized_article_is_refused_before_any_call(tmp_path, synthetic_server):
    url, model = synthetic_server
    inp = _articles(tmp_path / "in", 2)
    (inp / "huge.txt").write_text("The hospital has 120 beds. " * 40_000, encoding="utf-8")  # ~270k tokens
    (inp / "long.txt").write_text("The hospital has 120 beds.\n" + "The ward was busy. " * 600, encoding="utf-8")
    args = ["run", str(inp), "--out", str(tmp_path / "out"), "--base-url", url, "--model", "synthetic",
            "--provider", "llamacpp", "--quiet", "--no-local"]
    res = runner.invoke(app, args)
    assert res.exit_code == 1, res.output
    # The small and the long articles were asked; not one request for the huge one.
    assert model.calls >= 3 and not any("beds. The hospital has 120 beds. The hospital" in json.dumps(r)
                                        for r in model.requests)
    calls = model.calls
    lines = [json.loads(x) for x in (tmp_path / "out" / "articles.jsonl").read_text().splitlines()]
    huge = next(x for x in lines if x["source"].endswith("huge.txt"))
    assert huge["error_kind"] == "input" and "over the per-article budget of 200,000" in huge["error"]
    assert "--max-article-tokens" in huge["error"]
    # A budget between a short article's prompt and the long one's refuses the long one too,
    # from its estimated prompt (every chunk's messages and schema), after chunking.
    from extractor.model.settings import Settings
    from extractor.pipeline import Extractor

    ex = Extractor(Settings(provider="llamacpp", model="synthetic", base_url=url))
    short, long_ = (ex.prepare(ex.read(inp / name)).prompt_tokens for name in ("a0.txt", "long.txt"))
    budget = (short + long_) // 2
    res = runner.invoke(app, [*args[:2], "--out", str(tmp_path / "out2"), *args[4:], "--max-article-tokens",
                              str(budget)])
    assert res.exit_code == 1 and model.calls == calls + 2, res.output  # the two short ones only
    lines = [json.loads(x) for x in (tmp_path / "out2" / "articles.jsonl").read_text().splitlines()]
    assert sorted(Path(x["source"]).name for x in lines if x["status"] == "error") == ["huge.txt", "long.txt"]
    long = next(x for x in lines if x["source"].endswith("long.txt"))
    assert f"would send about {long_:,} prompt tokens" in long["error"] and f"budget of {budget:,}" in long["error"]
