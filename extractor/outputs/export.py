"""Files for people and other tools, always regenerated from the store.

    OUT/articles.jsonl            one line per article (ok or error), with its text
    OUT/tables/<type>.csv         one row per fact (UTF-8 with BOM, opens in Excel)
    OUT/tables/<type>.parquet     the same, typed (pyarrow)
    OUT/tables/consortium_members one row per member of each consortium fact
    OUT/summary.json              counts, facts by type, tokens, cost, wall time

Each file is written to a temporary name and moved into place with ``os.replace``,
so a reader never sees half a file and an interrupted export leaves the old one.
The store stays the truth; deleting these files loses nothing.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import time
from pathlib import Path
from typing import Any, Iterable

from extractor.store import DB_NAME, Store

logger = logging.getLogger(__name__)

__all__ = ["export_all", "article_line", "fact_rows", "member_rows", "write_table", "ARTICLES", "TABLES", "SUMMARY"]

ARTICLES = "articles.jsonl"
TABLES = "tables"
SUMMARY = "summary.json"
_LEAD = ["article_id", "source", "fact_index"]
_TAIL = ["evidence", "span_start", "span_end", "alignment", "grounded", "corrected", "corrections", "flags"]
_RESERVED = set(_LEAD) | set(_TAIL)


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def _article_id(sha256: str | None) -> str | None:
    return sha256[:16] if sha256 else None


def _loads(text: str | None) -> Any:
    return json.loads(text) if text else None


def article_line(rec: Any) -> dict[str, Any]:
    """One ``articles.jsonl`` object from a stored record (see :class:`~extractor.store.sqlite.StoredRecord`)."""
    result = _loads(rec.result_json) or {}
    sha = None if rec.sha256.startswith("input:") else rec.sha256
    document = result.get("document") or _loads(rec.document_json) or {}
    return {
        "article_id": _article_id(sha),
        "source": rec.source,
        "duplicate_of": getattr(rec, "duplicate_of", None),
        "sha256": sha,
        "status": rec.status,
        "error": rec.error,
        "error_kind": rec.error_kind,
        "document": document,
        "facts": result.get("facts", []),
        "data": result.get("data"),
        "usage": result.get("usage") or _loads(rec.usage_json),
        "stats": result.get("stats"),
        "warnings": result.get("warnings", []),
        "schema_name": rec.schema_name,
        "schema_version": rec.schema_version,
        "prompt_name": rec.prompt_name,
        "prompt_version": rec.prompt_version,
        "model": rec.model,
        "provider": result.get("provider"),
        "attempts": rec.attempts,
        "updated_at": rec.updated_at,
        "text": rec.text,
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
            evidence=fact.get("evidence"),
            span_start=span.get("start"),
            span_end=span.get("end"),
            alignment=fact.get("alignment"),
            grounded=bool(fact.get("grounded")),
            corrected=bool(corrections),
            corrections=json.dumps(corrections, ensure_ascii=False) if corrections else "",
            flags="; ".join(fact.get("flags") or []),
        )
        yield fact.get("type") or "fact", row


def member_rows(line: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """One row per member of each consortium fact of one article line."""
    for index, fact in enumerate(line.get("facts") or []):
        if fact.get("type") != "consortium":
            continue
        data = fact.get("data") or {}
        for m_index, member in enumerate(data.get("members") or []):
            yield {
                "article_id": line["article_id"],
                "source": line["source"],
                "fact_index": index,
                "consortium": data.get("name"),
                "lead_institution": data.get("lead_institution"),
                "member_index": m_index,
                "member": member,
                "evidence": fact.get("evidence"),
            }


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    middle = [k for k in seen if k not in _RESERVED]
    lead = [k for k in _LEAD if k in seen]
    tail = [k for k in _TAIL if k in seen]
    return lead + middle + tail


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


def _arrow_column(values: list[Any]) -> Any:
    import pyarrow as pa

    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pa.array(values, type=pa.bool_())
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        if all(-(2 ** 63) <= v < 2 ** 63 for v in present):
            return pa.array(values, type=pa.int64())
        # Beyond int64: text keeps every digit (float64 would round them).
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        try:
            return pa.array([None if v is None else float(v) for v in values], type=pa.float64())
        except OverflowError:  # an int too large even for a float
            return pa.array([None if v is None else str(v) for v in values], type=pa.string())
    return pa.array([None if v is None else (v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
                     for v in values], type=pa.string())


def write_table(rows: list[dict[str, Any]], csv_path: Path, parquet_path: Path,
                columns: list[str] | None = None) -> None:
    """Write rows as CSV (UTF-8 with BOM) and Parquet, each atomically; ``columns``
    gives the header of a table that has no rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = _columns(rows) or list(columns or [])
    tmp = _tmp(csv_path)
    with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(cols)
        for row in rows:
            writer.writerow([_csv_value(row.get(c)) for c in cols])
    os.replace(tmp, csv_path)
    table = pa.table({c: _arrow_column([row.get(c) for row in rows]) for c in cols})
    tmp = _tmp(parquet_path)
    pq.write_table(table, tmp)
    os.replace(tmp, parquet_path)


