"""The engine of one process: asyncio workers in this event loop.

The run's limiter bounds the model requests in flight (``concurrency``); the engine
keeps a few more articles in progress than that, so that one article's CPU work
(reading, cleaning, grounding) overlaps other articles' model calls instead of idling
a request slot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from extractor.model.ratelimit import NotStarted, article_gate
from extractor.pipeline import ArticleExtractor, default_workers
from extractor.runs.engines.base import Answer, Engine, EngineContext, Job

logger = logging.getLogger(__name__)

__all__ = ["AsyncioEngine", "articles_in_progress"]

_DONE = object()


def articles_in_progress(concurrency: int, *, limited: bool) -> int:
    """How many articles the engine works on at once for ``concurrency`` requests in flight.

    With the run's limiter in front of every request, spare articles are prepared
    while requests wait for a slot; without it (an application's client used as it is)
    nothing but this number bounds the requests, so there are no spares.

    >>> articles_in_progress(16, limited=True), articles_in_progress(16, limited=False)
    (24, 16)
    """
    return concurrency + (max(2, concurrency // 2) if limited else 0)


class AsyncioEngine(Engine):
    """Workers in this process's event loop; see the module docstring."""

    name = "asyncio"

    def __init__(self, context: EngineContext) -> None:
        super().__init__(context)
        self._stopping = False

    async def answer(self, jobs: AsyncIterator[Job]) -> AsyncIterator[Answer]:
        # engine_options["workers"]: processes for the articles' CPU stages (0: threads of this one).
        processes = int(self.options.engine_options.get("workers", default_workers()))
        extractor = self.extractor.in_processes(processes)
        try:
            async for answer in self._answer(extractor, jobs):
                yield answer
        finally:
            if extractor is not self.extractor:
                await extractor.aclose()

    async def _answer(self, extractor: ArticleExtractor, jobs: AsyncIterator[Job]) -> AsyncIterator[Answer]:
        workers = articles_in_progress(self.options.concurrency, limited=self.extractor.limited_run_wide)
        inbox: asyncio.Queue[Job | object] = asyncio.Queue(maxsize=workers)
        outbox: asyncio.Queue[Answer | BaseException | object] = asyncio.Queue()
        feeder = asyncio.create_task(self._feed(jobs, inbox, outbox, workers))
        pool = [asyncio.create_task(self._work(extractor, inbox, outbox)) for _ in range(workers)]
        running = workers
        try:
            while running:
                item = await outbox.get()
                if item is _DONE:
                    running -= 1
                elif isinstance(item, BaseException):
                    raise item
                elif isinstance(item, Answer):
                    yield item
            await feeder
        finally:
            for task in (feeder, *pool):
                task.cancel()
            await asyncio.gather(feeder, *pool, return_exceptions=True)

    async def _feed(self, jobs: AsyncIterator[Job], inbox: asyncio.Queue[Job | object],
                    outbox: asyncio.Queue[Answer | BaseException | object], workers: int) -> None:
        # No ``finally``: a cancelled feeder must not block on a full inbox whose workers
        # are being cancelled too.
        try:
            async for job in jobs:
                await inbox.put(job)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            await outbox.put(exc)
            return
        for _ in range(workers):
            await inbox.put(_DONE)

    def stop_taking(self) -> bool:
        self._stopping = True
        return True

    def _is_stopping(self) -> bool:
        return self._stopping

    async def _work(self, extractor: ArticleExtractor, inbox: asyncio.Queue[Job | object],
                    outbox: asyncio.Queue[Answer | BaseException | object]) -> None:
        try:
            while isinstance(job := await inbox.get(), Job):
                if self._stopping:  # taken, not started: nothing paid, asked on the next run
                    continue
                try:
                    with article_gate(self._is_stopping):
                        answer = await extractor.aanswer(job.document)
                except NotStarted:  # stopped while it waited for its first request slot: as above
                    continue
                await outbox.put(Answer.of(job, answer))
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # a configuration error: the run cannot go on
            await outbox.put(exc)
        finally:
            await outbox.put(_DONE)
