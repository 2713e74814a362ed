"""The engine of one process: asyncio workers sharing one rate-limited HTTP client.

At most ``concurrency`` requests are in flight (a semaphore in the HTTP transport);
a few more articles than that are being read, cleaned or grounded meanwhile, so that
CPU work overlaps other articles' model calls instead of idling a request slot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx2

from extractor.core.errors import ConfigurationError, ExtractorError, ModelCallError
from extractor.core.options import RunOptions
from extractor.runs.engine import Answer, Engine, Job
from extractor.runs.ratelimit import NotStarted, RateLimitedTransport, RateLimiter, article_gate

logger = logging.getLogger(__name__)

__all__ = ["AsyncioEngine", "rate_limited_extractor"]

_DONE = object()


def rate_limited_extractor(extractor: Any, limiter: RateLimiter, transport: httpx2.AsyncBaseTransport | None,
                           concurrency: int) -> tuple[Any, Any]:
    """A twin of ``extractor`` whose async OpenAI client sends every request through
    ``limiter``, and that client (for the caller to close; ``None`` when no twin was made).

    An application's own async client keeps its pool, proxies and auth (its transport
    is wrapped, and stays open when ours is closed); otherwise a client is built from
    the settings, over ``transport`` when given (tests and benchmarks).
    """
    import openai

    from extractor.model.client import create_is_wrapped

    settings = extractor.settings
    user_client = extractor.async_client_override
    if transport is None and user_client is not None:
        # A copy over our transport would drop a wrapper on the client object (tracing).
        why = ("its create is wrapped (tracing?)" if create_is_wrapped(user_client) else
               None if getattr(getattr(user_client, "_client", None), "_transport", None) is not None else
               "its transport cannot be reached")
        if why is not None:
            if limiter.rpm or limiter.tpm:
                raise ConfigurationError(f"--rpm/--tpm cannot be kept with the given async client: {why}. Pass a "
                                         "client without that, or leave the limits to the application")
            logger.warning("the given async client is used as it is (%s): --concurrency bounds the articles in "
                           "flight, there is no run-wide 429 pause, and model calls are not counted", why)
            return extractor, None
        inner = user_client._client._transport
        http = httpx2.AsyncClient(transport=RateLimitedTransport(inner, limiter, close_inner=False),
                                  timeout=settings.timeout_s)
        client = user_client.copy(http_client=http, max_retries=0)
    else:
        if transport is None:
            limits = httpx2.Limits(max_connections=max(100, concurrency * 2),
                                   max_keepalive_connections=max(20, concurrency * 2))
            transport = httpx2.AsyncHTTPTransport(limits=limits)
        http = httpx2.AsyncClient(transport=RateLimitedTransport(transport, limiter), timeout=settings.timeout_s)
        client = openai.AsyncOpenAI(api_key=settings.resolved_api_key(), base_url=settings.resolved_base_url(),
                                    timeout=settings.timeout_s, max_retries=0, http_client=http)
    return type(extractor)(settings, schema=extractor.schema, async_client=client), client


class AsyncioEngine(Engine):
    """Workers in this process's event loop; see the module docstring.

    ``limiter`` (shared by several runs) and ``transport`` (a stand-in server) are for
    tests, benchmarks and applications that manage rate limits themselves.
    """

    name = "asyncio"

    def __init__(self, extractor: Any, options: RunOptions, *, limiter: RateLimiter | None = None,
                 transport: httpx2.AsyncBaseTransport | None = None):
        super().__init__(extractor, options)
        s = extractor.settings
        self.limiter = limiter or RateLimiter(options.rpm, options.tpm, backoff_initial_s=s.backoff_initial_s,
                                              backoff_max_s=s.backoff_max_s, max_pause_s=s.max_retry_after_s,
                                              max_in_flight=options.concurrency)
        self._calls_before = self.limiter.requests
        self._stopping = False
        self._worker_ex, self._worker_client = rate_limited_extractor(extractor, self.limiter, transport,
                                                                      options.concurrency)

    async def aclose(self) -> None:
        self._count()
        self._worker_ex, client, self._worker_client = self.extractor, self._worker_client, None
        if client is not None:
            try:
                await client.close()
            except Exception:  # closing must not hide the run's own outcome
                logger.debug("closing the batch client failed", exc_info=True)

    def _count(self) -> None:
        self.stats.model_calls = self.limiter.requests - self._calls_before
        self.stats.rate_limited = self.limiter.rate_limited
        self.stats.paused_s = round(self.limiter.paused_s, 3)

    async def answer(self, jobs: AsyncIterator[Job]) -> AsyncIterator[Answer]:
        # Spare workers prepare the next articles while requests wait for a slot; without
        # our transport (an application's client used as it is) nothing bounds the
        # requests but the number of workers.
        spare = max(2, self.options.concurrency // 2) if self._worker_client is not None else 0
        workers = self.options.concurrency + spare
        inbox: asyncio.Queue = asyncio.Queue(maxsize=workers)
        outbox: asyncio.Queue = asyncio.Queue()
        feeder = asyncio.create_task(self._feed(jobs, inbox, outbox, workers))
        pool = [asyncio.create_task(self._work(inbox, outbox)) for _ in range(workers)]
        running = workers
        try:
            while running:
                item = await outbox.get()
                if item is _DONE:
                    running -= 1
                elif isinstance(item, BaseException):
                    raise item
                else:
                    yield item
            await feeder
        finally:
            for task in (feeder, *pool):
                task.cancel()
            await asyncio.gather(feeder, *pool, return_exceptions=True)
            self._count()

    async def _feed(self, jobs: AsyncIterator[Job], inbox: asyncio.Queue, outbox: asyncio.Queue,
                    workers: int) -> None:
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

    async def _work(self, inbox: asyncio.Queue, outbox: asyncio.Queue) -> None:
        try:
            while (job := await inbox.get()) is not _DONE:
                if self._stopping:  # taken, not started: nothing paid, asked on the next run
                    continue
                try:
                    with article_gate(self._is_stopping):
                        answer = await self._one(job)
                except NotStarted:  # stopped while it waited for its first request slot: as above
                    continue
                await outbox.put(answer)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # a configuration error: the run cannot go on
            await outbox.put(exc)
        finally:
            await outbox.put(_DONE)

    async def _one(self, job: Job) -> Answer:
        ex = self._worker_ex
        try:
            # Cleaning and language detection are CPU work; keep them off the event loop.
            prepared = await asyncio.to_thread(ex.prepare, job.document)
            outcomes = await ex.aask(prepared)
            answers = ex.dump_answers(outcomes)
            return Answer(job, answers_json=answers, result=ex.finish(prepared, outcomes))
        except ModelCallError as exc:
            return Answer(job, error=exc)
        except ConfigurationError:
            raise
        except ExtractorError as exc:
            return Answer(job, error=exc)
        except Exception as exc:  # one bad article never stops the run
            logger.debug("internal error on %s", job.document.source, exc_info=True)
            return Answer(job, error=ExtractorError(f"{type(exc).__name__}: {exc}"))
