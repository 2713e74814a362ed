"""The batch's memory: one SQLite file, ``OUT/extractor.sqlite``.

A record is keyed by *what* was extracted and *how*: the sha256 of the article's
content plus schema name/version, prompt name/version and model. Re-running the same
command therefore finds every finished article and makes no model call for it; a
changed schema, prompt or model is a new key and is extracted again.

Each record is written in its own transaction, so a run killed at any moment (even
SIGKILL) leaves only whole records behind; restarting it does the rest, without
duplicates. WAL mode with ``synchronous=NORMAL`` keeps a commit cheap (no fsync per
record) while staying safe against a process crash; only an OS crash or power loss
can lose the last few commits, which a re-run then redoes.

The ``runs`` table is a log in the manner of simonw/llm: one row per run with the
settings (never the API key), the command line and the final counts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

logger = logging.getLogger(__name__)

__all__ = ["Store", "Identity", "StoredRecord", "DB_NAME", "input_error_key", "SECRET_FIELDS"]

DB_NAME = "extractor.sqlite"
SECRET_FIELDS = frozenset({"api_key"})
_SCHEMA_VERSION = 2

_DDL = """
CREATE TABLE IF NOT EXISTS records (
    sha256          TEXT NOT NULL,
    schema_name     TEXT NOT NULL,
    schema_version  TEXT NOT NULL,
    prompt_name     TEXT NOT NULL,
    prompt_version  TEXT NOT NULL,
    model           TEXT NOT NULL,
    source          TEXT,
    status          TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    error           TEXT,
    error_kind      TEXT,
    result_json     TEXT,
    document_json   TEXT,
    text            TEXT,
    usage_json      TEXT,
    attempts        INTEGER NOT NULL DEFAULT 1,
    run_id          INTEGER,
    created_at      REAL NOT NULL,
    updated_at      REAL NOT NULL,
    PRIMARY KEY (sha256, schema_name, schema_version, prompt_name, prompt_version, model)
);
CREATE INDEX IF NOT EXISTS records_source ON records (source);
CREATE TABLE IF NOT EXISTS sources (
    source          TEXT PRIMARY KEY,
    sha256          TEXT NOT NULL,
    schema_name     TEXT NOT NULL,
    schema_version  TEXT NOT NULL,
    prompt_name     TEXT NOT NULL,
    prompt_version  TEXT NOT NULL,
    model           TEXT NOT NULL,
    file            TEXT,
    scope           TEXT NOT NULL DEFAULT 'article',
    duplicate_of    TEXT,
    run_id          INTEGER,
    updated_at      REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sources_file ON sources (file);
CREATE TABLE IF NOT EXISTS runs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at     REAL NOT NULL,
    finished_at    REAL,
    status         TEXT NOT NULL DEFAULT 'running',
    argv           TEXT,
    inputs_json    TEXT,
    settings_json  TEXT,
    schema_name    TEXT,
    schema_version TEXT,
    prompt_name    TEXT,
    prompt_version TEXT,
    model          TEXT,
    counts_json    TEXT
);
"""


@dataclass(frozen=True)
class Identity:
    """What a record was extracted with; together with the content hash, its key."""

    schema_name: str
    schema_version: str
    prompt_name: str
    prompt_version: str
    model: str

    @classmethod
    def of(cls, extractor: Any) -> "Identity":
        """The identity of an :class:`~extractor.Extractor`'s output."""
        return cls(
            str(extractor.schema_name),
            str(extractor.schema_version),
            str(extractor.template.name),
            str(extractor.template.version),
            str(extractor.model_name),
        )

    def as_tuple(self) -> tuple[str, str, str, str, str]:
        return (self.schema_name, self.schema_version, self.prompt_name, self.prompt_version, self.model)


@dataclass(frozen=True)
class StoredRecord:
    """One row of ``records`` as read back (JSON columns still as text)."""

    sha256: str
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


def redact_settings(settings: Any) -> dict[str, Any]:
    """Settings as a JSON-able dict without secrets (the API key is never stored)."""
    if hasattr(settings, "model_dump"):
        data = settings.model_dump(mode="json", exclude=set(SECRET_FIELDS))
    else:
        data = dict(settings or {})
    for key in list(data):
        if key in SECRET_FIELDS or "key" in key.lower() or "secret" in key.lower() or "token" == key.lower():
            data.pop(key)
    return data


