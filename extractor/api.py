"""The public :class:`Extractor`: one article (:mod:`extractor.pipeline`) plus batches (:mod:`extractor.runs`).

``from extractor import Extractor`` gives this class. It lives above both layers so
that the single-article pipeline never imports the batch machinery.

>>> from extractor import Extractor, Settings                          # doctest: +SKIP
>>> ex = Extractor(Settings(provider="vllm", base_url="http://gpu:8000/v1", model="Qwen2.5-7B"))  # doctest: +SKIP
>>> summary = ex.run(["articles/"], out="out", concurrency=64)  # doctest: +SKIP
>>> summary.ok, summary.paths["articles"]  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

from extractor.core.options import RunOptions
from extractor.pipeline import Extractor as _Pipeline
from extractor.pipeline import aextract, extract
from extractor.runs.records import ArticleRecord, RunSummary
from extractor.runs.runner import RunHooks, arun_batch, iter_results, run_batch

__all__ = ["Extractor", "extract", "aextract"]

_HOOKS = ("on_progress", "on_record", "stop")
_INJECTED = ("limiter", "transport")


def _inputs(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[str]:
    if isinstance(paths, (str, os.PathLike)):
        return [os.fspath(paths)]
    return [os.fspath(p) for p in paths]


def _split(out: str | os.PathLike[str] | None, options: RunOptions | None,
           kwargs: dict[str, Any]) -> tuple[RunOptions, RunHooks, dict[str, Any]]:
    """``RunOptions`` from either an options object or the keyword style (``out=``, ``concurrency=``...)."""
    hooks = RunHooks(**{k: kwargs.pop(k) for k in _HOOKS if k in kwargs})
    injected = {k: kwargs.pop(k) for k in _INJECTED if k in kwargs}
    if options is None:
        if out is None:
            raise TypeError("give out= (the output folder) or options=RunOptions(out=...)")
        options = RunOptions.of(Path(os.fspath(out)), **kwargs)
    elif kwargs or out is not None:
        options = options.but(**({"out": Path(os.fspath(out))} if out is not None else {}), **kwargs)
    return options, hooks, injected


class Extractor(_Pipeline):
    """Reusable extraction engine: single articles (sync and async) and batches.

    Keep one per application; it holds no per-article state. See
    :class:`extractor.pipeline.Extractor` for the single-article methods.
    """

    def run(self, paths: Any, *, out: str | os.PathLike[str] | None = None, options: RunOptions | None = None,
            **kwargs: Any) -> RunSummary:
        """Run the batch over files, folders or globs (see :func:`extractor.runs.run_batch`).

        Give ``options=RunOptions(...)`` or the same fields as keywords (``out=``,
        ``concurrency=``, ``engine="ray"``, ...); ``on_progress=``/``on_record=`` are hooks.

        >>> summary = Extractor(settings).run(["articles/"], out="out", concurrency=16)  # doctest: +SKIP
        >>> summary.exit_code, summary.to_dict()["ok"]                                      # doctest: +SKIP
        """
        handle_sigint = kwargs.pop("handle_sigint", True)
        opts, hooks, injected = _split(out, options, kwargs)
        return run_batch(self, _inputs(paths), opts, hooks=hooks, handle_sigint=handle_sigint, **injected)

    async def arun(self, paths: Any, *, out: str | os.PathLike[str] | None = None,
                   options: RunOptions | None = None, **kwargs: Any) -> RunSummary:
        """Async :meth:`run`."""
        opts, hooks, injected = _split(out, options, kwargs)
        return await arun_batch(self, _inputs(paths), opts, hooks=hooks, **injected)

    def aiter_results(self, paths: Any, *, out: str | os.PathLike[str] | None = None,
                      options: RunOptions | None = None, **kwargs: Any) -> AsyncIterator[ArticleRecord]:
        """Async iterator over one record per article as the batch finishes them (no exports)."""
        opts, hooks, injected = _split(out, options, kwargs)
        return iter_results(self, _inputs(paths), opts, stop=hooks.stop, **injected)
