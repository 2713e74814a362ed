"""The v0.1 keyword signatures of the batch functions, behind the old path ``extractor.batch``.

``from extractor.batch import run_batch`` keeps working for code written against v0.1
(with a :class:`DeprecationWarning` from the import): the keywords are turned into one
:class:`~extractor.core.options.RunOptions` at once. New code passes ``RunOptions`` to
:func:`extractor.runs.run_batch`, or calls ``Extractor.run(paths, out=..., ...)``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable
from typing import Any

from extractor.runs import (  # noqa: F401 - the rest of v0.1's extractor.batch
    SUPPORTED_SUFFIXES,
    ArticleRecord,
    DryRunSummary,
    Progress,
    RateLimitedTransport,
    RateLimiter,
    RunSummary,
    discover_inputs,
    estimate_batch,
    runner,
)
from extractor.runs.runner import RunHooks

__all__ = ["run_batch", "arun_batch", "iter_results", "estimate_batch", "discover_inputs", "RateLimiter",
           "RateLimitedTransport", "ArticleRecord", "Progress", "RunSummary", "DryRunSummary", "SUPPORTED_SUFFIXES"]

_HOOKS = ("on_progress", "on_record", "stop")
_INJECTED = ("limiter", "transport")


def _split(kwargs: dict[str, Any]) -> tuple[Any, RunHooks, dict[str, Any]]:
    from extractor.core.options import RunOptions

    hooks = RunHooks(**{k: kwargs.pop(k) for k in _HOOKS if k in kwargs})
    injected = {k: kwargs.pop(k) for k in _INJECTED if k in kwargs}
    kwargs.pop("summary", None)
    return RunOptions.of(kwargs.pop("out"), **kwargs), hooks, injected


def run_batch(extractor: Any, inputs: Iterable[str | os.PathLike[str]], **kwargs: Any) -> RunSummary:
    """v0.1: ``run_batch(extractor, inputs, out=..., concurrency=..., ...)``."""
    handle_sigint = kwargs.pop("handle_sigint", True)
    options, hooks, injected = _split(kwargs)
    return runner.run_batch(extractor, inputs, options, hooks=hooks, handle_sigint=handle_sigint, **injected)


async def arun_batch(extractor: Any, inputs: Iterable[str | os.PathLike[str]], **kwargs: Any) -> RunSummary:
    """v0.1: ``await arun_batch(extractor, inputs, out=..., ...)``."""
    options, hooks, injected = _split(kwargs)
    return await runner.arun_batch(extractor, inputs, options, hooks=hooks, **injected)


def iter_results(extractor: Any, inputs: Iterable[str | os.PathLike[str]],
                 **kwargs: Any) -> AsyncIterator[ArticleRecord]:
    """v0.1: ``async for rec in iter_results(extractor, inputs, out=..., ...)``."""
    options, hooks, injected = _split(kwargs)
    return runner.iter_results(extractor, inputs, options, stop=hooks.stop, **injected)
