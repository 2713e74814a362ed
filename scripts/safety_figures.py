"""The figures of issue 19 ("safe by default"), measured with the command line against
tests/fakes.py's SYNTHETIC endpoint on 127.0.0.1 (no network, no real model).

    .venv/bin/python scripts/safety_figures.py                 # this checkout
    .venv/bin/python scripts/safety_figures.py --code /tmp/v02  # another checkout's extractor/ (e.g. v0.2)

Each scenario prints one row: what was done, the exit code, and what matters (articles
paid for twice, what left the input folder, seconds, peak memory...). The disk-full row
needs to mount a tmpfs (root); it says so where it cannot.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fakes import CLI, FakeEndpoint, cli_env, write_bulletins  # noqa: E402

MARK = "OUTSIDE-THE-ROOT-91c2"


def env(code: str | None, key: str = "sk-test-figures") -> dict[str, str]:
    e = cli_env(key)
    if code:
        e["PYTHONPATH"] = os.pathsep.join([code, e.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return e


def cli(code: str | None, *args: str, timeout: float = 300, key: str = "sk-test-figures",
        wrap: str = "") -> tuple[subprocess.CompletedProcess | None, float]:
    prog = wrap or CLI
    t0 = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-c", prog, *args], env=env(code, key), capture_output=True,
                              text=True, timeout=timeout, cwd=code)
    except subprocess.TimeoutExpired:
        return None, time.monotonic() - t0
    return done, time.monotonic() - t0


def run_args(inp: Path | str, out: Path, srv: FakeEndpoint, *extra: str) -> list[str]:
    return ["run", str(inp), "--out", str(out), "--base-url", srv.base_url, "--provider", "openai", "--model",
            "fault-model", "--no-local", "--quiet", "--concurrency", "2", *extra]


def row(name: str, outcome: str) -> None:
    print(f"| {name} | {outcome} |", flush=True)


def rc(done: subprocess.CompletedProcess | None) -> str:
    return "hung (killed)" if done is None else str(done.returncode)


def traceback_in(done: subprocess.CompletedProcess | None) -> str:
    return "yes" if done is not None and "Traceback" in done.stdout + done.stderr else "no"


def hostile(code: str | None, tmp: Path) -> None:
    outside = tmp / "private"
    outside.mkdir()
    (outside / "passwd.txt").write_text(f"{MARK} root:x:0:0\n", encoding="utf-8")
    d = tmp / "inbox"
    d.mkdir()
    (d / "a.txt").write_text("ART-0001 The County Hospital performed 120 surgeries last year.\n", encoding="utf-8")
    os.symlink(outside / "passwd.txt", d / "passwd.txt")
    os.symlink(outside, d / "etc_dir")
    os.symlink("/dev/zero", d / "zero.txt")
    os.mkfifo(d / "fifo.txt")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(d / "sock.txt"))
    sock.close()
    (d / ".hidden.txt").write_text("x", encoding="utf-8")
    (d / "blob.bin").write_bytes(b"x")
    with FakeEndpoint() as srv:
        done, secs = cli(code, *run_args(d, tmp / "out", srv), timeout=60)
        leaked = sum(1 for raw in srv.raw if MARK.encode() in raw)
    listed = 0
    try:
        listed = len(json.loads((tmp / "out" / "summary.json").read_text(encoding="utf-8")).get("skipped") or [])
    except (OSError, ValueError):
        pass
    row("hostile folder (links to a file, a folder and /dev/zero outside; FIFO; socket; dot-file; .bin)",
        f"exit {rc(done)}, {secs:.1f}s; requests carrying a file from outside: {leaked}; "
        f"skipped paths listed in summary.json: {listed}")
    g = tmp / "g"
    g.mkdir()
    os.mkfifo(g / "f.txt")
    with FakeEndpoint() as srv:
        done, secs = cli(code, *run_args(str(g / "*.txt"), tmp / "gout", srv), timeout=20)
    row("`run 'g/*.txt'` where g/f.txt is a FIFO (20 s limit)",
        f"exit {rc(done)} after {secs:.1f}s; output folder created: {'yes' if (tmp / 'gout').exists() else 'no'}")


def lock_deleted(code: str | None, tmp: Path) -> None:
    inp, out = tmp / "in", tmp / "out"
    write_bulletins(inp, 60)
    with FakeEndpoint(latency=0.1) as srv:
        first = subprocess.Popen([sys.executable, "-c", CLI, *run_args(inp, out, srv)], env=env(code),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=code)
        t0 = time.monotonic()
        while not (out / ".lock").exists() or not (out / ".lock").read_text(encoding="utf-8"):
            time.sleep(0.02)
            if time.monotonic() - t0 > 60:
                break
        (out / ".lock").unlink(missing_ok=True)
        second, _ = cli(code, *run_args(inp, out, srv), timeout=300)
        first.communicate(timeout=300)
        twice = sum(1 for n in srv.requests_per_article().values() if n > 1)
    row("`rm out/.lock` mid-run, then a second run (60 articles)",
        f"first exit {first.returncode}, second exit {rc(second)}; articles paid twice: {twice}")


def damaged_store(code: str | None, tmp: Path) -> None:
    inp, out = tmp / "in", tmp / "out"
    write_bulletins(inp, 30)
    with FakeEndpoint() as srv:
        cli(code, *run_args(inp, out, srv))
        for how in ("zero-byte", "truncated"):
            store = out / "extractor.sqlite"
            if how == "zero-byte":
                store.write_bytes(b"")
            else:
                data = store.read_bytes()
                store.write_bytes(data[: len(data) // 2])
            before = srv.calls
            done, _ = cli(code, *run_args(inp, out, srv))
            row(f"{how} store, then the same command (30 articles in articles.jsonl)",
                f"exit {rc(done)}, traceback: {traceback_in(done)}; articles paid again: {srv.calls - before}")
            if done is not None and done.returncode == 3:
                before = srv.calls
                rebuilt, _ = cli(code, *run_args(inp, out, srv, "--rebuild-store"))
                row("... then `--rebuild-store`", f"exit {rc(rebuilt)}; articles paid again: {srv.calls - before}")


def wal_deleted(code: str | None, tmp: Path) -> None:
    for frozen in (False, True):
        inp, out = tmp / f"in{frozen}", tmp / f"out{frozen}"
        write_bulletins(inp, 160)
        with FakeEndpoint(latency=0.05) as srv:
            proc = subprocess.Popen([sys.executable, "-c", CLI, *run_args(inp, out, srv)], env=env(code),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=code)
            while len(srv.log) < 40 and proc.poll() is None:
                time.sleep(0.02)
            if frozen:
                proc.send_signal(signal.SIGSTOP)
            Path(f"{out}/extractor.sqlite-wal").unlink(missing_ok=True)
            if not frozen:
                n = len(srv.log)
                while len(srv.log) < n + 40 and proc.poll() is None:
                    time.sleep(0.02)
                time.sleep(0.3)
            killed = time.monotonic()
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=30)
            answered = {r.article for r in srv.log if r.t_done and r.t_done < killed - 0.2}
            start = len(srv.log)
            done, _ = cli(code, *run_args(inp, out, srv))
            again = len({r.article for r in srv.log[start:]} & answered)
        what = "while the run is frozen (SIGSTOP), then SIGKILL" if frozen else "mid-run, 40 more answers, SIGKILL"
        row(f"WAL deleted {what}; then the same command",
            f"answered before the kill: {len(answered)}; next run exit {rc(done)}; of those paid again: {again}")


def mojibake(code: str | None, tmp: Path) -> None:
    text = ("The County Hospital said \u201cwe performed 1,200 surgeries\u201d last year. " * 4)
    data = text.encode()
    data = data[:40] + b"\xff" + data[40:200] + b"\xfe" + data[200:] + b"\x80"
    p = tmp / "stray.txt"
    p.write_bytes(data)
    probe = ("import sys, json; from extractor.text.reading import read_document; d = read_document(sys.argv[1]); "
             "print(json.dumps([d.encoding, '\\u201a\\u00c4' in d.text, list(d.warnings)]))")
    done, _ = cli(code, p.as_posix(), wrap=probe)
    row("English UTF-8 with curly quotes and 3 stray bytes", done.stdout.strip() if done and done.stdout else rc(done))


def dry_run_20mb(code: str | None, tmp: Path) -> None:
    import random

    rng = random.Random(7)
    words = ["hospital", "county", "clinic", "surgery", "patients", "beds", "ward", "doctors", "nurses", "fund"]
    p = tmp / "big.txt"
    with open(p, "w", encoding="utf-8") as fh:
        for _ in range(20):
            fh.write(" ".join(rng.choice(words) for _ in range(140_000)) + "\n")
    wrap = ("import re, sys; from extractor.cli import main; sys.argv = ['extractor', *sys.argv[1:]]\n"
            "try:\n    main()\nfinally:\n"
            "    print('PEAK_KB', re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1),"
            " file=sys.stderr)")
    for extra in ([], ["--max-article-tokens", "0"]):
        args = ["run", str(p), "--out", str(tmp / "o"), "--dry-run", "--provider", "openai", "--model",
                "gpt-4o-mini", "--no-local", *extra]
        done, secs = cli(code, *args, wrap=wrap, timeout=600)
        if done is not None and "No such option" in done.stderr:
            continue
        peak = re.search(r"PEAK_KB (\d+)", done.stderr if done else "")
        calls = re.search(r"chunks \(model calls\)\s*│\s*([\d,]+)", done.stdout if done else "")
        row(f"`--dry-run` of a {p.stat().st_size / 1e6:.1f} MB article {' '.join(extra)}".rstrip(),
            f"exit {rc(done)}, {secs:.1f}s, peak {int(peak.group(1)) / 1024 if peak else 0:.0f} MB, "
            f"planned calls {calls.group(1) if calls else '0'}")


def disk_full(code: str | None, tmp: Path) -> None:
    inp = tmp / "in"
    write_bulletins(inp, 30)
    for p in inp.iterdir():
        p.write_text(p.read_text(encoding="utf-8") + "The hospital budget grew again. " * 300, encoding="utf-8")
    disk = tmp / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(disk)], capture_output=True).returncode:
        row("disk full (a 300 KB tmpfs)", "not measured: cannot mount a tmpfs here")
        return
    try:
        with FakeEndpoint() as srv:
            done, _ = cli(code, *run_args(inp, disk / "out", srv))
            lines = len([x for x in done.stderr.splitlines() if x.strip()]) if done else 0
            scratch = [p.name for p in (disk / "out").rglob(".export-*")] if (disk / "out").exists() else []
            row("disk full (a 300 KB tmpfs) during a run",
                f"exit {rc(done)}, stderr lines {lines}, traceback: {traceback_in(done)}, scratch left: {len(scratch)}")
            subprocess.run(["mount", "-o", "remount,size=50m", str(disk)], check=True)
            cli(code, *run_args(inp, disk / "out", srv))
            subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
            done, _ = cli(code, "report", str(disk / "out"))
            row("`report` on a read-only OUT", f"exit {rc(done)}, traceback: {traceback_in(done)}")
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def credentials(code: str | None, tmp: Path) -> None:
    inp, out = tmp / "in", tmp / "out"
    write_bulletins(inp, 40)
    key, password = "sk-FIGKEY" + os.urandom(6).hex(), "PWFIG" + os.urandom(6).hex()
    needles = [key, password, base64.b64encode(f"u:{password}".encode()).decode()]
    with FakeEndpoint(latency=0.05) as srv:
        url = srv.base_url.replace("http://", f"http://u:{password}@")
        args = run_args(inp, out, srv)
        args[args.index("--base-url") + 1] = url
        proc = subprocess.Popen([sys.executable, "-c", CLI, *args], env=env(code, key), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=code)
        while len(srv.log) < 6 and proc.poll() is None:
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        printed = "".join(proc.communicate(timeout=120))
    found = sum(printed.count(n) for n in needles)
    found += sum(p.read_bytes().count(n.encode()) for p in out.rglob("*") if p.is_file() for n in needles)
    row("key + URL password: occurrences in the Ctrl-C output and every file under OUT", str(found))


SCENARIOS = {"hostile": hostile, "lock": lock_deleted, "store": damaged_store, "wal": wal_deleted,
             "mojibake": mojibake, "dryrun": dry_run_20mb, "disk": disk_full, "credentials": credentials}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--code", help="a checkout whose extractor/ to measure instead of this one")
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS), help="scenarios to run (default: all)")
    args = parser.parse_args()
    code = str(Path(args.code).resolve()) if args.code else None
    print(f"| scenario ({'code: ' + code if code else 'this checkout'}) | outcome |\n|---|---|")
    for name in args.only or list(SCENARIOS):
        with tempfile.TemporaryDirectory() as tmp:
            try:
                SCENARIOS[name](code, Path(tmp))
            except Exception as exc:  # one scenario's failure is a row, not the end of the table
                row(name, f"failed to measure: {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    main()
