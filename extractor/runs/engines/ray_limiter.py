"""Run-wide rate limits for the Ray engine: one small limiter actor, a proxy in each worker.

The token buckets and the pause after a 429 are :class:`~extractor.model.ratelimit.RateLimiter`'s,
unchanged: :class:`LimiterState` holds one inside a Ray actor (async, ``num_cpus=0``,
up to 1,000 calls at once), so ten nodes share one ``--rpm``/``--tpm`` budget and one
pause. Each worker's HTTP transport (:class:`~extractor.model.ratelimit.RateLimitedTransport`)
talks to :class:`RemoteRateLimiter`, a :class:`RateLimiter` whose ``acquire`` asks the
actor for a permit (about 1.5 ms on one machine), whose 429 and token corrections are
sent to the actor without waiting, and whose in-flight semaphore is the worker's own
share of ``--concurrency``.

Nothing here imports Ray at module level.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from extractor.model.ratelimit import RateLimiter

logger = logging.getLogger(__name__)

__all__ = ["LimiterState", "RemoteRateLimiter", "start_limiter"]


class LimiterState:
    """The body of the limiter actor: one :class:`RateLimiter` for the whole run."""

    def __init__(self, rpm: int | None, tpm: int | None, *, backoff_initial_s: float = 1.0,
                 backoff_max_s: float = 60.0, max_pause_s: float = 120.0):
        self.limiter = RateLimiter(rpm, tpm, backoff_initial_s=backoff_initial_s, backoff_max_s=backoff_max_s,
                                   max_pause_s=max_pause_s)
        self.streak = 0

    async def acquire(self, tokens: int = 0) -> bool:
        """Wait for a permit; True while 429s keep coming (the caller then reports its success)."""
        await self.limiter.acquire(tokens)
        return self.streak > 0

    def settle(self, estimated: int, actual: int) -> None:
        self.limiter.settle(estimated, actual)

    def on_rate_limited(self, retry_after: float | None = None) -> float:
        self.streak += 1
        return self.limiter.on_rate_limited(retry_after)

    def on_success(self) -> None:
        self.streak = 0
        self.limiter.on_success()

    def stats(self) -> dict[str, float]:
        lim = self.limiter
        return {"requests": lim.requests, "rate_limited": lim.rate_limited, "paused_s": round(lim.paused_s, 3),
                "waited_s": round(lim.waited_s, 3)}


def start_limiter(ray: Any, rpm: int | None, tpm: int | None, settings: Any) -> Any:
    """Create the run's limiter actor (on the driver's node when it can) and return its handle.

    It takes no CPU slot, and Ray restarts it if its process dies (its buckets start
    full again; its counters restart at 0).
    """
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    actor_cls = ray.remote(LimiterState)
    here = ray.get_runtime_context().get_node_id()
    return actor_cls.options(
        num_cpus=0, max_concurrency=1000, max_restarts=-1, max_task_retries=-1,
        scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=here, soft=True),
    ).remote(rpm, tpm, backoff_initial_s=settings.backoff_initial_s, backoff_max_s=settings.backoff_max_s,
             max_pause_s=settings.max_retry_after_s)


class RemoteRateLimiter(RateLimiter):
    """A worker's view of the run's limiter actor (``handle``), with ``max_in_flight``
    requests of its own at most (its share of ``--concurrency``)."""

    def __init__(self, handle: Any, rpm: int | None, tpm: int | None, *, max_in_flight: int):
        super().__init__(rpm, tpm, max_in_flight=max_in_flight)
        self.handle = handle
        self._streak = False

    async def acquire(self, tokens: int = 0, *, abandon: Callable[[], bool] | None = None) -> None:
        # ``abandon`` is for a stop inside one process (see ratelimit.article_gate); the Ray
        # engine sets no gate, so it is never given here (a cancelled caller stops waiting,
        # though the actor may still take the token it was waiting for).
        self._streak = bool(await self.handle.acquire.remote(tokens))
        self.requests += 1

    def settle(self, estimated: int, actual: int) -> None:
        if self.tpm and estimated != actual:
            self.handle.settle.remote(estimated, actual)

    def on_rate_limited(self, retry_after: float | None = None) -> float:
        self.rate_limited += 1
        self._streak = True
        self.handle.on_rate_limited.remote(retry_after)
        return retry_after or 0.0

    def on_success(self) -> None:
        if self._streak:
            self._streak = False
            self.handle.on_success.remote()
