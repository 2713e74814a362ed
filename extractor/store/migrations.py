"""Numbered migrations of the store's schema, in the manner of simonw/llm's ``migrations.py``.

Each migration is a function registered in order; ``_migrations`` records the names
applied, so each runs once per store, in its own transaction. A store written by v0.1
(its tables already exist, there is no ``_migrations`` table) passes through m001–m003
untouched and is then rebuilt by m004/m005 with every record kept.

Never edit a migration that has shipped: add a new one.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

__all__ = ["MIGRATIONS", "migrate", "applied"]

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


def applied(conn: sqlite3.Connection) -> list[str]:
    """Names of the migrations this store has had, in order."""
    conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
    return [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply the migrations this store has not had; returns their names."""
    done = set(applied(conn))
    ran = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            # Another process may have migrated between our read and the lock.
            if conn.execute("SELECT 1 FROM _migrations WHERE name=?", (name,)).fetchone():
                continue
            fn(conn)
            conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", (name, time.time()))
        ran.append(name)
    return ran


@migration
def m001_initial(conn: sqlite3.Connection) -> None:
    """The v0.1 tables (a no-op on a store v0.1 wrote)."""
    conn.execute("""CREATE TABLE IF NOT EXISTS records (
        sha256 TEXT NOT NULL, schema_name TEXT NOT NULL, schema_version TEXT NOT NULL,
        prompt_name TEXT NOT NULL, prompt_version TEXT NOT NULL, model TEXT NOT NULL,
        source TEXT, status TEXT NOT NULL CHECK (status IN ('ok', 'error')), error TEXT, error_kind TEXT,
        result_json TEXT, document_json TEXT, text TEXT, usage_json TEXT,
        attempts INTEGER NOT NULL DEFAULT 1, run_id INTEGER, created_at REAL NOT NULL, updated_at REAL NOT NULL,
        PRIMARY KEY (sha256, schema_name, schema_version, prompt_name, prompt_version, model))""")
    conn.execute("""CREATE TABLE IF NOT EXISTS runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT, started_at REAL NOT NULL, finished_at REAL,
        status TEXT NOT NULL DEFAULT 'running', argv TEXT, inputs_json TEXT, settings_json TEXT,
        schema_name TEXT, schema_version TEXT, prompt_name TEXT, prompt_version TEXT, model TEXT,
        counts_json TEXT)""")


@migration
def m002_sources(conn: sqlite3.Connection) -> None:
    """Which record each source shows (v0.1); a store older than it gets one row per latest record."""
    conn.execute("""CREATE TABLE IF NOT EXISTS sources (
        source TEXT PRIMARY KEY, sha256 TEXT NOT NULL, schema_name TEXT NOT NULL, schema_version TEXT NOT NULL,
        prompt_name TEXT NOT NULL, prompt_version TEXT NOT NULL, model TEXT NOT NULL, file TEXT,
        scope TEXT NOT NULL DEFAULT 'article', duplicate_of TEXT, run_id INTEGER, updated_at REAL NOT NULL)""")
    if conn.execute("SELECT 1 FROM sources LIMIT 1").fetchone():
        return
    conn.execute(
        "INSERT OR IGNORE INTO sources (source, sha256, schema_name, schema_version, prompt_name, prompt_version,"
        " model, run_id, updated_at)"
        " SELECT coalesce(source, sha256), sha256, schema_name, schema_version, prompt_name, prompt_version,"
        " model, run_id, updated_at FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY coalesce(source, sha256)"
        " ORDER BY updated_at DESC, rowid DESC) AS rn FROM records) WHERE rn = 1")


