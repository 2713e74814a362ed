"""The OpenAI Batch API as an engine: half the price, answers within 24 hours.

    jobs ─pending in an open batch?─┬─ yes: poll it; ended → its answers; running → "pending"
                                    └─ no: one request line per chunk ─▶ job written down
                                            ─upload─▶ batch created ─▶ "pending"

The same run loop as every engine: ``extractor run IN --out OUT --engine batchapi``
submits the articles that need the model and ends; the same command later collects the
batches that have ended (and submits what is new, e.g. the articles of a batch that
failed). With ``wait`` it polls until every batch it holds has ended and collects them
in the same run. Records, keys and outputs are a normal run's.

* A job is written down (the :class:`~extractor.runs.engines.base.BatchJournal` the
  runner hands over) *before* anything is sent, under a local id the batch carries in
  its metadata (``extractor_job``). A submit that died between ``batches.create`` and
  the local write is completed by the next run: the batch is found by that tag instead
  of being created (and paid) twice.
* The text of every article a job holds is written down with it (the journal's
  ``texts``). An article whose file is deleted, moved, made unreadable or changed before
  the collect is not lost: its answer is derived from the text submitted, stored under
  the path it was submitted from, and a warning names the file and what became of it (a
  changed file's new content is a new article). A job written down before texts were
  kept cannot do that: such an article is reported (the file and the batch), and put back
  as it was, it is collected by the next run.
* There is no interactive re-ask in a batch: an answer that does not fit the schema is
  an error of kind ``validation``, and quotes are left to grounding, exactly as for the
  last answer of a normal call.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from extractor.core.errors import ConfigurationError, ExtractorError, ModelCallError
from extractor.core.identity import legacy_request_key
from extractor.core.redact import redact_settings
from extractor.runs.discovery import what_became_of
from extractor.runs.engines.base import Answer, BatchJournal, Engine, Job
from extractor.text.reading import document_from_info, document_info, jsonl_lines

if TYPE_CHECKING:
    from extractor.model.batches import BatchInfo, BatchService

logger = logging.getLogger(__name__)

__all__ = ["BatchApiEngine", "reconcile", "create_batch", "JOB_TAG", "BATCH_DISCOUNT", "MAX_REQUESTS", "MAX_BYTES"]

# The Batch API charges half the synchronous price for input and output tokens.
BATCH_DISCOUNT = 0.5
# OpenAI's limits per batch input file.
MAX_REQUESTS = 50_000
MAX_BYTES = 200 * 1024 * 1024
# The metadata key under which a batch carries its local job id.
JOB_TAG = "extractor_job"
ENDPOINT = "/v1/chat/completions"


@dataclass
class _Submission:
    """Request lines being gathered for one new job."""

    lines: list[bytes] = field(default_factory=list)
    items: list[tuple[str, str, str | None, str, int, int]] = field(default_factory=list)
    texts: list[tuple[str, str, str]] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)

    def add(self, job: Job, bodies: list[dict[str, object]]) -> None:
        doc = job.document
        # What collecting needs to derive the facts should the file be gone by then.
        self.texts.append((doc.sha256, json.dumps(document_info(doc), ensure_ascii=False), doc.text))
        for index, body in enumerate(bodies):
            cid = f"{doc.sha256}:{index}"
            line = {"custom_id": cid, "method": "POST", "url": ENDPOINT, "body": body}
            self.lines.append(json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n")
            self.items.append((cid, doc.sha256, doc.source, job.file or doc.source or "", index, len(bodies)))
        self.jobs.append(job)

    def data(self) -> bytes:
        return b"".join(self.lines)


@dataclass(frozen=True)
class _Gone:
    """An article a job holds whose file no longer gives it (``why``: what became of the file)."""

    sha256: str
    source: str
    path: str
    why: str


class BatchApiEngine(Engine):
    """Jobs answered through the OpenAI Batch API; see the module docstring."""

    name = "batchapi"
    workdir_name = "batches"

    async def answer(self, jobs: AsyncIterator[Job]) -> AsyncIterator[Answer]:
        """``engine_options``: ``submit`` (default True) sends the articles no batch holds;
        ``collect`` (default True) polls the batches that hold articles and stores the
        answers of those that ended; ``job`` (a local job id) counts that job as holding
        its articles whatever its status (collecting one batch, even one that failed)."""
        flags = self.options.engine_options
        submit, collect = bool(flags.get("submit", True)), bool(flags.get("collect", True))
        service = self.extractor.batch_service()
        await asyncio.to_thread(reconcile, self.context.journal, service)
        open_jobs = {str(j["job_id"]): j for j in self._open_jobs()}
        chosen = self.context.journal.get(str(flags["job"])) if flags.get("job") else None
        if chosen is not None:
            open_jobs[str(chosen["job_id"])] = chosen
        holder = {sha: job_id for job_id in open_jobs for sha, *_ in self.context.journal.items(job_id)}
        waiting: dict[str, list[Job]] = {}
        received: set[str] = set()
        new = _Submission()
        async for job in jobs:
            received.add(job.document.sha256)
            job_id = holder.get(job.document.sha256)
            if job_id is not None:
                waiting.setdefault(job_id, []).append(job)
            elif not submit:
                yield Answer(job, error=ExtractorError("not in the batch being collected; run without "
                                                       "collecting only to submit it"))
            else:
                try:
                    new.add(job, await asyncio.to_thread(self.extractor.batch_requests, job.document))
                except ConfigurationError:
                    raise
                except ExtractorError as exc:
                    yield Answer(job, error=exc)
        gone: dict[str, list[_Gone]] = {}
        if collect and not self._stop_asked():  # a stopped run did not see every file
            # Collecting one job (``job``): only its articles.
            scope = [str(chosen["job_id"])] if chosen is not None else [] if flags.get("job") else list(open_jobs)
            gone = await asyncio.to_thread(self._gone, [open_jobs[j] for j in scope], received)
        if new.jobs:
            job_id = await asyncio.to_thread(self._submit, service, new)
            open_jobs[job_id] = self.context.journal.get(job_id) or {"job_id": job_id}
            waiting[job_id] = new.jobs
        # The jobs holding articles whose files are gone first: the source of a changed
        # file then shows its new content (submitted just now, or collected already).
        for job_id in dict.fromkeys([*gone, *waiting]):
            job_row, held = open_jobs[job_id], waiting.get(job_id, [])
            if not collect:
                for j in held:
                    yield Answer(j, pending=str(job_row.get("batch_id") or job_id))
                continue
            async for answer in self._answers_of(service, job_row, held, gone.get(job_id, [])):
                yield answer

    # Submitting -------------------------------------------------------------------------
    def _open_jobs(self) -> list[dict[str, object]]:
        ident = self.extractor.identity
        # A v0.1 job sent before the upgrade still holds its articles.
        return self.context.journal.open_jobs([ident.request_key, legacy_request_key(ident)])

    def _submit(self, service: BatchService, sub: _Submission) -> str:
        data = sub.data()
        if len(sub.items) > MAX_REQUESTS or len(data) > MAX_BYTES:
            raise ConfigurationError(
                f"{len(sub.items)} requests ({len(data) / 1e6:.0f} MB) exceed one batch's limits "
                f"({MAX_REQUESTS} requests, {MAX_BYTES // 2**20} MB): submit the inputs in parts")
        job_id = uuid.uuid4().hex
        local = self.context.workdir / f"input-{job_id}.jsonl"
        tmp = local.with_name(f".{local.name}.tmp")
        tmp.write_bytes(data)  # kept for inspection and to resume an upload; holds no key
        os.replace(tmp, local)
        settings = self.extractor.settings
        self.context.journal.add(
            job_id=job_id, identity=self.extractor.identity, endpoint=ENDPOINT,
            settings_json=json.dumps(redact_settings(settings), ensure_ascii=False, default=str), input_path=str(local),
            articles=len(sub.jobs), items=sub.items, text_field=self.options.text_field,
            id_field=self.options.id_field, texts=sub.texts)
        batch = create_batch(self.context.journal, service, self.context.journal.get(job_id) or {}, data)
        logger.info("submitted batch %s: %d article(s), %d request(s)", batch.id, len(sub.jobs), len(sub.items))
        return job_id

    # Collecting -------------------------------------------------------------------------
    def _gone(self, jobs: list[Mapping[str, object]], received: set[str]) -> dict[str, list[_Gone]]:
        """Per job, the articles it holds that did not come as a job in this run and whose
        file no longer gives them (deleted, moved, made unreadable, changed). An article
        whose file still holds it (a run over other inputs) waits for a run that reads it."""
        found: dict[str, list[_Gone]] = {}
        for job in jobs:
            job_id = str(job["job_id"])
            text_field, id_field = str(job.get("text_field") or "text"), str(job.get("id_field") or "id")
            checked: set[str] = set()
            for sha, source, path, _index, _n, done, _cid in self.context.journal.items(job_id):
                if done or sha in received or sha in checked:
                    continue
                checked.add(sha)
                why = what_became_of(path, sha, text_field=text_field, id_field=id_field)
                if why is not None:
                    found.setdefault(job_id, []).append(_Gone(sha, source or path, path, why))
        return found

    def _from_submitted(self, gone: list[_Gone], batch_id: str) -> list[tuple[Job, str]]:
        """Jobs rebuilt from the texts kept at submit, each with the warning that goes with
        it; an article without a kept text (a job written down before texts were kept) is
        reported as lost and left uncollected (its file, put back, is collected next time)."""
        rebuilt = []
        for g in gone:
            kept = self.context.journal.kept_text(g.sha256)
            if kept is None:
                lost = (f"{g.source}: {g.why} since it was submitted, and batch {batch_id} was submitted before "
                        "articles' texts were kept: its answer, paid for, cannot be stored. Put the file back as it "
                        "was and run the same command again to collect it")
                logger.warning("%s", lost)
                self.stats.lost_answers.append(lost)
                continue
            note = f"{g.source}: {g.why} since it was submitted; its answer was derived from the text submitted"
            logger.warning("%s (batch %s)", note, batch_id)
            document_json, text = kept
            info = json.loads(document_json)
            info["warnings"] = [*(info.get("warnings") or ()), note]
            info["source"], info["sha256"] = g.source, g.sha256
            rebuilt.append((Job(document_from_info(text, info), g.path), g.why))
        return rebuilt

    async def _answers_of(self, service: BatchService, job: Mapping[str, object], held: list[Job],
                          gone: list[_Gone]) -> AsyncIterator[Answer]:
        info = await self._poll(service, job)
        if not info.ended:
            logger.info("batch %s: %s (%d/%d done)", info.id, info.status, info.completed, info.total)
            for j in held:
                yield Answer(j, pending=info.id)
            if gone:
                logger.info("batch %s: %d article(s) whose file changed or went away since the submit are collected "
                            "from the text submitted once it has ended", info.id, len(gone))
            return
        lines = await asyncio.to_thread(self._downloaded, service, job, info)
        ids: dict[str, dict[int, str]] = {}
        chunks: dict[str, int] = {}
        for sha, _source, _path, index, n, _done, cid in self.context.journal.items(str(job["job_id"])):
            ids.setdefault(sha, {})[index] = cid
            chunks[sha] = n
        model = self.extractor.settings.resolved_model()
        jobs: list[tuple[Job, str | None]] = [(j, None) for j in held]
        jobs += self._from_submitted(gone, info.id)
        for j, why in jobs:
            sha = j.document.sha256
            bodies = [_body(lines, ids[sha].get(i), i, info, model) for i in range(chunks.get(sha, 0))]
            answer = await asyncio.to_thread(self.extractor.answer_from_batch, j.document, bodies,
                                             price_factor=BATCH_DISCOUNT)
            yield dataclasses.replace(Answer.of(j, answer), from_submitted=why)
            # After the answer is handed on: a crash in between only makes a re-run collect it again.
            self.context.journal.mark_item_collected(str(job["job_id"]), sha)
        if all(done for *_, done, _cid in self.context.journal.items(str(job["job_id"]))):
            self.context.journal.mark_collected(str(job["job_id"]))

    async def _poll(self, service: BatchService, job: Mapping[str, object]) -> BatchInfo:
        """The batch's status, written to the journal; with ``options.wait``, once it has ended."""
        interval = self.options.poll_interval_s
        while True:
            info = await asyncio.to_thread(service.retrieve, str(job["batch_id"]))
            self.context.journal.set_status(str(job["job_id"]), status=info.status,
                                            output_file_id=info.output_file_id, error_file_id=info.error_file_id,
                                            errors_json=info.errors_json())
            if info.ended or not self.options.wait or self._stop_asked():
                return info
            logger.info("batch %s: %s (%d/%d done); waiting %.0fs", info.id, info.status, info.completed, info.total,
                        interval)
            await asyncio.sleep(interval)

    def _stop_asked(self) -> bool:
        stop = self.options.stop
        return stop is not None and stop.is_set()

    def _downloaded(self, service: BatchService, job: Mapping[str, object],
                    info: BatchInfo) -> dict[str, dict[str, object] | str]:
        """The batch's answer and error lines by custom id (cached in the work folder), or
        for a batch that failed as a whole, the reason under ``""``."""
        if info.status == "failed":
            errs = [dict(e) for e in info.errors] or json.loads(str(job.get("errors_json") or "[]"))
            return {"": "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errs[:3]) or "no reason given"}
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in info.id)
        lines: dict[str, dict[str, object] | str] = {}
        for file_id, kind in ((info.output_file_id, "output"), (info.error_file_id, "errors")):
            if file_id:
                lines.update(self._cached(service, file_id, self.context.workdir / f"{safe}.{kind}.jsonl"))
        return lines

    @staticmethod
    def _cached(service: BatchService, file_id: str, cache: os.PathLike[str]) -> dict[str, dict[str, object]]:
        path = os.fspath(cache)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                text = f.read()
        else:
            text = service.download(file_id)
            tmp = f"{path}.tmp-{os.getpid()}"
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, path)
        lines: dict[str, dict[str, object]] = {}
        for _, raw in jsonl_lines(text):
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


