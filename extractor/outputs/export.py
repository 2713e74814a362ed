"""Files for people and other tools, always regenerated from the store.

    OUT/articles.jsonl            one line per article (ok or error), with its text
    OUT/tables/<type>.csv         one row per fact (UTF-8 with BOM, opens in Excel)
    OUT/tables/<type>.parquet     the same, typed (pyarrow)
    OUT/tables/<child>.csv        one row per item of a list a schema declares as a child
                                  table (the health-news schema: consortium_members)
    OUT/tables/mentions.csv       one row per number, amount, percentage and date the readers
                                  found (extractor.outputs.mentions), with or without a model
    OUT/summary.json              counts, facts by type, languages, tokens, cost, wall time,
                                  the run's provider, model and chunk size

Exports stream: articles are read from the store one at a time, fact rows are spooled
per table to a scratch folder, then each table is written in batches; memory stays
flat however many articles there are. Every file is written to a temporary name in
the same folder and moved into place with ``os.replace``, so a reader (or a kill at
any moment) sees the previous complete file or the new one, never half a file. The
store stays the truth; deleting these files loses nothing. The caller holds the
output folder's lock (:class:`~extractor.store.OutputLock`).
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import math
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor.core.errors import RETRYABLE_KINDS, retryable
from extractor.core.schema import ChildTable, child_tables_of
from extractor.outputs.mentions import MENTION_COLUMNS, MENTIONS_TABLE, mention_rows
from extractor.store import DB_NAME, Store

logger = logging.getLogger(__name__)

__all__ = ["export_all", "article_line", "fact_rows", "write_table", "write_mentions_table", "schema_tables",
           "ARTICLES", "TABLES", "SUMMARY"]

ARTICLES = "articles.jsonl"
TABLES = "tables"
SUMMARY = "summary.json"
_LEAD = ["article_id", "source", "fact_index"]
_TAIL = ["evidence", "span_start", "span_end", "alignment", "grounded", "corrected", "corrections", "flags"]
_RESERVED = set(_LEAD) | set(_TAIL)
_FAILED_LISTED = 1000  # failed sources listed by name in summary.json, per group (articles.jsonl has all)
_USAGE_KEYS = ("prompt_tokens", "completion_tokens", "total_tokens", "requests", "calls", "reasks",
               "transport_retries")


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


@contextlib.contextmanager
def _atomic(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed onto it on success and removed on failure.

    A reader sees the previous complete file or the new one; a failed export (a full disk,
    an exception) leaves no ``.tmp`` behind to be mistaken for output.
    """
    tmp = _tmp(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _remove_dead_scratch(out: Path) -> None:
    """Remove scratch folders and temporary files left by exports of processes that are gone (SIGKILL)."""
    for entry in out.glob(".export-*"):
        pid = entry.name.rpartition("-")[2]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)
    for folder in (out, out / TABLES, out / "batches"):  # ours only: OUT may hold the user's files too
        for entry in folder.glob(".*.tmp-*"):
            pid = entry.name.rpartition("-")[2]
            if pid.isdigit() and entry.is_file() and not _alive(int(pid)):
                entry.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _article_id(sha256: str | None) -> str | None:
    return sha256[:16] if sha256 else None


def _loads(text: str | None) -> Any:
    return json.loads(text) if text else None


def article_line(rec: Any) -> dict[str, Any]:
    """One ``articles.jsonl`` object from a stored record (see :class:`~extractor.store.StoredRecord`)."""
    result = _loads(rec.result_json) or {}
    sha = None if rec.sha256.startswith("input:") else rec.sha256
    document = result.get("document") or _loads(rec.document_json) or {}
    return {
        "article_id": _article_id(sha), "source": rec.source, "duplicate_of": getattr(rec, "duplicate_of", None),
        "sha256": sha, "status": rec.status, "error": rec.error, "error_kind": rec.error_kind,
        "document": document, "facts": result.get("facts", []), "data": result.get("data"),
        "usage": result.get("usage") or _loads(rec.usage_json), "stats": result.get("stats"),
        "warnings": result.get("warnings", []), "mentions": result.get("mentions", []),
        "sentences": result.get("sentences", []), "schema_name": rec.schema_name, "schema_version": rec.schema_version,
        "prompt_name": rec.prompt_name, "prompt_version": rec.prompt_version, "model": rec.model,
        "provider": result.get("provider"), "attempts": rec.attempts, "updated_at": rec.updated_at, "text": rec.text,
    }


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        elif isinstance(value, list):
            if all(not isinstance(v, (dict, list)) for v in value):
                out[name] = "; ".join("" if v is None else str(v) for v in value)
            else:
                out[name] = json.dumps(value, ensure_ascii=False)
        else:
            out[name] = value
    return out


