"""Large jobs through the OpenAI Batch API: half the price, answers within 24 hours.

    inputs ─discover/read/clean/chunk─▶ one request line per chunk ─upload─▶ batch
    batch ─poll─▶ completed ─download output (+ error file)─▶ answers per article
    answers ─parse (no re-ask)─▶ Extractor.finish ─▶ store ─▶ exports

Same outputs as a normal run (``OUT/extractor.sqlite``, ``articles.jsonl``,
``tables/``, ``summary.json``), same record key (content sha256 + schema + prompt +
model), so a normal run and a batch run over the same folder share their results.

* :func:`submit` skips articles already ``ok`` in the store and articles still
  waiting in a batch that has not been collected, stores unreadable inputs as error
  records at once, and records the batch id and its requests in two tables of the
  store (``batch_jobs``, ``batch_items``). It returns the batch id.
* :func:`poll` asks the API for the batch's status.
* :func:`collect` downloads the answers when the batch has ended and writes one
  record per article. Collecting again writes nothing new; a collect that crashed
  half-way is simply run again (articles already collected are skipped).

There is no interactive re-ask in a batch: an answer that does not fit the schema
becomes an error record of kind ``validation``, and quotes are not checked while
parsing — grounding afterwards drops (or flags) facts whose quotes are not in the
article, exactly as for the last answer of a normal call.

>>> batch_id = submit(Extractor(settings), ["articles/"], out=Path("out"))   # doctest: +SKIP
>>> poll(Extractor(settings), Path("out")).status                          # doctest: +SKIP
'in_progress'
>>> collect(Extractor(settings), Path("out"), wait=True).ok                # doctest: +SKIP
"""

from __future__ import annotations

import io
import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from pydantic import ValidationError

from extractor.core.errors import ConfigurationError, ExtractorError, InputError, ModelCallError
from extractor.core.types import Usage
from extractor.store import Identity, Store, input_error_key, redact_settings

logger = logging.getLogger(__name__)

__all__ = ["submit", "poll", "collect", "BatchStatus", "CollectSummary", "BatchNotFound", "job_settings",
           "ENDPOINT", "BATCH_DISCOUNT"]

ENDPOINT = "/v1/chat/completions"
# The Batch API charges half the synchronous price for input and output tokens.
BATCH_DISCOUNT = 0.5
# OpenAI's limits per batch input file.
MAX_REQUESTS = 50_000
MAX_BYTES = 200 * 1024 * 1024
# Statuses after which the batch will not change any more.
ENDED = frozenset({"completed", "expired", "cancelled", "failed"})
BATCH_DIR = "batches"

_DDL = """
CREATE TABLE IF NOT EXISTS batch_jobs (
    batch_id        TEXT PRIMARY KEY,
    created_at      REAL NOT NULL,
    updated_at      REAL NOT NULL,
    status          TEXT NOT NULL,
    input_file_id   TEXT NOT NULL,
    output_file_id  TEXT,
    error_file_id   TEXT,
    endpoint        TEXT NOT NULL,
    schema_name     TEXT NOT NULL,
    schema_version  TEXT NOT NULL,
    prompt_name     TEXT NOT NULL,
    prompt_version  TEXT NOT NULL,
    model           TEXT NOT NULL,
    settings_json   TEXT,
    requests        INTEGER NOT NULL,
    articles        INTEGER NOT NULL,
    collected_at    REAL,
    errors_json     TEXT
);
CREATE TABLE IF NOT EXISTS batch_items (
    batch_id     TEXT NOT NULL,
    custom_id    TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    source       TEXT,
    path         TEXT NOT NULL,
    chunk_index  INTEGER NOT NULL,
    chunks       INTEGER NOT NULL,
    collected    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (batch_id, custom_id)
);
CREATE INDEX IF NOT EXISTS batch_items_sha ON batch_items (sha256);
"""


class BatchNotFound(ConfigurationError):
    """No batch with that id (or none at all) was submitted into this output folder."""


@dataclass
class BatchStatus:
    """What :func:`poll` learnt about a batch."""

    batch_id: str
    status: str
    total: int = 0
    completed: int = 0
    failed: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    collected: bool = False

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ended"] = self.ended
        return d


