"""``--rebuild-store``: a new store from what is left of a damaged one and from the exports.

A store refused by :func:`extractor.store.integrity.check_store` (empty, cut,
overwritten, deleted, or whose log was deleted under a run) is rebuilt in three steps,
so that the next run asks the model only for what no file in the folder records:

1. the damaged files are moved aside (``extractor.sqlite.damaged-<time>``, never
   deleted) — or, when only the log was lost, just the stale log index;
2. every row still readable in the damaged store is copied into a new one (records
   keep their raw answers and their request key);
3. every line of ``articles.jsonl`` whose record is not there yet is put back: under
   the request key of the run that wrote the exports (``summary.json``) when it names
   the same schema, prompt and model, so that the same command reuses it; under a key
   no run asks otherwise (shown in the exports, never served for a new question).

Records rebuilt from the exports hold no raw answers: changing a post-processing
setting later asks again for them instead of re-deriving (it cannot re-derive from
answers it does not have). A Ray record set is imported by the next Ray run as usual;
``extractor run --rebuild-store`` imports it for any engine.

>>> import tempfile
>>> rebuild_store(tempfile.mkdtemp()).describe()
'the store is intact: nothing to rebuild'
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor.store import DB_NAME, Store, StoredRecord, input_error_key
from extractor.store.integrity import records_elsewhere, store_problem, wal_lost

logger = logging.getLogger(__name__)

__all__ = ["rebuild_store", "RebuildReport"]

_ARTICLES, _SUMMARY = "articles.jsonl", "summary.json"
_NAMES = ("schema_name", "schema_version", "prompt_name", "prompt_version", "model")
_RESULT_FIELDS = ("data", "facts", "usage", "document", "stats", "schema_name", "schema_version", "prompt_name",
                  "prompt_version", "model", "provider", "warnings")


@dataclass
class RebuildReport:
    """What :func:`rebuild_store` did."""

    rebuilt: bool = False
    moved_aside: list[str] = field(default_factory=list)
    salvaged: dict[str, int] = field(default_factory=dict)
    from_exports: int = 0
    export_lines: int = 0
    reusable_key: str | None = None

    def describe(self) -> str:
        if not self.rebuilt:
            return "the store is intact: nothing to rebuild"
        parts = [f"store rebuilt: {self.salvaged.get('records', 0):,} record(s) salvaged from the old store, "
                 f"{self.from_exports:,} put back from {_ARTICLES} ({self.export_lines:,} line(s))"]
        if self.moved_aside:
            parts.append(f"kept aside: {', '.join(self.moved_aside)}")
        if self.from_exports and not self.reusable_key:
            parts.append(f"no {_SUMMARY} names the run that wrote the exports: the records put back are shown "
                         "but asked again by the next run")
        return "; ".join(parts)


def _move_aside(path: Path, stamp: str) -> str | None:
    if not path.exists():
        return None
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while target.exists():  # never over what an earlier rebuild kept aside
        n += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    os.replace(path, target)
    return target.name


def _last_run(out: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((out / _SUMMARY).read_text(encoding="utf-8")).get("last_run") or {})
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


def rebuild_store(out: str | os.PathLike[str]) -> RebuildReport:
    """Rebuild ``out``'s store from what is left of it and from its exports (see the
    module's docstring); nothing when the store is intact. The caller holds the output
    folder's lock (:class:`~extractor.store.OutputLock`)."""
    out = Path(out)
    path = out / DB_NAME
    report = RebuildReport()
    problem = store_problem(path)
    lost = wal_lost(path) if problem is None and path.exists() else 0
    empty_or_missing = not path.exists() or path.stat().st_size == 0
    if problem is None and not lost and not empty_or_missing:
        return report
    if empty_or_missing and problem in (None, "is empty (0 bytes)") and not records_elsewhere(out) \
            and not Path(f"{path}-wal").exists():
        return report  # a new folder: nothing was ever stored
    report.rebuilt = True
    stamp = time.strftime("%Y%m%d-%H%M%S")
    damaged: Path | None = None
    if lost and problem is None:
        # The store file is sound; only its log's last writes are gone. The stale log
        # index would make SQLite replay nothing anyway: keep it aside as evidence.
        for suffix in ("-shm", "-wal"):
            name = _move_aside(Path(f"{path}{suffix}"), stamp)
            report.moved_aside += [name] if name else []
    else:
        for suffix in ("", "-wal", "-shm"):
            name = _move_aside(Path(f"{path}{suffix}"), stamp)
            if name:
                report.moved_aside.append(name)
                damaged = damaged or (out / name if suffix == "" else None)
    with Store(out, check=False) as store:
        if damaged is not None and damaged.stat().st_size > 0:
            report.salvaged = store.salvage(damaged)
        report.export_lines, report.from_exports, report.reusable_key = _from_exports(store, out)
    logger.warning("%s: %s", out, report.describe())
    return report


def _from_exports(store: Store, out: Path) -> tuple[int, int, str | None]:
    last = _last_run(out)
    names = tuple(last.get(k) for k in _NAMES)
    key, derive = last.get("request_key"), last.get("derive_key")
    lines = added = 0
    if not (out / _ARTICLES).exists():
        return 0, 0, key
    with open(out / _ARTICLES, encoding="utf-8", errors="replace") as fh:
        for raw in fh:
            try:
                line = json.loads(raw)
            except ValueError:
                continue  # a line cut by the damage: its article is asked again
            if not isinstance(line, dict):
                continue
            lines += 1
            line_names = tuple(line.get(k) for k in _NAMES)
            same = key and line_names == names
            request_key = key if same else "rebuilt:" + "/".join(str(n) for n in line_names)
            added += store.restore(_record(line, str(request_key)), derive_key=derive if same else None)
    return lines, added, key


def _record(line: dict[str, Any], request_key: str) -> StoredRecord:
    source = line.get("source")
    sha = line.get("sha256") or input_error_key(str(source))
    result = {k: line.get(k) for k in _RESULT_FIELDS if line.get(k) is not None} if line.get("status") == "ok" else None
    when = float(line.get("updated_at") or time.time())

    def dump(value: Any) -> str | None:
        return json.dumps(value, ensure_ascii=False) if value is not None else None

    return StoredRecord(
        sha256=sha, request_key=request_key, schema_name=str(line.get("schema_name") or ""),
        schema_version=str(line.get("schema_version") or ""), prompt_name=str(line.get("prompt_name") or ""),
        prompt_version=str(line.get("prompt_version") or ""), model=str(line.get("model") or ""), source=source,
        status="ok" if line.get("status") == "ok" else "error", error=line.get("error"),
        error_kind=line.get("error_kind"), result_json=dump(result), document_json=dump(line.get("document")),
        text=line.get("text"), usage_json=dump(line.get("usage")), attempts=int(line.get("attempts") or 1),
        run_id=None, created_at=when, updated_at=when, duplicate_of=line.get("duplicate_of"))
