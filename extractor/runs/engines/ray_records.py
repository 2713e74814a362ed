"""The Ray engine's durable records: Parquet parts written by the workers, read back by the driver.

With ``--engine ray`` the workers do not share the driver's SQLite file, so each
batch's outcomes are written by the worker that made them, as one Parquet *part*
under ``OUT/ray/records/`` (or an object-store URI, see :func:`records_location`),
*before* the batch is handed back to the driver. The driver still writes every
answer to SQLite (the exports come from there, the same as for every engine); the
parts are what survives a driver that dies after the workers finished: the next run
stores the records the store lacks (:func:`missing_rows`, handed to the runner as
recovered answers) before deciding, so finished articles cost 0 calls.

A part is written to a temporary ``.``-prefixed name, fsynced and renamed into place
(readers skip ``.`` names), so a reader sees whole parts only. A retried batch can
write its part twice; readers keep one row per (content hash, request key).

Nothing here imports Ray: the module is usable (and tested) without it. The API key
is never written: a record holds the article, the answers and the facts only.
"""

from __future__ import annotations

import functools
import logging
import os
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from extractor.text.reading import Document, document_info

logger = logging.getLogger(__name__)

__all__ = ["RECORD_SCHEMA", "RECORDS_ENV", "records_location", "write_part", "compact", "read_records",
           "missing_rows", "document_meta", "document_from_meta", "StartedLog", "started_counts", "requested_twice"]

RECORDS_ENV = "EXTRACTOR_RAY_RECORDS"

RECORD_SCHEMA = pa.schema([
    ("sha256", pa.string()), ("request_key", pa.string()), ("derive_key", pa.string()),
    ("source", pa.string()), ("file", pa.string()), ("status", pa.string()), ("error", pa.string()),
    ("error_kind", pa.string()), ("answers_json", pa.string()), ("result_json", pa.string()),
    ("document_json", pa.string()), ("text", pa.string()), ("usage_json", pa.string()),
    ("finished_at", pa.float64()),
])
RECORD_COLUMNS = tuple(RECORD_SCHEMA.names)


def _is_uri(location: str) -> bool:
    return "://" in location and not location.startswith("file://")


def records_location(out: str | os.PathLike[str], override: str | None = None) -> str:
    """Where a run's records go: ``override`` (or ``$EXTRACTOR_RAY_RECORDS``: a folder or a
    URI that pyarrow's filesystems reach, e.g. ``s3://bucket/prefix``), else ``OUT/ray/records``."""
    chosen = override or os.environ.get(RECORDS_ENV) or ""
    if chosen:
        if chosen.startswith("file://"):
            chosen = chosen[len("file://"):]
        return chosen if _is_uri(chosen) else str(Path(chosen).expanduser().resolve())
    return str((Path(out) / "ray" / "records").resolve())


@functools.lru_cache(maxsize=16)
def _uri_fs(location: str) -> tuple[pafs.FileSystem, str]:
    # One filesystem object per URI and process (an S3 client is not free to make).
    fs, path = pafs.FileSystem.from_uri(location)
    return fs, path.rstrip("/")


def _fs(location: str) -> tuple[pafs.FileSystem, str]:
    if _is_uri(location):
        return _uri_fs(location)
    return pafs.LocalFileSystem(), location


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - a platform without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some network filesystems refuse it
        pass
    finally:
        os.close(fd)


def write_part(location: str, rows: list[dict[str, Any]]) -> str | None:
    """Write ``rows`` (dicts with the :data:`RECORD_SCHEMA` columns) as one part; returns its name.

    Local folders (and shared filesystems mounted on every node): temporary name, fsync,
    atomic rename, fsync of the folder. Object stores: one PUT, which is atomic there.
    """
    if not rows:
        return None
    table = pa.Table.from_pylist([{c: r.get(c) for c in RECORD_COLUMNS} for r in rows], schema=RECORD_SCHEMA)
    return _write_table(location, table, "part")


def _write_table(location: str, table: pa.Table, prefix: str) -> str:
    name = f"{prefix}-{time.time_ns():020d}-{uuid.uuid4().hex[:12]}.parquet"
    if _is_uri(location):
        fs, root = _fs(location)
        fs.create_dir(root, recursive=True)
        with fs.open_output_stream(f"{root}/{name}") as sink:
            pq.write_table(table, sink)
        return name
    os.makedirs(location, exist_ok=True)
    tmp = os.path.join(location, f".tmp-{name}")
    pq.write_table(table, tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, os.path.join(location, name))
    _fsync_dir(location)
    return name


def _files(fs: pafs.FileSystem, root: str) -> list[pafs.FileInfo]:
    try:
        info = fs.get_file_info(root)
    except OSError:
        return []
    if info.type != pafs.FileType.Directory:
        return []
    return [f for f in fs.get_file_info(pafs.FileSelector(root, recursive=False))
            if f.type == pafs.FileType.File and f.base_name.endswith(".parquet")
            and not f.base_name.startswith((".", "_"))]