def fact_rows(line: dict[str, Any]) -> Iterable[tuple[str, dict[str, Any]]]:
    """``(fact type, row)`` for every fact of one article line."""
    for index, fact in enumerate(line.get("facts") or []):
        row: dict[str, Any] = {"article_id": line["article_id"], "source": line["source"], "fact_index": index}
        for key, value in _flatten(fact.get("data") or {}).items():
            row[f"data_{key}" if key in _RESERVED else key] = value
        span = fact.get("span") or {}
        corrections = fact.get("corrections") or []
        row.update(
            evidence=fact.get("evidence"), span_start=span.get("start"), span_end=span.get("end"),
            alignment=fact.get("alignment"), grounded=bool(fact.get("grounded")), corrected=bool(corrections),
            corrections=json.dumps(corrections, ensure_ascii=False) if corrections else "",
            flags="; ".join(fact.get("flags") or []),
        )
        yield fact.get("type") or "fact", row


def child_rows(line: dict[str, Any], children: dict[str, tuple[ChildTable, ...]]) -> Iterator[tuple[str, dict]]:
    """``(table, row)`` for every item of the child tables the facts' schema declares."""
    for index, fact in enumerate(line.get("facts") or []):
        for table in children.get(fact.get("type") or "", ()):
            for row in table.rows(fact):
                yield table.name, {"article_id": line["article_id"], "source": line["source"], "fact_index": index,
                                   **row}


# --------------------------------------------------------------------------- cells and columns

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_value(v: Any) -> Any:
    """A cell for the CSV file. A text starting with ``= + - @``, tab or CR gets a
    leading ``'`` so that a spreadsheet shows it instead of running it as a formula
    (CSV injection); the Parquet file and articles.jsonl keep the text as is."""
    if v is None:
        return ""
    if isinstance(v, str) and v.startswith(_FORMULA_START):
        return "'" + v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v)) if abs(v) < 1e15 else repr(v)
    return v


@dataclass
class _ColumnKind:
    """The Parquet type a column needs, learnt one value at a time."""

    bools: bool = True
    ints: bool = True
    numbers: bool = True
    in_int64: bool = True
    in_float: bool = True
    present: bool = False

    def see(self, v: Any) -> None:
        if v is None:
            return
        self.present = True
        is_bool = isinstance(v, bool)
        is_int = isinstance(v, int) and not is_bool
        self.bools &= is_bool
        self.ints &= is_int
        self.numbers &= is_int or (isinstance(v, float))
        if is_int:
            self.in_int64 &= -(2 ** 63) <= v < 2 ** 63
            self.in_float &= abs(v) < 1.8e308

    def arrow_type(self) -> Any:
        import pyarrow as pa

        if not self.present:
            return pa.string()
        if self.bools:
            return pa.bool_()
        if self.ints:
            # Beyond int64: text keeps every digit (float64 would round them).
            return pa.int64() if self.in_int64 else pa.string()
        if self.numbers:
            return pa.float64() if self.in_float else pa.string()
        return pa.string()


def _arrow_value(v: Any, kind: Any) -> Any:
    import pyarrow as pa

    if v is None:
        return None
    if kind == pa.string():
        return v if isinstance(v, str) else (str(v) if isinstance(v, (int, float)) and not isinstance(v, bool)
                                             else json.dumps(v, ensure_ascii=False))
    if kind == pa.float64():
        f = float(v)
        return f if math.isfinite(f) else None  # JSON has no NaN or infinity
    return v


def _order(columns: Iterable[str]) -> list[str]:
    seen = list(dict.fromkeys(columns))
    middle = [k for k in seen if k not in _RESERVED]
    return [k for k in _LEAD if k in seen] + middle + [k for k in _TAIL if k in seen]


# --------------------------------------------------------------------------- tables


@dataclass
class _Spool:
    """One table's rows, spooled to a scratch file while the store is read."""

    path: Path
    columns: dict[str, _ColumnKind] = field(default_factory=dict)
    rows: int = 0
    _fh: Any = None

    def add(self, row: dict[str, Any]) -> None:
        if self._fh is None:
            self._fh = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - open across add() calls
        for k, v in row.items():
            self.columns.setdefault(k, _ColumnKind()).see(v)
        self._fh.write(json.dumps(row, ensure_ascii=False))
        self._fh.write("\n")
        self.rows += 1

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def read(self) -> Iterator[dict[str, Any]]:
        if not self.rows:
            return
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                yield json.loads(line)


