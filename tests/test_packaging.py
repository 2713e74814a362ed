"""The package as a user meets it: its name on the index, one version, the public names
type checkers see, an import with no side effects, and help that is readable at 80 columns.
"""

from __future__ import annotations

import ast
import importlib
import logging
import re
import subprocess
import sys
import textwrap
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import extractor
from extractor.cli import app
from extractor.core.distribution import DISTRIBUTION, pip_install

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


# --- name and version -----------------------------------------------------------------
def test_distribution_name_is_ours_everywhere():
    assert PYPROJECT["project"]["name"] == DISTRIBUTION == "grounded-extractor"
    assert PYPROJECT["project"]["scripts"] == {"extractor": "extractor.cli:main"}
    # No install hint may send a user to the index's other "extractor" (GNU libextractor).
    stale = re.compile(r"""pip install\s+["']?extractor\b|["']extractor\[(?:local|ray|dev)""")
    files = [*(ROOT / "extractor").rglob("*.py"), *(ROOT / "docs").rglob("*.md"), *(ROOT / "examples").rglob("*.md"),
             ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "scripts" / "quickstart.sh",
             ROOT / "examples" / "schema_plugin" / "pyproject.toml"]
    hits = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}" for p in files if p.is_file()
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if stale.search(line)]
    assert hits == []
    plugin = tomllib.loads((ROOT / "examples" / "schema_plugin" / "pyproject.toml").read_text(encoding="utf-8"))
    assert plugin["project"]["dependencies"] == [DISTRIBUTION]