def create_batch(journal: BatchJournal, service: BatchService, job: Mapping[str, object],
                 data: bytes | None) -> BatchInfo:
    """Upload the job's requests (unless done) and create its batch, recording each step.
    ``data`` None: read from the job's local copy, only when the upload is still to be done
    (a deleted local copy does not stop a job already uploaded)."""
    job_id = str(job["job_id"])
    file_id = job.get("input_file_id")
    if not file_id:
        if data is None:
            with open(str(job["input_path"]), "rb") as f:
                data = f.read()
        file_id = service.upload(f"extractor-{job_id}.jsonl", data)
        journal.set_input_file(job_id, str(file_id))
    batch = service.create(str(file_id), {
        JOB_TAG: job_id, "tool": "extractor", "schema": f"{job['schema_name']}@{job['schema_version']}",
        "prompt": f"{job['prompt_name']}@{job['prompt_version']}", "model": str(job["model"])[:500]})
    journal.set_batch(job_id, batch.id, batch.status)
    return batch


def reconcile(journal: BatchJournal, service: BatchService) -> list[str]:
    """Finish the submits that stopped half-way; returns the batch ids they now have.

    A job written down whose batch id is unknown is looked up by its tag (found: the
    batch was created, then the process died) or created from where it stopped — never
    twice. One that can never be created from its record is abandoned, so that its
    articles are submitted again.
    """
    from extractor.model.batches import BatchRefused

    ids = []
    for job in journal.unresolved():
        job_id = str(job["job_id"])
        batch = _find_tagged(service.recent(), job_id, since=float(str(job["created_at"])) - 3600)
        if batch is not None:
            logger.warning("found batch %s of job %s, created before the last submit stopped", batch.id, job_id)
            journal.set_batch(job_id, batch.id, batch.status)
        else:
            logger.warning("completing the submit of batch job %s that stopped half-way", job_id)
            try:
                batch = create_batch(journal, service, job, None)
            except (OSError, BatchRefused) as exc:
                logger.warning("batch job %s abandoned: %s", job_id, exc)
                journal.abandon(job_id)
                continue
        ids.append(batch.id)
    return ids


