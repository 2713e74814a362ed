"""A batch over many articles, in named steps that every engine shares.

    inputs ─discover─▶ files ─read─▶ Documents ─decide─┬─ reuse: the stored record (no call)
                                                       ├─ rederive: facts from stored answers (no call)
                                                       ├─ pending: waits in a Batch API batch (no call)
                                                       └─ request: a Job ─engine─▶ Answer ─store─▶ record
    end / Ctrl-C ─▶ exports regenerated from the store

Every article ends as exactly one record, ``ok`` or ``error`` with the reason (or
``pending`` while a Batch API batch holds it); a bad article never stops the run.
Results are written to SQLite one transaction per article (:mod:`extractor.store`),
so a killed run restarted with the same command picks up where it stopped and makes no
model call for finished articles. One process writes an output folder at a time: a
second run is refused at once (or waits, with ``RunOptions(wait=True)``), so an article
is never paid for twice.

The runner owns everything around the engine: the store, the lock, the engine's
folders, the run's request limiter (``concurrency`` requests in flight, ``rpm``/``tpm``)
and the extractor whose requests pass it. The engine only schedules.

>>> from extractor import Extractor, RunOptions, Settings          # doctest: +SKIP
>>> summary = Extractor(Settings.from_env()).run(["articles/"], options=RunOptions(out="out"))  # doctest: +SKIP
>>> summary.ok, summary.failed, summary.paths["articles"]  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import shutil
import signal
import sys
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from extractor.core.errors import ConfigurationError, ExtractorError, InputError, ModelCallError, StoreDamagedError
from extractor.core.identity import Identity
from extractor.core.options import RunOptions
from extractor.core.records import ArticleRecord, Progress, RunSummary
from extractor.core.types import ExtractionResult
from extractor.model.endpoint import check_endpoint
from extractor.model.ratelimit import RateLimiter
from extractor.runs.discovery import Discovery, count_items, discover, file_key, file_sha, jsonl_keys
from extractor.runs.engines import Answer, Engine, EngineContext, Job, engine_class, is_fatal
from extractor.store import NewRecord, OutputLock, RecordState, Store, input_error_key
from extractor.store.failures import storage_error
from extractor.text.reading import Document, document_from_info, document_info, iter_documents

if TYPE_CHECKING:
    from extractor.pipeline import ArticleExtractor

logger = logging.getLogger(__name__)

__all__ = ["BatchRun", "Decision", "decide", "iter_results", "arun_batch", "run_batch", "doc_json", "check_engine"]

_DONE = object()


class Decision(Enum):
    REUSE = "reuse"
    REDERIVE = "rederive"
    REQUEST = "request"


def doc_json(doc: Document) -> str:
    """A document's metadata as stored with an error record (the text is stored apart)."""
    return json.dumps(document_info(doc), ensure_ascii=False)


def _error_kind(exc: BaseException) -> str:
    if isinstance(exc, ModelCallError):
        return exc.kind
    return "input" if isinstance(exc, InputError) else "internal"


def decide(store: Store, identity: Identity, sha: str, options: RunOptions,
           settings: dict[str, object]) -> tuple[Decision, RecordState | None]:
    """Whether content ``sha`` needs the model under this request and derivation key.

    ``settings`` (the run's settings as JSON) decide whether a v0.1 record of the same
    content answers the same question (:meth:`~extractor.store.Store.adopt_legacy`).
    """
    if options.refresh:
        return Decision.REQUEST, None
    state = store.lookup(sha, identity)
    if state is None and store.adopt_legacy(sha, identity, settings):
        state = store.lookup(sha, identity)
    if state is None:
        return Decision.REQUEST, None
    if state.status == "error":
        return (Decision.REQUEST if options.retry_errors else Decision.REUSE), state
    if state.derive_key == identity.derive_key:
        return Decision.REUSE, state
    return (Decision.REDERIVE if state.has_answers else Decision.REQUEST), state