def write_table(rows: Iterable[dict[str, Any]], csv_path: Path, parquet_path: Path,
                columns: list[str] | None = None) -> None:
    """Write rows as CSV (UTF-8 with BOM) and Parquet, each atomically; ``columns``
    gives the header of a table that has no rows."""
    spool = _Spool(csv_path.with_name(f".{csv_path.stem}.spool.tmp-{os.getpid()}"))
    try:
        for row in rows:
            spool.add(row)
        spool.close()
        _write_spooled(spool, csv_path, parquet_path, columns)
    finally:
        spool.close()
        spool.path.unlink(missing_ok=True)


def write_mentions_table(rows: Iterable[dict[str, Any]], tables_dir: str | os.PathLike[str]) -> tuple[Path, Path]:
    """``tables_dir/mentions.csv`` and ``.parquet`` from mention rows
    (:func:`extractor.outputs.mentions.mention_rows`); the header alone when there are none."""
    tables_dir = Path(tables_dir)
    tables_dir.mkdir(parents=True, exist_ok=True)
    csv_path, parquet_path = tables_dir / f"{MENTIONS_TABLE}.csv", tables_dir / f"{MENTIONS_TABLE}.parquet"
    write_table(({c: row.get(c) for c in MENTION_COLUMNS} for row in rows), csv_path, parquet_path, MENTION_COLUMNS)
    return csv_path, parquet_path


def _write_spooled(spool: _Spool, csv_path: Path, parquet_path: Path, header: list[str] | None) -> None:
    cols = _order(spool.columns) or list(header or [])
    with _atomic(csv_path) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(cols)
        for row in spool.read():
            writer.writerow([_csv_value(row.get(c)) for c in cols])
    _write_parquet(spool, cols, parquet_path)


_PARQUET_BLOCK = 64 << 10


def _staging(spool_path: Path) -> Path:
    """The Arrow reader's input file, beside the spool: in the scratch folder, or named
    like a temporary file (``.*.tmp-<pid>``) so that a killed process's copy is removed."""
    head, sep, pid = spool_path.name.rpartition(".tmp-")
    return spool_path.with_name(f"{head}.arrow.tmp-{pid}" if sep else f"{spool_path.name}.arrow")