@dataclass
class CollectSummary:
    """What :func:`collect` did; ``ready`` is False while the batch is still running."""

    batch_id: str
    status: str
    ready: bool = False
    total: int = 0
    ok: int = 0
    failed: int = 0
    already_collected: int = 0
    facts_by_type: dict[str, int] = field(default_factory=dict)
    errors_by_kind: dict[str, int] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    paths: dict[str, str] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 0 if self.ready and self.failed == 0 else 1

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["usage"] = self.usage.model_dump()
        d["exit_code"] = self.exit_code
        return d


# --------------------------------------------------------------------------- store helpers


def _open(out: Path) -> Store:
    store = Store(out)
    store.conn.executescript(_DDL)
    return store


def _job_row(store: Store, batch_id: str | None) -> dict[str, Any]:
    if batch_id is None:
        row = store.conn.execute("SELECT * FROM batch_jobs ORDER BY created_at DESC, rowid DESC LIMIT 1")
    else:
        row = store.conn.execute("SELECT * FROM batch_jobs WHERE batch_id=?", (batch_id,))
    names = [d[0] for d in row.description]
    found = row.fetchone()
    if found is None:
        where = store.out
        raise BatchNotFound(f"no batch {batch_id!r} in {where}" if batch_id else
                            f"no batch was submitted into {where}; run `extractor run ... --batch-api` first")
    return dict(zip(names, found))


def _identity_of(job: dict[str, Any]) -> Identity:
    return Identity(job["schema_name"], job["schema_version"], job["prompt_name"], job["prompt_version"], job["model"])


def _pending_shas(store: Store) -> set[str]:
    """Articles waiting in a batch that has not been collected yet (and has not ended badly)."""
    rows = store.conn.execute(
        "SELECT DISTINCT i.sha256 FROM batch_items i JOIN batch_jobs j ON i.batch_id = j.batch_id"
        " WHERE i.collected = 0 AND j.collected_at IS NULL AND j.status NOT IN ('failed', 'expired', 'cancelled')"
    )
    return {r[0] for r in rows}


def job_settings(out: str | os.PathLike, batch_id: str | None = None, **overrides: Any) -> Any:
    """The :class:`Settings` a batch was submitted with (without the key, which comes from
    the environment), so that collecting needs no options repeated; ``overrides`` win."""
    from extractor.model.settings import Settings
    from extractor.store import DB_NAME

    if not (Path(out) / DB_NAME).is_file():
        raise BatchNotFound(f"no batch was submitted into {out} (no {DB_NAME} there)")
    store = _open(Path(out))
    try:
        job = _job_row(store, batch_id)
    finally:
        store.close()
    stored = json.loads(job["settings_json"] or "{}")
    stored.update({k: v for k, v in overrides.items() if v is not None})
    return Settings.from_env(**stored)


# --------------------------------------------------------------------------- requests


def _request_body(extractor: Any, messages: Iterable[dict[str, str]]) -> dict[str, Any]:
    """The chat.completions body instructor would send in the settings' mode."""
    from instructor.processing.response import handle_response_model

    mc = extractor.model_client
    _, kwargs = handle_response_model(extractor.response_model, mode=mc.mode, messages=[dict(m) for m in messages],
                                      **mc._request_kwargs())
    return kwargs


def _custom_id(sha256: str, chunk_index: int) -> str:
    return f"{sha256}:{chunk_index}"


def _put_error(store: Store, identity: Identity, run_id: int, *, sha256: str, source: str | None, error: str,
               kind: str, doc: Any = None) -> None:
    from extractor.runs.batch import _doc_json

    store.put(sha256=sha256, identity=identity, source=source, status="error", run_id=run_id, error=error,
              error_kind=kind, document_json=_doc_json(doc) if doc is not None else None,
              text=doc.text if doc is not None else None)


def _put_input_error(store: Store, identity: Identity, run_id: int, exc: InputError) -> None:
    source = str(exc.source) if exc.source is not None else None
    store.put(sha256=input_error_key(source or str(exc)), identity=identity, source=source, status="error",
              run_id=run_id, error=str(exc), error_kind="input")


