"""The package as users get it: sdist and wheel built, the wheel installed into a clean
virtual environment, and the installed ``extractor`` run from a folder outside the repo.

CI runs the tests on an editable install, which finds every module in the source tree
whether or not the package list names it. This test is the one that does not: it builds
the sdist from a copy of the checkout (what git would hand out: tracked files plus new
ones not ignored, so a stale ``build/`` or ``*.egg-info`` cannot leak in), builds the
wheel FROM that sdist, installs the wheel into a new venv (no ``--system-site-packages``,
no editable path), and from a temporary folder runs ``extractor --help``, ``extractor
schemas``, ``extractor providers`` and one extraction replayed from a recorded cassette.

The build backend comes from ``[build-system] requires`` installed into its own venv;
dependencies come from pip's configured index, as in CI. Skipped only when pip reaches
no index at all. Takes a minute or two (most of it unpacking the dependencies).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
import time
import tomllib
import zipfile
from pathlib import Path

import pytest
from conftest import SEED_FILES

import extractor

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes" / "test_cassettes"
# Replayed through the installed package: seed 000 (an answer, a re-ask, a second answer).
REPLAY_SEED = "000"
# Folders never copied into the build (git ignores them too; the fallback copy needs it).
_NOT_SOURCE = {".git", ".venv", "venv", "build", "dist", "__pycache__", ".pytest_cache", ".hypothesis", "out"}
PIP_FLAGS = ["--disable-pip-version-check", "--no-input", "--quiet"]


def _run(cmd: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, cmd))} exited {proc.returncode} in {cwd}\n"
            f"--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-4000:]}"
        )
    return proc


def _clean_env(home: Path) -> dict[str, str]:
    """The environment without anything that points back at the repo, its venv, or an endpoint."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP") and not k.startswith("EXTRACTOR_")}
    env["XDG_CONFIG_HOME"] = str(home / "config")  # no user providers.toml
    env["PYTHONNOUSERSITE"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _source_files() -> list[Path]:
    """The checkout's files as git would hand them out: tracked plus untracked-not-ignored."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                             capture_output=True, check=True, timeout=60).stdout
        files = [ROOT / p for p in out.decode("utf-8").split("\0") if p]
    except (OSError, subprocess.SubprocessError):
        files = [p for p in ROOT.rglob("*")
                 if not _NOT_SOURCE & set(p.relative_to(ROOT).parts) and not p.name.endswith(".egg-info")]
    return [p for p in files if p.is_file()]  # deleted in the working tree: not in the build


def _copy_checkout(dest: Path) -> None:
    for src in _source_files():
        target = dest / src.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def _build_requires() -> list[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(data["build-system"]["requires"])


def _hook(python: Path, hook: str, source: Path, out: Path, env: dict[str, str]) -> Path:
    """Call a PEP 517 hook of setuptools' backend, as ``python -m build --no-isolation`` does."""
    code = f"import sys; from setuptools import build_meta as b; print(b.{hook}(sys.argv[1]))"
    name = _run([python, "-c", code, out], cwd=source, env=env).stdout.strip().splitlines()[-1]
    return out / name


# The test venv's pip drives the installs (``--python`` targets the new venvs), so the
# clean venvs need no ensurepip of their own.
PIP = [sys.executable, "-m", "pip"]


def _expected_package_files() -> dict[str, str]:
    """Installed path (relative to site-packages) → source path, for every module and data file."""
    expected: dict[str, str] = {}
    for p in (ROOT / "extractor").rglob("*"):
        if p.is_file() and (p.suffix == ".py" or p.name == "py.typed") and "__pycache__" not in p.parts:
            rel = p.relative_to(ROOT).as_posix()
            expected[rel] = rel
    for folder, patterns in (("schemas", ("*.py",)), ("prompts", ("*.py", "*.md", "*.toml"))):
        for pattern in patterns:
            for p in (ROOT / folder).glob(pattern):
                expected[f"extractor/{folder}/{p.name}"] = f"{folder}/{p.name}"
    data = ROOT / "extractor" / "data"
    if data.is_dir():
        for p in data.iterdir():
            if p.is_file():
                expected[p.relative_to(ROOT).as_posix()] = p.relative_to(ROOT).as_posix()
    return expected


_REPLAY = textwrap.dedent(
    '''
    import importlib, importlib.resources, json, pkgutil, sys, warnings
    from pathlib import Path

    import extractor

    prefix = Path(sys.prefix).resolve()
    repo = Path(sys.argv[1]).resolve()
    pkg = Path(extractor.__file__).resolve()
    assert prefix in pkg.parents, f"extractor imported from {pkg}, not from the venv {prefix}"
    assert repo not in pkg.parents, f"extractor imported from the repo: {pkg}"

    # Every module imports (a dependency missing from the metadata fails here).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the v0.1 forwarding modules
        modules = sorted(m.name for m in pkgutil.walk_packages(extractor.__path__, "extractor."))
        for name in modules:
            importlib.import_module(name)
    prompt = importlib.resources.files("extractor.prompts").joinpath("default.v1.md").read_text(encoding="utf-8")
    assert prompt.strip()

    import vcr
    from extractor import Extractor, ModelCallError, Settings
    from extractor.model.registry import resolve_schema
    from extractor.schemas.health_news import HealthNewsArticle
    from extractor.text.textnorm import fold_text

    assert resolve_schema("health_news") is HealthNewsArticle
    seed, cassette = Path(sys.argv[2]), Path(sys.argv[3])
    text = seed.read_text(encoding="utf-8")
    # The settings of tests/test_cassettes.py: the body (model, messages, schema) must match.
    settings = Settings(provider="llamacpp", base_url="http://127.0.0.1:8765/v1", model="smollm2-135m-instruct-q4_1",
                        max_reasks=1, max_output_tokens=384, max_transport_retries=0, timeout_s=600,
                        prompt="default.v2", labels=False, evidence_mode="quote",
                        compact_schema=False)  # as the recording was made
    recorder = vcr.VCR(record_mode="none", match_on=["method", "scheme", "path", "body"],
                       decode_compressed_response=True)
    outcome = {"module_file": str(pkg), "modules": modules}
    with recorder.use_cassette(str(cassette)) as cass, Extractor(settings) as ex:
        try:
            result = ex.extract(text, source=seed.name)
        except ModelCallError as exc:
            assert exc.kind in ("validation", "empty", "refusal"), exc
            assert 1 <= exc.attempts <= settings.max_reasks + 1 and exc.last_error
            outcome.update(status="error", kind=exc.kind)
        else:
            assert type(result.data).__name__ == "HealthNewsArticle"
            HealthNewsArticle.model_validate(result.data.model_dump())
            for fact in result.facts:
                assert fact.grounded and fact.span is not None and fact.alignment in ("exact", "fuzzy"), fact
                if fact.alignment == "exact":
                    assert fold_text(text[fact.span.start:fact.span.end]) == fold_text(fact.evidence), fact
            s = result.stats
            assert s.total == s.exact + s.fuzzy + s.ungrounded and s.ungrounded == s.dropped + s.flagged
            assert result.usage.requests == result.usage.calls + result.usage.reasks
            outcome.update(status="ok", facts=len(result.facts), requests=result.usage.requests)
        outcome["played"] = cass.play_count
    assert outcome["played"] >= 1, "nothing was replayed from the cassette"
    print(json.dumps(outcome))
    '''
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """Build sdist → wheel, install the wheel into a clean venv; the paths and timings."""
    tmp = tmp_path_factory.mktemp("wheel")
    env = _clean_env(tmp)
    timings: dict[str, float] = {}
    began = time.monotonic()

    # 1. A venv with the build backend only ([build-system] requires).
    build_env = tmp / "build-env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(build_env)], check=True, timeout=120)
    build_py = build_env / "bin" / "python"
    # Can pip reach an index at all? (Only this skips; any later failure is a failure.)
    probe = subprocess.run([*PIP, "download", *PIP_FLAGS, "--no-deps", "--timeout", "30", "--retries", "1",
                            "--dest", str(tmp / "probe"), "setuptools"], cwd=tmp, env=env, capture_output=True,
                           text=True, timeout=300)
    if probe.returncode == 1:  # pip's "not found / could not fetch"; a usage error (2) is a failure below
        tail = (probe.stderr or probe.stdout).strip().splitlines()[-3:]
        pytest.skip(f"pip reaches no package index (pip download setuptools failed: {' | '.join(tail)})")
    assert probe.returncode == 0, probe.stderr
    _run([*PIP, "--python", build_py, "install", *PIP_FLAGS, *_build_requires()], cwd=tmp, env=env)
    timings["build backend"] = time.monotonic() - began

    # 2. sdist from a copy of the checkout, then the wheel from the unpacked sdist.
    t = time.monotonic()
    src = tmp / "checkout"
    _copy_checkout(src)
    dist = tmp / "dist"
    dist.mkdir()
    sdist = _hook(build_py, "build_sdist", src, dist, env)
    unpacked = tmp / "from-sdist"
    with tarfile.open(sdist) as tar:
        try:
            tar.extractall(unpacked, filter="data")
        except TypeError:  # Python before 3.11.4: no extraction filters
            tar.extractall(unpacked)
    (sdist_root,) = unpacked.iterdir()
    wheel = _hook(build_py, "build_wheel", sdist_root, dist, env)
    timings["sdist + wheel"] = time.monotonic() - t

    # 3. A clean venv with the wheel (+ vcrpy for the replay), nothing from the repo.
    t = time.monotonic()
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    _run([*PIP, "--python", venv / "bin" / "python", "install", *PIP_FLAGS, "--no-compile", wheel, "vcrpy"], cwd=tmp, env=env)
    timings["install"] = time.monotonic() - t
    timings["total"] = time.monotonic() - began

    run_dir = tmp / "elsewhere"
    run_dir.mkdir()
    print("installed-wheel timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    return {"sdist": sdist, "wheel": wheel, "venv": venv, "cwd": run_dir, "env": {
        **env, "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"}, "timings": timings}


def test_sdist_holds_the_sources_and_the_mapped_folders(installed):
    with tarfile.open(installed["sdist"]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    needed = {"pyproject.toml", "setup.py", "README.md", *_expected_package_files().values()}
    missing = sorted(needed - names)
    assert not missing, f"the sdist lacks {missing}"
    assert any(n.startswith("schemas/") for n in names) and any(n.startswith("prompts/") for n in names)


def test_the_distribution_is_named_and_versioned_as_ours(installed):
    version = extractor.__version__
    assert installed["sdist"].name == f"grounded_extractor-{version}.tar.gz"
    assert installed["wheel"].name.startswith(f"grounded_extractor-{version}-py3-none-any")
    with zipfile.ZipFile(installed["wheel"]) as zf:
        meta = next(zf.read(n).decode() for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
    assert f"\nName: grounded-extractor\nVersion: {version}\n" in meta


def test_wheel_built_from_the_sdist_is_complete(installed):
    with zipfile.ZipFile(installed["wheel"]) as zf:
        names = set(zf.namelist())
        entry_points = next(zf.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))
    missing = sorted(set(_expected_package_files()) - names)
    assert not missing, f"the wheel lacks {missing}"
    assert "extractor = extractor.cli:main" in entry_points
    # Nothing outside the package: no tests, scripts or top-level schemas/ and prompts/.
    assert {n.split("/")[0] for n in names} <= {"extractor", installed["wheel"].name.split("-py")[0] + ".dist-info"}


def test_installed_package_has_every_package_and_data_file(installed):
    (site,) = (installed["venv"] / "lib").glob("python3*/site-packages")
    missing = [rel for rel in _expected_package_files() if not (site / rel).is_file()]
    assert not missing, f"installed into {site} without {missing}"
    inits = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "extractor").rglob("__init__.py"))
    assert inits and all((site / rel).is_file() for rel in inits)
    # Not an editable install, and nothing on the path points back at the checkout.
    assert not list(site.glob("__editable__*"))
    for pth in site.glob("*.pth"):
        assert str(ROOT) not in pth.read_text(encoding="utf-8", errors="replace"), pth


