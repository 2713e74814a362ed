"""A batch over many articles, in named steps that every engine shares.

    inputs ─discover─▶ files ─read─▶ Documents ─decide─┬─ reuse: the stored record (no call)
                                                       ├─ rederive: facts from stored answers (no call)
                                                       └─ request: a Job ─engine─▶ Answer ─store─▶ record
    end / Ctrl-C ─▶ exports regenerated from the store

Every article ends as exactly one record, ``ok`` or ``error`` with the reason; a bad
article never stops the run. Results are written to SQLite one transaction per
article (:mod:`extractor.store`), so a killed run restarted with the same command
picks up where it stopped and makes no model call for finished articles. One process
writes an output folder at a time: a second run is refused at once (or waits, with
``RunOptions(wait=True)``), so an article is never paid for twice.

>>> from extractor import Extractor, RunOptions, Settings          # doctest: +SKIP
>>> summary = run_batch(Extractor(Settings.from_env()), ["articles/"], RunOptions(out="out"))  # doctest: +SKIP
>>> summary.ok, summary.failed, summary.paths["articles"]  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from extractor.core.errors import ConfigurationError, ExtractorError, InputError, ModelCallError, StoreDamagedError
from extractor.core.options import RunOptions
from extractor.core.types import ExtractionResult
from extractor.model.endpoint import check_endpoint
from extractor.runs.discovery import count_items, discover, discover_inputs, file_key, file_sha, jsonl_keys
from extractor.runs.engine import Answer, Engine, Job, is_fatal
from extractor.runs.records import ArticleRecord, Progress, RunSummary
from extractor.store import OutputLock, RecordState, Store, input_error_key
from extractor.store.failures import storage_error
from extractor.text.reading import Document, document_from_info, iter_documents

logger = logging.getLogger(__name__)

__all__ = ["RunHooks", "BatchRun", "Decision", "decide", "store_answer", "make_engine", "iter_results", "arun_batch",
           "run_batch", "doc_json"]

_DONE = object()


@dataclass(frozen=True, kw_only=True)
class RunHooks:
    """Callbacks and controls of a running batch (not options: they are live objects).

    ``on_progress`` gets a :class:`Progress` after each article and ``on_record`` the
    :class:`ArticleRecord`; setting ``stop`` ends the run early (finished articles are
    kept and exported; a re-run does the rest).
    """

    on_progress: Callable[[Progress], None] | None = None
    on_record: Callable[[ArticleRecord], None] | None = None
    stop: asyncio.Event | None = None


class Decision(Enum):
    REUSE = "reuse"
    REDERIVE = "rederive"
    REQUEST = "request"


def make_engine(extractor: Any, options: RunOptions, *, limiter: Any = None, transport: Any = None) -> Engine:
    """The engine ``options.engine`` names (Ray is imported only when asked for)."""
    if options.engine == "ray":
        from extractor.runs.ray_engine import RayEngine

        return RayEngine(extractor, options, transport=transport)
    from extractor.runs.asyncio_engine import AsyncioEngine

    return AsyncioEngine(extractor, options, limiter=limiter, transport=transport)


def doc_json(doc: Document) -> str:
    """A document's metadata as stored with an error record (the text is stored apart)."""
    return json.dumps({"source": doc.source, "sha256": doc.sha256, "encoding": doc.encoding, "format": doc.format,
                       "language": doc.language, "title": doc.title, "published": doc.published,
                       "outlet": doc.outlet, "author": doc.author, "chars": len(doc.text),
                       "warnings": list(doc.warnings)}, ensure_ascii=False)


def _error_kind(exc: BaseException) -> str:
    if isinstance(exc, ModelCallError):
        return exc.kind
    return "input" if isinstance(exc, InputError) else "internal"


def decide(store: Store, identity: Any, sha: str, options: RunOptions,
           settings: dict[str, Any]) -> tuple[Decision, RecordState | None]:
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


def store_answer(store: Store, identity: Any, run_id: int, answer: Answer) -> ArticleRecord:
    """Write an engine's answer as the article's record (one transaction) and report it.

    The same for every engine, so the store and the exports never know which one ran.
    """
    doc = answer.job.document
    if answer.error is not None:
        kind = _error_kind(answer.error)
        written = store.put(sha256=doc.sha256, identity=identity, source=doc.source, status="error", run_id=run_id,
                            error=str(answer.error), error_kind=kind, document_json=doc_json(doc), text=doc.text,
                            file=answer.job.file)
        return ArticleRecord(doc.source, doc.sha256, "error", error=str(answer.error), error_kind=kind,
                             how="requested", kept_previous=not written)
    result_json = answer.result_text()
    result = answer.result or ExtractionResult.model_validate_json(result_json)
    store.put(sha256=doc.sha256, identity=identity, source=doc.source, status="ok", run_id=run_id,
              answers_json=answer.answers_json, result_json=result_json,
              document_json=result.document.model_dump_json(), text=doc.text,
              usage_json=result.usage.model_dump_json(), file=answer.job.file)
    return ArticleRecord.of_result(result, source=doc.source, sha256=doc.sha256, how="requested",
                                   result_json=result_json, usage=result.usage)