def submit(
    extractor: Any,
    inputs: Iterable[str | os.PathLike],
    *,
    out: str | os.PathLike,
    text_field: str = "text",
    id_field: str = "id",
    argv: list[str] | None = None,
    export: bool = True,
) -> str | None:
    """Prepare every new article under ``inputs`` and submit one Batch API job.

    Articles already ``ok`` in the store under this extractor's identity, and articles
    waiting in a batch not yet collected, are skipped; identical content is sent once.
    Inputs that cannot be read become error records at once. Returns the batch id, or
    None when there was nothing to submit.
    """
    from extractor.runs.batch import _file_sha, discover_inputs
    from extractor.text.reading import iter_documents

    settings = extractor.settings
    settings.resolved_api_key()
    settings.resolved_model()
    out = Path(out)
    inputs = [os.fspath(i) for i in inputs]
    identity = Identity.of(extractor)
    files, errors = discover_inputs(inputs)
    store = _open(out)
    run_id = store.start_run(settings=settings, identity=identity, inputs=inputs, argv=argv)
    counts: dict[str, Any] = {"input_errors": 0, "skipped": 0, "articles": 0, "requests": 0, "batch_id": None}
    status = "failed"
    try:
        for exc in errors:
            _put_input_error(store, identity, run_id, exc)
            counts["input_errors"] += 1
        pending = _pending_shas(store)
        seen: set[str] = set()
        items: list[tuple[str, str, str | None, str, int, int]] = []  # custom_id, sha, source, path, index, n
        buf = io.BytesIO()
        for path in files:
            if path.suffix.lower() != ".jsonl":
                sha = _file_sha(path)  # cheap pre-check: no decoding for finished files
                if sha and (store.status_of(sha, identity) == "ok" or sha in pending):
                    counts["skipped"] += 1
                    continue
            for item in iter_documents(path, text_field=text_field, id_field=id_field):
                if isinstance(item, InputError):
                    _put_input_error(store, identity, run_id, item)
                    counts["input_errors"] += 1
                    continue
                doc = item
                if doc.sha256 in seen or doc.sha256 in pending or store.status_of(doc.sha256, identity) == "ok":
                    counts["skipped"] += 1
                    continue
                seen.add(doc.sha256)
                try:
                    prepared = extractor.prepare(doc)
                except ExtractorError as exc:
                    kind = "input" if isinstance(exc, InputError) else "internal"
                    _put_error(store, identity, run_id, sha256=doc.sha256, source=doc.source, error=str(exc),
                               kind=kind, doc=doc)
                    counts["input_errors"] += 1
                    continue
                n = len(prepared.chunks)
                for chunk, msgs in zip(prepared.chunks, prepared.messages):
                    cid = _custom_id(doc.sha256, chunk.index)
                    line = {"custom_id": cid, "method": "POST", "url": ENDPOINT,
                            "body": _request_body(extractor, msgs)}
                    buf.write(json.dumps(line, ensure_ascii=False).encode("utf-8"))
                    buf.write(b"\n")
                    items.append((cid, doc.sha256, doc.source, str(path), chunk.index, n))
                counts["articles"] += 1
        counts["requests"] = len(items)
        if not items:
            status = "finished"
            logger.info("nothing new to submit")
            return None
        if len(items) > MAX_REQUESTS or buf.tell() > MAX_BYTES:
            raise ConfigurationError(
                f"{len(items)} requests ({buf.tell() / 1e6:.0f} MB) exceed one batch's limits "
                f"({MAX_REQUESTS} requests, {MAX_BYTES // 2**20} MB): submit the inputs in parts")
        data = buf.getvalue()
        batch_dir = out / BATCH_DIR
        batch_dir.mkdir(exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        local = batch_dir / f"input-{stamp}-{run_id}.jsonl"
        local.write_bytes(data)  # kept for inspection; holds no key

        client = extractor.model_client.client
        uploaded = client.files.create(file=(local.name, data, "application/jsonl"), purpose="batch")
        batch = client.batches.create(
            input_file_id=uploaded.id, endpoint=ENDPOINT, completion_window="24h",
            metadata={"tool": "extractor", "schema": f"{identity.schema_name}@{identity.schema_version}",
                      "prompt": f"{identity.prompt_name}@{identity.prompt_version}", "model": identity.model[:500]},
        )
        now = time.time()
        with store.conn:
            store.conn.execute("BEGIN IMMEDIATE")
            store.conn.execute(
                "INSERT INTO batch_jobs (batch_id, created_at, updated_at, status, input_file_id, endpoint,"
                " schema_name, schema_version, prompt_name, prompt_version, model, settings_json, requests, articles)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (batch.id, now, now, batch.status, uploaded.id, ENDPOINT, *identity.as_tuple(),
                 json.dumps(redact_settings(settings), ensure_ascii=False, default=str), len(items),
                 counts["articles"]),
            )
            store.conn.executemany(
                "INSERT INTO batch_items (batch_id, custom_id, sha256, source, path, chunk_index, chunks)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(batch.id, *it) for it in items],
            )
        counts["batch_id"] = batch.id
        status = "submitted"
        logger.info("submitted batch %s: %d article(s), %d request(s)", batch.id, counts["articles"], len(items))
        return batch.id
    finally:
        try:
            store.finish_run(run_id, status=status, counts=counts)
        finally:
            store.close()
        if export and (status != "failed" or counts["input_errors"]):
            from extractor.outputs.export import export_all

            export_all(out)


