"""The one small interface every engine implements, and what flows through it.

A batch is split in two:

* the **runner** (:mod:`extractor.runs.runner`, the same for every engine) finds the
  articles, decides from the store which ones need the model (a :class:`Job`), builds
  the run's request limiter and the extractor whose requests pass it, writes every
  answer to the store and reports one record per article;
* an **engine** schedules: it turns jobs into :class:`Answer` objects by calling
  :meth:`~extractor.pipeline.ArticleExtractor.aanswer` somewhere (this process, Ray
  actors, the OpenAI Batch API a day later). It builds no client, opens no store and
  creates no folder: what it needs comes in its :class:`EngineContext`.

So the store and the exports never know which engine produced a record.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Protocol

from extractor.core.errors import ExtractorError, ModelCallError
from extractor.core.identity import Identity
from extractor.core.options import RunOptions
from extractor.core.types import ExtractionResult
from extractor.text.reading import Document

if TYPE_CHECKING:
    from extractor.model.ratelimit import RateLimiter
    from extractor.pipeline import ArticleAnswer, ArticleExtractor

__all__ = ["Job", "Answer", "EngineStats", "EngineContext", "Engine", "BatchJournal", "is_fatal"]


@dataclass(frozen=True)
class Job:
    """One article the model must be asked about. ``file`` is the normalised path it was read from."""

    document: Document
    file: str | None = None


@dataclass(frozen=True)
class Answer:
    """An engine's outcome for one job: ``answers_json`` (the raw answers, see
    :meth:`extractor.pipeline.ArticlePipeline.dump_answers`) with the derived ``result``
    (or its JSON, from engines that run elsewhere), or the ``error`` that ended it, or
    ``pending``: the article waits in that Batch API batch (no record is written yet).
    ``derive_key`` is set on answers recovered from an earlier run, derived under other
    post-processing settings than this run's. ``from_submitted`` says what became of the
    article's file (an answer derived from the text submitted, not from the file: it was
    deleted, changed or made unreadable since; the engine built the job)."""

    job: Job
    answers_json: str | None = None
    result: ExtractionResult | None = None
    result_json: str | None = None
    error: ExtractorError | None = None
    pending: str | None = None
    derive_key: str | None = None
    from_submitted: str | None = None

    @classmethod
    def of(cls, job: Job, answer: ArticleAnswer) -> Answer:
        return cls(job, answers_json=answer.answers_json, result=answer.result, error=answer.error)

    @property
    def ok(self) -> bool:
        return self.error is None and self.pending is None

    def result_text(self) -> str:
        """The result as JSON, whichever form the engine gave it in."""
        if self.result_json is not None:
            return self.result_json
        assert self.result is not None, "an ok answer has a result"
        return self.result.model_dump_json()


@dataclass
class EngineStats:
    """What an engine counted: HTTP requests, 429s, time paused by them, articles it
    had to ask twice because a worker died with them in flight, and answers paid for that
    it could not turn into records (``lost_answers``: what and why, one line each)."""

    model_calls: int = 0
    rate_limited: int = 0
    paused_s: float = 0.0
    requested_twice: int = 0
    lost_answers: list[str] = field(default_factory=list)


class BatchJournal(Protocol):
    """Where an engine whose requests outlive the run (the Batch API) writes its jobs down
    *before* it sends them; the runner hands it the store's table of jobs, so the engine
    keeps its bookkeeping without opening the store. Rows are plain dicts of the table."""

    def add(self, *, job_id: str, identity: Identity, settings_json: str, endpoint: str, input_path: str, articles: int,
            items: Iterable[tuple[str, str, str | None, str, int, int]], text_field: str, id_field: str,
            texts: Iterable[tuple[str, str, str]] = ()) -> None: ...

    def kept_text(self, sha256: str) -> tuple[str, str] | None: ...

    def get(self, ref: str | None = None) -> dict[str, object] | None: ...

    def unresolved(self) -> list[dict[str, object]]: ...

    def open_jobs(self, request_keys: Iterable[str]) -> list[dict[str, object]]: ...

    def set_input_file(self, job_id: str, file_id: str) -> None: ...

    def set_batch(self, job_id: str, batch_id: str, status: str) -> None: ...

    def set_status(self, job_id: str, *, status: str, output_file_id: str | None, error_file_id: str | None,
                   errors_json: str | None) -> None: ...

    def abandon(self, job_id: str) -> None: ...

    def items(self, job_id: str) -> list[tuple[str, str | None, str, int, int, int, str]]: ...

    def mark_item_collected(self, job_id: str, sha256: str) -> None: ...

    def mark_collected(self, job_id: str) -> None: ...


@dataclass(frozen=True)
class EngineContext:
    """What the runner builds once per run and hands to its engine.

    ``extractor``'s model requests all pass ``limiter``, whose slots are the run's
    ``options.concurrency`` (requests in flight, enforced there and nowhere else).
    ``workdir`` is the engine's own folder in the output folder (``OUT/<engine name>``),
    with the subfolders the engine class names in :attr:`Engine.folders`; ``run_dir`` is
    a fresh folder inside it for this run only. ``journal`` keeps Batch API jobs.
    """

    extractor: ArticleExtractor
    limiter: RateLimiter
    options: RunOptions
    workdir: Path
    run_dir: Path
    journal: BatchJournal


def is_fatal(exc: BaseException) -> bool:
    """An error every further article would hit too (unreachable endpoint, key refused)."""
    if not isinstance(exc, ModelCallError) or exc.kind != "transport":
        return False
    text = exc.last_error or ""
    return text.startswith("cannot reach") or text.startswith("authentication failed")


class Engine(abc.ABC):
    """Turns :class:`Job` objects into :class:`Answer` objects.

    Used as ``async with engine: async for answer in engine.answer(jobs): ...``. An
    engine yields exactly one answer per job it took (in any order), raises
    :class:`~extractor.core.errors.ConfigurationError` when no job can succeed, and
    stops its in-flight work when the iteration is closed or cancelled.

    To add an engine, subclass this in a module of :mod:`extractor.runs.engines` (or
    your own package, registered under the ``extractor.engines`` entry point) and name
    it in :data:`extractor.runs.engines.BUILTIN`.
    """

    name: ClassVar[str]
    workdir_name: ClassVar[str | None] = None
    """The engine's folder in the output folder (default: its name)."""
    folders: ClassVar[tuple[str, ...]] = ()
    """Subfolders of :attr:`EngineContext.workdir` the runner creates before the run."""
    run_folder: ClassVar[str] = "runs"
    """The subfolder of the workdir that holds one fresh folder per run (:attr:`EngineContext.run_dir`);
    the runner empties it of earlier runs' folders, under the output folder's lock."""
    keeps_records: ClassVar[bool] = False
    """Whether the engine keeps a durable copy of its answers (then :meth:`recovered` is asked)."""

    @classmethod  # noqa: B027 - most engines accept any options
    def check_options(cls, options: RunOptions) -> None:
        """Raise :class:`~extractor.core.errors.ConfigurationError` for run options this
        engine cannot work with, found without connecting anywhere: the runner asks before
        the output folder is created."""

    def __init__(self, context: EngineContext):
        self.context = context
        self.extractor = context.extractor
        self.options = context.options
        self.stats = EngineStats()

    async def __aenter__(self) -> Engine:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:  # noqa: B027 - engines without resources need not override it
        """Release workers and clusters (never the extractor: the runner closes it). Safe to call twice."""

    def stop_taking(self) -> bool:
        """Start no new job; True when the engine will still answer the jobs it started (a
        graceful stop), False when it cannot tell them apart (the run then cancels it).
        Jobs taken but not started are dropped without an answer after this."""
        return False

    async def recovered(self, done: frozenset[str]) -> AsyncIterator[Answer]:
        """Answers paid for in an earlier run that may not be in the store yet, for an engine
        that keeps its own durable copy (:attr:`keeps_records`, like Ray's record set);
        ``done`` are the content hashes the store holds ``ok``. The runner stores what the
        store lacks before it decides anything."""
        return
        yield  # pragma: no cover - an async generator that yields nothing

    def count(self) -> EngineStats:
        """The run's counts, read once the run ends (by default from the run's limiter)."""
        limiter = self.context.limiter
        self.stats.model_calls = limiter.requests
        self.stats.rate_limited = limiter.rate_limited
        self.stats.paused_s = round(limiter.paused_s, 3)
        return self.stats

    @abc.abstractmethod
    def answer(self, jobs: AsyncIterator[Job]) -> AsyncIterator[Answer]:
        """One :class:`Answer` per job of ``jobs``."""
