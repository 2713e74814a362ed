"""The one small interface every engine implements, and what flows through it.

A batch is split in two:

* the **runner** (:mod:`extractor.runs.runner`, shared by all engines) finds the
  articles, decides from the store which ones need the model (a :class:`Job`),
  writes every answer to the store and reports one record per article;
* an **engine** turns jobs into :class:`Answer` objects: the model's raw answers
  plus the facts derived from them, or the article's error.

So the store and the exports never know which engine produced a record.
:class:`~extractor.runs.asyncio_engine.AsyncioEngine` runs in this process;
:class:`~extractor.runs.ray_engine.RayEngine` on a Ray cluster. The OpenAI Batch API
(:mod:`extractor.runs.batchapi`) submits the same jobs and returns the same answers,
a day later.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, ClassVar

from extractor.core.errors import ExtractorError, ModelCallError
from extractor.core.options import RunOptions
from extractor.core.types import ExtractionResult
from extractor.text.reading import Document

__all__ = ["Job", "Answer", "EngineStats", "Engine", "is_fatal"]


@dataclass(frozen=True)
class Job:
    """One article the model must be asked about. ``file`` is the normalised path it was read from."""

    document: Document
    file: str | None = None


@dataclass(frozen=True)
class Answer:
    """An engine's outcome for one job: ``answers_json`` (the raw answers, see
    :meth:`extractor.pipeline.Extractor.dump_answers`) with the derived ``result``
    (or its JSON, from engines that run elsewhere), or the ``error`` that ended it."""

    job: Job
    answers_json: str | None = None
    result: ExtractionResult | None = None
    result_json: str | None = None
    error: ExtractorError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def result_text(self) -> str:
        """The result as JSON, whichever form the engine gave it in."""
        if self.result_json is not None:
            return self.result_json
        assert self.result is not None, "an ok answer has a result"
        return self.result.model_dump_json()


@dataclass
class EngineStats:
    """What an engine counted: HTTP requests, 429s, time paused by them, and articles it
    had to ask twice because a worker died with them in flight."""

    model_calls: int = 0
    rate_limited: int = 0
    paused_s: float = 0.0
    requested_twice: int = 0


def is_fatal(exc: BaseException) -> bool:
    """An error every further article would hit too (unreachable endpoint, key refused)."""
    if not isinstance(exc, ModelCallError) or exc.kind != "transport":
        return False
    text = exc.last_error or ""
    return text.startswith("cannot reach") or text.startswith("authentication failed")


class Engine(abc.ABC):
    """Turns :class:`Job` objects into :class:`Answer` objects, ``options.concurrency``
    model requests in flight run-wide, within ``options.rpm``/``options.tpm``.

    Used as ``async with engine: async for answer in engine.answer(jobs): ...``.
    An engine yields exactly one answer per job it took (in any order), raises
    :class:`~extractor.core.errors.ConfigurationError` when no job can succeed, and
    stops its in-flight work when the iteration is closed or cancelled.
    """

    name: ClassVar[str]

    def __init__(self, extractor: Any, options: RunOptions):
        self.extractor = extractor
        self.options = options
        self.stats = EngineStats()

    async def __aenter__(self) -> Engine:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:  # noqa: B027 - engines without resources need not override it
        """Release clients, workers, clusters. Safe to call twice."""

    def stop_taking(self) -> bool:
        """Start no new job; True when the engine will still answer the jobs it started (a
        graceful stop), False when it cannot tell them apart (the run then cancels it).
        Jobs taken but not started are dropped without an answer after this."""
        return False

    @abc.abstractmethod
    def answer(self, jobs: AsyncIterator[Job]) -> AsyncIterator[Answer]:
        """One :class:`Answer` per job of ``jobs``."""