def _record_of(answer: Answer, identity: Identity, run_id: int | None) -> tuple[NewRecord, ArticleRecord]:
    """An engine's answer as the store's record and the run's report of it."""
    doc = answer.job.document
    if answer.error is not None:
        kind = _error_kind(answer.error)
        new = NewRecord(sha256=doc.sha256, identity=identity, source=doc.source, status="error", run_id=run_id,
                        error=str(answer.error), error_kind=kind, document_json=doc_json(doc), text=doc.text,
                        file=answer.job.file)
        return new, ArticleRecord(doc.source, doc.sha256, "error", error=str(answer.error), error_kind=kind,
                                  how="requested", from_submitted=answer.from_submitted)
    result_json = answer.result_text()
    result = answer.result or ExtractionResult.model_validate_json(result_json)
    if answer.derive_key:
        identity = dataclasses.replace(identity, derive_key=answer.derive_key)
    new = NewRecord(sha256=doc.sha256, identity=identity, source=doc.source, status="ok", run_id=run_id,
                    answers_json=answer.answers_json, result_json=result_json,
                    document_json=result.document.model_dump_json(), text=doc.text,
                    usage_json=result.usage.model_dump_json(), file=answer.job.file)
    rec = ArticleRecord.of_result(result, source=doc.source, sha256=doc.sha256, how="requested",
                                  result_json=result_json, usage=result.usage)
    rec.from_submitted = answer.from_submitted
    return new, rec