@dataclass
class BatchRun:
    """One run of ``extractor`` over ``inputs`` into ``options.out``, with ``engine``.

    Iterate :meth:`records` to drive it: one :class:`ArticleRecord` per article, each
    written to the store before it is yielded. The caller holds the output folder's lock.
    """

    extractor: Any
    inputs: list[str]
    options: RunOptions
    engine: Engine
    summary: RunSummary
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    discovered: tuple[list[Path], list[InputError]] | None = None
    store: Store = field(init=False)
    run_id: int = field(init=False, default=0)
    in_flight: dict[str, str] = field(init=False, default_factory=dict)   # sha256 -> source being asked
    seen: dict[str, str] = field(init=False, default_factory=dict)        # sha256 -> first source this run
    waiting: dict[str, list[tuple[str, str | None]]] = field(init=False, default_factory=dict)
    done_files: list[str] = field(init=False, default_factory=list)
    ok: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.identity = self.extractor.identity
        self.settings_dump = self.extractor.settings.model_dump(mode="json")
        self.out_queue: asyncio.Queue = asyncio.Queue()
        self.jobs: asyncio.Queue = asyncio.Queue(maxsize=max(16, self.options.concurrency * 2))

    # The run -----------------------------------------------------------------------------
    async def records(self) -> AsyncGenerator[ArticleRecord, None]:
        if self.discovered is None:
            self.discovered = await asyncio.to_thread(discover_inputs, self.inputs,
                                                      follow_symlinks=self.options.follow_symlinks)
        files, errors = self.discovered
        self.discovered = None  # the producer owns the lists from here
        self._open()
        status = "failed"
        main = asyncio.create_task(self._produce_and_answer(files, errors))
        stopper = asyncio.create_task(self.stop.wait())
        try:
            async for rec in self._drain(stopper):
                yield rec
            status = "interrupted" if self.summary.interrupted else "finished"
        except (asyncio.CancelledError, GeneratorExit, KeyboardInterrupt):
            # An abort (the second Ctrl-C, wherever it lands) or a consumer that stopped reading.
            status = "interrupted"
            raise
        finally:
            for task in (main, stopper):
                task.cancel()
            await asyncio.gather(main, stopper, return_exceptions=True)
            await self.engine.aclose()
            self._close(status)

    async def _drain(self, stopper: asyncio.Task) -> AsyncIterator[ArticleRecord]:
        getter: asyncio.Task | None = None
        finishing = False
        while True:
            if getter is None:
                getter = asyncio.create_task(self.out_queue.get())
            done, _ = await asyncio.wait({getter} if finishing else {getter, stopper},
                                         return_when=asyncio.FIRST_COMPLETED)
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
            rec, getter = getter.result(), None
            if rec is _DONE:
                return
            if isinstance(rec, BaseException):
                raise rec
            yield rec

    def _open(self) -> None:
        self.store = Store(self.options.out)
        self.run_id = self.store.start_run(settings=self.extractor.settings, identity=self.identity,
                                           inputs=self.inputs, argv=self.options.argv, engine=self.engine.name)
        self.summary.run_id = self.run_id
        # Discovery errors (a missing path, a glob that matched nothing) belong to a command
        # line, not to an article: the exports show those of the latest run only.
        self.store.clear_discovery_errors()

    def _close(self, status: str) -> None:
        stats = self.engine.stats
        self.summary.model_calls, self.summary.rate_limited = stats.model_calls, stats.rate_limited
        self.summary.paused_s, self.summary.requested_twice = stats.paused_s, stats.requested_twice
        try:
            if status == "finished":
                self._prune()
            self.store.finish_run(self.run_id, status=status, counts=self.summary.counts())
        finally:
            self.store.close()

    def _prune(self) -> None:
        try:
            removed = self.store.prune_sources(self.run_id, self.done_files)
        except Exception:  # pruning is tidying; it must not fail the run
            logger.warning("could not drop stale sources from the store", exc_info=True)
            return
        if removed:
            logger.info("dropped %d stale source(s) of re-read files from the exports", removed)

    async def _produce_and_answer(self, files: list[Path], errors: list[InputError]) -> None:
        producer = asyncio.create_task(self._produce(files, errors))
        try:
            async for answer in self.engine.answer(self._jobs()):
                await self._record_answer(answer)
            if not self.stop.is_set():  # stopped, it may wait on a queue nobody reads: cancelled below
                await producer
            await self.out_queue.put(_DONE)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            await self.out_queue.put(exc)
        finally:
            producer.cancel()
            await asyncio.gather(producer, return_exceptions=True)

    async def _jobs(self) -> AsyncIterator[Job]:
        while (job := await self.jobs.get()) is not _DONE:
            if self.stop.is_set():  # not started: asked on the next run
                return
            yield job

    # Step: produce -----------------------------------------------------------------------
    async def _produce(self, files: list[Path], errors: list[InputError]) -> None:
        try:
            for exc in errors:
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
        if path.suffix.lower() == ".jsonl":
            keys = await asyncio.to_thread(jsonl_keys, path, self.options.text_field, self.options.id_field)
        else:
            sha = await asyncio.to_thread(file_sha, path)
            keys = [(str(path), sha)] if sha else None
        if not keys or any(sha in self.in_flight for _, sha in keys):
            return False
        decisions = [self._decide(sha) for _, sha in keys]
        if any(d is Decision.REQUEST for d, _ in decisions):
            return False
        for (source, sha), (decision, state) in zip(keys, decisions):
            await self._emit(await self._settle(sha, source, fkey, decision, state))
        self.done_files.append(fkey)
        return True

    async def _read(self, path: Path, fkey: str) -> None:
        items = iter_documents(path, text_field=self.options.text_field, id_field=self.options.id_field,
                               languages=self.extractor.settings.extra_languages)
        while not self.stop.is_set():
            item = await asyncio.to_thread(next, items, None)
            if item is None:
                self.done_files.append(fkey)
                return
            if isinstance(item, InputError):
                await self._emit(self._input_error(item, fkey))
            else:
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
        source = str(exc.source) if exc.source is not None else None
        self.store.put(sha256=input_error_key(source or str(exc)), identity=self.identity, source=source,
                       status="error", run_id=self.run_id, error=str(exc), error_kind="input", file=fkey,
                       scope="article" if fkey else "discovery")
        return ArticleRecord(source=source, sha256=None, status="error", error=str(exc), error_kind="input")

    # Step: the engine's answers ----------------------------------------------------------
    async def _record_answer(self, answer: Answer) -> None:
        doc = answer.job.document
        sha, source = doc.sha256, doc.source or doc.sha256
        try:
            rec = self._store_ok(answer) if answer.ok else self._store_error(answer)
        finally:
            self.in_flight.pop(sha, None)
        self.seen.setdefault(sha, source)
        await self._emit(rec)
        copies = self.waiting.pop(sha, [])
        state = self.store.lookup(sha, self.identity) if copies else None
        for copy, copy_file in copies:
            await self._emit(self._reuse(sha, copy, copy_file, state, duplicate_of=source))

    def _store_ok(self, answer: Answer) -> ArticleRecord:
        self.ok += 1
        return store_answer(self.store, self.identity, self.run_id, answer)

    def _store_error(self, answer: Answer) -> ArticleRecord:
        assert answer.error is not None
        if is_fatal(answer.error) and self.ok == 0:
            # Every further article would fail the same way: stop before paying for more.
            raise ConfigurationError(getattr(answer.error, "last_error", None) or str(answer.error))
        return store_answer(self.store, self.identity, self.run_id, answer)

    async def _emit(self, rec: ArticleRecord) -> None:
        await self.out_queue.put(rec)


