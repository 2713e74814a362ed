"""Is the store of an output folder the ledger it must be? Checked before SQLite opens it.

The store says which articles were paid for. A store that silently starts over — a
file emptied (``: > extractor.sqlite``), cut short, overwritten, deleted, or whose
write-ahead log was deleted while a run wrote into it — would make the next run pay
again for every answer it lost. So before a connection is made:

* the file's first 100 bytes must be a SQLite header, and its size must fit the page
  count the header states; when the size or header look wrong, SQLite's
  ``quick_check`` decides;
* the WAL index (``-shm``) left by a run that was killed says how many pages its log
  held; a log that is gone or shorter was deleted under the run, and its last writes
  with it;
* an empty or missing store is new only when nothing elsewhere in the folder
  (``articles.jsonl``, ``summary.json``, a Ray record set) shows records.

Anything else raises :class:`~extractor.core.errors.StoreDamagedError`, saying what
was found and what to do: rebuild the store from what is left (``--rebuild-store``,
:func:`extractor.outputs.rebuild.rebuild_store`), or choose a new output folder.

>>> import tempfile
>>> check_store(Path(tempfile.mkdtemp()) / "extractor.sqlite")  # a new folder: nothing to say
"""

from __future__ import annotations

import json
import os
import sqlite3
import struct
from dataclasses import dataclass
from pathlib import Path

from extractor.core.errors import StoreDamagedError

__all__ = ["check_store", "store_problem", "records_elsewhere", "Elsewhere", "wal_lost", "HEADER"]

HEADER = b"SQLite format 3\x00"
_WAL_HEADER, _WAL_FRAME_HEADER = 32, 24
# Files of the exports and of the Ray engine that show records exist.
_ARTICLES, _SUMMARY, _RAY_RECORDS = "articles.jsonl", "summary.json", ("ray", "records")


@dataclass(frozen=True)
class Elsewhere:
    """Records an output folder shows outside its store."""

    articles_lines: int = 0
    summary_articles: int = 0
    ray_parts: int = 0

    def __bool__(self) -> bool:
        return bool(self.articles_lines or self.summary_articles or self.ray_parts)

    def describe(self) -> str:
        parts = []
        if self.articles_lines:
            parts.append(f"{_ARTICLES} lists {self.articles_lines:,} article(s)")
        if self.summary_articles and not self.articles_lines:
            parts.append(f"{_SUMMARY} counts {self.summary_articles:,} article(s)")
        if self.ray_parts:
            parts.append(f"the Ray record set holds {self.ray_parts} part(s)")
        return " and ".join(parts)


def records_elsewhere(out: Path) -> Elsewhere:
    """What ``out`` shows of records outside its store (exports, a Ray record set)."""
    lines = 0
    try:
        with open(out / _ARTICLES, "rb") as fh:
            while chunk := fh.read(1 << 20):
                lines += chunk.count(b"\n")
    except OSError:
        pass
    summary = 0
    try:
        summary = int(json.loads((out / _SUMMARY).read_text(encoding="utf-8")).get("articles") or 0)
    except (OSError, ValueError, AttributeError, TypeError):
        pass
    ray = sum(1 for p in _files(out.joinpath(*_RAY_RECORDS), recursive=True)
              if p.suffix == ".parquet" and not p.name.startswith("."))
    return Elsewhere(lines, summary, ray)


def _files(folder: Path, *, recursive: bool = False) -> list[Path]:
    try:
        return [p for p in (folder.rglob("*") if recursive else folder.iterdir()) if p.is_file()]
    except OSError:
        return []