@migration
def m003_batch_jobs(conn: sqlite3.Connection) -> None:
    """The Batch API's jobs and their requests (v0.1)."""
    conn.execute("""CREATE TABLE IF NOT EXISTS batch_jobs (
        batch_id TEXT PRIMARY KEY, created_at REAL NOT NULL, updated_at REAL NOT NULL, status TEXT NOT NULL,
        input_file_id TEXT NOT NULL, output_file_id TEXT, error_file_id TEXT, endpoint TEXT NOT NULL,
        schema_name TEXT NOT NULL, schema_version TEXT NOT NULL, prompt_name TEXT NOT NULL,
        prompt_version TEXT NOT NULL, model TEXT NOT NULL, settings_json TEXT, requests INTEGER NOT NULL,
        articles INTEGER NOT NULL, collected_at REAL, errors_json TEXT)""")
    conn.execute("""CREATE TABLE IF NOT EXISTS batch_items (
        batch_id TEXT NOT NULL, custom_id TEXT NOT NULL, sha256 TEXT NOT NULL, source TEXT, path TEXT NOT NULL,
        chunk_index INTEGER NOT NULL, chunks INTEGER NOT NULL, collected INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (batch_id, custom_id))""")


@migration
def m004_request_key(conn: sqlite3.Connection) -> None:
    """Records keyed by content + the fingerprint of the whole request, with the raw answers.

    v0.1 keyed a record by schema, prompt and model only, so a changed setting served an
    old answer to a new question. Its records are kept with the key ``v0.1/<names>``;
    they are shown as before, reused only when the settings v0.1 logged for their run
    match the new run's (see :meth:`~extractor.store.sqlite.Store.adopt_legacy`), and
    re-requested otherwise (they hold no raw answers to re-derive from).
    """
    legacy_key = ("'v0.1/' || schema_name || '@' || schema_version || '/' || prompt_name || '@' || prompt_version"
                  " || '/' || model")
    conn.execute("""CREATE TABLE records_new (
        sha256 TEXT NOT NULL, request_key TEXT NOT NULL,
        schema_name TEXT NOT NULL, schema_version TEXT NOT NULL, prompt_name TEXT NOT NULL,
        prompt_version TEXT NOT NULL, model TEXT NOT NULL, request_json TEXT,
        source TEXT, status TEXT NOT NULL CHECK (status IN ('ok', 'error')), error TEXT, error_kind TEXT,
        answers_json TEXT, result_json TEXT, derive_key TEXT, document_json TEXT, text TEXT, usage_json TEXT,
        attempts INTEGER NOT NULL DEFAULT 1, run_id INTEGER, created_at REAL NOT NULL, updated_at REAL NOT NULL,
        PRIMARY KEY (sha256, request_key))""")
    conn.execute(f"""INSERT INTO records_new (sha256, request_key, schema_name, schema_version, prompt_name,
        prompt_version, model, source, status, error, error_kind, result_json, document_json, text, usage_json,
        attempts, run_id, created_at, updated_at)
        SELECT sha256, {legacy_key}, schema_name, schema_version, prompt_name, prompt_version, model, source, status,
        error, error_kind, result_json, document_json, text, usage_json, attempts, run_id, created_at, updated_at
        FROM records""")
    conn.execute("DROP TABLE records")
    conn.execute("ALTER TABLE records_new RENAME TO records")
    conn.execute("CREATE INDEX records_source ON records (source)")
    conn.execute("""CREATE TABLE sources_new (
        source TEXT PRIMARY KEY, sha256 TEXT NOT NULL, request_key TEXT NOT NULL, file TEXT,
        scope TEXT NOT NULL DEFAULT 'article', duplicate_of TEXT, run_id INTEGER, updated_at REAL NOT NULL)""")
    conn.execute(f"""INSERT INTO sources_new (source, sha256, request_key, file, scope, duplicate_of, run_id,
        updated_at)
        SELECT source, sha256, {legacy_key}, file, scope, duplicate_of, run_id, updated_at FROM sources""")
    conn.execute("DROP TABLE sources")
    conn.execute("ALTER TABLE sources_new RENAME TO sources")
    conn.execute("CREATE INDEX sources_file ON sources (file)")
    for column in ("request_key TEXT", "derive_key TEXT", "engine TEXT"):
        conn.execute(f"ALTER TABLE runs ADD COLUMN {column}")


