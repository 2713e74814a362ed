"""Large jobs through the OpenAI Batch API: half the price, answers within 24 hours.

    inputs ─discover/read/decide─▶ one request line per chunk ─▶ job written down ─upload─▶ batch
    batch ─poll─▶ completed ─download output (+ error file)─▶ answers per article
    answers ─parse (no re-ask)─▶ Extractor.finish ─▶ store (as every engine) ─▶ exports

Same outputs and the same record key as a normal run (content sha256 + request
fingerprint), so a normal run and a batch run over the same folder share results.

* :func:`submit` skips articles already done in the store (the same decision as a
  run: :func:`~extractor.runs.runner.decide`) and articles still waiting in a job not
  collected yet, stores unreadable inputs as error records at once, and returns the
  batch id.
* A job is written to the store *before* anything is sent, under a local id that the
  batch carries in its metadata (``extractor_job``). A submit that dies between
  ``batches.create`` and the local write is completed by the next submit, status or
  collect: the batch is found by that tag instead of being created (and paid) twice.
* :func:`poll` asks the API for the batch's status; :func:`collect` downloads the
  answers when the batch has ended and writes one record per article. Collecting
  again writes nothing new; a collect that crashed half-way is simply run again.

There is no interactive re-ask in a batch: an answer that does not fit the schema
becomes an error record of kind ``validation``, and quotes are not checked while
parsing — grounding afterwards drops (or flags) facts whose quotes are not in the
article, exactly as for the last answer of a normal call.

>>> batch_id = submit(Extractor(settings), ["articles/"], RunOptions(out="out"))   # doctest: +SKIP
>>> poll(Extractor(settings), Path("out")).status                                # doctest: +SKIP
'in_progress'
>>> collect(Extractor(settings), Path("out"), wait=True).ok                      # doctest: +SKIP
"""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from extractor.core.errors import ConfigurationError, ExtractorError, InputError, ModelCallError, OutputBusyError
from extractor.core.options import RunOptions
from extractor.core.types import Usage
from extractor.runs.discovery import discover_inputs, file_key, file_sha
from extractor.runs.engine import Answer, Job
from extractor.runs.runner import Decision, decide, doc_json, store_answer
from extractor.store import OutputLock, Store, input_error_key, redact_settings
from extractor.store.sqlite import legacy_request_key, without_userinfo
from extractor.text.reading import Document, iter_documents

logger = logging.getLogger(__name__)

__all__ = ["submit", "poll", "collect", "reconcile", "BatchStatus", "CollectSummary", "BatchNotFound",
           "job_settings", "ENDPOINT", "BATCH_DISCOUNT", "JOB_TAG"]

ENDPOINT = "/v1/chat/completions"
# The Batch API charges half the synchronous price for input and output tokens.
BATCH_DISCOUNT = 0.5
# OpenAI's limits per batch input file.
MAX_REQUESTS = 50_000
MAX_BYTES = 200 * 1024 * 1024
# Statuses after which the batch will not change any more.
ENDED = frozenset({"completed", "expired", "cancelled", "failed"})
BATCH_DIR = "batches"
# The metadata key under which a batch carries its local job id.
JOB_TAG = "extractor_job"


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


# --------------------------------------------------------------------------- jobs


def _job(store: Store, ref: str | None) -> dict[str, Any]:
    job = store.batch_jobs.get(ref)
    if job is None:
        where = store.out
        raise BatchNotFound(f"no batch {ref!r} in {where}" if ref else
                            f"no batch was submitted into {where}; run `extractor run ... --batch-api` first")
    return job


def _check_identity(job: dict[str, Any], extractor: Any) -> None:
    identity = extractor.identity
    if job["request_key"] in (identity.request_key, legacy_request_key(identity)):
        return
    raise ConfigurationError(
        f"batch {job['batch_id'] or job['job_id']} was submitted for schema {job['schema_name']}@"
        f"{job['schema_version']}, prompt {job['prompt_name']}@{job['prompt_version']}, model {job['model']} "
        "(and the settings it was submitted with); collect it with the same settings")