# --------------------------------------------------------------------------- polling


def _status_of(store: Store, job: dict[str, Any], batch: Any) -> BatchStatus:
    rc = getattr(batch, "request_counts", None)
    errors = getattr(batch, "errors", None)
    errors_json = None
    if errors is not None and getattr(errors, "data", None):
        errors_json = json.dumps([{"code": e.code, "message": e.message, "line": e.line} for e in errors.data],
                                 ensure_ascii=False)
    store.conn.execute(
        "UPDATE batch_jobs SET status=?, output_file_id=?, error_file_id=?, errors_json=coalesce(?, errors_json),"
        " updated_at=? WHERE batch_id=?",
        (batch.status, batch.output_file_id, batch.error_file_id, errors_json, time.time(), job["batch_id"]),
    )
    return BatchStatus(
        batch_id=job["batch_id"], status=batch.status,
        total=(rc.total if rc else job["requests"]) or 0, completed=(rc.completed if rc else 0) or 0,
        failed=(rc.failed if rc else 0) or 0, output_file_id=batch.output_file_id,
        error_file_id=batch.error_file_id, collected=job["collected_at"] is not None,
    )


def poll(extractor: Any, out: str | os.PathLike, batch_id: str | None = None) -> BatchStatus:
    """The batch's current status (the latest batch of ``out`` when ``batch_id`` is None)."""
    store = _open(Path(out))
    try:
        job = _job_row(store, batch_id)
        batch = extractor.model_client.client.batches.retrieve(job["batch_id"])
        return _status_of(store, job, batch)
    finally:
        store.close()


# --------------------------------------------------------------------------- collecting


def _download(client: Any, file_id: str | None, cache: Path) -> dict[str, dict[str, Any]]:
    """Lines of a batch output or error file by custom_id (cached under OUT/batches)."""
    if not file_id:
        return {}
    if cache.exists():
        text = cache.read_text(encoding="utf-8")
    else:
        text = client.files.content(file_id).text
        tmp = cache.with_name(f".{cache.name}.tmp-{os.getpid()}")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, cache)
    lines: dict[str, dict[str, Any]] = {}
    for raw in text.splitlines():
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError:
            logger.warning("skipping a line of batch file %s that is not JSON", file_id)
            continue
        if isinstance(obj, dict) and isinstance(obj.get("custom_id"), str):
            lines[obj["custom_id"]] = obj
    return lines


def _line_error(line: dict[str, Any]) -> str | None:
    """Why a batch line carries no answer (None when it does)."""
    err = line.get("error")
    if err:
        if isinstance(err, dict):
            return f"{err.get('code') or 'error'}: {err.get('message') or ''}".strip()
        return str(err)
    response = line.get("response") or {}
    code = response.get("status_code")
    if code != 200:
        body = response.get("body") or {}
        msg = (body.get("error") or {}).get("message") if isinstance(body, dict) else None
        return f"HTTP {code}: {msg or json.dumps(body)[:300]}"
    return None


