"""The batch's memory: one SQLite file, ``OUT/extractor.sqlite``. All of the project's SQL is here.

A record is keyed by *what* was extracted and *which question* was asked: the sha256
of the article's content plus the request fingerprint (:class:`~extractor.core.identity.Identity`).
It keeps the model's raw answers next to the facts derived from them, so a change of
post-processing settings is re-derived with 0 calls, while a change of anything sent
to the model is a new key and is asked again.

Each record is written in its own transaction, so a run killed at any moment (even
SIGKILL) leaves only whole records behind; restarting it does the rest, without
duplicates. WAL mode with ``synchronous=NORMAL`` keeps a commit cheap (no fsync per
record) while staying safe against a process crash; only an OS crash or power loss
can lose the last few commits, which a re-run then redoes. One process writes an
output folder at a time (:mod:`extractor.store.lock`).

The ``runs`` table is a log in the manner of simonw/llm: one row per run with the
settings (never the API key), the command line and the final counts. The schema
changes only through numbered migrations (:mod:`extractor.store.migrations`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from extractor.core.errors import StoreDamagedError
from extractor.core.identity import Identity, legacy_request_key
from extractor.core.redact import SECRET_FIELDS, redact_argv, redact_settings, without_userinfo
from extractor.store.batch_jobs import BatchJobs
from extractor.store.integrity import check_store
from extractor.store.migrations import migrate

logger = logging.getLogger(__name__)

__all__ = ["Store", "NewRecord", "Identity", "StoredRecord", "RecordState", "DB_NAME", "input_error_key",
           "SECRET_FIELDS", "redact_settings", "redact_argv", "without_userinfo", "legacy_request_key",
           "LEGACY_COMPARED"]

DB_NAME = "extractor.sqlite"
# The settings a v0.1 run logged that decide whether its records answer a new run's
# question (v0.1 keyed records by schema, prompt and model only).
LEGACY_COMPARED = ("temperature", "max_output_tokens", "mode", "clean", "chunk_tokens", "chunk_overlap_tokens",
                   "reask_on_ungrounded", "ungrounded", "fuzzy_threshold", "check_numbers")
# Request settings v0.1 did not have: its records answer a new run's question only when
# the new run leaves them unset (a bounded answer or more languages is another question).
LEGACY_ABSENT = ("max_list_items", "max_string_chars", "extra_languages")


@dataclass(frozen=True)
class RecordState:
    """What the store knows of one (content, request) before deciding to call the model."""

    status: str
    derive_key: str | None
    has_answers: bool
    error: str | None = None
    error_kind: str | None = None


@dataclass(frozen=True)
class StoredRecord:
    """One record as read back for the exports (JSON columns still as text)."""

    sha256: str
    request_key: str
    schema_name: str
    schema_version: str
    prompt_name: str
    prompt_version: str
    model: str
    source: str | None
    status: str
    error: str | None
    error_kind: str | None
    result_json: str | None
    document_json: str | None
    text: str | None
    usage_json: str | None
    attempts: int
    run_id: int | None
    created_at: float
    updated_at: float
    duplicate_of: str | None = None


_COLUMNS = [f for f in StoredRecord.__dataclass_fields__ if f != "duplicate_of"]


def input_error_key(source: str) -> str:
    """Stand-in key for an input that could not be read (it has no content hash)."""
    return "input:" + hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, kw_only=True)
class NewRecord:
    """One article's record as :meth:`Store.put` writes it.

    ``identity`` is the request it answers (its ``derive_key`` is stamped on an ``ok``
    record); ``scope`` is ``article``, or ``discovery`` for an input path that found
    nothing (shown for the latest run only).
    """

    sha256: str
    identity: Identity
    source: str | None
    status: Literal["ok", "error"]
    run_id: int | None
    error: str | None = None
    error_kind: str | None = None
    answers_json: str | None = None
    result_json: str | None = None
    document_json: str | None = None
    text: str | None = None
    usage_json: str | None = None
    file: str | None = None
    scope: Literal["article", "discovery"] = "article"


class SerialConnection(sqlite3.Connection):
    """The store's one connection, shared by the event loop and worker threads (the Batch
    API journal is written from ``asyncio.to_thread`` while the runner stores records):
    a transaction (``with conn:``) and each statement hold a lock, so another thread's
    statements neither join it (and commit or roll back with it) nor fail on
    "cannot start a transaction within a transaction"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._serial = threading.RLock()

    def __enter__(self) -> SerialConnection:
        self._serial.acquire()
        return super().__enter__()

    def __exit__(self, *exc: Any) -> Any:
        try:
            return super().__exit__(*exc)
        finally:
            self._serial.release()

    def execute(self, *args: Any) -> sqlite3.Cursor:
        with self._serial:
            return super().execute(*args)

    def executemany(self, *args: Any) -> sqlite3.Cursor:
        with self._serial:
            return super().executemany(*args)


