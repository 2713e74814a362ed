"""The store's Batch API tables: a job is written down *before* the batch exists.

A job's life: ``prepared`` (requests written, local id chosen) → ``uploaded`` (input
file id known) → the batch's own statuses once ``batches.create`` answered
(``validating``, ``in_progress``, ``completed``, ...). Between ``uploaded`` and the
batch id there is a window where the batch may exist on the server while the store
does not know its id; the batch carries the local id in its metadata, so it is found
again rather than paid for twice (see :mod:`extractor.runs.batchapi`).

The text of each article a job holds is kept with it (``batch_texts``, by content hash),
written in the job's own transaction: an answer paid for is turned into facts even when
the article's file is gone or changed by the time it is collected. A text is dropped as
soon as no open job holds its article (its record keeps the text from then on).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from typing import Any

__all__ = ["BatchJobs", "BAD_ENDINGS"]

# Batches that ended without answers: their articles may be submitted again.
BAD_ENDINGS = ("failed", "expired", "cancelled", "abandoned")
# A kept text no open job holds any more: no request of it waits in a job neither
# collected nor ended badly.
_UNHELD = (f"NOT EXISTS (SELECT 1 FROM batch_items i JOIN batch_jobs j ON i.job_id = j.job_id"
           f" WHERE i.sha256 = batch_texts.sha256 AND i.collected = 0 AND j.collected_at IS NULL"
           f" AND j.status NOT IN {BAD_ENDINGS!r})")


class BatchJobs:
    """Jobs and their requests, on the store's connection."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def add(self, *, job_id: str, identity: Any, settings_json: str, endpoint: str, input_path: str,
            articles: int, items: Iterable[tuple[str, str, str | None, str, int, int]], text_field: str = "text",
            id_field: str = "id", texts: Iterable[tuple[str, str, str]] = ()) -> None:
        """Write a job down before anything is sent. ``items``: ``(custom_id, sha256, source, path,
        chunk_index, chunks)`` per request; ``texts``: ``(sha256, document_json, text)`` per
        article, kept until its answer is stored (see :meth:`kept_text`)."""
        items = list(items)
        now = time.time()
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(
                "INSERT INTO batch_jobs (job_id, created_at, updated_at, status, endpoint, request_key, schema_name,"
                " schema_version, prompt_name, prompt_version, model, settings_json, input_path, requests, articles,"
                " text_field, id_field) VALUES (?, ?, ?, 'prepared', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (job_id, now, now, endpoint, identity.request_key, *identity.as_tuple(), settings_json, input_path,
                 len(items), articles, text_field, id_field))
            self.conn.executemany(
                "INSERT INTO batch_items (job_id, custom_id, sha256, source, path, chunk_index, chunks)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)", [(job_id, *it) for it in items])
            self.conn.executemany(
                "INSERT OR REPLACE INTO batch_texts (sha256, document_json, text, created_at) VALUES (?, ?, ?, ?)",
                [(*t, now) for t in texts])

    def set_input_file(self, job_id: str, file_id: str) -> None:
        self._update(job_id, status="uploaded", input_file_id=file_id)

    def set_batch(self, job_id: str, batch_id: str, status: str) -> None:
        self._update(job_id, batch_id=batch_id, status=status)

    def set_status(self, job_id: str, *, status: str, output_file_id: str | None, error_file_id: str | None,
                   errors_json: str | None) -> None:
        self.conn.execute(
            "UPDATE batch_jobs SET status=?, output_file_id=?, error_file_id=?, errors_json=coalesce(?, errors_json),"
            " updated_at=? WHERE job_id=?", (status, output_file_id, error_file_id, errors_json, time.time(), job_id))

    def abandon(self, job_id: str) -> None:
        """A job whose batch was never created (and never will be from this record)."""
        self._update(job_id, status="abandoned")
        self._release(job_id)

    def _update(self, job_id: str, **values: Any) -> None:
        cols = ", ".join(f"{k}=?" for k in values)
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(f"UPDATE batch_jobs SET {cols}, updated_at=? WHERE job_id=?",
                              (*values.values(), time.time(), job_id))

    def unresolved(self) -> list[dict[str, Any]]:
        """Jobs written down whose batch id is not known yet (a submit that did not finish)."""
        return self._rows("SELECT * FROM batch_jobs WHERE batch_id IS NULL AND status IN ('prepared', 'uploaded')"
                          " ORDER BY created_at")

    def get(self, ref: str | None = None) -> dict[str, Any] | None:
        """A job by batch id or local id; the latest job with a batch when ``ref`` is None."""
        if ref is None:
            rows = self._rows("SELECT * FROM batch_jobs WHERE batch_id IS NOT NULL"
                              " ORDER BY created_at DESC, rowid DESC LIMIT 1")
        else:
            rows = self._rows("SELECT * FROM batch_jobs WHERE batch_id=? OR job_id=?", (ref, ref))
        return rows[0] if rows else None

    def all_jobs(self) -> list[dict[str, Any]]:
        """Every job, oldest first."""
        return self._rows("SELECT * FROM batch_jobs ORDER BY created_at, rowid")

    def pending_shas(self, request_key: str | None = None) -> set[str]:
        """Articles waiting in a job not collected yet that has not ended badly (with
        ``request_key``: only the jobs asking that question; another model's pending
        answer does not answer this one)."""
        sql = ("SELECT DISTINCT i.sha256 FROM batch_items i JOIN batch_jobs j ON i.job_id = j.job_id"
               f" WHERE i.collected = 0 AND j.collected_at IS NULL AND j.status NOT IN {BAD_ENDINGS!r}")
        if request_key is None:
            return {r[0] for r in self.conn.execute(sql)}
        return {r[0] for r in self.conn.execute(sql + " AND j.request_key = ?", (request_key,))}

    def open_jobs(self, request_keys: Iterable[str]) -> list[dict[str, Any]]:
        """Jobs asking one of these questions, with a batch, not collected and not ended badly:
        their articles are waiting and must not be asked again."""
        keys = list(request_keys)
        marks = ", ".join("?" * len(keys))
        return self._rows(f"SELECT * FROM batch_jobs WHERE batch_id IS NOT NULL AND collected_at IS NULL"
                          f" AND status NOT IN {BAD_ENDINGS!r} AND request_key IN ({marks})"
                          " ORDER BY created_at, rowid", tuple(keys))

    def items(self, job_id: str) -> list[tuple[str, str | None, str, int, int, int, str]]:
        """``(sha256, source, path, chunk_index, chunks, collected, custom_id)`` of a job's requests, in order."""
        return self.conn.execute(
            "SELECT sha256, source, path, chunk_index, chunks, collected, custom_id FROM batch_items"
            " WHERE job_id=? ORDER BY rowid", (job_id,)).fetchall()

    def kept_text(self, sha256: str) -> tuple[str, str] | None:
        """``(document_json, text)`` of an article as it was submitted, or None (submitted
        before texts were kept, or its answer is stored already)."""
        row = self.conn.execute("SELECT document_json, text FROM batch_texts WHERE sha256=?", (sha256,)).fetchone()
        return (row[0], row[1]) if row else None

    def mark_item_collected(self, job_id: str, sha256: str) -> None:
        """The article's answer is stored: its requests are done, and its kept text is
        dropped unless another open job still holds it."""
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("UPDATE batch_items SET collected=1 WHERE job_id=? AND sha256=?", (job_id, sha256))
            self.conn.execute(f"DELETE FROM batch_texts WHERE sha256=? AND {_UNHELD}", (sha256,))

    def mark_collected(self, job_id: str) -> None:
        now = time.time()
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("UPDATE batch_jobs SET collected_at=?, updated_at=? WHERE job_id=?", (now, now, job_id))
        self._release(job_id)

    def _release(self, job_id: str) -> None:
        """Drop the kept texts of a job that holds nothing any more, unless another open job holds them."""
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(f"DELETE FROM batch_texts WHERE sha256 IN (SELECT sha256 FROM batch_items"
                              f" WHERE job_id=?) AND {_UNHELD}", (job_id,))

    def _rows(self, sql: str, args: tuple = ()) -> list[dict[str, Any]]:
        cur = self.conn.execute(sql, args)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]