def _outcome(extractor: Any, line: dict[str, Any]) -> Any:
    """A CallOutcome from one answered batch line; raises ModelCallError otherwise."""
    from openai.types.chat import ChatCompletion

    from extractor.model.client import CallOutcome, _answer_text, _repair_completion

    model = extractor.model_name
    why = _line_error(line)
    if why is not None:
        raise ModelCallError("transport", attempts=1, last_error=f"the batch request failed: {why}", model=model)
    body = line["response"].get("body") or {}
    try:
        completion = ChatCompletion.model_validate(body)
    except ValidationError as exc:
        raise ModelCallError("empty", attempts=1, last_error=f"unreadable answer: {str(exc)[:300]}", model=model)
    u = completion.usage
    prompt, answer = (u.prompt_tokens or 0, u.completion_tokens or 0) if u else (0, 0)
    price = extractor.model_client.price
    usage = Usage(
        prompt_tokens=prompt, completion_tokens=answer, total_tokens=(u.total_tokens if u else 0) or prompt + answer,
        requests=1, calls=1,
        # Batch API: half the profile's (synchronous) price.
        cost_usd=price.cost(prompt, answer) * BATCH_DISCOUNT if price else None,
    )
    if not completion.choices:
        raise ModelCallError("empty", attempts=1, last_error="the server answered with no choices", model=model)
    choice = completion.choices[0]
    refusal = getattr(choice.message, "refusal", None)
    if refusal:
        raise ModelCallError("refusal", attempts=1, last_error=refusal[:300], model=model)
    if choice.finish_reason == "length":
        raise ModelCallError("validation", attempts=1, model=model,
                             last_error=f"the answer was cut off at max_output_tokens="
                                        f"{extractor.settings.max_output_tokens}; raise it or lower chunk_tokens")
    _repair_completion(completion)
    text = _answer_text(completion)
    if not text or not text.strip():
        raise ModelCallError("empty", attempts=1, last_error="the answer has no content", model=model)
    try:
        # No re-ask in a batch: quotes are not checked here, grounding drops the ones not in the article.
        data = extractor.response_model.model_validate_json(text, context={"extractor_check_quotes": False})
    except (ValidationError, ValueError) as exc:
        msg = " ".join(str(exc).split())
        raise ModelCallError("validation", attempts=1, last_error=msg[:400], model=model) from None
    return CallOutcome(data, usage)


def _find_document(path: str, sha256: str) -> Any:
    from extractor.text.reading import iter_documents

    for item in iter_documents(path):
        if not isinstance(item, InputError) and item.sha256 == sha256:
            return item
    return None


def _wait_until_ended(extractor: Any, out: Path, batch_id: str | None, *, wait: bool, poll_interval: float,
                      timeout: float | None, sleep: Callable[[float], None]) -> BatchStatus:
    started = time.monotonic()
    state = poll(extractor, out, batch_id)
    while wait and not state.ended:
        if timeout is not None and time.monotonic() - started >= timeout:
            break
        logger.info("batch %s: %s (%d/%d done)", state.batch_id, state.status, state.completed, state.total)
        sleep(poll_interval)
        state = poll(extractor, out, state.batch_id)
    return state