def _write_parquet(spool: _Spool, cols: list[str], parquet_path: Path) -> None:
    """The table as Parquet, converted by Arrow's own JSON reader in batches.

    Not ``pa.array`` over Python lists: that conversion imports pandas when it is installed
    (half a second and 50 MB, once per run), and Arrow's reader streams anyway.
    """
    import pyarrow as pa
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    kinds = {c: (spool.columns[c].arrow_type() if c in spool.columns else pa.string()) for c in cols}
    schema = pa.schema([(c, kinds[c]) for c in cols])
    converted = _staging(spool.path)
    longest = 0
    try:
        with open(converted, "wb") as fh:
            for row in spool.read():
                line = json.dumps({c: _arrow_value(row.get(c), kinds[c]) for c in cols},
                                  ensure_ascii=False).encode("utf-8") + b"\n"
                longest = max(longest, len(line))
                fh.write(line)
        with _atomic(parquet_path) as tmp, pq.ParquetWriter(tmp, schema) as writer:  # 0 batches: a valid empty file
            if spool.rows:
                # One thread and small blocks (each must hold the longest row): the JSON
                # parser allocates outside Arrow's pool, and threads with 1 MB blocks made
                # peak memory grow with the table (+80 MB at 10,000 articles, +10 MB now).
                reader = pj.open_json(
                    converted,
                    read_options=pj.ReadOptions(use_threads=False, block_size=max(_PARQUET_BLOCK, 2 * longest)),
                    parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"))
                for batch in reader:
                    writer.write_batch(batch)
    finally:
        converted.unlink(missing_ok=True)


@dataclass
class _SchemaTables:
    """Per schema found in the store: each fact type's columns and child tables, so that
    every fact type has its table (header only when no article stated such a fact)."""

    headers: dict[str, list[str]] = field(default_factory=dict)
    children: dict[str, tuple[ChildTable, ...]] = field(default_factory=dict)
    _known: set[str] = field(default_factory=set)

    def learn(self, name: str | None) -> None:
        if not name or name in self._known:
            return
        self._known.add(name)
        from extractor.grounding.align import evidence_fields, fact_models, fact_type_of
        from extractor.model.registry import resolve_schema

        try:
            schema = resolve_schema(name)
        except Exception:  # a schema no longer installed: its tables come from the rows only
            logger.debug("schema %r not found; no empty tables for it", name)
            return
        for model in fact_models(schema):
            skip = set(evidence_fields(model))
            fields = [f"data_{f}" if f in _RESERVED else f for f in model.model_fields if f not in skip]
            fact_type = fact_type_of(model)
            self.headers.setdefault(fact_type, _LEAD + fields + _TAIL)
            self.children.setdefault(fact_type, child_tables_of(model))
            for child in child_tables_of(model):
                self.headers.setdefault(child.name, _LEAD + child.columns())


def schema_tables(schema_names: set[str]) -> dict[str, list[str]]:
    """Table → column names for the schemas named (fact types and declared child tables)."""
    tables = _SchemaTables()
    for name in sorted(schema_names):
        tables.learn(name)
    return tables.headers


# --------------------------------------------------------------------------- the export


@dataclass
class _Totals:
    articles: int = 0
    ok: int = 0
    error: int = 0
    errors_by_kind: dict[str, int] = field(default_factory=dict)
    usage: dict[str, int] = field(default_factory=lambda: {k: 0 for k in _USAGE_KEYS})
    cost: float | None = None
    languages: dict[str, int] = field(default_factory=dict)
    language_unsupported: int = 0
    failed: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {"retryable": [], "not_retryable": []})
    failed_counts: dict[str, int] = field(default_factory=lambda: {"retryable": 0, "not_retryable": 0})

    def add(self, rec: Any, line: dict[str, Any]) -> None:
        self.articles += 1
        document = line.get("document") or {}
        if rec.status == "ok" and document:
            language = str(document.get("language") or "unknown")
            self.languages[language] = self.languages.get(language, 0) + 1
            self.language_unsupported += bool(document.get("language_unsupported"))
        if rec.status == "ok":
            self.ok += 1
        else:
            self.error += 1
            kind = rec.error_kind or "unknown"
            self.errors_by_kind[kind] = self.errors_by_kind.get(kind, 0) + 1
            group = "retryable" if retryable(kind) else "not_retryable"
            self.failed_counts[group] += 1
            if len(self.failed[group]) < _FAILED_LISTED:
                self.failed[group].append({"source": rec.source, "error_kind": kind})

    def failed_summary(self) -> dict[str, Any]:
        """Which failed articles a re-run may fix and which need their file fixed first."""
        return {
            "retryable": self.failed_counts["retryable"], "not_retryable": self.failed_counts["not_retryable"],
            "retryable_kinds": sorted(RETRYABLE_KINDS),
            "retryable_sources": self.failed["retryable"], "not_retryable_sources": self.failed["not_retryable"],
            "listed_at_most": _FAILED_LISTED,
        }

    def add_usage(self, usage_json: str | None) -> None:
        u = _loads(usage_json) or {}
        for k in _USAGE_KEYS:
            self.usage[k] += int(u.get(k) or 0)
        if u.get("cost_usd") is not None:
            self.cost = (self.cost or 0.0) + float(u["cost_usd"])


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name) or "fact"


def export_all(out: str | os.PathLike[str], *, run: Any = None) -> dict[str, Path]:
    """Regenerate every export of ``out`` from ``out/extractor.sqlite``.

    ``run`` (a :class:`~extractor.runs.RunSummary`) adds the run's own figures (wall
    time, model calls, articles requested, re-derived, reused) to ``summary.json``.
    Returns the paths written: ``articles``, ``tables``, ``summary``, ``store`` and one
    ``table:<type>`` each.
    """
    out = Path(out)
    tables_dir = out / TABLES
    tables_dir.mkdir(parents=True, exist_ok=True)
    _remove_dead_scratch(out)
    scratch = out / f".export-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    spools: dict[str, _Spool] = {}
    try:
        totals, child_names, last_run = _read_store(out, scratch, spools)
        paths = {"articles": out / ARTICLES, "tables": tables_dir, "summary": out / SUMMARY, "store": out / DB_NAME}
        paths.update(_write_tables(tables_dir, spools))
    finally:
        for spool in spools.values():
            spool.close()
        shutil.rmtree(scratch, ignore_errors=True)
    _write_summary(paths, totals, spools, child_names, last_run, run)
    return paths