@pytest.mark.parametrize("args, expect", [
    (["--help"], "Usage"),
    (["--version"], f"extractor {extractor.__version__} (pip package grounded-extractor, "),
    (["schemas"], "health_news"),
    (["providers"], "llamacpp"),
])
def test_installed_command_runs_outside_the_repo(installed, args, expect):
    exe = installed["venv"] / "bin" / "extractor"
    assert exe.is_file()
    proc = _run([exe, *args], cwd=installed["cwd"], env=installed["env"], timeout=120)
    assert expect in proc.stdout, proc.stdout


def test_installed_package_replays_a_recorded_extraction(installed):
    seed = next(p for p in SEED_FILES if p.name.startswith(REPLAY_SEED))
    cassette = CASSETTES / f"test_seed_extraction_replayed[{REPLAY_SEED}].yaml"
    assert cassette.is_file(), cassette
    script = installed["cwd"] / "replay.py"
    script.write_text(_REPLAY, encoding="utf-8")
    proc = _run([installed["venv"] / "bin" / "python", script, ROOT, seed, cassette],
                cwd=installed["cwd"], env=installed["env"], timeout=300)
    outcome = json.loads(proc.stdout.strip().splitlines()[-1])
    assert Path(outcome["module_file"]).resolve().is_relative_to(installed["venv"].resolve())
    assert {"extractor.cli", "extractor.model.client", "extractor.schemas.health_news"} <= set(outcome["modules"])
    assert outcome["status"] in ("ok", "error") and outcome["played"] >= 1
