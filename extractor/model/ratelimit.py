"""Run-wide rate limits: requests and tokens per minute, and a pause for everyone after a 429.

Every HTTP request to the model passes one :class:`RateLimiter`, and a 429 from any
request pauses *all* new requests for the ``Retry-After`` (or backoff) interval,
instead of letting the other workers keep hammering an endpoint that is already
refusing. The limiter sits in the HTTP transport of the OpenAI client
(:class:`RateLimitedTransport`), below instructor's re-asks and tenacity's retries,
so it sees every request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

import httpx2

from extractor.core.errors import ConfigurationError
from extractor.model.headers import retry_after_seconds

logger = logging.getLogger(__name__)

__all__ = ["RateLimiter", "RateLimitedTransport", "NotStarted", "article_gate"]


class NotStarted(BaseException):
    """An article whose first request had not gone when the run stopped taking articles.

    A ``BaseException``, like ``CancelledError``: the SDK, instructor and our retry
    policy let it through untouched (they catch ``Exception``), so the article ends
    unasked, with no record, and the next run asks it.
    """


@dataclass
class _Gate:
    stopping: Callable[[], bool]
    on_start: Callable[[], None] | None = None
    started: bool = False


_GATE: ContextVar[_Gate | None] = ContextVar("extractor_article_gate", default=None)


@contextlib.contextmanager
def article_gate(stopping: Callable[[], bool], *, on_start: Callable[[], None] | None = None) -> Iterator[None]:
    """Requests sent inside this block belong to one article: once ``stopping()`` is true,
    an article that has not sent its first request raises :class:`NotStarted` instead of
    sending it (Ctrl-C: nothing new is paid for), while one already started goes on
    (its later chunks and re-asks finish what was paid for). ``on_start`` is called once,
    as the article's first request goes (after it got its slot and its permit)."""
    token = _GATE.set(_Gate(stopping, on_start))
    try:
        yield
    finally:
        _GATE.reset(token)


def _abandoned() -> bool:
    """Whether the current article has sent nothing yet and its run stopped taking articles."""
    gate = _GATE.get()
    return gate is not None and not gate.started and gate.stopping()


def _check_gate() -> None:
    if _abandoned():
        raise NotStarted()
    gate = _GATE.get()
    if gate is not None and not gate.started:
        gate.started = True
        if gate.on_start is not None:
            gate.on_start()