def _read_store(out: Path, scratch: Path, spools: dict[str, _Spool]) -> tuple[_Totals, set[str], dict | None]:
    """Write articles.jsonl and spool every table's rows into ``spools``, in one pass over the store."""
    totals, schemas = _Totals(), _SchemaTables()

    def spool(name: str) -> _Spool:
        if name not in spools:
            spools[name] = _Spool(scratch / f"{len(spools)}.jsonl")
        return spools[name]

    with Store(out) as store:
        articles = out / ARTICLES
        with _atomic(articles) as tmp, open(tmp, "w", encoding="utf-8") as fh:
            for rec in store.iter_records():
                line = article_line(rec)
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")
                totals.add(rec, line)
                schemas.learn(line.get("schema_name"))
                if rec.status == "ok":
                    for table, row in (*fact_rows(line), *child_rows(line, schemas.children)):
                        spool(table).add(row)
                    for row in mention_rows(line):
                        spool(MENTIONS_TABLE).add(row)
        for usage_json in store.iter_shown_usage():
            totals.add_usage(usage_json)
        last_run = store.last_run()
    for name, header in {**schemas.headers, MENTIONS_TABLE: MENTION_COLUMNS}.items():
        if not spool(name).rows:  # a table no article filled: its header from the schema
            spool(name).columns.update({c: _ColumnKind() for c in header})
    # Not fact tables: counted apart in the summary.
    child_names = {c.name for tables in schemas.children.values() for c in tables} | {MENTIONS_TABLE}
    return totals, child_names, last_run


def _write_tables(tables_dir: Path, spools: dict[str, _Spool]) -> dict[str, Path]:
    paths: dict[str, Path] = {}
    written: set[str] = set()
    for name, spool in sorted(spools.items()):
        spool.close()
        safe = _safe(name)
        csv_path, pq_path = tables_dir / f"{safe}.csv", tables_dir / f"{safe}.parquet"
        _write_spooled(spool, csv_path, pq_path, None)
        written.update({csv_path.name, pq_path.name})
        paths[f"table:{safe}"] = csv_path
    # Tables of fact types that no longer occur would mislead; they are ours to remove.
    for stale in tables_dir.iterdir():
        if stale.suffix in (".csv", ".parquet") and stale.name not in written:
            stale.unlink(missing_ok=True)
    return paths


def _write_summary(paths: dict[str, Path], totals: _Totals, spools: dict[str, _Spool], child_names: set[str],
                   last_run: dict | None, run: Any) -> None:
    facts = {t: s.rows for t, s in sorted(spools.items()) if t not in child_names}
    summary: dict[str, Any] = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "articles": totals.articles, "ok": totals.ok, "error": totals.error, "errors_by_kind": totals.errors_by_kind,
        "failed": totals.failed_summary(),
        "facts": sum(facts.values()), "facts_by_type": {t: n for t, n in facts.items() if n},
        **{name: spools[name].rows for name in sorted(child_names) if name in spools},
        "tokens": {k: totals.usage[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")},
        "cost_usd": round(totals.cost, 6) if totals.cost is not None else None,
        "requests": totals.usage["requests"], "reasks": totals.usage["reasks"],
        "transport_retries": totals.usage["transport_retries"],
        "languages": dict(sorted(totals.languages.items())), "language_unsupported": totals.language_unsupported,
        "paths": {k: str(v) for k, v in paths.items()},
    }
    if last_run is not None:
        summary["last_run"] = {k: last_run.get(k) for k in ("id", "status", "started_at", "finished_at", "engine",
                                                            "model", "schema_name", "schema_version", "prompt_name",
                                                            "prompt_version", "request_key", "derive_key")}
    if run is not None:
        summary["run"] = run.to_dict() if hasattr(run, "to_dict") else dict(run)
        summary["run"].pop("paths", None)
        summary["wall_s"] = summary["run"].get("wall_s")
        # What the run asked (the records of earlier runs may have been made otherwise: last_run, articles.jsonl).
        for key in ("provider", "model", "chunk_tokens"):
            summary[key] = summary["run"].get(key)
        # What the run's discovery passed over (hidden, other types, links out, pipes...).
        summary["skipped"] = summary["run"].pop("skipped", [])
        summary["skipped_by_reason"] = summary["run"].pop("skipped_by_reason", {})
    with _atomic(paths["summary"]) as tmp:
        tmp.write_text(json.dumps(summary, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