class Store:
    """The SQLite store of one output folder. Use one per process (one writer).

    >>> import tempfile
    >>> with Store(tempfile.mkdtemp()) as store:
    ...     store.lookup("0" * 64, Identity("s", "1", "p", "1", "m")) is None
    True
    """

    def __init__(self, out: str | Path, *, filename: str = DB_NAME, check: bool = True):
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.path = self.out / filename
        # An emptied, cut, overwritten or deleted store, or one whose log was deleted
        # under a run, is refused: opened as it is, it would pay again for what it lost.
        # (``check=False``: the rebuild, which opens a new store beside what is left.)
        if check:
            check_store(self.path)
        # isolation_level=None: we open transactions ourselves, one per record.
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0,
                                    factory=SerialConnection)
        try:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            ran = migrate(self.conn)
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            if isinstance(exc, sqlite3.OperationalError) and not _damaged(exc):
                raise  # locked, full, read-only: the environment, not the file (see store.failures)
            raise StoreDamagedError(f"{self.path} cannot be used: {exc}. Rebuild it with --rebuild-store or choose "
                                    "a new --out.", path=str(self.path)) from exc
        except BaseException:
            self.conn.close()
            raise
        if ran:
            logger.debug("store %s migrated: %s", self.path, ", ".join(ran))
        self.batch_jobs = BatchJobs(self.conn)
        self._wal_file = self._wal_identity()

    # The write-ahead log ------------------------------------------------------------------
    def _wal_identity(self) -> tuple[int, int] | None:
        try:
            st = os.stat(f"{self.path}-wal")
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def guard_wal(self) -> None:
        """Save the log's writes into the store file if its ``-wal`` was deleted or replaced.

        SQLite keeps writing into a deleted log through its open descriptor, so the
        writes are not lost yet, but a kill would lose them. Called after every record
        write: it checkpoints everything into the store file and starts a new log.
        """
        now = self._wal_identity()
        if now == self._wal_file:
            return
        if self._wal_file is not None:
            logger.error("%s-wal was deleted or replaced while this run wrote into it: its records are now saved "
                           "into %s and a new log started", self.path.name, self.path)
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.conn.execute("PRAGMA journal_mode=DELETE")  # checkpoints and drops the lost log
            self.conn.execute("PRAGMA journal_mode=WAL")
        self._wal_file = self._wal_identity()

    # Lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection (the WAL is checkpointed by SQLite on the last close)."""
        try:
            self.conn.close()
        except sqlite3.Error:  # pragma: no cover - closing twice or after a crash
            pass

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # Runs -------------------------------------------------------------------------------
    def start_run(self, *, settings: Any, identity: Identity, inputs: list[str], argv: Any = None,
                  engine: str = "asyncio") -> int:
        """Log a new run (settings without secrets) and return its id."""
        cur = self.conn.execute(
            "INSERT INTO runs (started_at, status, argv, inputs_json, settings_json, schema_name, schema_version,"
            " prompt_name, prompt_version, model, request_key, derive_key, engine)"
            " VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                time.time(),
                json.dumps(redact_argv(list(argv))) if argv is not None else None,
                json.dumps([str(i) for i in inputs], ensure_ascii=False),
                json.dumps(redact_settings(settings), ensure_ascii=False, default=str),
                *identity.as_tuple(), identity.request_key, identity.derive_key, engine,
            ),
        )
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, *, status: str, counts: Mapping[str, Any]) -> None:
        """Close a run's log row with its final status ('finished', 'interrupted', 'failed') and counts."""
        self.conn.execute(
            "UPDATE runs SET finished_at=?, status=?, counts_json=? WHERE id=?",
            (time.time(), status, json.dumps(counts, ensure_ascii=False, default=str), run_id),
        )

    def runs(self) -> list[dict[str, Any]]:
        """All logged runs, oldest first, JSON columns decoded."""
        cur = self.conn.execute("SELECT * FROM runs ORDER BY id")
        names = [d[0] for d in cur.description]
        out = []
        for row in cur.fetchall():
            rec = dict(zip(names, row))
            for k in ("argv", "inputs_json", "settings_json", "counts_json"):
                if rec.get(k):
                    rec[k] = json.loads(rec[k])
            out.append(rec)
        return out

    def last_run(self) -> dict[str, Any] | None:
        """The latest logged run (see :meth:`runs`), or None."""
        row = self.conn.execute("SELECT max(id) FROM runs").fetchone()
        if not row or row[0] is None:
            return None
        return next(r for r in self.runs() if r["id"] == row[0])

    # Records: reading ---------------------------------------------------------------------
    def lookup(self, sha256: str, identity: Identity) -> RecordState | None:
        """The record of this content under this request, or None (never asked)."""
        row = self.conn.execute(
            "SELECT status, derive_key, answers_json IS NOT NULL, error, error_kind FROM records"
            " WHERE sha256=? AND request_key=?", (sha256, identity.request_key)).fetchone()
        return RecordState(row[0], row[1], bool(row[2]), row[3], row[4]) if row else None

    def status_of(self, sha256: str, identity: Identity) -> str | None:
        """'ok', 'error' or None (never asked) for a content hash under a request."""
        state = self.lookup(sha256, identity)
        return state.status if state else None

    def answers_of(self, sha256: str, identity: Identity) -> tuple[str | None, str | None, str | None]:
        """``(answers_json, document_json, text)`` of a record, for re-deriving its facts."""
        row = self.conn.execute("SELECT answers_json, document_json, text FROM records"
                                " WHERE sha256=? AND request_key=?", (sha256, identity.request_key)).fetchone()
        return (row[0], row[1], row[2]) if row else (None, None, None)

    def result_of(self, sha256: str, identity: Identity) -> str | None:
        """The stored result JSON of an ``ok`` record."""
        row = self.conn.execute("SELECT result_json FROM records WHERE sha256=? AND request_key=? AND status='ok'",
                                (sha256, identity.request_key)).fetchone()
        return row[0] if row else None

    def count(self, status: str | None = None) -> int:
        """Number of records (of one status when given)."""
        if status is None:
            return int(self.conn.execute("SELECT count(*) FROM records").fetchone()[0])
        return int(self.conn.execute("SELECT count(*) FROM records WHERE status=?", (status,)).fetchone()[0])

    def done_keys(self, identity: Identity) -> set[str]:
        """Content hashes already answered ``ok`` under this request."""
        rows = self.conn.execute("SELECT sha256 FROM records WHERE request_key=? AND status='ok'",
                                 (identity.request_key,))
        return {r[0] for r in rows}

    def iter_shown_usage(self) -> Iterator[str | None]:
        """The ``usage_json`` of each record some source shows, once per record: what the
        articles in the exports cost (a copy shares its original's answer and cost)."""
        cur = self.conn.cursor()
        cur.arraysize = 1024
        cur.execute("SELECT r.usage_json FROM records r WHERE EXISTS (SELECT 1 FROM sources s"
                    " WHERE s.sha256=r.sha256 AND s.request_key=r.request_key)")
        while rows := cur.fetchmany():
            for (usage_json,) in rows:
                yield usage_json

    def iter_records(self, *, latest_per_source: bool = True) -> Iterator[StoredRecord]:
        """Records in source order; by default one per source: its current record.

        Each source (a file, a JSONL line) shows the record its latest run pointed it
        at (``sources`` table): the content it had then, under that run's request;
        identical copies each get their own row, with ``duplicate_of`` naming the
        source whose extraction they share. With ``latest_per_source=False`` every
        stored record, once each. Rows are streamed, never all held at once.
        """
        if latest_per_source:
            cols = ", ".join("s.source" if c == "source" else f"r.{c}" for c in _COLUMNS) + ", s.duplicate_of"
            sql = (f"SELECT {cols} FROM sources s JOIN records r ON r.sha256=s.sha256 AND r.request_key=s.request_key"
                   " ORDER BY s.source")
        else:
            sql = f"SELECT {', '.join(_COLUMNS)} FROM records ORDER BY source, sha256"
        cur = self.conn.cursor()
        cur.arraysize = 256
        cur.execute(sql)
        while True:
            rows = cur.fetchmany()
            if not rows:
                break
            for row in rows:
                yield StoredRecord(*row)

    # Records: writing -------------------------------------------------------------------
    def put(self, record: NewRecord) -> bool:
        """Insert or replace one record in its own transaction; False when it was kept.

        The record is keyed by content and request; the ``sources`` row of its source
        is pointed at it in the same transaction, so the store knows which record each
        source shows now (see :meth:`put_source`). An ``ok`` record is stamped with the
        identity's ``derive_key``: the post-processing its facts were derived with.
        An error never replaces an ``ok`` record of the same key (a ``--refresh`` or a
        late batch that failed): the answer already paid for is kept, and False returned.
        """
        r = record
        identity, sha256, source, status, error = r.identity, r.sha256, r.source, r.status, r.error
        now = time.time()
        derive_key = identity.derive_key if status == "ok" else None
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            cur = self.conn.execute(
                "INSERT INTO records (sha256, request_key, schema_name, schema_version, prompt_name, prompt_version,"
                " model, request_json, source, status, error, error_kind, answers_json, result_json, derive_key,"
                " document_json, text, usage_json, attempts, run_id, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)"
                " ON CONFLICT (sha256, request_key) DO UPDATE SET"
                " source=excluded.source, status=excluded.status, error=excluded.error,"
                " error_kind=excluded.error_kind, answers_json=excluded.answers_json,"
                " result_json=excluded.result_json, derive_key=excluded.derive_key,"
                " document_json=excluded.document_json, text=excluded.text, usage_json=excluded.usage_json,"
                " attempts=records.attempts + 1, run_id=excluded.run_id, updated_at=excluded.updated_at"
                " WHERE NOT (records.status='ok' AND excluded.status='error')",
                (sha256, identity.request_key, *identity.as_tuple(), _json(identity.request_params), source, status,
                 error, r.error_kind, r.answers_json, r.result_json, derive_key, r.document_json, r.text, r.usage_json,
                 r.run_id, now, now),
            )
            stored = cur.rowcount > 0
            self._put_source(source if source is not None else sha256, sha256, identity, run_id=r.run_id, file=r.file,
                             scope=r.scope, duplicate_of=None, now=now)
            if source is not None:
                # An earlier *error* record of this source under another key (a file that
                # could not be read before, or has changed since) is dropped, unless
                # another source still shows it.
                self.conn.execute(
                    "DELETE FROM records WHERE source=? AND status='error' AND NOT (sha256=? AND request_key=?)"
                    " AND NOT EXISTS (SELECT 1 FROM sources s WHERE s.sha256=records.sha256"
                    " AND s.request_key=records.request_key)",
                    (source, sha256, identity.request_key),
                )
        self.guard_wal()
        if not stored:
            logger.warning("%s: kept its earlier answer; this request failed: %s", source or sha256[:12], error)
        return stored

    # Rebuilding a store -----------------------------------------------------------------
    _SALVAGED = ("runs", "records", "sources", "batch_jobs", "batch_items", "batch_texts")

    def salvage(self, damaged: Path) -> dict[str, int]:
        """Copy every row still readable from the store file ``damaged`` (read as it is,
        never written) into this store, table by table, until the first unreadable page
        of each; rows this store has already are kept. Returns rows copied per table."""
        copied: dict[str, int] = {}
        try:
            src = sqlite3.connect(f"file:{damaged}?immutable=1", uri=True)
        except sqlite3.Error as exc:
            logger.warning("%s cannot be read at all (%s): nothing salvaged from it", damaged, exc)
            return copied
        try:
            for table in self._SALVAGED:
                copied[table] = self._copy_table(src, table)
        finally:
            src.close()
        self.guard_wal()
        return copied

    def _copy_table(self, src: sqlite3.Connection, table: str) -> int:
        mine = [r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")]
        try:
            theirs = {r[1] for r in src.execute(f"PRAGMA table_info({table})")}
        except sqlite3.Error:
            return 0
        cols = [c for c in mine if c in theirs]
        if not cols:
            return 0
        names = ", ".join(cols)
        n = 0
        cur = src.execute(f"SELECT {names} FROM {table}")  # noqa: S608 - our own table and column names
        try:
            while rows := cur.fetchmany(500):
                with self.conn:
                    self.conn.execute("BEGIN IMMEDIATE")
                    done = self.conn.executemany(
                        f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({', '.join('?' * len(cols))})", rows)
                n += max(done.rowcount, 0)
        except sqlite3.DatabaseError as exc:  # the damaged part: what came before is kept
            logger.warning("salvaging %s stopped at a damaged page after %d row(s): %s", table, n, exc)
        return n

    def restore(self, record: StoredRecord, *, derive_key: str | None, file: str | None = None) -> bool:
        """Put back a record rebuilt from the exports, unless this store has it already,
        and point its source at it (unless the source shows a record already). True when
        the record was added. Rebuilt records have no raw answers: a later change of the
        post-processing settings asks again instead of re-deriving."""
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            cur = self.conn.execute(
                "INSERT OR IGNORE INTO records (sha256, request_key, schema_name, schema_version, prompt_name,"
                " prompt_version, model, source, status, error, error_kind, result_json, derive_key, document_json,"
                " text, usage_json, attempts, run_id, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
                (record.sha256, record.request_key, record.schema_name, record.schema_version, record.prompt_name,
                 record.prompt_version, record.model, record.source, record.status, record.error, record.error_kind,
                 record.result_json, derive_key if record.status == "ok" else None, record.document_json,
                 record.text, record.usage_json, record.attempts, record.created_at, record.updated_at))
            if record.source is not None:
                self.conn.execute(
                    "INSERT OR IGNORE INTO sources (source, sha256, request_key, file, scope, duplicate_of, run_id,"
                    " updated_at) VALUES (?, ?, ?, ?, 'article', ?, NULL, ?)",
                    (record.source, record.sha256, record.request_key, file, record.duplicate_of,
                     record.updated_at))
        self.guard_wal()
        return cur.rowcount > 0

    def put_derived(self, sha256: str, identity: Identity, *, result_json: str, run_id: int | None) -> None:
        """Replace the facts of an ``ok`` record re-derived from its stored answers (no model call)."""
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(
                "UPDATE records SET result_json=?, derive_key=?, run_id=?, updated_at=?"
                " WHERE sha256=? AND request_key=?",
                (result_json, identity.derive_key, run_id, time.time(), sha256, identity.request_key))
        self.guard_wal()

    def adopt_legacy(self, sha256: str, identity: Identity, settings: Mapping[str, Any]) -> bool:
        """Re-key a v0.1 record of this content to ``identity`` when it answers the same question.

        A v0.1 record only names schema, prompt and model; it is the answer to this run's
        question when the settings v0.1 logged for the run that wrote it agree with
        ``settings`` on :data:`LEGACY_COMPARED`. Then it is reused as is (it has no raw
        answers, so it is not re-derived) and True is returned; otherwise it stays as it
        was and the article is asked again.
        """
        legacy = legacy_request_key(identity)
        row = self.conn.execute(
            "SELECT r.status, runs.settings_json FROM records r LEFT JOIN runs ON runs.id = r.run_id"
            " WHERE r.sha256=? AND r.request_key=?", (sha256, legacy)).fetchone()
        if row is None or row[0] != "ok" or not row[1]:
            return False
        logged = json.loads(row[1])
        if any(logged.get(k) != settings.get(k) for k in LEGACY_COMPARED):
            return False
        if any(settings.get(k) not in (None, [], ()) for k in LEGACY_ABSENT):
            return False
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(
                "UPDATE records SET request_key=?, derive_key=?, request_json=? WHERE sha256=? AND request_key=?",
                (identity.request_key, identity.derive_key, _json(identity.request_params), sha256, legacy))
            self.conn.execute("UPDATE sources SET request_key=? WHERE sha256=? AND request_key=?",
                              (identity.request_key, sha256, legacy))
        return True

    def put_source(self, source: str, sha256: str, identity: Identity, *, run_id: int | None,
                   file: str | None = None, scope: str = "article", duplicate_of: str | None = None) -> None:
        """Point ``source`` at the record ``(sha256, identity)`` (a cached hit, an identical copy).

        One row per source: its current content and request, the file it was read
        from (normalised, for :meth:`prune_sources`), ``scope`` (``article``, or
        ``discovery`` for an input that could not even be found) and, for a copy of
        content already extracted under another source in the same run, ``duplicate_of``.
        """
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self._put_source(source, sha256, identity, run_id=run_id, file=file, scope=scope,
                             duplicate_of=duplicate_of, now=time.time())
        self.guard_wal()

    def _put_source(self, source: str, sha256: str, identity: Identity, *, run_id: int | None, file: str | None,
                    scope: str, duplicate_of: str | None, now: float) -> None:
        self.conn.execute(
            "INSERT INTO sources (source, sha256, request_key, file, scope, duplicate_of, run_id, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source) DO UPDATE SET sha256=excluded.sha256,"
            " request_key=excluded.request_key, file=coalesce(excluded.file, sources.file), scope=excluded.scope,"
            " duplicate_of=excluded.duplicate_of, run_id=excluded.run_id, updated_at=excluded.updated_at",
            (source, sha256, identity.request_key, file, scope, duplicate_of, run_id, now),
        )

    def clear_discovery_errors(self) -> None:
        """Forget the input errors of earlier runs' discovery (missing paths, globs that
        matched nothing): they describe a command line, not an article, and only the
        latest run's are shown."""
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("DELETE FROM sources WHERE scope='discovery'")

    def prune_sources(self, run_id: int, files: list[str]) -> int:
        """Drop the sources of ``files`` that run ``run_id`` read in full but did not see
        (a JSONL line fixed since, and now named by its id; a line removed). Returns the
        number of rows removed."""
        removed = 0
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            for f in files:
                cur = self.conn.execute("DELETE FROM sources WHERE file=? AND (run_id IS NULL OR run_id<>?)",
                                        (f, run_id))
                removed += cur.rowcount
        return removed


_DAMAGE_WORDS = ("malformed", "not a database", "corrupt", "disk image")


def _damaged(exc: sqlite3.Error) -> bool:
    return any(w in str(exc).lower() for w in _DAMAGE_WORDS)


def _json(value: Mapping[str, Any] | None) -> str | None:
    return json.dumps(dict(value), ensure_ascii=False, sort_keys=True, default=str) if value else None