def compact(location: str, *, min_parts: int = 2) -> int:
    """Merge the batch parts (``part-*``) now in ``location`` into one ``compact-*`` file,
    then delete them; returns how many parts were merged.

    Keeps the number of files in proportion to the runs and windows, not to the batches
    (10 million articles in batches of 10 would otherwise be a million files to list and
    open at the next resume). The merged file is complete before any part is deleted,
    so a crash in between leaves duplicates, which readers drop.
    """
    fs, root = _fs(location)
    parts = [f.path for f in _files(fs, root) if f.base_name.startswith("part-")]
    if len(parts) < min_parts:
        return 0
    table = pads.dataset(parts, schema=RECORD_SCHEMA, format="parquet", filesystem=fs).to_table()
    _write_table(location, table, "compact")
    for path in parts:
        try:
            fs.delete_file(path)
        except OSError:  # already gone, or not ours to delete: readers drop the duplicates
            pass
    return len(parts)


def read_records(location: str, request_key: str, *, columns: Iterable[str] = RECORD_COLUMNS,
                 sha256: Iterable[str] | None = None) -> pa.Table:
    """The parts' rows of one request key (optionally only some content hashes), unsorted,
    duplicates included. An absent or empty location reads as an empty table."""
    cols = list(columns)
    fs, root = _fs(location)
    files = [f.path for f in _files(fs, root)]
    if not files:
        return RECORD_SCHEMA.empty_table().select(cols)
    dataset = pads.dataset(files, schema=RECORD_SCHEMA, format="parquet", filesystem=fs)
    flt = pc.field("request_key") == request_key
    if sha256 is not None:
        flt = flt & pc.field("sha256").isin(pa.array(sorted(set(sha256)), pa.string()))
    return dataset.to_table(columns=cols, filter=flt)


def _best_rows(table: pa.Table) -> dict[str, dict[str, Any]]:
    """One row per content hash: an ``ok`` row before an error, then the latest."""
    best: dict[str, dict[str, Any]] = {}
    for row in table.to_pylist():
        cur = best.get(row["sha256"])
        rank = (row["status"] == "ok", row["finished_at"] or 0.0)
        if cur is None or rank > (cur["status"] == "ok", cur["finished_at"] or 0.0):
            best[row["sha256"]] = row
    return best


def missing_rows(location: str, request_key: str, done: Iterable[str]) -> list[dict[str, Any]]:
    """The best record of every content hash of ``request_key`` not in ``done`` (the hashes
    the store holds ``ok``): an ``ok`` row before an error, then the latest.

    The filtering happens in Arrow, so that a finished run of millions costs seconds.
    """
    keys = read_records(location, request_key, columns=("sha256", "status", "finished_at"))
    if keys.num_rows == 0:
        return []
    done = list(done)
    if done:
        keys = keys.filter(pc.invert(pc.is_in(keys.column("sha256"), value_set=pa.array(done, pa.string()))))
    wanted = set(_best_rows(keys))
    if not wanted:
        return []
    return list(_best_rows(read_records(location, request_key, sha256=wanted)).values())


def document_meta(doc: Document) -> dict[str, Any]:
    """A document's metadata (everything but its text), as the runner stores it with an
    error record (``runner.doc_json``) and as the workers rebuild the document from."""
    return document_info(doc)


def document_from_meta(text: str, meta: Mapping[str, Any]) -> Document:
    """The :class:`Document` a worker extracts: the driver's, field for field (the raw
    HTML stays on the driver; nothing downstream of reading uses it)."""
    return Document(text=text, source=meta.get("source"), sha256=meta.get("sha256") or "",
                    encoding=meta.get("encoding"), raw_text=None, format=meta.get("format") or "text",
                    title=meta.get("title"), published=meta.get("published"), outlet=meta.get("outlet"),
                    author=meta.get("author"), language=meta.get("language"),
                    warnings=tuple(meta.get("warnings") or ()))


# --------------------------------------------------------------------------- requested twice

class StartedLog:
    """One actor's log of the articles it starts: ``# pid=... node=<ray node id> host=...`` when a process
    opens it, then one content hash per line, written (and flushed) before the article's
    first request. A restarted actor appends to the same file under a new ``# pid`` line.

    Counting the hashes over every actor's file tells how many articles were started
    twice in a run (an actor killed with them in flight). The file is operational data:
    it holds hashes and process ids, never text or keys.
    """

    def __init__(self, folder: str, name: str, *, node: str = ""):
        self.path = os.path.join(folder, f"{name}.txt")
        self.node = node or os.uname().nodename
        self._file: Any = None
        self.enabled = os.path.isdir(folder)  # a node that cannot see OUT keeps no log

    def start(self, sha256: str) -> None:
        if not self.enabled:
            return
        try:
            if self._file is None:
                self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the actor's life
                self._file.write(f"# pid={os.getpid()} node={self.node} host={os.uname().nodename} "
                                 f"at={time.time():.3f}\n")
            self._file.write(sha256 + "\n")
            self._file.flush()
        except OSError as exc:
            # The log only counts requests made twice after a kill; a full or read-only
            # disk must not fail the articles themselves.
            logger.warning("cannot write the started-log %s (%s); requested_twice will be undercounted",
                           self.path, exc)
            self.enabled = False

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def started_counts(folder: str | os.PathLike[str]) -> Counter[str]:
    """How many times each content hash was started, over every log in ``folder``."""
    counts: Counter[str] = Counter()
    root = Path(folder)
    if not root.is_dir():
        return counts
    for path in root.glob("*.txt"):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        counts.update(line.strip() for line in lines if line.strip() and not line.startswith("#"))
    return counts


def requested_twice(folder: str | os.PathLike[str]) -> int:
    """Articles started more than once in the run whose logs are in ``folder``."""
    return sum(1 for n in started_counts(folder).values() if n > 1)