def test_version_has_one_source():
    assert "version" not in PYPROJECT["project"] and "version" in PYPROJECT["project"]["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "extractor.__version__"}
    # setuptools reads the attribute without importing: it must stay a plain literal.
    tree = ast.parse((ROOT / "extractor" / "__init__.py").read_text(encoding="utf-8"))
    literals = [node.value.value for node in tree.body if isinstance(node, ast.Assign)
                and [getattr(t, "id", None) for t in node.targets] == ["__version__"]
                and isinstance(node.value, ast.Constant)]
    assert literals == [extractor.__version__]
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## {re.escape(extractor.__version__)}\b", changelog, re.M), "no CHANGELOG entry"


def test_installed_metadata_has_this_version():
    try:
        installed = metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        pytest.skip(f"{DISTRIBUTION} is not installed (a bare source checkout)")
    assert installed == extractor.__version__, (
        f"the installed metadata says {installed}, the source {extractor.__version__}: reinstall "
        f"(pip install -e .) after a version bump")


def test_version_option():
    res = CliRunner().invoke(app, ["--version"])
    assert res.exit_code == 0
    assert res.output.startswith(f"extractor {extractor.__version__} (pip package {DISTRIBUTION}, Python ")


def test_install_hints_name_the_distribution():
    from extractor.model.localserver import INSTALL_COMMAND

    assert INSTALL_COMMAND == pip_install("local") == "pip install 'grounded-extractor[local]'"


# --- public names, for the interpreter and for type checkers ----------------------------------
def _type_checking_imports() -> dict[str, str]:
    """name → module of the ``from M import X as X`` lines under ``if TYPE_CHECKING:``."""
    tree = ast.parse((ROOT / "extractor" / "__init__.py").read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING")
    found: dict[str, str] = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names:
            assert alias.asname == alias.name, f"{alias.name}: an explicit re-export is 'import X as X'"
            found[alias.name] = node.module
    return found


def test_public_names_are_static_and_agree():
    lazy = extractor._LAZY  # noqa: SLF001 - the table the module's __getattr__ reads
    assert sorted(extractor.__all__) == sorted([*lazy, "__version__"])
    assert _type_checking_imports() == lazy
    for name, module in lazy.items():
        assert getattr(extractor, name) is getattr(importlib.import_module(module), name), name
        assert name in dir(extractor)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        extractor.Nope  # noqa: B018


_IMPORT_PROBE = textwrap.dedent("""
    import json, logging, sys
    def ours(things):  # filters and handlers defined by extractor (openai adds its own, at its import)
        return [type(t).__qualname__ for t in things if type(t).__module__.startswith("extractor")]
    def loggers():
        manager = logging.Logger.manager.loggerDict
        return {name: ours(l.filters) + ours(l.handlers) for name, l in manager.items()
                if isinstance(l, logging.Logger) and ours(l.filters) + ours(l.handlers)}
    finders, hooks, before = list(sys.meta_path), list(sys.path_hooks), loggers()
    root = (list(logging.root.filters), list(logging.root.handlers))
    import extractor
    names = sorted(extractor.__all__)
    {extra}
    print(json.dumps({
        "new_finders": [repr(f) for f in sys.meta_path if f not in finders],
        "new_path_hooks": len(sys.path_hooks) - len(hooks),
        "loggers": {k: v for k, v in loggers().items() if before.get(k) != v},
        "root_changed": root != (list(logging.root.filters), list(logging.root.handlers)),
        "heavy": sorted(m for m in ("openai", "instructor", "lingua", "httpx2") if m in sys.modules),
    }))
""")


def _probe(extra: str = "") -> dict:
    import json

    code = _IMPORT_PROBE.replace("{extra}", extra)
    proc = subprocess.run([sys.executable, "-W", "ignore::DeprecationWarning", "-c", code], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_import_has_no_side_effects():
    seen = _probe()
    assert seen == {"new_finders": [], "new_path_hooks": 0, "loggers": {}, "root_changed": False, "heavy": []}


def test_v01_paths_and_the_model_layer_import_without_side_effects():
    seen = _probe("import extractor.batch, extractor.llm, extractor.settings, extractor.model.client; "
                  "extractor.batch.run_batch, extractor.llm.ModelClient")
    assert seen["new_finders"] == [] and seen["new_path_hooks"] == 0
    assert seen["loggers"] == {} and not seen["root_changed"], "importing changed another library's loggers"


def test_building_a_client_puts_the_redacting_filter_once(monkeypatch):
    from extractor import Settings
    from extractor.model.client import ModelClient

    settings = Settings(provider="llamacpp", base_url="http://127.0.0.1:9/v1", model="m")
    for _ in range(3):
        ModelClient(settings).close()
    for name in ("instructor", "instructor.v2.retry", "openai", "httpx2"):
        filters = [type(f).__name__ for f in logging.getLogger(name).filters]
        assert filters.count("_RedactingFilter") == 1, (name, filters)


# --- help texts -------------------------------------------------------------------------
def _commands() -> list[tuple[list[str], object]]:
    group = typer.main.get_command(app)  # typer's own click: a group is what has .commands
    return [([], group)] + [([name], cmd) for name, cmd in group.commands.items()]


@pytest.mark.parametrize("args, command", _commands(), ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_help_at_80_columns_is_whole(args, command, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    res = CliRunner().invoke(app, [*args, "--help"], terminal_width=80)
    assert res.exit_code == 0, res.output
    text = res.output
    assert max(map(len, text.splitlines())) <= 80, text
    assert "…" not in text, text
    for param in command.params:
        for opt in [*param.opts, *param.secondary_opts]:
            if opt.startswith("-"):
                assert opt in text, f"{opt} missing or cut in `extractor {' '.join(args)} --help`:\n{text}"
        # Text in square brackets ([local], [ray]) survives as written.
        for bracketed in re.findall(r"\[[a-z]+\]", getattr(param, "help", None) or ""):
            assert bracketed in " ".join(text.split()), f"{bracketed} lost from the help of {param.name}"
    if args == ["run"]:
        assert f"{pip_install('ray')})" in " ".join(text.split())


# --- constructors that type checkers read without a plugin -------------------------------
def test_no_pydantic_field_takes_its_default_positionally():
    """``Field(None, ...)`` reads as "required" to mypy and pyright without the pydantic
    plugin (PEP 681 knows only ``default=``): ``Settings(model="x")`` asked for 17 fields."""
    positional = []
    for path in sorted((ROOT / "extractor").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node, "func", None) and getattr(node.func, "id", getattr(node.func, "attr", ""))
            if isinstance(node, ast.Call) and name == "Field" and node.args:
                positional.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)[:70]}")
    assert positional == []


def test_run_options_out_is_any_path_like_kept_as_a_path():
    import pickle
    from dataclasses import FrozenInstanceError, replace

    from extractor import RunOptions

    options = RunOptions(out="out", concurrency=3)
    assert options.out == Path("out") and isinstance(options.out, Path)
    assert options == RunOptions(out=Path("out"), concurrency=3)
    assert hash(options) == hash(RunOptions(out=Path("out"), concurrency=3))
    assert pickle.loads(pickle.dumps(options)) == options
    assert replace(options, out="elsewhere").out == Path("elsewhere") and options.but(out="x").out == Path("x")
    assert "out=PosixPath('out')" in repr(options) or "out=WindowsPath('out')" in repr(options)
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'out'"):
        RunOptions(concurrency=3)  # a type checker does not see this one (the descriptor is its default)
    with pytest.raises(FrozenInstanceError):
        options.out = Path("other")