def job_settings(out: str | os.PathLike[str], batch_id: str | None = None, **overrides: Any) -> Any:
    """The :class:`Settings` a batch was submitted with (without the key, which comes from
    the environment), so that collecting needs no options repeated; ``overrides`` win."""
    from extractor.model.settings import Settings
    from extractor.store import DB_NAME

    if not (Path(out) / DB_NAME).is_file():
        raise BatchNotFound(f"no batch was submitted into {out} (no {DB_NAME} there)")
    with Store(Path(out)) as store:
        job = _job(store, batch_id)
    stored = json.loads(job["settings_json"] or "{}")
    # The store keeps no credentials: a base URL with user:password@ comes back from the
    # environment when it is the one the job was sent to.
    env_url = os.environ.get("EXTRACTOR_BASE_URL")
    if env_url and stored.get("base_url") == without_userinfo(env_url):
        stored["base_url"] = env_url
    stored.update({k: v for k, v in overrides.items() if v is not None})
    return Settings.from_env(**stored)


def _find_batch(client: Any, job: dict[str, Any]) -> Any:
    """The batch tagged with this job's local id, searching back to shortly before the job."""
    since = job["created_at"] - 3600
    for batch in client.batches.list(limit=100):
        if (getattr(batch, "metadata", None) or {}).get(JOB_TAG) == job["job_id"]:
            return batch
        if (getattr(batch, "created_at", 0) or 0) and batch.created_at < since:
            return None
    return None


def reconcile(store: Store, client: Any) -> list[str]:
    """Finish the submits that stopped half-way; returns the batch ids they now have.

    A job written down whose batch id is unknown is looked up by its tag: found, its id
    is recorded (the batch was created, then the process died); not found, the submit
    goes on from where it stopped (upload if needed, then create) — never twice.
    """
    ids = []
    for job in store.batch_jobs.unresolved():
        batch = _find_batch(client, job)
        if batch is None:
            logger.warning("completing the submit of batch job %s that stopped half-way", job["job_id"])
            refusals: tuple[type[BaseException], ...] = (OSError, *_refusals())
            try:
                batch = _create(store, client, job, Path(job["input_path"]).read_bytes)
            except refusals as exc:
                # It can never be created from this record (its requests are gone, or the
                # endpoint refuses them): give it up, so that its articles are submitted again.
                logger.error("batch job %s abandoned: %s", job["job_id"], exc)
                store.batch_jobs.abandon(job["job_id"])
                continue
        else:
            logger.warning("found batch %s of job %s, created before the last submit stopped", batch.id, job["job_id"])
            store.batch_jobs.set_batch(job["job_id"], batch.id, batch.status)
        ids.append(batch.id)
    return ids


def _refusals() -> tuple[type[BaseException], ...]:
    """The endpoint's answers that retrying cannot change (400, 403, 404, 422).

    Not 401: that is about the key of this attempt (a wrong one in the shell), and the
    job can still be created with the right one.
    """
    import openai

    return (openai.BadRequestError, openai.PermissionDeniedError, openai.NotFoundError,
            openai.UnprocessableEntityError)


def _create(store: Store, client: Any, job: dict[str, Any], data: bytes | Callable[[], bytes]) -> Any:
    """Upload the job's requests (unless done) and create its batch, recording each step.

    ``data`` may be a function that reads the requests: called only when the upload is
    still to be done (a deleted local copy does not stop a job already uploaded).
    """
    file_id = job.get("input_file_id")
    if not file_id:
        body = data() if callable(data) else data
        uploaded = client.files.create(file=(f"extractor-{job['job_id']}.jsonl", body, "application/jsonl"),
                                       purpose="batch")
        file_id = uploaded.id
        store.batch_jobs.set_input_file(job["job_id"], file_id)
    batch = client.batches.create(
        input_file_id=file_id, endpoint=ENDPOINT, completion_window="24h",
        metadata={JOB_TAG: job["job_id"], "tool": "extractor",
                  "schema": f"{job['schema_name']}@{job['schema_version']}",
                  "prompt": f"{job['prompt_name']}@{job['prompt_version']}", "model": job["model"][:500]},
    )
    store.batch_jobs.set_batch(job["job_id"], batch.id, batch.status)
    return batch


# --------------------------------------------------------------------------- submitting


