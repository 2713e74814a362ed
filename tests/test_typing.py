"""Users' code is type-checked against extractor's public names with no plugin.

scripts/test.sh runs ``mypy --strict`` and pyright (strict) on examples/ and wants 0
errors; this test shows that the same commands catch the mistakes typing is for (a
misspelt Settings field, a wrong RunOptions type, a wrong use of a result), so that
"0 errors" means something. mypy runs as for an installed package (errors inside
extractor are not the user's: ``--follow-imports=silent``) and without the pydantic
plugin (``--config-file=``); pyright reads ``[tool.pyright]`` in pyproject.toml.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fakes import FakeEndpoint

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

USER_SCRIPT_WITH_MISTAKES = textwrap.dedent("""\
    import openai
    from pydantic import BaseModel
    from extractor import Evidence, ExtractionResult, Extractor, RunOptions, Settings, extract

    class Beds(BaseModel):
        value: float
        evidence: Evidence

    settings = Settings(modle="smollm2")
    options = RunOptions(out=3, concurrency=2)
    result: ExtractionResult = extract("The hospital has 120 beds.", settings=settings)
    count: str = len(result.facts)
    first_span_start: int = result.facts[0].span.start
    again = extract("The hospital has 120 beds.", modle="smollm2")
    ex = Extractor(settings, async_client=openai.OpenAI())
    typed = Extractor(settings, schema=Beds).extract("The hospital has 120 beds.")
    beds: str = typed.data.value if typed.data else ""
""")
# line → what both checkers must say there
EXPECTED = {9: "modle", 10: "out", 12: "str", 13: "None", 14: "modle", 15: "OpenAI", 17: "str"}


def _mypy(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "mypy"), "--strict", "--config-file=", "--follow-imports=silent",
                           "--cache-dir=.mypy_cache/user", "--exclude", "/build/", "--no-error-summary", "--show-column-numbers",
                           *map(str, paths)], cwd=ROOT, capture_output=True, text=True, timeout=600)


def _pyright(*paths: Path) -> dict:
    exe = BIN / "pyright"
    if not exe.exists() and not shutil.which("pyright"):
        pytest.skip("pyright is not installed (it comes with the [dev] extra)")
    proc = subprocess.run([str(exe if exe.exists() else "pyright"), "--outputjson", *map(str, paths)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYRIGHT_PYTHON_IGNORE_WARNINGS": "1"})
    return json.loads(proc.stdout)


def test_the_examples_type_check_cleanly():
    proc = _mypy(ROOT / "examples")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = _pyright()
    assert report["summary"]["errorCount"] == 0 and report["summary"]["warningCount"] == 0, report["generalDiagnostics"]
    assert report["summary"]["filesAnalyzed"] >= 2  # typed_usage.py and the schema plugin


def test_the_checkers_catch_a_users_mistakes(tmp_path):
    script = tmp_path / "users_script.py"
    script.write_text(USER_SCRIPT_WITH_MISTAKES, encoding="utf-8")

    proc = _mypy(script)
    mypy_errors: dict[int, str] = {}
    for line in proc.stdout.splitlines():
        if ": error: " in line:
            number = int(line.split(":")[1])
            mypy_errors[number] = mypy_errors.get(number, "") + line
    assert sorted(mypy_errors) == sorted(EXPECTED), proc.stdout
    for number, word in EXPECTED.items():
        assert word in mypy_errors[number], (number, mypy_errors[number])

    report = _pyright(script)
    pyright_errors: dict[int, str] = {}
    for diagnostic in report["generalDiagnostics"]:
        if diagnostic["severity"] == "error":
            number = diagnostic["range"]["start"]["line"] + 1
            pyright_errors[number] = pyright_errors.get(number, "") + diagnostic["message"]
    assert sorted(pyright_errors) == sorted(EXPECTED), report["generalDiagnostics"]
    for number, word in EXPECTED.items():
        assert word in pyright_errors[number], (number, pyright_errors[number])


def synthetic_beds_answer() -> dict:
    """SYNTHETIC answer: one quantity quoted from the article below."""
    return {"quantities": [{"measure": "beds", "value": 120, "unit": "bed", "evidence": "The hospital has 120 beds."}]}


def test_the_typed_example_runs(tmp_path):
    """examples/typed_usage.py is not only well typed: it runs, start to end, against an endpoint."""
    article = tmp_path / "article.txt"
    article.write_text("County hospital report\n\nThe hospital has 120 beds.\n", encoding="utf-8")
    with FakeEndpoint(synthetic_beds_answer()) as endpoint:
        env = {k: v for k, v in os.environ.items() if not k.startswith("EXTRACTOR_")}
        env.update(EXTRACTOR_BASE_URL=endpoint.base_url, EXTRACTOR_MODEL="synthetic-model")
        proc = subprocess.run([sys.executable, str(ROOT / "examples" / "typed_usage.py"), str(article)],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines.count("1 facts, 1 requests, 0 ungrounded") == 3, proc.stdout  # extract, aextract, Extractor
    assert "typed: [120.0]" in lines, proc.stdout  # result.data, the schema's own objects
    assert sum("The hospital has 120 beds." in line for line in lines) == 3
    assert lines[-1] == "batch: 1 ok, 0 failed; exit code 0"
    assert (tmp_path / "out" / "articles.jsonl").is_file()
