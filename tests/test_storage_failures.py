"""Storage failures end a command with exit 3 and one line: a full disk, a file-size
limit, a read-only output folder (also for ``report``, which only reads it).

No traceback (unless ``--debug``), no scratch folder (``.export-<pid>``) or temporary
file left behind, the previous outputs intact. A full disk is a small tmpfs mounted
for the test (the suite runs as root); where mounting is not allowed the tmpfs cases
skip and the file-size limit (``RLIMIT_FSIZE`` in the child process) still runs.

Model answers are SYNTHETIC (tests/fakes.py's FakeEndpoint over loopback).
"""

from __future__ import annotations

import contextlib
import json
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes import CLI, FakeEndpoint, cli_env
from fakes import write_bulletins as write_articles

pytestmark = pytest.mark.slow

N = 30


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``path`` for the block (skips the test where mounting is not allowed)."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip() or mounted.returncode})")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def remount(path: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(path)], check=True, capture_output=True)


def big_articles(folder: Path, n: int = N) -> Path:
    write_articles(folder, n)
    for p in folder.iterdir():  # long enough that the store and exports outgrow a small disk
        p.write_text(p.read_text(encoding="utf-8") + "The hospital budget grew again. " * 300, encoding="utf-8")
    return folder


def cli(*args: str, fsize: int | None = None) -> subprocess.CompletedProcess:
    limit = (lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))) if fsize else None
    return subprocess.run([sys.executable, "-c", CLI, *args], env=cli_env("sk-test-storage"), capture_output=True,
                          text=True, timeout=180, preexec_fn=limit)


def run_args(inp: Path, out: Path, srv: FakeEndpoint, *extra: str) -> list[str]:
    return ["run", str(inp), "--out", str(out), "--base-url", srv.base_url, "--provider", "openai", "--model",
            "fault-model", "--no-local", "--quiet", "--concurrency", "2", *extra]


def assert_one_line_exit_3(done: subprocess.CompletedProcess, *words: str) -> str:
    lines = [x for x in done.stderr.splitlines() if x.strip()]
    assert done.returncode == 3, (done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    assert "Traceback" not in done.stdout + done.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def assert_no_scratch(out: Path) -> None:
    left = [str(p.relative_to(out)) for p in out.rglob("*") if p.name.startswith(".export-") or ".tmp-" in p.name]
    assert not left, f"scratch left behind: {left}"


def test_disk_full_during_the_run_then_during_the_export(tmp_path):
    inp = big_articles(tmp_path / "in")
    with tmpfs(tmp_path / "disk", "300k") as disk, FakeEndpoint() as srv:
        out = disk / "out"
        line = assert_one_line_exit_3(cli(*run_args(inp, out, srv)), "no space left on the device", str(out))
        assert "--out" in line
        assert_no_scratch(out)
        # Room for the run, then not for its exports: the exports before stay whole.
        remount(disk, "size=50m")
        assert cli(*run_args(inp, out, srv)).returncode == 0
        before = (out / "articles.jsonl").read_bytes()
        used = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        remount(disk, f"size={used // 1024 + 64}k")
        (inp / "late.txt").write_text("ART-0999 The new hospital opened 30 beds.\n" * 200, encoding="utf-8")
        done = cli(*run_args(inp, out, srv))
        assert_one_line_exit_3(done, "no space left on the device")
        assert_no_scratch(out)
        assert (out / "articles.jsonl").read_bytes() == before


def test_a_file_size_limit_is_exit_3_with_no_scratch(tmp_path):
    inp = big_articles(tmp_path / "in")
    out = tmp_path / "out"
    with FakeEndpoint() as srv:
        done = cli(*run_args(inp, out, srv), fsize=200_000)
        assert_one_line_exit_3(done, str(out))
        assert_no_scratch(out)
        # The exports outgrow the limit on a run that has nothing left to ask.
        assert cli(*run_args(inp, out, srv)).returncode == 0
        calls = srv.calls
        size = (out / "articles.jsonl").stat().st_size
        done = cli(*run_args(inp, out, srv), fsize=size // 2)
        assert srv.calls == calls
        assert_one_line_exit_3(done, "file too large")
        assert_no_scratch(out)
        # --debug shows the traceback of the same failure.
        debug = cli("--debug", *run_args(inp, out, srv)[:], fsize=size // 2)
        assert debug.returncode == 3 and "Traceback" in debug.stderr


def test_a_read_only_output_folder_is_exit_3_for_run_and_report(tmp_path):
    inp = big_articles(tmp_path / "in", 3)
    with tmpfs(tmp_path / "disk", "20m") as disk, FakeEndpoint() as srv:
        out = disk / "out"
        assert cli(*run_args(inp, out, srv)).returncode == 0
        remount(disk, "ro")
        try:
            assert_one_line_exit_3(cli(*run_args(inp, out, srv)), str(out), "read-only")
            assert_one_line_exit_3(cli("report", str(out)), "read-only", "--output")
            # Reading it to write the page elsewhere works: report only reads OUT.
            page = tmp_path / "page.html"
            done = cli("report", str(out), "--output", str(page))
            assert done.returncode == 0 and page.exists(), done.stderr
            # A new folder under a read-only place is refused before anything is tried.
            assert_one_line_exit_3(cli(*run_args(inp, disk / "new", srv)), "read-only")
        finally:
            remount(disk, "rw")
        assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["ok"] == 3