# --------------------------------------------------------------------------- entry points


def _check_ready(extractor: Any, options: RunOptions, transport: Any) -> bool:
    """Settings that cannot work fail here, before any file is read; returns whether to
    test the endpoint's connection."""
    settings = extractor.settings
    settings.resolved_api_key()
    settings.resolved_model()
    if options.check_connection is not None:
        return options.check_connection
    return transport is None and extractor.async_client_override is None


async def iter_results(extractor: Any, inputs: Iterable[str | os.PathLike[str]], options: RunOptions, *,
                       stop: asyncio.Event | None = None, limiter: Any = None, transport: Any = None,
                       summary: RunSummary | None = None, lock: OutputLock | None = None,
                       discovered: tuple[list[Path], list[InputError]] | None = None
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
    _check_ready(extractor, options, transport)
    own_lock = lock or OutputLock(options.out, wait=options.wait, command=list(options.argv or sys.argv))
    stop = stop or asyncio.Event()
    if not await own_lock.aacquire(stop=stop):
        return
    try:
        engine = make_engine(extractor, options, limiter=limiter, transport=transport)
        run = BatchRun(extractor, [os.fspath(i) for i in inputs], options, engine,
                       summary or RunSummary(run_id=0, out=options.out, engine=engine.name), stop,
                       discovered)
        # Closed here, not by the loop's finaliser later: the run logs its end and closes
        # the store while the lock is still held.
        async with contextlib.aclosing(run.records()) as records:
            async for rec in records:
                try:
                    yield rec
                except Exception as exc:  # the consumer failed (thrown in): the run ends 'failed', not 'interrupted'
                    await records.athrow(exc)
                    raise
    finally:
        own_lock.release()


async def arun_batch(extractor: Any, inputs: Iterable[str | os.PathLike[str]], options: RunOptions, *,
                     hooks: RunHooks | None = None, limiter: Any = None, transport: Any = None) -> RunSummary:
    """Async :func:`run_batch`."""
    hooks = hooks or RunHooks()
    inputs = [os.fspath(i) for i in inputs]
    started = time.monotonic()
    lock = OutputLock(options.out, wait=options.wait, command=list(options.argv or sys.argv))
    if not await lock.aacquire(stop=hooks.stop):
        logger.warning("interrupted while waiting for %s: nothing was done", options.out)
        return RunSummary(run_id=0, out=options.out, engine=options.engine, interrupted=True)
    try:
        if _check_ready(extractor, options, transport):
            await asyncio.to_thread(check_endpoint, extractor.settings)
        found = await asyncio.to_thread(discover, inputs, follow_symlinks=options.follow_symlinks)
        files, errors = found.files, [*found.missing, *found.errors]
        total = await asyncio.to_thread(count_items, files) + len(errors)
        summary = RunSummary(run_id=0, out=options.out, engine=options.engine, total=total, skipped=found.skipped)
        aborted = False
        try:
            await _consume(iter_results(extractor, inputs, options, stop=hooks.stop, limiter=limiter,
                                        transport=transport, summary=summary, lock=lock,
                                        discovered=(files, errors)), summary, hooks)
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


async def _consume(records: AsyncGenerator[ArticleRecord, None], summary: RunSummary, hooks: RunHooks) -> None:
    progress = Progress(total=summary.total)
    async with contextlib.aclosing(records) as closing:
        try:
            await _count_each(closing, summary, hooks, progress)
        except Exception as exc:  # a hook failed: thrown into the run, which then logs itself as failed
            await closing.athrow(exc)
            raise


async def _count_each(records: AsyncIterator[ArticleRecord], summary: RunSummary, hooks: RunHooks,
                      progress: Progress) -> None:
    async for rec in records:
        summary.add(rec)
        progress.done += 1
        progress.cached += rec.cached
        progress.ok, progress.failed = summary.ok, summary.failed
        progress.tokens, progress.cost_usd = summary.usage.total_tokens, summary.usage.cost_usd or 0.0
        if progress.done > progress.total:
            progress.total = summary.total = progress.done
        if hooks.on_record is not None:
            hooks.on_record(rec)
        if hooks.on_progress is not None:
            hooks.on_progress(progress)


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
        logger.error("writing the exports of %s failed: %s: %s (the store is intact; re-run the same command "
                     "after fixing the cause: it makes no model calls for finished articles and writes the "
                     "exports again)", out, type(exc).__name__, exc)
        logger.debug("export failure", exc_info=True)
    else:
        summary.paths = {k: str(v) for k, v in paths.items()}


def run_batch(extractor: Any, inputs: Iterable[str | os.PathLike[str]], options: RunOptions, *,
              hooks: RunHooks | None = None, limiter: Any = None, transport: Any = None,
              handle_sigint: bool = True) -> RunSummary:
    """Extract every article under ``inputs`` into ``options.out``; returns a :class:`RunSummary`.

    ``inputs`` are files, folders (searched recursively) and glob patterns; .txt, .md,
    .html, .htm and .jsonl (one article per line) are read, hidden files skipped.
    Results go to ``out/extractor.sqlite`` one article at a time; at the end (and
    after Ctrl-C) ``out/articles.jsonl``, ``out/tables/*.csv|.parquet`` and
    ``out/summary.json`` are regenerated from it. Running the same call again makes
    no model call for articles already done (failed ones are retried unless
    ``retry_errors=False``); a changed post-processing setting re-derives the facts
    from the stored answers, a changed request setting asks again.

    With ``handle_sigint`` (main thread only) the first Ctrl-C stops the run cleanly —
    finished articles are kept and exported, the summary has ``interrupted=True`` —
    and a second Ctrl-C aborts at once.

    Raises :class:`ConfigurationError` (missing key or model, unreachable endpoint)
    before any article is processed, and :class:`~extractor.core.errors.OutputBusyError`
    when another process is writing ``options.out`` (unless ``options.wait``).
    """
    hooks = hooks or RunHooks()

    async def main() -> RunSummary:
        stop = hooks.stop or asyncio.Event()
        with _sigint_stops(stop, enabled=handle_sigint):
            return await arun_batch(extractor, inputs, options, hooks=RunHooks(
                on_progress=hooks.on_progress, on_record=hooks.on_record, stop=stop), limiter=limiter,
                transport=transport)

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
