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

__all__ = ["run_batch", "arun_batch", "iter_results", "estimate_batch", "discover_inputs", "RateLimiter",
           "RateLimitedTransport", "ArticleRecord", "Progress", "RunSummary", "DryRunSummary", "SUPPORTED_SUFFIXES"]


def _split(extractor: Any, kwargs: dict[str, Any]) -> tuple[Any, Any]:
    """The v0.1 keywords as (extractor, RunOptions): ``transport=`` becomes a twin of the
    extractor that sends over it; everything else is a RunOptions field."""
    from extractor.core.options import RunOptions

    pipeline = getattr(extractor, "pipeline", extractor)
    transport = kwargs.pop("transport", None)
    if transport is not None:
        pipeline = pipeline.over_transport(transport)
    kwargs.pop("summary", None)
    return pipeline, RunOptions.of(kwargs.pop("out"), **kwargs)


def run_batch(extractor: Any, inputs: Iterable[str | os.PathLike[str]], **kwargs: Any) -> RunSummary:
    """v0.1: ``run_batch(extractor, inputs, out=..., concurrency=..., ...)``."""
    pipeline, options = _split(extractor, kwargs)
    return runner.run_batch(pipeline, inputs, options)


async def arun_batch(extractor: Any, inputs: Iterable[str | os.PathLike[str]], **kwargs: Any) -> RunSummary:
    """v0.1: ``await arun_batch(extractor, inputs, out=..., ...)``."""
    pipeline, options = _split(extractor, kwargs)
    return await runner.arun_batch(pipeline, inputs, options)


def iter_results(extractor: Any, inputs: Iterable[str | os.PathLike[str]],
                 **kwargs: Any) -> AsyncIterator[ArticleRecord]:
    """v0.1: ``async for rec in iter_results(extractor, inputs, out=..., ...)``."""
    pipeline, options = _split(extractor, kwargs)
    return runner.iter_results(pipeline, inputs, options)
