"""A user's schema, installed as a plugin package, gets the same treatment as the built-in one:
found through the ``extractor.schemas`` entry point, its facts grounded and number-checked,
its own tables and child tables exported, matched against gold by its own key fields.

``examples/schema_plugin`` is installed with pip into a scratch folder (no change to the
test environment) and used from a child process that has that folder on its path. The
model answer is SYNTHETIC (tests/fakes.py's FakeEndpoint, in the child process).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fakes import child_env

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("plugin")
    # Built from a copy: pip builds a local folder in place, and its build/ and *.egg-info
    # would be left in examples/ (where the type checkers would meet the package twice).
    source = tmp_path_factory.mktemp("plugin-source") / "schema_plugin"
    shutil.copytree(ROOT / "examples" / "schema_plugin", source,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    res = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                          str(source)], capture_output=True, text=True, timeout=300)
    if res.returncode != 0:
        pytest.skip(f"pip could not build the example plugin here: {res.stderr[-500:]}")
    return target


def run_child(code: str, plugin_path: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = child_env({**os.environ, "PYTHONPATH": str(plugin_path)})  # the plugin and tests/fakes.py
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)


def test_plugin_schema_is_listed_and_used_end_to_end(plugin_path, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(
        "County news.\n\nThe County Hospital now has 320 beds in its surgery and maternity wards.\n",
        encoding="utf-8")
    res = run_child('''
        import json
        from fakes import FakeEndpoint, over
        from extractor import Extractor, Settings
        from extractor.model.registry import list_schemas, resolve_schema

        print(json.dumps([(s.name, s.origin) for s in list_schemas()]))
        args = {"bed_counts": [{"hospital": "County Hospital", "value": 32, "wards": ["surgery", "maternity"],
                                "evidence": "The County Hospital now has 320 beds in its surgery and maternity wards."}]}
        # SYNTHETIC model answer, with a power-of-ten slip (32 for 320); the tool is named as the request asks
        synthetic = FakeEndpoint(args, prompt_tokens=10, completion_tokens=5)
        ex = Extractor(Settings(provider="openai", api_key="sk-test", model="m", schema_ref="beds"))
        s = over(ex, synthetic.transport()).run(["in"], out="out", handle_sigint=False)
        print(json.dumps({"ok": s.ok, "facts": s.facts_by_type}))
    ''', plugin_path, tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    listed, ran = (json.loads(x) for x in res.stdout.strip().splitlines()[-2:])
    assert ["beds", "plugin:extractor-beds"] in listed and ["health_news", "builtin"] in listed
    assert ran == {"ok": 1, "facts": {"bed_count": 1}}
    line = json.loads((tmp_path / "out" / "articles.jsonl").read_text(encoding="utf-8"))
    fact = line["facts"][0]
    assert fact["grounded"] and fact["data"]["value"] == 320 and fact["corrections"]  # checked against its quote
    tables = tmp_path / "out" / "tables"
    with open(tables / "bed_count_wards.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["hospital"], r["ward"], r["ward_index"]) for r in rows] == [
        ("County Hospital", "surgery", "0"), ("County Hospital", "maternity", "1")]
    assert (tables / "bed_count.parquet").exists()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["facts_by_type"] == {"bed_count": 1} and summary["bed_count_wards"] == 2

    # Evaluation uses the plugin's key fields (hospital + value), not the health-news ones.
    gold = tmp_path / "gold"
    gold.mkdir()
    (gold / "a.json").write_text(json.dumps({"source": "a.txt", "language": "en", "schema": "beds", "facts": [
        {"type": "bed_count", "data": {"hospital": "County Hospital", "value": 320}, "evidence": "x"},
        {"type": "bed_count", "data": {"hospital": "Town Clinic", "value": 320}, "evidence": "y"}]}),
        encoding="utf-8")
    res = run_child('''
        import json
        from extractor.outputs.evaluation import evaluate
        print(json.dumps(evaluate("out", "gold").to_dict()["overall"]))
    ''', plugin_path, tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    overall = json.loads(res.stdout.strip().splitlines()[-1])
    assert (overall["tp"], overall["fp"], overall["fn"]) == (1, 0, 1)