def _find_tagged(batches: Iterator[BatchInfo], job_id: str, *, since: float) -> BatchInfo | None:
    """The batch tagged with ``job_id``, searching back to ``since``."""
    for batch in batches:
        if batch.metadata.get(JOB_TAG) == job_id:
            return batch
        if batch.created_at and batch.created_at < since:
            return None
    return None


def _body(lines: Mapping[str, dict[str, object] | str], cid: str | None, index: int, info: BatchInfo,
          model: str) -> dict[str, object] | ExtractorError:
    """The answer body of chunk ``index``'s request line, or the error that stands for it."""
    failed = lines.get("")
    if isinstance(failed, str):
        return ModelCallError("transport", attempts=1, model=model, last_error=f"batch {info.id} failed: {failed}")
    line = lines.get(cid) if cid is not None else None
    if not isinstance(line, dict):
        return ModelCallError("transport", attempts=0, model=model,
                              last_error=f"no answer for chunk {index} in batch {info.id} (status {info.status})")
    why = _line_error(line)
    if why is not None:
        return ModelCallError("transport", attempts=1, model=model, last_error=f"the batch request failed: {why}")
    response = line.get("response")
    body = response.get("body") if isinstance(response, dict) else None
    return body if isinstance(body, dict) else {}


def _line_error(line: Mapping[str, object]) -> str | None:
    """Why a batch line carries no answer (None when it does)."""
    err = line.get("error")
    if err:
        if isinstance(err, dict):
            return f"{err.get('code') or 'error'}: {err.get('message') or ''}".strip()
        return str(err)
    response = line.get("response")
    response = response if isinstance(response, dict) else {}
    code = response.get("status_code")
    if code != 200:
        body = response.get("body") or {}
        msg = body.get("error", {}).get("message") if isinstance(body, dict) and isinstance(body.get("error"),
                                                                                            dict) else None
        return f"HTTP {code}: {msg or json.dumps(body)[:300]}"
    return None