class Store:
    """The SQLite store of one output folder. Use one per process (one writer).

    >>> store = Store(Path("out"))                             # doctest: +SKIP
    >>> store.status_of(sha, identity)                         # doctest: +SKIP
    'ok'
    """

    def __init__(self, out: str | Path, *, filename: str = DB_NAME):
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.path = self.out / filename
        # isolation_level=None: we open transactions ourselves, one per record.
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.executescript(_DDL)
        self._migrate()
        self.conn.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")

    def _migrate(self) -> None:
        """A store written before the ``sources`` table: one source row per latest record."""
        if self.conn.execute("SELECT 1 FROM sources LIMIT 1").fetchone():
            return
        if not self.conn.execute("SELECT 1 FROM records LIMIT 1").fetchone():
            return
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(
                "INSERT OR IGNORE INTO sources (source, sha256, schema_name, schema_version, prompt_name,"
                " prompt_version, model, run_id, updated_at)"
                " SELECT coalesce(source, sha256), sha256, schema_name, schema_version, prompt_name, prompt_version,"
                " model, run_id, updated_at FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY coalesce(source, sha256)"
                " ORDER BY updated_at DESC, rowid DESC) AS rn FROM records) WHERE rn = 1"
            )

    # Lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection (the WAL is checkpointed by SQLite on the last close)."""
        try:
            self.conn.close()
        except sqlite3.Error:  # pragma: no cover - closing twice or after a crash
            pass

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # Runs -------------------------------------------------------------------------------
    def start_run(self, *, settings: Any, identity: Identity, inputs: list[str], argv: list[str] | None = None) -> int:
        """Log a new run (settings without secrets) and return its id."""
        cur = self.conn.execute(
            "INSERT INTO runs (started_at, status, argv, inputs_json, settings_json, schema_name, schema_version,"
            " prompt_name, prompt_version, model) VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                time.time(),
                json.dumps(_redact_argv(argv)) if argv is not None else None,
                json.dumps([str(i) for i in inputs], ensure_ascii=False),
                json.dumps(redact_settings(settings), ensure_ascii=False, default=str),
                *identity.as_tuple(),
            ),
        )
        return int(cur.lastrowid)

    def finish_run(self, run_id: int, *, status: str, counts: dict[str, Any]) -> None:
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

    # Records ----------------------------------------------------------------------------
    def status_of(self, sha256: str, identity: Identity) -> str | None:
        """'ok', 'error' or None (never seen) for a content hash under an identity."""
        row = self.conn.execute(
            "SELECT status FROM records WHERE sha256=? AND schema_name=? AND schema_version=?"
            " AND prompt_name=? AND prompt_version=? AND model=?",
            (sha256, *identity.as_tuple()),
        ).fetchone()
        return row[0] if row else None

    def put(
        self,
        *,
        sha256: str,
        identity: Identity,
        source: str | None,
        status: str,
        run_id: int | None,
        error: str | None = None,
        error_kind: str | None = None,
        result_json: str | None = None,
        document_json: str | None = None,
        text: str | None = None,
        usage_json: str | None = None,
        file: str | None = None,
        scope: str = "article",
    ) -> None:
        """Insert or replace one record in its own transaction.

        The record is keyed by content and identity; the ``sources`` row of ``source``
        is pointed at it in the same transaction, so the store knows which record each
        source shows now (see :meth:`put_source`).
        """
        now = time.time()
        key = (sha256, *identity.as_tuple())
        with self.conn:  # BEGIN ... COMMIT, ROLLBACK on exception
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(
                "INSERT INTO records (sha256, schema_name, schema_version, prompt_name, prompt_version, model,"
                " source, status, error, error_kind, result_json, document_json, text, usage_json, attempts,"
                " run_id, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)"
                " ON CONFLICT (sha256, schema_name, schema_version, prompt_name, prompt_version, model) DO UPDATE SET"
                " source=excluded.source, status=excluded.status, error=excluded.error,"
                " error_kind=excluded.error_kind, result_json=excluded.result_json,"
                " document_json=excluded.document_json, text=excluded.text, usage_json=excluded.usage_json,"
                " attempts=records.attempts + 1, run_id=excluded.run_id, updated_at=excluded.updated_at",
                (*key, source, status, error, error_kind, result_json, document_json, text, usage_json, run_id, now, now),
            )
            self._put_source(source if source is not None else sha256, sha256, identity, run_id=run_id, file=file,
                             scope=scope, duplicate_of=None, now=now)
            if source is not None:
                # An earlier *error* record of this source under another key (a file that
                # could not be read before, or has changed since) is dropped, unless
                # another source still shows it.
                self.conn.execute(
                    "DELETE FROM records WHERE source=? AND status='error' AND NOT (sha256=? AND schema_name=?"
                    " AND schema_version=? AND prompt_name=? AND prompt_version=? AND model=?)"
                    " AND NOT EXISTS (SELECT 1 FROM sources s WHERE s.sha256=records.sha256"
                    " AND s.schema_name=records.schema_name AND s.schema_version=records.schema_version"
                    " AND s.prompt_name=records.prompt_name AND s.prompt_version=records.prompt_version"
                    " AND s.model=records.model)",
                    (source, *key),
                )

    def put_source(self, source: str, sha256: str, identity: Identity, *, run_id: int | None,
                   file: str | None = None, scope: str = "article", duplicate_of: str | None = None) -> None:
        """Point ``source`` at the record ``(sha256, identity)`` (a cached hit, an identical copy).

        One row per source: its current content and identity, the file it was read
        from (normalised, for :meth:`prune_sources`), ``scope`` (``article``, or
        ``discovery`` for an input that could not even be found) and, for a copy of
        content already extracted under another source in the same run, ``duplicate_of``.
        """
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self._put_source(source, sha256, identity, run_id=run_id, file=file, scope=scope,
                             duplicate_of=duplicate_of, now=time.time())

    def _put_source(self, source: str, sha256: str, identity: Identity, *, run_id: int | None, file: str | None,
                    scope: str, duplicate_of: str | None, now: float) -> None:
        self.conn.execute(
            "INSERT INTO sources (source, sha256, schema_name, schema_version, prompt_name, prompt_version, model,"
            " file, scope, duplicate_of, run_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (source) DO UPDATE SET sha256=excluded.sha256, schema_name=excluded.schema_name,"
            " schema_version=excluded.schema_version, prompt_name=excluded.prompt_name,"
            " prompt_version=excluded.prompt_version, model=excluded.model,"
            " file=coalesce(excluded.file, sources.file), scope=excluded.scope, duplicate_of=excluded.duplicate_of,"
            " run_id=excluded.run_id, updated_at=excluded.updated_at",
            (source, sha256, *identity.as_tuple(), file, scope, duplicate_of, run_id, now),
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

    def count(self, status: str | None = None) -> int:
        """Number of records (of one status when given)."""
        if status is None:
            return int(self.conn.execute("SELECT count(*) FROM records").fetchone()[0])
        return int(self.conn.execute("SELECT count(*) FROM records WHERE status=?", (status,)).fetchone()[0])

    def iter_records(self, *, latest_per_source: bool = True) -> Iterator[StoredRecord]:
        """Records in source order; by default one per source: its current record.

        Each source (a file, a JSONL line) shows the record its latest run pointed it
        at (``sources`` table): the content it had then, under that run's schema,
        prompt and model; identical copies each get their own row, with
        ``duplicate_of`` naming the source whose extraction they share. With
        ``latest_per_source=False`` every stored record, once each.
        """
        if latest_per_source:
            cols = ", ".join("s.source" if c == "source" else f"r.{c}" for c in _COLUMNS) + ", s.duplicate_of"
            sql = (
                f"SELECT {cols} FROM sources s JOIN records r ON r.sha256=s.sha256 AND r.schema_name=s.schema_name"
                " AND r.schema_version=s.schema_version AND r.prompt_name=s.prompt_name"
                " AND r.prompt_version=s.prompt_version AND r.model=s.model ORDER BY s.source"
            )
        else:
            sql = f"SELECT {', '.join(_COLUMNS)} FROM records ORDER BY source, sha256"
        # A separate read cursor streams rows; the export never holds every article at once.
        cur = self.conn.cursor()
        cur.arraysize = 256
        cur.execute(sql)
        while True:
            rows = cur.fetchmany()
            if not rows:
                break
            for row in rows:
                yield StoredRecord(*row)


def _redact_argv(argv: list[str]) -> list[str]:
    """The command line with the value of any key-like option blanked."""
    out: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            out.append("***")
            hide_next = False
            continue
        name = arg.lower().split("=", 1)[0]
        if name.startswith("--") and any(w in name for w in ("key", "secret", "password")):
            if "=" in arg:
                out.append(arg.split("=", 1)[0] + "=***")
            else:
                out.append(arg)
                hide_next = True
            continue
        out.append(arg)
    return out