def wal_lost(path: Path) -> int:
    """Pages of ``path``'s write-ahead log that are gone: 0 when the log is intact.

    A run killed in WAL mode leaves ``-wal`` and ``-shm`` behind; SQLite replays the log
    on the next open. The WAL index header in ``-shm`` (native byte order: version,
    unused, change counter, isInit, big-endian checksum flag, page size, mxFrame)
    says how many frames the log held; a log deleted or cut below that lost them.
    """
    shm, wal = Path(f"{path}-shm"), Path(f"{path}-wal")
    try:
        with open(shm, "rb") as fh:
            head = fh.read(24)
    except OSError:
        return 0
    if len(head) < 24:
        return 0
    version, _, _, is_init, _, page_size, frames = struct.unpack("=IIIBBHI", head[:20])
    if version != 3007000 or not is_init or not frames:
        return 0
    page_size = 65536 if page_size == 1 else page_size
    try:
        have = os.path.getsize(wal)
    except OSError:
        return frames
    whole = max(0, (have - _WAL_HEADER) // (_WAL_FRAME_HEADER + page_size)) if page_size else frames
    return max(0, frames - whole)


def store_problem(path: Path) -> str | None:
    """What is wrong with the store file at ``path`` (None: nothing, or no file yet)."""
    try:
        size = os.path.getsize(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if size == 0:
        return "is empty (0 bytes)"
    try:
        with open(path, "rb") as fh:
            header = fh.read(100)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if len(header) < 100 or not header.startswith(HEADER):
        return f"is not a SQLite database (it starts with {header[:16]!r})"
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    change, pages, valid_for = (struct.unpack(">I", header[i:i + 4])[0] for i in (24, 28, 92))
    short = bool(valid_for == change and pages and pages * page_size > size)
    # With its log beside it, the file alone is not the store: a checkpoint cut short (a
    # full disk) leaves pages only in the log, which SQLite replays. quick_check decides.
    logged = _log_frames(path)
    if short and not logged:
        return f"is truncated: {size:,} bytes where its header counts {pages:,} pages of {page_size:,}"
    if short or page_size < 512 or size % page_size != 0:
        verdict = _quick_check(path, with_log=logged)
        if verdict != "ok":
            return f"is damaged (SQLite quick_check: {verdict})"
    return None


def _log_frames(path: Path) -> bool:
    try:
        return os.path.getsize(f"{path}-wal") > _WAL_HEADER
    except OSError:
        return False


def _quick_check(path: Path, *, with_log: bool = False) -> str:
    try:
        # Read only, never replaying a log into the file: ``mode=ro`` reads the log when
        # there is one; ``immutable`` reads the file as it is.
        mode = "mode=ro" if with_log else "immutable=1"
        conn = sqlite3.connect(f"file:{path}?{mode}", uri=True)
        try:
            rows = conn.execute("PRAGMA quick_check(5)").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return str(exc)
    return "; ".join(str(r[0]) for r in rows) or "no answer"


def _advice(out: Path) -> str:
    return (f"Rebuild the store from what is left with --rebuild-store (it keeps every record still readable in "
            f"the store, the exports and a Ray record set, and the run then asks only for what is missing; in "
            f"Python: extractor.outputs.rebuild.rebuild_store({str(out)!r})), or choose a new --out")


def check_store(path: Path, *, ray_recovers: bool = True) -> None:
    """Raise :class:`StoreDamagedError` when the store at ``path`` must not be opened as it is.

    A missing or empty store beside a Ray record set is the Ray engine's designed
    recovery (its workers' records are imported before anything is asked): allowed when
    ``ray_recovers`` (the default; the command line passes False for another engine,
    which would not import them).
    """
    out = path.parent
    problem = store_problem(path)
    lost = wal_lost(path) if problem is None and path.exists() else 0
    if lost:
        raise StoreDamagedError(
            f"{path.name}-wal in {out} was deleted or cut while a run was writing: {lost:,} page(s) of its last "
            f"writes are gone, and the answers in them would be paid for again. {_advice(out)}.", path=str(path))
    if problem is None and path.exists() and path.stat().st_size > 0:
        return
    if problem is None and not path.exists() and (Path(f"{path}-wal").exists() or Path(f"{path}-shm").exists()):
        problem = "is missing while its write-ahead log is still there"
    elsewhere = records_elsewhere(out)
    if problem in (None, "is empty (0 bytes)") and elsewhere.ray_parts:
        if ray_recovers:
            return
        raise StoreDamagedError(f"{path} is {'missing' if problem is None else 'empty'}, but the Ray record set "
                                f"in {out} holds {elsewhere.ray_parts} part(s) of records: run with --engine ray, "
                                "which imports them first, or rebuild the store with --rebuild-store.",
                                path=str(path))
    if problem is None:
        if elsewhere:
            raise StoreDamagedError(f"{path} is missing, but {elsewhere.describe()}: the store that records what was "
                                    f"paid for is gone. {_advice(out)}.", path=str(path))
        return
    if problem == "is empty (0 bytes)" and not elsewhere:
        return  # created and killed before its first write: nothing was stored
    shown = f"; {elsewhere.describe()}" if elsewhere else ""
    raise StoreDamagedError(f"{path} {problem}{shown}. Opening it as it is would lose what it records. "
                            f"{_advice(out)}.", path=str(path))