@dataclass
class _Submission:
    """Request lines being collected for one job."""

    buf: io.BytesIO = field(default_factory=io.BytesIO)
    items: list[tuple[str, str, str | None, str, int, int]] = field(default_factory=list)
    articles: int = 0
    repoint: list[tuple[str, str, str]] = field(default_factory=list)  # (source, sha256, file) of skipped ones
    counts: dict[str, Any] = field(default_factory=lambda: {"input_errors": 0, "skipped": 0, "articles": 0,
                                                            "requests": 0, "batch_id": None})

    def add(self, extractor: Any, doc: Document, path: Path) -> None:
        prepared = extractor.prepare(doc)
        n = len(prepared.chunks)
        for chunk, msgs in zip(prepared.chunks, prepared.messages):
            cid = f"{doc.sha256}:{chunk.index}"
            body = extractor.model_client.request_body(list(msgs), extractor.response_model)
            line = {"custom_id": cid, "method": "POST", "url": ENDPOINT, "body": body}
            self.buf.write(json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n")
            self.items.append((cid, doc.sha256, doc.source, str(path), chunk.index, n))
        self.counts["articles"] += 1


def _options(options: RunOptions | None, out: Any, argv: Any, export: bool | None) -> RunOptions:
    if options is None:
        if out is None:
            raise TypeError("give options=RunOptions(out=...) or out=")
        options = RunOptions(out=out)
    changes: dict[str, Any] = {}
    if argv is not None:
        changes["argv"] = tuple(argv)
    if export is not None:
        changes["export"] = export
    return options.but(**changes) if changes else options


def submit(extractor: Any, inputs: Iterable[str | os.PathLike[str]], options: RunOptions | None = None, *,
           out: str | os.PathLike[str] | None = None, argv: list[str] | None = None,
           export: bool | None = None) -> str | None:
    """Prepare every article under ``inputs`` that needs the model and submit one Batch API job.

    Articles already done in the store under this extractor's request, and articles
    waiting in a job not yet collected, are skipped; identical content is sent once.
    Inputs that cannot be read become error records at once. A submit that stopped
    half-way before is completed first. Returns the batch id, or None when there was
    nothing new to submit. Holds the output folder's lock.
    """
    options = _options(options, out, argv, export)
    settings = extractor.settings
    settings.resolved_api_key()
    settings.resolved_model()
    with OutputLock(options.out, wait=options.wait, command=list(options.argv or sys.argv)):
        try:
            return _submit_locked(extractor, [os.fspath(i) for i in inputs], options)
        finally:
            if options.export:
                from extractor.outputs.export import export_all

                export_all(options.out)


def _submit_locked(extractor: Any, inputs: list[str], options: RunOptions) -> str | None:
    identity = extractor.identity
    files, errors = discover_inputs(inputs)
    store = Store(options.out)
    run_id = store.start_run(settings=extractor.settings, identity=identity, inputs=inputs, argv=options.argv,
                             engine="batch-api")
    sub = _Submission()
    status = "failed"
    try:
        client = extractor.model_client.client
        resumed = reconcile(store, client)
        for exc in errors:
            _put_input_error(store, identity, run_id, exc)
            sub.counts["input_errors"] += 1
        _collect_requests(extractor, store, run_id, files, options, sub)
        sub.counts["requests"] = len(sub.items)
        if not sub.items:
            _repoint(store, identity, run_id, sub)
            status = "finished"
            logger.info("nothing new to submit")
            return resumed[-1] if resumed else None
        batch_id = _send(extractor, store, client, options, sub)
        _repoint(store, identity, run_id, sub)
        sub.counts["batch_id"] = batch_id
        status = "submitted"
        return batch_id
    finally:
        try:
            store.finish_run(run_id, status=status, counts=sub.counts)
        finally:
            store.close()


def _collect_requests(extractor: Any, store: Store, run_id: int, files: list[Path], options: RunOptions,
                      sub: _Submission) -> None:
    identity = extractor.identity
    settings_dump = extractor.settings.model_dump(mode="json")
    pending = store.batch_jobs.pending_shas(identity.request_key) | \
        store.batch_jobs.pending_shas(legacy_request_key(identity))  # a v0.1 job sent before the upgrade
    seen: set[str] = set()

    def needed(sha: str) -> bool:
        return sha not in seen and sha not in pending and \
            decide(store, identity, sha, options, settings_dump)[0] is Decision.REQUEST

    def skip(source: str, sha: str, fkey: str) -> None:
        # This source shows the record of its content: stored already, or when the job
        # holding it (this one or a pending one) is collected. Pointed there only once
        # this submission is sent (see submit): a failed one changes nothing.
        sub.repoint.append((source, sha, fkey))
        sub.counts["skipped"] += 1

    for path in files:
        fkey = file_key(path)
        if path.suffix.lower() != ".jsonl":
            sha = file_sha(path)  # cheap pre-check: no decoding for finished files
            if sha and not needed(sha):
                skip(str(path), sha, fkey)
                continue
        for item in iter_documents(path, text_field=options.text_field, id_field=options.id_field,
                                   languages=extractor.settings.extra_languages):
            if isinstance(item, InputError):
                _put_input_error(store, identity, run_id, item)
                sub.counts["input_errors"] += 1
            elif not needed(item.sha256):
                skip(item.source or str(path), item.sha256, fkey)
            else:
                seen.add(item.sha256)
                _add_or_fail(extractor, store, run_id, item, path, sub)


def _repoint(store: Store, identity: Any, run_id: int, sub: _Submission) -> None:
    for source, sha, fkey in sub.repoint:
        store.put_source(source, sha, identity, run_id=run_id, file=fkey)


def _add_or_fail(extractor: Any, store: Store, run_id: int, doc: Document, path: Path, sub: _Submission) -> None:
    try:
        sub.add(extractor, doc, path)
    except ExtractorError as exc:
        kind = "input" if isinstance(exc, InputError) else "internal"
        store.put(sha256=doc.sha256, identity=extractor.identity, source=doc.source, status="error", run_id=run_id,
                  error=str(exc), error_kind=kind, document_json=doc_json(doc), text=doc.text)
        sub.counts["input_errors"] += 1


def _send(extractor: Any, store: Store, client: Any, options: RunOptions, sub: _Submission) -> str:
    data = sub.buf.getvalue()
    if len(sub.items) > MAX_REQUESTS or len(data) > MAX_BYTES:
        raise ConfigurationError(
            f"{len(sub.items)} requests ({len(data) / 1e6:.0f} MB) exceed one batch's limits "
            f"({MAX_REQUESTS} requests, {MAX_BYTES // 2**20} MB): submit the inputs in parts")
    job_id = uuid.uuid4().hex
    batch_dir = options.out / BATCH_DIR
    batch_dir.mkdir(exist_ok=True)
    local = batch_dir / f"input-{job_id}.jsonl"
    tmp = local.with_name(f".{local.name}.tmp")
    tmp.write_bytes(data)  # kept for inspection and to resume an upload; holds no key
    os.replace(tmp, local)
    store.batch_jobs.add(job_id=job_id, identity=extractor.identity, endpoint=ENDPOINT,
                         settings_json=json.dumps(redact_settings(extractor.settings), ensure_ascii=False, default=str),
                         input_path=str(local), articles=sub.counts["articles"], items=sub.items,
                         text_field=options.text_field, id_field=options.id_field)
    batch = _create(store, client, store.batch_jobs.get(job_id) or {}, data)
    logger.info("submitted batch %s: %d article(s), %d request(s)", batch.id, sub.counts["articles"], len(sub.items))
    return str(batch.id)


def _put_input_error(store: Store, identity: Any, run_id: int, exc: InputError) -> None:
    source = str(exc.source) if exc.source is not None else None
    store.put(sha256=input_error_key(source or str(exc)), identity=identity, source=source, status="error",
              run_id=run_id, error=str(exc), error_kind="input")


# --------------------------------------------------------------------------- polling


def _status_of(store: Store, job: dict[str, Any], batch: Any) -> BatchStatus:
    rc = getattr(batch, "request_counts", None)
    errors = getattr(batch, "errors", None)
    errors_json = None
    if errors is not None and getattr(errors, "data", None):
        errors_json = json.dumps([{"code": e.code, "message": e.message, "line": e.line} for e in errors.data],
                                 ensure_ascii=False)
    store.batch_jobs.set_status(job["job_id"], status=batch.status, output_file_id=batch.output_file_id,
                                error_file_id=batch.error_file_id, errors_json=errors_json)
    return BatchStatus(
        batch_id=job["batch_id"], status=batch.status,
        total=(rc.total if rc else job["requests"]) or 0, completed=(rc.completed if rc else 0) or 0,
        failed=(rc.failed if rc else 0) or 0, output_file_id=batch.output_file_id,
        error_file_id=batch.error_file_id, collected=job["collected_at"] is not None,
    )


def poll(extractor: Any, out: str | os.PathLike[str], batch_id: str | None = None) -> BatchStatus:
    """The batch's current status (the latest batch of ``out`` when ``batch_id`` is None).

    A submit that stopped half-way is completed first — only when no other command holds
    the folder: a submit still running must not be raced into creating a second batch.
    """
    with Store(Path(out)) as store:
        client = extractor.model_client.client
        if store.batch_jobs.unresolved():
            try:
                with OutputLock(out, command=list(sys.argv)):
                    reconcile(store, client)
            except OutputBusyError:
                logger.info("%s is busy (a submit may be running): its unfinished submits are left to it", out)
        job = _job(store, batch_id)
        return _status_of(store, job, client.batches.retrieve(job["batch_id"]))


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
    why = _line_error(line)
    if why is not None:
        raise ModelCallError("transport", attempts=1, last_error=f"the batch request failed: {why}",
                             model=extractor.model_name)
    return extractor.model_client.parse_answer(line["response"].get("body") or {}, extractor.response_model,
                                               price_factor=BATCH_DISCOUNT)


def _find_document(extractor: Any, job: dict[str, Any], path: str, sha256: str) -> Document | None:
    for item in iter_documents(path, text_field=job.get("text_field") or "text", id_field=job.get("id_field") or "id",
                               languages=extractor.settings.extra_languages):
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


@dataclass
class _Collection:
    """The downloaded answers of one job, and the job's articles."""

    job: dict[str, Any]
    status: BatchStatus
    answers: dict[str, dict[str, Any]]
    failures: dict[str, dict[str, Any]]
    batch_error: str | None
    articles: dict[str, dict[str, Any]]


def collect(extractor: Any, out: str | os.PathLike[str], batch_id: str | None = None, *, wait: bool = False,
            poll_interval: float = 30.0, timeout: float | None = None, argv: list[str] | None = None,
            export: bool = True, sleep: Callable[[float], None] = time.sleep,
            wait_for_lock: bool = False) -> CollectSummary:
    """Download a finished batch's answers and store one record per article.

    With ``wait`` it polls every ``poll_interval`` seconds until the batch has ended
    (or ``timeout`` seconds passed); otherwise a batch still running returns a summary
    with ``ready=False`` and nothing is written. An expired or cancelled batch is
    collected as far as it got: articles without every chunk answered are error
    records. Safe to run again: articles already collected are skipped. Holds the
    output folder's lock while it writes.
    """
    out = Path(out)
    state = _wait_until_ended(extractor, out, batch_id, wait=wait, poll_interval=poll_interval, timeout=timeout,
                              sleep=sleep)
    summary = CollectSummary(batch_id=state.batch_id, status=state.status, ready=state.ended)
    if not state.ended:
        return summary
    with OutputLock(out, wait=wait_for_lock, command=list(argv or sys.argv)):
        _collect_locked(extractor, out, state, summary, argv)
        if export:
            from extractor.outputs.export import export_all

            summary.paths = {k: str(v) for k, v in export_all(out).items()}
    return summary


def _collect_locked(extractor: Any, out: Path, state: BatchStatus, summary: CollectSummary, argv: Any) -> None:
    store = Store(out)
    run_id = None
    run_status = "failed"
    try:
        job = _job(store, state.batch_id)
        _check_identity(job, extractor)
        run_id = store.start_run(settings=extractor.settings, identity=extractor.identity,
                                 inputs=[f"batch:{job['batch_id']}"], argv=argv, engine="batch-api")
        coll = _download_job(extractor, store, out, job, state)
        summary.total = len(coll.articles)
        for sha, article in coll.articles.items():
            if article["done"]:
                summary.already_collected += 1
                continue
            _collect_article(extractor, store, run_id, coll, sha, article, summary)
            # After the record: a crash in between only makes a re-run write the same record again.
            store.batch_jobs.mark_item_collected(job["job_id"], sha)
        store.batch_jobs.mark_collected(job["job_id"])
        run_status = "finished"
    finally:
        try:
            if run_id is not None:
                counts = summary.to_dict()
                counts.pop("paths", None)
                store.finish_run(run_id, status=run_status, counts=counts)
        finally:
            store.close()


def _download_job(extractor: Any, store: Store, out: Path, job: dict[str, Any], state: BatchStatus) -> _Collection:
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
    articles: dict[str, dict[str, Any]] = {}
    for sha, source, path, index, chunks, done, cid in store.batch_jobs.items(job["job_id"]):
        a = articles.setdefault(sha, {"source": source, "path": path, "chunks": chunks, "done": True, "ids": {}})
        a["done"] = a["done"] and bool(done)
        a["ids"][index] = cid
    return _Collection(job, state, answers, failures, batch_error, articles)


def _collect_article(extractor: Any, store: Store, run_id: int, coll: _Collection, sha: str,
                     article: dict[str, Any], summary: CollectSummary) -> None:
    doc = None
    try:
        doc = _document_of(extractor, coll, sha, article)
        prepared = extractor.prepare(doc)
        outcomes = [_outcome(extractor, _line_of(coll, article, chunk.index, extractor)) for chunk in
                    _same_chunks(prepared, article)]
        answers = extractor.dump_answers(outcomes)
        answer = Answer(Job(doc, article["path"]), answers_json=answers, result=extractor.finish(prepared, outcomes))
    except ConfigurationError:
        # Not this article's fault: the collect cannot go on with these settings. Nothing
        # more is marked collected, so a collect with the right settings finds every answer.
        raise
    except ExtractorError as exc:
        answer = _failed(doc, sha, article, exc)
    except Exception as exc:  # one bad article never stops the collect
        logger.debug("internal error on %s", article["source"], exc_info=True)
        answer = _failed(doc, sha, article, ExtractorError(f"{type(exc).__name__}: {exc}"))
    rec = store_answer(store, extractor.identity, run_id, answer)
    if rec.ok:
        summary.ok += 1
        summary.usage = summary.usage.add(rec.usage or Usage())
        for t, n in rec.facts_by_type.items():
            summary.facts_by_type[t] = summary.facts_by_type.get(t, 0) + n
    else:
        summary.failed += 1
        kind = rec.error_kind or "unknown"
        summary.errors_by_kind[kind] = summary.errors_by_kind.get(kind, 0) + 1


def _document_of(extractor: Any, coll: _Collection, sha: str, article: dict[str, Any]) -> Document:
    if coll.batch_error is not None:
        raise ModelCallError("transport", attempts=1, model=coll.job["model"],
                             last_error=f"batch {coll.job['batch_id']} failed: {coll.batch_error}")
    doc = _find_document(extractor, coll.job, article["path"], sha)
    if doc is None:
        raise InputError(article["source"], "changed or removed since the batch was submitted; run it again")
    return doc


def _same_chunks(prepared: Any, article: dict[str, Any]) -> tuple:
    if len(prepared.chunks) != article["chunks"] or set(article["ids"]) != {c.index for c in prepared.chunks}:
        raise ConfigurationError(
            f"{article['source']}: the article is chunked differently than when it was submitted "
            "(chunking settings changed); collect with the settings of the submit")
    return prepared.chunks


def _line_of(coll: _Collection, article: dict[str, Any], index: int, extractor: Any) -> dict[str, Any]:
    cid = article["ids"][index]
    line = coll.answers.get(cid) or coll.failures.get(cid)
    if line is None:
        raise ModelCallError("transport", attempts=0, model=extractor.model_name,
                             last_error=f"no answer for chunk {index} in batch {coll.job['batch_id']} "
                                        f"(status {coll.status.status})")
    return line


def _failed(doc: Document | None, sha: str, article: dict[str, Any], exc: ExtractorError) -> Answer:
    if doc is None:  # the article could not even be read back: an error record under its content key
        doc = Document(text="", source=article["source"], sha256=sha, encoding=None, raw_text=None, format="text")
    return Answer(Job(doc, article["path"]), error=exc)