def schema_tables(schema_names: set[str]) -> dict[str, list[str]]:
    """Fact type → column names for the schemas in the store, so that every fact type
    has its table (header only when no article stated such a fact): scripts that read
    ``tables/money.csv`` should not break on a run without money."""
    from extractor.grounding.align import evidence_fields, fact_models, fact_type_of
    from extractor.model.registry import resolve_schema

    tables: dict[str, list[str]] = {}
    for name in sorted(schema_names):
        try:
            schema = resolve_schema(name)
        except Exception:  # a schema no longer installed: its tables come from the rows only
            logger.debug("schema %r not found; no empty tables for it", name)
            continue
        for model in fact_models(schema):
            skip = set(evidence_fields(model))
            fields = [f"data_{f}" if f in _RESERVED else f for f in model.model_fields if f not in skip]
            fact_type = fact_type_of(model)
            tables.setdefault(fact_type, _LEAD + fields + _TAIL)
            if fact_type == "consortium" and "members" in model.model_fields:
                tables.setdefault("consortium_members", _LEAD + ["consortium", "lead_institution", "member_index",
                                                                 "member", "evidence"])
    return tables


def export_all(out: str | os.PathLike, *, run: Any = None) -> dict[str, Path]:
    """Regenerate every export of ``out`` from ``out/extractor.sqlite``.

    ``run`` (a :class:`~extractor.runs.batch.RunSummary`) adds the run's own figures (wall
    time, model calls, cached articles) to ``summary.json``. Returns the paths written:
    ``articles``, ``tables``, ``summary``, ``store`` and one ``table:<type>`` each.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tables_dir = out / TABLES
    tables_dir.mkdir(exist_ok=True)
    articles_path = out / ARTICLES
    rows_by_type: dict[str, list[dict[str, Any]]] = {}
    members: list[dict[str, Any]] = []
    counts = {"articles": 0, "ok": 0, "error": 0}
    errors_by_kind: dict[str, int] = {}
    usage_keys = ("prompt_tokens", "completion_tokens", "total_tokens", "requests", "calls", "reasks",
                  "transport_retries")
    usage: dict[str, Any] = {k: 0 for k in usage_keys}
    cost: float | None = None
    schema_names: set[str] = set()
    store = Store(out)
    try:
        tmp = _tmp(articles_path)
        with open(tmp, "w", encoding="utf-8") as fh:
            for rec in store.iter_records():
                line = article_line(rec)
                fh.write(json.dumps(line, ensure_ascii=False))
                fh.write("\n")
                counts["articles"] += 1
                counts[rec.status] = counts.get(rec.status, 0) + 1
                if rec.status == "error":
                    kind = rec.error_kind or "unknown"
                    errors_by_kind[kind] = errors_by_kind.get(kind, 0) + 1
                u = line.get("usage") or {}
                for k in usage_keys:
                    usage[k] += int(u.get(k) or 0)
                if u.get("cost_usd") is not None:
                    cost = (cost or 0.0) + float(u["cost_usd"])
                if line.get("schema_name"):
                    schema_names.add(line["schema_name"])
                if rec.status == "ok":
                    for fact_type, row in fact_rows(line):
                        rows_by_type.setdefault(fact_type, []).append(row)
                    members.extend(member_rows(line))
        os.replace(tmp, articles_path)
        runs = store.runs()
        last_run = runs[-1] if runs else None
    finally:
        store.close()

    paths: dict[str, Path] = {"articles": articles_path, "tables": tables_dir, "summary": out / SUMMARY,
                              "store": out / DB_NAME}
    written: set[str] = set()
    if members:
        rows_by_type["consortium_members"] = members
    headers = schema_tables(schema_names)
    for name in headers:
        rows_by_type.setdefault(name, [])
    for name, rows in sorted(rows_by_type.items()):
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name) or "fact"
        csv_path, pq_path = tables_dir / f"{safe}.csv", tables_dir / f"{safe}.parquet"
        write_table(rows, csv_path, pq_path, columns=headers.get(name))
        written.update({csv_path.name, pq_path.name})
        paths[f"table:{safe}"] = csv_path
    # Tables of fact types that no longer occur would mislead; they are ours to remove.
    for stale in tables_dir.iterdir():
        if stale.suffix in (".csv", ".parquet") and stale.name not in written:
            stale.unlink(missing_ok=True)

    summary: dict[str, Any] = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "articles": counts["articles"],
        "ok": counts["ok"],
        "error": counts["error"],
        "errors_by_kind": errors_by_kind,
        "facts": sum(len(r) for t, r in rows_by_type.items() if t != "consortium_members"),
        "facts_by_type": {t: len(r) for t, r in sorted(rows_by_type.items()) if r and t != "consortium_members"},
        "consortium_members": len(members),
        "tokens": {k: usage[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")},
        "cost_usd": round(cost, 6) if cost is not None else None,
        "requests": usage["requests"],
        "reasks": usage["reasks"],
        "transport_retries": usage["transport_retries"],
        "paths": {k: str(v) for k, v in paths.items()},
    }
    if last_run is not None:
        summary["last_run"] = {k: last_run.get(k) for k in ("id", "status", "started_at", "finished_at", "model",
                                                            "schema_name", "schema_version", "prompt_name",
                                                            "prompt_version")}
    if run is not None:
        summary["run"] = run.to_dict() if hasattr(run, "to_dict") else dict(run)
        summary["run"].pop("paths", None)
        summary["wall_s"] = summary["run"].get("wall_s")
    tmp = _tmp(paths["summary"])
    tmp.write_text(json.dumps(summary, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, paths["summary"])
    return paths
