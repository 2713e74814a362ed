"""An example engine, written as a newcomer would: one article at a time, in order.

It shows everything a new engine needs (the rest — store, lock, limiter, clients,
exports, resume — is the runner's): subclass ``Engine``, give it a ``name``, and turn
each job into an answer with the extractor the context hands over. It is used by
name, ``RunOptions(engine="sequential_engine:SequentialEngine")``, with no change to
the library; a built-in engine would add one line to ``extractor.runs.engines.BUILTIN``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from extractor.model.ratelimit import NotStarted, article_gate
from extractor.runs.engines import Answer, Engine, EngineContext, Job


class SequentialEngine(Engine):
    """Asks the model about one article at a time; stops between articles on Ctrl-C."""

    name = "sequential"

    def __init__(self, context: EngineContext) -> None:
        super().__init__(context)
        self.stopping = False
        self.answered = 0

    def stop_taking(self) -> bool:
        # Between two articles nothing is in flight: a graceful stop is free.
        self.stopping = True
        return True

    async def answer(self, jobs: AsyncIterator[Job]) -> AsyncIterator[Answer]:
        async for job in jobs:
            if self.stopping:
                continue  # taken, not started: asked on the next run
            try:
                with article_gate(lambda: self.stopping):
                    result = await self.extractor.aanswer(job.document)
            except NotStarted:
                continue
            self.answered += 1
            yield Answer.of(job, result)