@migration
def m005_batch_intent(conn: sqlite3.Connection) -> None:
    """Batch API jobs recorded *before* they are created, under a local id.

    The local id travels in the batch's metadata, so a process that dies between
    ``batches.create`` and the local write finds its batch again instead of paying
    for a second one. v0.1 jobs keep their batch id as their local id.
    """
    conn.execute("""CREATE TABLE batch_jobs_new (
        job_id TEXT PRIMARY KEY, batch_id TEXT UNIQUE, created_at REAL NOT NULL, updated_at REAL NOT NULL,
        status TEXT NOT NULL, input_file_id TEXT, output_file_id TEXT, error_file_id TEXT, endpoint TEXT NOT NULL,
        request_key TEXT NOT NULL, schema_name TEXT NOT NULL, schema_version TEXT NOT NULL,
        prompt_name TEXT NOT NULL, prompt_version TEXT NOT NULL, model TEXT NOT NULL, settings_json TEXT,
        input_path TEXT, requests INTEGER NOT NULL, articles INTEGER NOT NULL, collected_at REAL, errors_json TEXT)""")
    conn.execute("""INSERT INTO batch_jobs_new (job_id, batch_id, created_at, updated_at, status, input_file_id,
        output_file_id, error_file_id, endpoint, request_key, schema_name, schema_version, prompt_name,
        prompt_version, model, settings_json, requests, articles, collected_at, errors_json)
        SELECT batch_id, batch_id, created_at, updated_at, status, input_file_id, output_file_id, error_file_id,
        endpoint, 'v0.1/' || schema_name || '@' || schema_version || '/' || prompt_name || '@' || prompt_version
        || '/' || model, schema_name, schema_version, prompt_name, prompt_version, model, settings_json, requests,
        articles, collected_at, errors_json FROM batch_jobs""")
    conn.execute("DROP TABLE batch_jobs")
    conn.execute("ALTER TABLE batch_jobs_new RENAME TO batch_jobs")
    conn.execute("""CREATE TABLE batch_items_new (
        job_id TEXT NOT NULL, custom_id TEXT NOT NULL, sha256 TEXT NOT NULL, source TEXT, path TEXT NOT NULL,
        chunk_index INTEGER NOT NULL, chunks INTEGER NOT NULL, collected INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (job_id, custom_id))""")
    conn.execute("""INSERT INTO batch_items_new SELECT batch_id, custom_id, sha256, source, path, chunk_index,
        chunks, collected FROM batch_items""")
    conn.execute("DROP TABLE batch_items")
    conn.execute("ALTER TABLE batch_items_new RENAME TO batch_items")
    conn.execute("CREATE INDEX batch_items_sha ON batch_items (sha256)")


@migration
def m006_batch_input_fields(conn: sqlite3.Connection) -> None:
    """How a job's JSONL inputs were read (text and id fields), so that collecting finds
    each article again exactly as it was submitted."""
    conn.execute("ALTER TABLE batch_jobs ADD COLUMN text_field TEXT NOT NULL DEFAULT 'text'")
    conn.execute("ALTER TABLE batch_jobs ADD COLUMN id_field TEXT NOT NULL DEFAULT 'id'")


@migration
def m007_batch_texts(conn: sqlite3.Connection) -> None:
    """The text of each article a Batch API job holds, keyed by its content hash.

    Written with the job, before anything is sent, so that an answer already paid for
    can be turned into facts even when the article's file is deleted, moved, unreadable
    or changed before the collect. A text is dropped once no open job holds its article
    any more (its record, which keeps the text too, is stored). Jobs submitted before
    this migration have no kept text: an article of theirs whose file is gone is reported.
    """
    conn.execute("""CREATE TABLE IF NOT EXISTS batch_texts (
        sha256 TEXT PRIMARY KEY, document_json TEXT NOT NULL, text TEXT NOT NULL, created_at REAL NOT NULL)""")
