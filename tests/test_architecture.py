"""The seams the architecture promises, checked: engines schedule and nothing more, a new
engine needs no change outside its own module, and docs/architecture.md names real modules."""

from __future__ import annotations

import ast
import importlib
import json
import re
from pathlib import Path

from fakes import FakeEndpoint, over, write_bulletins
from test_batch import SYNTHETIC_FACTS, make_settings

from extractor import Extractor

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ROOT / "extractor" / "runs" / "engines"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_engines_import_no_client_library_and_no_store():
    """openai and instructor are the model layer's; import-linter only sees our own packages."""
    for module in sorted(ENGINES.glob("*.py")):
        bad = {n for n in _imports(module) if n.split(".")[0] in ("openai", "instructor")
               or n.startswith(("extractor.store", "extractor.outputs", "extractor.cli", "extractor.api"))}
        assert not bad, f"{module.name} imports {sorted(bad)}"


def test_a_fourth_engine_from_outside_the_library_runs_a_batch(tmp_path):
    """tests/sequential_engine.py (≈50 lines) is named by ``module:Class``; the runner does the rest."""
    write_bulletins(tmp_path / "in", 4)
    srv = FakeEndpoint(SYNTHETIC_FACTS)
    ex = over(Extractor(make_settings()), srv.transport())
    first = ex.run([tmp_path / "in"], out=tmp_path / "out", engine="sequential_engine:SequentialEngine",
                   handle_sigint=False)
    assert (first.ok, first.failed, first.model_calls, srv.calls) == (4, 0, 4, 4)
    assert first.engine == "sequential"
    again = ex.run([tmp_path / "in"], out=tmp_path / "out", engine="sequential_engine:SequentialEngine",
                   handle_sigint=False)
    assert (again.ok, again.cached, srv.calls) == (4, 4, 4)  # resume: the runner's, for every engine
    lines = [json.loads(x) for x in (tmp_path / "out" / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 4 and all(x["status"] == "ok" and x["facts"] for x in lines)


def test_the_architecture_page_names_modules_that_exist():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    dotted = set(re.findall(r"`(extractor(?:\.[a-z_]+)+)", text))
    paths = set(re.findall(r"`((?:extractor|schemas|prompts|tests|scripts)/[\w/.]+\.(?:py|md|toml))`", text))
    assert len(dotted) > 15 and paths, "the page should name the modules it describes"
    missing = []
    for name in sorted(dotted):
        parts = name.split(".")
        # the longest importable prefix must be a module; a further part must be one of its names
        for cut in range(len(parts), 0, -1):
            try:
                module = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            obj = module
            for attr in parts[cut:]:
                obj = getattr(obj, attr, None)
            if obj is None:
                missing.append(name)
            break
        else:
            missing.append(name)
    missing += [p for p in sorted(paths) if not (ROOT / p).exists()]
    assert not missing, f"docs/architecture.md names what does not exist: {missing}"