def collect(
    extractor: Any,
    out: str | os.PathLike,
    batch_id: str | None = None,
    *,
    wait: bool = False,
    poll_interval: float = 30.0,
    timeout: float | None = None,
    argv: list[str] | None = None,
    export: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> CollectSummary:
    """Download a finished batch's answers and store one record per article.

    With ``wait`` it polls every ``poll_interval`` seconds until the batch has ended
    (or ``timeout`` seconds passed); otherwise a batch still running returns a summary
    with ``ready=False`` and nothing is written. An expired or cancelled batch is
    collected as far as it got: articles without every chunk answered are error
    records. Safe to run again: articles already collected are skipped.
    """
    from extractor.runs.batch import _facts_by_type

    out = Path(out)
    state = _wait_until_ended(extractor, out, batch_id, wait=wait, poll_interval=poll_interval, timeout=timeout,
                              sleep=sleep)
    summary = CollectSummary(batch_id=state.batch_id, status=state.status, ready=state.ended)
    if not state.ended:
        return summary
    store = _open(out)
    run_id = None
    run_status = "failed"
    try:
        job = _job_row(store, state.batch_id)
        identity = _identity_of(job)
        if Identity.of(extractor) != identity:
            raise ConfigurationError(
                f"batch {job['batch_id']} was submitted for schema {identity.schema_name}@{identity.schema_version}, "
                f"prompt {identity.prompt_name}@{identity.prompt_version}, model {identity.model}; "
                "collect it with the same settings")
        run_id = store.start_run(settings=extractor.settings, identity=identity,
                                 inputs=[f"batch:{job['batch_id']}"], argv=argv)
        client = extractor.model_client.client
        batch_dir = out / BATCH_DIR
        batch_dir.mkdir(exist_ok=True)
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in job["batch_id"])
        answers = _download(client, state.output_file_id, batch_dir / f"{safe}.output.jsonl")
        failures = _download(client, state.error_file_id, batch_dir / f"{safe}.errors.jsonl")
        batch_error = None
        if state.status == "failed":
            errs = json.loads(job.get("errors_json") or "[]")
            batch_error = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errs[:3]) or "no reason given"

        rows = store.conn.execute(
            "SELECT sha256, source, path, chunk_index, chunks, collected, custom_id FROM batch_items"
            " WHERE batch_id=? ORDER BY rowid", (job["batch_id"],)).fetchall()
        articles: dict[str, dict[str, Any]] = {}
        for sha, source, path, index, chunks, done, cid in rows:
            a = articles.setdefault(sha, {"source": source, "path": path, "chunks": chunks, "done": True, "ids": {}})
            a["done"] = a["done"] and bool(done)
            a["ids"][index] = cid
        summary.total = len(articles)
        model = extractor.model_name

        def fail(sha: str, a: dict[str, Any], exc: ExtractorError, doc: Any = None) -> None:
            kind = getattr(exc, "kind", None) or ("input" if isinstance(exc, InputError) else "internal")
            _put_error(store, identity, run_id, sha256=sha, source=a["source"], error=str(exc), kind=kind, doc=doc)
            summary.failed += 1
            summary.errors_by_kind[kind] = summary.errors_by_kind.get(kind, 0) + 1

        for sha, a in articles.items():
            if a["done"]:
                summary.already_collected += 1
                continue
            doc = None
            try:
                if batch_error is not None:
                    raise ModelCallError("transport", attempts=1, model=model,
                                         last_error=f"batch {job['batch_id']} failed: {batch_error}")
                doc = _find_document(a["path"], sha)
                if doc is None:
                    raise InputError(a["source"], "changed or removed since the batch was submitted; run it again")
                prepared = extractor.prepare(doc)
                if len(prepared.chunks) != a["chunks"] or set(a["ids"]) != {c.index for c in prepared.chunks}:
                    raise ConfigurationError(
                        f"{a['source']}: the article is chunked differently than when it was submitted "
                        "(chunking settings changed); collect with the settings of the submit")
                outcomes = []
                for chunk in prepared.chunks:
                    cid = a["ids"][chunk.index]
                    line = answers.get(cid) or failures.get(cid)
                    if line is None:
                        raise ModelCallError("transport", attempts=0, model=model,
                                             last_error=f"no answer for chunk {chunk.index} in batch "
                                                        f"{job['batch_id']} (status {state.status})")
                    outcomes.append(_outcome(extractor, line))
                result = extractor.finish(prepared, outcomes)
            except ConfigurationError:
                # Not this article's fault: the collect cannot go on with these settings.
                # Nothing more is marked collected, so a collect with the right settings
                # still finds every remaining answer.
                raise
            except ModelCallError as exc:
                fail(sha, a, exc, doc)
            except ExtractorError as exc:
                fail(sha, a, exc, doc)
            except Exception as exc:  # one bad article never stops the collect
                logger.debug("internal error on %s", a["source"], exc_info=True)
                fail(sha, a, ExtractorError(f"{type(exc).__name__}: {exc}"), doc)
            else:
                store.put(sha256=sha, identity=identity, source=doc.source, status="ok", run_id=run_id,
                          result_json=result.model_dump_json(), document_json=result.document.model_dump_json(),
                          text=doc.text, usage_json=result.usage.model_dump_json())
                summary.ok += 1
                summary.usage = summary.usage.add(result.usage)
                for t, n in _facts_by_type(result).items():
                    summary.facts_by_type[t] = summary.facts_by_type.get(t, 0) + n
            # After the record: a crash in between only makes a re-run write the same record again.
            store.conn.execute("UPDATE batch_items SET collected=1 WHERE batch_id=? AND sha256=?",
                               (job["batch_id"], sha))
        store.conn.execute("UPDATE batch_jobs SET collected_at=?, updated_at=? WHERE batch_id=?",
                           (time.time(), time.time(), job["batch_id"]))
        run_status = "finished"
    finally:
        try:
            if run_id is not None:
                counts = summary.to_dict()
                counts.pop("paths", None)
                store.finish_run(run_id, status=run_status, counts=counts)
        finally:
            store.close()
    if export:
        from extractor.outputs.export import export_all

        summary.paths = {k: str(v) for k, v in export_all(out).items()}
    return summary
