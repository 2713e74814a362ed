"""pip resolves the install at once: one version of every package, no backtracking.

Before 0.3.0 a fresh ``pip install -e ".[local]"`` downloaded 66 openai wheels, newest
first, before it found one whose jiter range fits instructor's (the quickstart took
17 minutes). pyproject.toml now bounds the packages whose newest release does not fit
the rest; this test resolves the install in dry-run mode with pip's own resolver and
fails if pip fetched more than one version of any package, or said that it is
backtracking ("pip is looking at multiple versions of ...").

The signal is pip's verbose log: every distribution pip fetches to read its
dependencies appears as ``Downloading NAME-VERSION...``, ``Using cached ...`` or
``Processing ...`` (``--report`` lists only the final choice). Lines inside an
"Installing build dependencies" block belong to a build environment's own resolution
and are not counted.

Resolution reads the package index as it is today, so a new upstream release can make
this fail without a change here: that is the point (the user would wait too). Skipped
only when pip reaches no index at all.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from packaging.utils import InvalidSdistFilename, InvalidWheelFilename, parse_sdist_filename, parse_wheel_filename

ROOT = Path(__file__).resolve().parent.parent

_FETCHED = re.compile(
    r"^\s*(?:Downloading|Using cached|Processing|Obtaining dependency information for \S+ from)\s+(\S+)")
_BACKTRACKING = "pip is looking at multiple versions of"


def _name_version(location: str) -> tuple[str, str] | None:
    filename = location.split("#", 1)[0].rsplit("/", 1)[-1].removesuffix(".metadata")
    try:
        if filename.endswith(".whl"):
            name, version, *_ = parse_wheel_filename(filename)
        else:
            name, version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None  # the project's own folder ("Processing /path/to/checkout")
    return str(name), str(version)


def fetched_versions(log: str) -> dict[str, set[str]]:
    """Package → versions pip fetched while resolving (build environments left out)."""
    seen: dict[str, set[str]] = defaultdict(set)
    in_build_env = False
    for line in log.splitlines():
        if "Installing build dependencies: started" in line:
            in_build_env = True
        elif "Installing build dependencies: finished" in line:
            in_build_env = False
        elif not in_build_env and (m := _FETCHED.match(line)) and (found := _name_version(m.group(1))):
            seen[found[0]].add(found[1])
    return dict(seen)


def resolution_problems(log: str) -> list[str]:
    """What shows that pip did not resolve at once; empty when it did."""
    problems = [f"{name}: {len(versions)} versions fetched ({', '.join(sorted(versions)[:8])}...)"
                for name, versions in sorted(fetched_versions(log).items()) if len(versions) > 1]
    problems += [line.strip() for line in log.splitlines() if _BACKTRACKING in line]
    return problems


# What a resolver log looks like when it backtracks (pip 23.2, -v, trimmed): the parser
# must see it, or the tests below could never fail.
SYNTHETIC_BACKTRACKING_LOG = """\
Collecting openai>=2 (from grounded-extractor==0.3.0)
  Downloading openai-3.60.0-py3-none-any.whl (2.5 MB)
  Installing build dependencies: started
  Collecting setuptools>=77
    Downloading setuptools-84.2.1-py3-none-any.whl (876 kB)
  Installing build dependencies: finished with status 'done'
INFO: pip is looking at multiple versions of openai to determine which version is compatible with other requirements.
  Using cached openai-3.57.0-py3-none-any.whl.metadata (29 kB)
Processing /opt/pypi/files/openai-3.3.0-py3-none-any.whl
Processing /opt/pypi/files/setuptools-80.0.0-py3-none-any.whl
Processing /work/checkout
"""


def test_the_log_reader_sees_backtracking():
    assert fetched_versions(SYNTHETIC_BACKTRACKING_LOG) == {"openai": {"3.60.0", "3.57.0", "3.3.0"},
                                                            "setuptools": {"80.0.0"}}
    problems = resolution_problems(SYNTHETIC_BACKTRACKING_LOG)
    assert problems[0].startswith("openai: 3 versions") and _BACKTRACKING in problems[1]
    assert resolution_problems("Collecting rich\n  Using cached rich-14.3.4-py3-none-any.whl (310 kB)\n") == []


def _pip_reaches_an_index(python: Path, tmp: Path) -> None:
    probe = subprocess.run([str(python), "-m", "pip", "download", "--no-deps", "--timeout", "30", "--retries", "1",
                            "--dest", str(tmp / "probe"), "tenacity"], capture_output=True, text=True, timeout=300)
    if probe.returncode != 0:
        tail = " | ".join((probe.stderr or probe.stdout).strip().splitlines()[-2:])
        pytest.skip(f"pip reaches no package index: {tail}")


def _dry_run(python: Path, target: str, tmp: Path) -> str:
    cmd = [str(python), "-m", "pip", "install", "--dry-run", "--ignore-installed", "--no-input", "-v",
           "--report", str(tmp / "report.json"), target]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1200)
    log = proc.stdout + proc.stderr
    (tmp / "resolve.log").write_text(log, encoding="utf-8")
    assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}:\n{log[-4000:]}"
    return log


@pytest.mark.slow
@pytest.mark.parametrize("pip, extras", [
    # `pip install grounded-extractor`, and the quickstart's `pip install -e ".[local]"`, with
    # the pip that `python3 -m venv` brings (the quickstart does not upgrade pip).
    ("bundled", ""),
    ("bundled", "[local]"),
    # Every extra (what CI and a contributor install), with this venv's pip (scripts/test.sh
    # upgrades it to the newest).
    ("current", "[dev,local,ray]"),
])
def test_install_resolves_with_one_version_of_each_package(pip, extras, tmp_path):
    if pip == "bundled":
        venv = tmp_path / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
        python = venv / "bin" / "python"
    else:
        python = Path(sys.executable)
    _pip_reaches_an_index(python, tmp_path)
    log = _dry_run(python, f".{extras}", tmp_path)
    versions = fetched_versions(log)
    assert {"instructor", "openai", "pydantic"} <= set(versions), "the log no longer shows what pip fetched"
    problems = resolution_problems(log)
    if problems:  # the lines that show where: the log itself lives in a temporary folder
        twice = [name for name, versions in versions.items() if len(versions) > 1]
        where = [line for line in log.splitlines()
                 if any(name.replace("-", "_") in line.replace("-", "_") for name in twice) or _BACKTRACKING in line]
        pytest.fail(f"pip did not resolve .{extras} at once: {problems}\n" + "\n".join(where[:40]))