class RateLimiter:
    """Requests- and tokens-per-minute token buckets plus a run-wide pause after a 429.

    One instance is shared by every request of a run. :meth:`acquire` waits, in
    arrival order, until the buckets allow the request and no pause is in force;
    :meth:`on_rate_limited` starts a pause that holds back *every* new request (the
    server's ``Retry-After`` when given, else exponential backoff with jitter that
    grows while 429s keep coming). Requests already sent are not affected.

    Buckets refill continuously and hold ``burst_s`` seconds' worth, so traffic is
    smooth rather than a burst at the start of each minute. A request larger than the
    token bucket goes when the bucket is full (and leaves it in debt), so a tiny
    ``tpm`` slows a run down but never deadlocks it.
    """

    def __init__(
        self,
        rpm: int | None = None,
        tpm: int | None = None,
        *,
        burst_s: float = 1.0,
        backoff_initial_s: float = 1.0,
        backoff_max_s: float = 60.0,
        max_pause_s: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
        max_in_flight: int | None = None,
    ):
        if rpm is not None and rpm <= 0:
            raise ConfigurationError(f"rpm must be positive, got {rpm}")
        if tpm is not None and tpm <= 0:
            raise ConfigurationError(f"tpm must be positive, got {tpm}")
        self.rpm, self.tpm = rpm, tpm
        self.backoff_initial_s, self.backoff_max_s, self.max_pause_s = backoff_initial_s, backoff_max_s, max_pause_s
        self._clock = clock
        self._req_rate = rpm / 60.0 if rpm else 0.0
        self._req_cap = max(1.0, self._req_rate * burst_s)
        self._tok_rate = tpm / 60.0 if tpm else 0.0
        self._tok_cap = max(1.0, self._tok_rate * burst_s)
        self._req = self._req_cap
        self._tok = self._tok_cap
        self._stamp = clock()
        self._paused_until = 0.0
        self._streak = 0
        self._lock: asyncio.Lock | None = None
        self.max_in_flight = max_in_flight
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Observable counters (the benchmark and the summary read them).
        self.requests = 0
        self.rate_limited = 0
        self.paused_s = 0.0
        self.waited_s = 0.0

    @property
    def paused_until(self) -> float:
        """Clock time before which no new request is sent."""
        return self._paused_until

    def _bind_loop(self) -> None:
        """Lock and semaphore belong to one event loop: a limiter reused by a later
        ``asyncio.run`` (a second :func:`run_batch`) makes fresh ones."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover - only called from coroutines
            return
        if loop is not self._loop:
            self._loop = loop
            self._lock = None
            self._slots = None

    def _refill(self, now: float) -> None:
        dt = max(0.0, now - self._stamp)
        self._stamp = now
        if self.rpm:
            self._req = min(self._req_cap, self._req + dt * self._req_rate)
        if self.tpm:
            self._tok = min(self._tok_cap, self._tok + dt * self._tok_rate)

    async def acquire(self, tokens: int = 0, *, abandon: Callable[[], bool] | None = None) -> None:
        """Wait until one request of about ``tokens`` tokens may be sent, then take it.

        ``abandon``, checked while waiting: when it returns True the wait ends with
        :class:`NotStarted` and nothing is taken (a run stopped meanwhile).
        """
        if not self.rpm and not self.tpm and self._paused_until <= self._clock():
            self.requests += 1
            return
        self._bind_loop()
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            while True:
                now = self._clock()
                self._refill(now)
                wait = self._paused_until - now
                if self.rpm and self._req < 1.0:
                    wait = max(wait, (1.0 - self._req) / self._req_rate)
                if self.tpm and tokens:
                    need = min(float(tokens), self._tok_cap)
                    if self._tok < need:
                        wait = max(wait, (need - self._tok) / self._tok_rate)
                if wait <= 0:
                    break
                if abandon is not None:
                    if abandon():
                        raise NotStarted()
                    wait = min(wait, 0.25)  # look again soon: a stop must not wait for a minute's token
                self.waited_s += wait
                await asyncio.sleep(wait)
            if self.rpm:
                self._req -= 1.0
            if self.tpm:
                self._tok -= tokens
            self.requests += 1

    def give_back(self, tokens: int = 0) -> None:
        """Undo :meth:`acquire` for a request that was not sent after all."""
        self.requests -= 1
        if self.rpm:
            self._req += 1.0
        if self.tpm:
            self._tok += tokens

    def slots(self) -> asyncio.Semaphore | None:
        """The semaphore bounding requests in flight (None when unbounded)."""
        self._bind_loop()
        if self.max_in_flight and self._slots is None:
            self._slots = asyncio.Semaphore(self.max_in_flight)
        return self._slots

    def settle(self, estimated: int, actual: int) -> None:
        """Correct the token bucket once the real usage of a request is known."""
        if self.tpm:
            self._tok = min(self._tok_cap, self._tok + estimated - actual)

    def on_rate_limited(self, retry_after: float | None = None) -> float:
        """A 429 arrived: pause all new requests; returns the pause in seconds."""
        self.rate_limited += 1
        if retry_after is not None:
            delay = min(max(0.0, retry_after), self.max_pause_s)
        else:
            base = min(self.backoff_max_s, self.backoff_initial_s * 2 ** self._streak)
            delay = random.uniform(base / 2, base)
        self._streak += 1
        now = self._clock()
        until = now + delay
        if until > self._paused_until:
            self.paused_s += until - max(now, self._paused_until)
            self._paused_until = until
        logger.warning("rate limited (429): pausing all requests for %.2fs", delay)
        return delay

    def on_success(self) -> None:
        """A request went through: the backoff streak starts again from the beginning."""
        self._streak = 0


class RateLimitedTransport(httpx2.AsyncBaseTransport):
    """An httpx2 transport that sends every request through a :class:`RateLimiter`.

    Wraps any transport (the real one, a ``MockTransport`` in tests). A 429 response
    pauses the whole run; with a tokens-per-minute limit the response body is read to
    charge the real ``usage.total_tokens`` instead of the estimate.
    """

    def __init__(self, inner: httpx2.AsyncBaseTransport, limiter: RateLimiter, *, close_inner: bool = True):
        self.inner = inner
        self.limiter = limiter
        self.close_inner = close_inner  # False for an application's transport: closing it is theirs

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        slots = self.limiter.slots()
        if slots is None:
            return await self._send(request)
        async with slots:
            return await self._send(request)

    async def _send(self, request: httpx2.Request) -> httpx2.Response:
        estimate = 0
        if self.limiter.tpm:
            try:
                # ~4 bytes a token for the JSON body; corrected by settle() afterwards.
                estimate = max(1, len(request.content) // 4)
            except Exception:  # a streamed body has no length yet
                estimate = 1000
        if _abandoned():  # before the waits: a stopped run does not queue for a token it will not use
            raise NotStarted()
        if isinstance(self.limiter, RateLimiter):
            await self.limiter.acquire(estimate, abandon=_abandoned)
        else:  # an application's own limiter (``limiter=``) with the plain acquire(tokens)
            await self.limiter.acquire(estimate)
        try:
            _check_gate()  # and after them: the stop may have come meanwhile
        except NotStarted:
            if isinstance(self.limiter, RateLimiter):
                self.limiter.give_back(estimate)
            raise
        try:
            response = await self.inner.handle_async_request(request)
        except BaseException:
            self.limiter.settle(estimate, 0)
            raise
        if response.status_code == 429:
            self.limiter.settle(estimate, 0)
            self.limiter.on_rate_limited(retry_after_seconds(response))
            return response
        self.limiter.on_success()
        if estimate and response.status_code == 200:
            actual = estimate
            try:
                await response.aread()
                actual = int(((response.json() or {}).get("usage") or {}).get("total_tokens") or estimate)
            except Exception:  # not JSON, or no usage reported: keep the estimate
                pass
            self.limiter.settle(estimate, actual)
        return response

    async def aclose(self) -> None:
        if self.close_inner:
            await self.inner.aclose()