@dataclass
class BatchRun:
    """One run of ``extractor`` over ``inputs`` into ``options.out``, on ``engine``.

    Iterate :meth:`records` to drive it: one :class:`ArticleRecord` per article, each
    written to the store before it is yielded. The caller holds the output folder's lock
    and has opened the store; the run closes neither.
    """

    extractor: ArticleExtractor
    inputs: list[str]
    options: RunOptions
    engine: Engine
    store: Store
    summary: RunSummary
    stop: asyncio.Event
    discovered: Discovery | None = None
    run_id: int = field(init=False, default=0)
    in_flight: dict[str, str] = field(init=False, default_factory=dict)   # sha256 -> source being asked
    seen: dict[str, str] = field(init=False, default_factory=dict)        # sha256 -> first source this run
    waiting: dict[str, list[tuple[str, str | None]]] = field(init=False, default_factory=dict)
    done_files: list[str] = field(init=False, default_factory=list)
    ok: int = field(init=False, default=0)
    listed: dict[str, tuple[int, int]] = field(init=False, default_factory=dict)  # file key -> (st_dev, st_ino)

    def __post_init__(self) -> None:
        self.identity = self.extractor.identity
        self.settings_dump: dict[str, object] = self.extractor.settings.model_dump(mode="json")
        self.out_queue: asyncio.Queue[ArticleRecord | BaseException | object] = asyncio.Queue()
        # Read ahead of the engine by this many articles: enough to keep every request slot fed.
        self.jobs: asyncio.Queue[Job | object] = asyncio.Queue(maxsize=max(16, self.options.concurrency * 2))

    # The run -----------------------------------------------------------------------------
    async def records(self) -> AsyncGenerator[ArticleRecord, None]:
        found = self.discovered
        if found is None:
            found = await asyncio.to_thread(discover, self.inputs, follow_symlinks=self.options.follow_symlinks)
        files, errors = found.files, [*found.missing, *found.errors]
        self.listed = found.listed
        self.discovered = None  # the producer owns the lists from here
        self.run_id = self.store.start_run(settings=self.extractor.settings, identity=self.identity,
                                           inputs=self.inputs, argv=self.options.argv, engine=self.engine.name)
        self.summary.run_id = self.run_id
        # Discovery errors (a missing path, a glob that matched nothing) belong to a command
        # line, not to an article: the exports show those of the latest run only.
        self.store.clear_discovery_errors()
        status = "failed"
        main = asyncio.create_task(self._produce_and_answer(files, errors))
        stopper = asyncio.create_task(self.stop.wait())
        try:
            async with contextlib.aclosing(self._drain(stopper)) as drained:
                async for rec in drained:
                    yield rec
            status = "interrupted" if self.summary.interrupted else "finished"
        except (asyncio.CancelledError, GeneratorExit) as exc:
            # The caller cancelled the run or stopped reading: the requests in flight are
            # paid for, so their answers are stored before the cancellation goes on.
            status = "interrupted"
            self.summary.interrupted = True
            await self._keep_in_flight(main, "cancelled" if isinstance(exc, asyncio.CancelledError) else "left early")
            raise
        except KeyboardInterrupt:
            # An abort (the second Ctrl-C, wherever it lands): at once.
            status = "interrupted"
            raise
        finally:
            for task in (main, stopper):
                task.cancel()
            await asyncio.gather(main, stopper, return_exceptions=True)
            await self.engine.aclose()
            self._close(status)

    async def _keep_in_flight(self, main: asyncio.Task[None], why: str) -> None:
        """Start nothing new and wait for the articles in flight: ``main`` stores their
        answers. Cancelled again meanwhile, it gives up at once (the cancellation reaches
        ``main``). An engine that cannot finish what it started (``stop_taking()`` is
        False) is cancelled by the caller, as before."""
        if main.done():
            return
        self.stop.set()
        if not self.engine.stop_taking():
            return
        if self.in_flight:
            logger.warning("run %s: storing the answers of the requests in flight (%d article(s) in progress), "
                           "starting no new one", why, len(self.in_flight))
        await main

    async def _drain(self, stopper: asyncio.Task[bool]) -> AsyncGenerator[ArticleRecord, None]:
        getter: asyncio.Task[ArticleRecord | BaseException | object] | None = None
        finishing = False
        try:
            while True:
                if getter is None:
                    getter = asyncio.create_task(self.out_queue.get())
                waited: set[asyncio.Future[Any]] = {getter} if finishing else {getter, stopper}
                done, _ = await asyncio.wait(waited, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    self.summary.interrupted = True
                    # Requests in flight are paid for: store their answers, start no new one
                    # (the second Ctrl-C aborts). An engine that cannot do that stops at once.
                    if self.engine.stop_taking():
                        logger.warning("interrupted: storing the answers of the requests in flight, starting no "
                                       "new one (Ctrl-C again to abort at once)")
                        finishing = True
                        continue
                    getter.cancel()
                    # Records already finished and queued are stored: report them too.
                    while not self.out_queue.empty():
                        rec = self.out_queue.get_nowait()
                        if isinstance(rec, ArticleRecord):
                            yield rec
                    return
                item, getter = getter.result(), None
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                if isinstance(item, ArticleRecord):
                    yield item
        finally:
            if getter is not None and not getter.done():  # cancelled or closed while waiting: no task left behind
                getter.cancel()
                await asyncio.gather(getter, return_exceptions=True)

    def _close(self, status: str) -> None:
        stats = self.engine.count()
        self.summary.model_calls, self.summary.rate_limited = stats.model_calls, stats.rate_limited
        self.summary.paused_s, self.summary.requested_twice = stats.paused_s, stats.requested_twice
        self.summary.lost_answers = list(stats.lost_answers)
        if status == "finished" and self.options.only is None:  # a selection did not see every source
            self._prune()
        self.store.finish_run(self.run_id, status=status, counts=self.summary.counts())

    def _prune(self) -> None:
        try:
            removed = self.store.prune_sources(self.run_id, self.done_files)
        except Exception:  # pruning is tidying; it must not fail the run
            logger.warning("could not drop stale sources from the store", exc_info=True)
            return
        if removed:
            logger.info("dropped %d stale source(s) of re-read files from the exports", removed)

    async def _produce_and_answer(self, files: list[Path], errors: list[InputError]) -> None:
        try:
            await self._store_recovered()
            producer = asyncio.create_task(self._produce(files, errors))
            try:
                # Closed here when cancelled, not by the loop's finaliser later: no engine task outlives the run.
                async with _closed_after(self.engine.answer(self._jobs())) as answers:
                    async for answer in answers:
                        await self._record_answer(answer)
                if not self.stop.is_set():  # stopped, it may wait on a queue nobody reads: cancelled below
                    await producer
            finally:
                producer.cancel()
                await asyncio.gather(producer, return_exceptions=True)
            await self.out_queue.put(_DONE)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            await self.out_queue.put(exc)

    async def _store_recovered(self) -> None:
        """Answers an engine kept from an earlier run (a driver that died after its workers
        finished) go into the store before anything is decided, so they cost no call."""
        if not self.engine.keeps_records:
            return
        done = frozenset(await asyncio.to_thread(self.store.done_keys, self.identity))
        n = 0
        async for answer in self.engine.recovered(done):
            sha = answer.job.document.sha256
            if not answer.ok and self.store.lookup(sha, self.identity) is not None:
                continue  # an error never replaces what the store holds
            new, _ = _record_of(answer, self.identity, None)
            self.store.put(new)
            n += 1
        if n:
            logger.info("stored %d answer(s) of an earlier run that the store lacked", n)

    async def _jobs(self) -> AsyncIterator[Job]:
        while isinstance(job := await self.jobs.get(), Job):
            if self.stop.is_set():  # not started: asked on the next run
                return
            yield job

    # Step: produce -----------------------------------------------------------------------
    async def _produce(self, files: list[Path], errors: list[InputError]) -> None:
        try:
            for exc in errors if self.options.only is None else ():
                await self._emit(self._input_error(exc, None))
            for path in files:
                if self.stop.is_set():
                    break
                fkey = file_key(path)
                if not await self._settled_without_reading(path, fkey):
                    await self._read(path, fkey)
        except asyncio.CancelledError:
            # Not in a ``finally``: cancelled, nobody reads the bounded queue any more.
            raise
        except BaseException:
            # The engine finishes what it took, then ``_produce_and_answer`` reports the error.
            await self.jobs.put(_DONE)
            raise
        await self.jobs.put(_DONE)

    async def _settled_without_reading(self, path: Path, fkey: str) -> bool:
        """A cheap pre-check (hashes only: no decoding, cleaning or language detection)
        that keeps a re-run of a finished batch fast. True when the file needs no reading."""
        keys: list[tuple[str, str]] | None
        if path.suffix.lower() == ".jsonl":
            keys = await asyncio.to_thread(jsonl_keys, path, self.options.text_field, self.options.id_field,
                                           self.listed.get(fkey))
        else:
            sha = await asyncio.to_thread(file_sha, path, self.listed.get(fkey))
            keys = [(str(path), sha)] if sha else None
        if not keys or any(sha in self.in_flight for _, sha in keys):
            return False
        keys = [(source, sha) for source, sha in keys if self._selected(sha)]
        decisions = [self._decide(sha) for _, sha in keys]
        if any(d is Decision.REQUEST for d, _ in decisions):
            return False
        for (source, sha), (decision, state) in zip(keys, decisions):
            await self._emit(await self._settle(sha, source, fkey, decision, state))
        self.done_files.append(fkey)
        return True

    def _selected(self, sha: str) -> bool:
        return self.options.only is None or sha in self.options.only

    async def _read(self, path: Path, fkey: str) -> None:
        items = iter_documents(path, text_field=self.options.text_field, id_field=self.options.id_field,
                               languages=self.extractor.settings.extra_languages, listed_id=self.listed.get(fkey))
        while not self.stop.is_set():
            item = await asyncio.to_thread(next, items, None)
            if item is None:
                self.done_files.append(fkey)
                return
            if isinstance(item, InputError):
                if self.options.only is None:  # a selection of contents is not about unreadable lines
                    await self._emit(self._input_error(item, fkey))
            elif self._selected(item.sha256):
                await self._classify(item, fkey)

    async def _classify(self, doc: Document, fkey: str) -> None:
        sha, source = doc.sha256, doc.source or doc.sha256
        if sha in self.in_flight:  # identical content is asked once; this copy waits for it
            self.waiting.setdefault(sha, []).append((source, fkey))
            return
        decision, state = self._decide(sha)
        if decision is not Decision.REQUEST:
            await self._emit(await self._settle(sha, source, fkey, decision, state))
            return
        self.in_flight[sha] = source
        await self.jobs.put(Job(doc, fkey))

    def _decide(self, sha: str) -> tuple[Decision, RecordState | None]:
        if sha in self.seen:  # done earlier in this run (a copy): its record stands
            return Decision.REUSE, self.store.lookup(sha, self.identity)
        return decide(self.store, self.identity, sha, self.options, self.settings_dump)

    # Step: records without a call ----------------------------------------------------------
    async def _settle(self, sha: str, source: str, fkey: str | None, decision: Decision,
                      state: RecordState | None) -> ArticleRecord:
        duplicate_of = self.seen.get(sha)
        self.seen.setdefault(sha, source)
        if decision is Decision.REDERIVE:
            rec = await self._rederive(sha, source, fkey)
            if rec is not None:
                return rec
        return self._reuse(sha, source, fkey, state, duplicate_of)

    def _reuse(self, sha: str, source: str, fkey: str | None, state: RecordState | None,
               duplicate_of: str | None) -> ArticleRecord:
        """Point ``source`` at the stored record and report it without a call."""
        if state is None:
            return ArticleRecord(source, sha, "error", error=f"not extracted: its copy {duplicate_of} was not finished",
                                 error_kind="internal", how="reused", duplicate_of=duplicate_of)
        self.store.put_source(source, sha, self.identity, run_id=self.run_id, file=fkey, duplicate_of=duplicate_of)
        return ArticleRecord(source, sha, state.status, error=state.error, error_kind=state.error_kind, how="reused",
                             duplicate_of=duplicate_of)

    async def _rederive(self, sha: str, source: str, fkey: str | None) -> ArticleRecord | None:
        """Facts made again from the stored answers under this run's post-processing settings."""
        answers, info, text = self.store.answers_of(sha, self.identity)
        if not answers or text is None:
            return None
        doc = document_from_info(text, json.loads(info or "{}"))
        try:
            result: ExtractionResult = await asyncio.to_thread(self.extractor.rederive, doc, answers)
        except ExtractorError as exc:
            logger.warning("%s: stored answers could not be re-derived (%s); reusing the stored facts", source, exc)
            return None
        result_json = result.model_dump_json()
        self.store.put_derived(sha, self.identity, result_json=result_json, run_id=self.run_id)
        self.store.put_source(source, sha, self.identity, run_id=self.run_id, file=fkey)
        return ArticleRecord.of_result(result, source=source, sha256=sha, how="rederived", result_json=result_json)

    def _input_error(self, exc: InputError, fkey: str | None) -> ArticleRecord:
        """The one writer of input errors (unreadable files, paths that found nothing)."""
        source = str(exc.source) if exc.source is not None else None
        self.store.put(NewRecord(sha256=input_error_key(source or str(exc)), identity=self.identity, source=source,
                                 status="error", run_id=self.run_id, error=str(exc), error_kind="input", file=fkey,
                                 scope="article" if fkey else "discovery"))
        return ArticleRecord(source=source, sha256=None, status="error", error=str(exc), error_kind="input")

    # Step: the engine's answers ----------------------------------------------------------
    async def _record_answer(self, answer: Answer) -> None:
        doc = answer.job.document
        sha, source = doc.sha256, doc.source or doc.sha256
        try:
            if answer.pending is not None:
                # The source shows the article's record once the batch is collected.
                self.store.put_source(source, sha, self.identity, run_id=self.run_id, file=answer.job.file)
                rec = ArticleRecord(source, sha, "pending", how="requested", pending=answer.pending)
            else:
                rec = self._store(answer)
        finally:
            self.in_flight.pop(sha, None)
        self.seen.setdefault(sha, source)
        await self._emit(rec)
        copies = self.waiting.pop(sha, [])
        state = self.store.lookup(sha, self.identity) if copies and answer.pending is None else None
        for copy, copy_file in copies:
            if answer.pending is not None:
                self.store.put_source(copy, sha, self.identity, run_id=self.run_id, file=copy_file,
                                      duplicate_of=source)
                await self._emit(ArticleRecord(copy, sha, "pending", how="reused", duplicate_of=source,
                                               pending=answer.pending))
            else:
                await self._emit(self._reuse(sha, copy, copy_file, state, duplicate_of=source))

    def _store(self, answer: Answer) -> ArticleRecord:
        if answer.error is not None and is_fatal(answer.error) and self.ok == 0:
            # Every further article would fail the same way: stop before paying for more.
            raise ConfigurationError(getattr(answer.error, "last_error", None) or str(answer.error))
        new, rec = _record_of(answer, self.identity, self.run_id)
        written = self.store.put(new)
        self.ok += rec.ok
        if not written:
            rec.kept_previous = True
        return rec

    async def _emit(self, rec: ArticleRecord) -> None:
        await self.out_queue.put(rec)


@contextlib.asynccontextmanager
async def _closed_after(iterator: AsyncIterator[Answer]) -> AsyncIterator[AsyncIterator[Answer]]:
    """``iterator``, closed on the way out when it can be (an engine's async generator)."""
    try:
        yield iterator
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()


# --------------------------------------------------------------------------- what a run needs


def _limiter(extractor: ArticleExtractor, options: RunOptions) -> RateLimiter:
    """The run's limiter: ``concurrency`` requests in flight, ``rpm``/``tpm``, the 429 pause.
    An application's :class:`RateLimiter` shared by several runs is used as it is."""
    if isinstance(options.limiter, RateLimiter):
        return options.limiter
    s = extractor.settings
    return RateLimiter(options.rpm, options.tpm, backoff_initial_s=s.backoff_initial_s, backoff_max_s=s.backoff_max_s,
                       max_pause_s=s.max_retry_after_s, max_in_flight=options.concurrency)


def _folders(out: Path, cls: type[Engine]) -> tuple[Path, Path]:
    """The engine's folder, its named subfolders, and a fresh folder for this run (earlier
    runs' are removed: the lock is ours, so they are done with)."""
    workdir = out / (cls.workdir_name or cls.name)
    for sub in cls.folders:
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    runs = workdir / cls.run_folder
    if runs.is_dir():
        for old in runs.iterdir():
            shutil.rmtree(old, ignore_errors=True)
    run_dir = runs / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
    run_dir.mkdir(parents=True, exist_ok=True)
    return workdir, run_dir


@contextlib.asynccontextmanager
async def _engine(extractor: ArticleExtractor, options: RunOptions, store: Store) -> AsyncIterator[Engine]:
    """The engine ``options.engine`` names, with its context; the limited extractor closed after it."""
    cls = check_engine(options)
    limiter = _limiter(extractor, options)
    # Off the event loop: the first one imports openai and builds a connection pool.
    limited = await asyncio.to_thread(extractor.over_limiter, limiter, pool_size=options.concurrency)
    try:
        workdir, run_dir = _folders(options.out, cls)
        engine = cls(EngineContext(extractor=limited, limiter=limiter, options=options, workdir=workdir,
                                   run_dir=run_dir, journal=store.batch_jobs))
        try:
            yield engine
        finally:
            await engine.aclose()
    finally:
        if limited is not extractor:
            try:
                await limited.aclose()
            except Exception:  # closing must not hide the run's own outcome
                logger.debug("closing the batch client failed", exc_info=True)


def check_engine(options: RunOptions) -> type[Engine]:
    """The engine ``options.engine`` names, its options checked (without connecting
    anywhere); raises :class:`ConfigurationError` before anything is created."""
    cls = engine_class(str(options.engine))
    cls.check_options(options)
    return cls


def _check_ready(extractor: ArticleExtractor, options: RunOptions) -> bool:
    """Settings that cannot work fail here, before any file is read; returns whether to
    test the endpoint's connection (by default: when the library builds the client)."""
    settings = extractor.settings
    settings.resolved_api_key()
    settings.resolved_model()
    if settings.mentions_only:
        return False  # no model is asked
    if options.check_connection is not None:
        return options.check_connection
    return not extractor.has_own_client


async def iter_results(extractor: ArticleExtractor, inputs: Iterable[str | os.PathLike[str]], options: RunOptions, *,
                       summary: RunSummary | None = None, lock: OutputLock | None = None,
                       discovered: Discovery | None = None
                       ) -> AsyncGenerator[ArticleRecord, None]:
    """Extract every article under ``inputs``, yielding one :class:`ArticleRecord` each.

    Records are written to ``options.out/extractor.sqlite`` before they are yielded.
    Articles already done under the same request are yielded without a model call
    (``how="reused"``, or ``"rederived"`` when only post-processing settings changed).
    Holds the output folder's lock (``lock``, when the caller already holds it).

    Raises :class:`ConfigurationError` before any work when the settings cannot work
    (no key, no model), or when the first model calls show that none can succeed
    (endpoint unreachable, key rejected); :class:`~extractor.core.errors.OutputBusyError`
    when another process writes ``options.out``.
    """
    _check_ready(extractor, options)
    check_engine(options)
    own_lock = lock or OutputLock(options.out, wait=options.wait, command=list(options.argv or sys.argv))
    stop = options.stop or asyncio.Event()
    if not await own_lock.aacquire(stop=stop):
        return
    try:
        store = Store(options.out)
        try:
            async with _engine(extractor, options, store) as engine:
                summary = summary or RunSummary(run_id=0, out=options.out)
                summary.engine = engine.name
                _name_the_request(summary, extractor)
                run = BatchRun(extractor, [os.fspath(i) for i in inputs], options, engine, store, summary, stop,
                               discovered)
                # Closed here, not by the loop's finaliser later: the run logs its end while
                # the store is open and the lock still held.
                async with contextlib.aclosing(run.records()) as records:
                    async for rec in records:
                        try:
                            yield rec
                        except Exception as exc:  # the consumer failed (thrown in): the run ends 'failed'
                            await records.athrow(exc)
                            raise
        finally:
            store.close()
    finally:
        own_lock.release()


def _name_the_request(summary: RunSummary, extractor: ArticleExtractor) -> None:
    """What the run asks, in its summary: the provider, the model, the chunk size."""
    identity = extractor.identity
    summary.provider = extractor.settings.profile().name
    summary.model = identity.model
    chunk_tokens = identity.request_params.get("chunk_tokens")
    summary.chunk_tokens = chunk_tokens if isinstance(chunk_tokens, int) else None


async def arun_batch(extractor: ArticleExtractor, inputs: Iterable[str | os.PathLike[str]],
                     options: RunOptions) -> RunSummary:
    """Async :func:`run_batch` (signals are the application's: ``handle_sigint`` is not used)."""
    inputs = [os.fspath(i) for i in inputs]
    started = time.monotonic()
    check_engine(options)  # before OUT is created, as is the endpoint: a configuration error leaves nothing
    if _check_ready(extractor, options):
        await asyncio.to_thread(check_endpoint, extractor.settings)
    lock = OutputLock(options.out, wait=options.wait, command=list(options.argv or sys.argv))
    if not await lock.aacquire(stop=options.stop):
        logger.warning("interrupted while waiting for %s: nothing was done", options.out)
        return RunSummary(run_id=0, out=options.out, engine=str(options.engine), interrupted=True)
    try:
        found = await asyncio.to_thread(discover, inputs, follow_symlinks=options.follow_symlinks)
        total = len(options.only) if options.only is not None else (
            await asyncio.to_thread(count_items, found.files) + len(found.missing) + len(found.errors))
        summary = RunSummary(run_id=0, out=options.out, engine=str(options.engine), total=total,
                             skipped=found.skipped, endpoint=extractor.endpoint_info)
        aborted = False
        try:
            await _consume(iter_results(extractor, inputs, options, summary=summary, lock=lock,
                                        discovered=found), summary, options)
        except (asyncio.CancelledError, KeyboardInterrupt):
            # An abort (the second Ctrl-C): at once, no exports. The store has every
            # finished article; the next run writes the exports.
            aborted = summary.interrupted = True
            raise
        finally:
            summary.wall_s = round(time.monotonic() - started, 3)
            if options.export and not aborted:
                await _export(options.out, summary)
        return summary
    finally:
        lock.release()


async def _consume(records: AsyncGenerator[ArticleRecord, None], summary: RunSummary, options: RunOptions) -> None:
    progress = Progress(total=summary.total)
    async with contextlib.aclosing(records) as closing:
        try:
            await _count_each(closing, summary, options, progress)
        except Exception as exc:  # a hook failed: thrown into the run, which then logs itself as failed
            await closing.athrow(exc)
            raise


async def _count_each(records: AsyncIterator[ArticleRecord], summary: RunSummary, options: RunOptions,
                      progress: Progress) -> None:
    async for rec in records:
        summary.add(rec)
        progress.done += 1
        progress.cached += rec.cached
        progress.ok, progress.failed = summary.ok, summary.failed
        progress.tokens, progress.cost_usd = summary.usage.total_tokens, summary.usage.cost_usd or 0.0
        if progress.done > progress.total:
            progress.total = summary.total = progress.done
        if options.on_record is not None:
            options.on_record(rec)
        if options.on_progress is not None:
            options.on_progress(progress)


async def _export(out: Path, summary: RunSummary) -> None:
    from extractor.outputs.export import export_all

    # Also after an interruption (not after an abort): the files show what is stored. An
    # export that fails is logged; it must not replace the run's own outcome.
    try:
        paths = await asyncio.to_thread(export_all, out, run=summary)
    except StoreDamagedError as exc:  # the run itself failed on it and says so: not twice
        summary.export_error = str(exc)
    except Exception as exc:
        storage = storage_error(exc, str(out))
        summary.export_error = str(storage) if storage else f"{type(exc).__name__}: {exc}"
        if storage is not None:  # a full disk, a read-only folder: the caller says it, once (exit 3 at the CLI)
            logger.debug("writing the exports of %s failed", out, exc_info=True)
            return
        logger.warning("writing the exports of %s failed: %s: %s (the store is intact; re-run the same command "
                       "after fixing the cause: it makes no model calls for finished articles and writes the "
                       "exports again)", out, type(exc).__name__, exc)
        logger.debug("export failure", exc_info=True)
    else:
        summary.paths = {k: str(v) for k, v in paths.items()}


def run_batch(extractor: ArticleExtractor, inputs: Iterable[str | os.PathLike[str]],
              options: RunOptions) -> RunSummary:
    """Extract every article under ``inputs`` into ``options.out``; returns a :class:`RunSummary`.

    ``inputs`` are files, folders (searched recursively) and glob patterns; .txt, .md,
    .html, .htm and .jsonl (one article per line) are read, hidden files skipped.
    Results go to ``out/extractor.sqlite`` one article at a time; at the end (and
    after Ctrl-C) ``out/articles.jsonl``, ``out/tables/*.csv|.parquet`` and
    ``out/summary.json`` are regenerated from it. Running the same call again makes
    no model call for articles already done (failed ones are retried unless
    ``retry_errors=False``); a changed post-processing setting re-derives the facts
    from the stored answers, a changed request setting asks again.

    With ``options.handle_sigint`` (main thread only) the first Ctrl-C stops the run
    cleanly — finished articles are kept and exported, the summary has
    ``interrupted=True`` — and a second Ctrl-C aborts at once.

    Raises :class:`ConfigurationError` (missing key or model, unreachable endpoint)
    before any article is processed, and :class:`~extractor.core.errors.OutputBusyError`
    when another process is writing ``options.out`` (unless ``options.wait``).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError("run() cannot be called from a running event loop; use 'await Extractor.arun(...)' "
                           "(or arun_batch) there")

    async def main() -> RunSummary:
        stop = options.stop or asyncio.Event()
        with _sigint_stops(stop, enabled=options.handle_sigint):
            return await arun_batch(extractor, inputs, options.but(stop=stop))

    return asyncio.run(main())


class _sigint_stops:
    """While active, the first Ctrl-C sets ``stop``; the second raises KeyboardInterrupt."""

    def __init__(self, stop: asyncio.Event, *, enabled: bool):
        self.stop, self.enabled, self.installed = stop, enabled, False

    def __enter__(self) -> _sigint_stops:
        if not self.enabled:
            return self
        self.loop = asyncio.get_running_loop()
        try:
            self.loop.add_signal_handler(signal.SIGINT, self._on_sigint)
            self.installed = True
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
            self.installed = False
        return self

    def _on_sigint(self) -> None:
        logger.warning("interrupted: stopping the run and writing the outputs (Ctrl-C again to abort at once)")
        self.stop.set()
        self.loop.remove_signal_handler(signal.SIGINT)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def __exit__(self, *exc: object) -> None:
        if self.installed:
            try:
                self.loop.remove_signal_handler(signal.SIGINT)
            except (RuntimeError, ValueError):
                pass
