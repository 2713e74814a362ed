"""The public :class:`Extractor`: one article (:mod:`extractor.pipeline`) plus batches (:mod:`extractor.runs`).

``from extractor import Extractor`` gives this class. It lives above both layers so
that the single-article pipeline never imports the batch machinery; it holds an
:class:`~extractor.pipeline.ArticlePipeline` (``ex.pipeline``) and hands it to the
runner for batches. The command line uses the same calls.

>>> from extractor import Extractor, RunOptions, Settings                # doctest: +SKIP
>>> ex = Extractor(Settings(provider="vllm", base_url="http://gpu:8000/v1", model="Qwen2.5-7B"))  # doctest: +SKIP
>>> summary = ex.run(["articles/"], out="out", concurrency=64)          # doctest: +SKIP
>>> summary.ok, summary.paths["articles"]                               # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import os
import warnings
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Generic, Self, Unpack, cast

from pydantic import BaseModel

from extractor.core.identity import Identity
from extractor.core.options import RunKeywords, RunOptions
from extractor.core.records import ArticleRecord, RunSummary
from extractor.core.types import ExtractionResult, ModelT
from extractor.model.settings import Settings
from extractor.pipeline import ArticlePipeline, aextract, extract
from extractor.runs.runner import arun_batch, iter_results, run_batch

if TYPE_CHECKING:
    import openai

__all__ = ["Extractor", "RecordStream", "extract", "aextract", "Paths"]

Paths = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]
"""Files, folders (searched recursively) or glob patterns: one, or several."""


def _inputs(paths: Paths) -> list[str]:
    if isinstance(paths, (str, os.PathLike)):
        return [os.fspath(paths)]
    return [os.fspath(p) for p in paths]


def _options(out: str | os.PathLike[str] | None, options: RunOptions | None, keywords: RunKeywords) -> RunOptions:
    """``RunOptions`` from an options object, keywords, or both (keywords win)."""
    if options is None:
        if out is None:
            raise TypeError("give out= (the output folder) or options=RunOptions(out=...)")
        return RunOptions.of(Path(os.fspath(out)), **keywords)
    changes = dict(keywords)
    if out is not None:
        changes["out"] = Path(os.fspath(out))
    return options.but(**changes) if changes else options


def _no_running_loop(call: str, instead: str) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(f"Extractor.{call}() cannot be called from a running event loop; use "
                       f"'Extractor.{instead}(...)' there")


class RecordStream(AsyncIterator[ArticleRecord]):
    """The records of a batch as it finishes them (:meth:`Extractor.aiter_results`).

    An async iterator and an async context manager: ``async with`` (or :meth:`aclose`)
    ends the run at once when you leave early, with the answers in flight stored and no
    task left; without it, an early ``break`` leaves that to the event loop's clean-up of
    abandoned generators, which may come after your loop has ended.
    """

    def __init__(self, records: AsyncGenerator[ArticleRecord, None]):
        self._records = records

    def __aiter__(self) -> RecordStream:
        return self

    async def __anext__(self) -> ArticleRecord:
        return await self._records.__anext__()

    async def aclose(self) -> None:
        """Stop the run: no new request; the answers in flight are stored first."""
        await self._records.aclose()

    async def __aenter__(self) -> RecordStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


# 0.2's stage methods and attributes of Extractor (then the pipeline itself).
_MOVED_TO_PIPELINE = frozenset({
    "aask", "ask", "aextract_document", "extract_document", "document", "read", "prepare", "finish",
    "dump_answers", "load_answers", "rederive", "model_client", "model_name", "schema_name", "schema_version",
})


class Extractor(Generic[ModelT]):
    """Extraction for applications: single articles (sync and async) and batches.

    Keep one per application and share it between threads and tasks; it holds no
    per-article state. Its clients are built on first use from ``settings`` (or the
    environment), or are the ones you pass: ``client`` (an ``openai.OpenAI``) for
    :meth:`extract`, ``async_client`` (an ``openai.AsyncOpenAI``) for :meth:`aextract`
    and batches. Clients you pass are never closed by the library; close the
    Extractor (``with``/``async with`` or :meth:`close`/:meth:`aclose`) to release the
    ones it built.

    Building one checks what can be checked before any call (a client of the wrong kind,
    a schema whose facts cannot be grounded: :class:`~extractor.core.errors.ConfigurationError`)
    and loads openai and instructor (about a second, once per process), so that no
    request pays for that on an event loop: build it at start-up. (Inside a running loop,
    ``await asyncio.to_thread(Extractor, settings)`` keeps the loop free meanwhile.)

    With a schema class, results are typed: ``Extractor(settings, schema=MySchema)`` is an
    ``Extractor[MySchema]`` whose ``extract(...).data`` is a ``MySchema``.

    Args:
        settings: what to extract and from which endpoint (default: ``Settings.from_env()``).
        schema: a schema class or reference, overriding ``settings.schema_ref``.
        client / async_client: your own OpenAI clients.
    """

    def __init__(self, settings: Settings | None = None, *, schema: type[ModelT] | str | None = None,
                 client: openai.OpenAI | None = None, async_client: openai.AsyncOpenAI | None = None) -> None:
        self.pipeline = ArticlePipeline(settings, schema=schema, client=client, async_client=async_client)
        if not self.pipeline.settings.mentions_only:
            # openai and instructor take up to a second to load: here, once, rather than on an
            # event loop in the first aextract (the clients themselves are built off the loop).
            from extractor.model.client import preload

            preload()

    @property
    def settings(self) -> Settings:
        return self.pipeline.settings

    if not TYPE_CHECKING:  # hidden from type checkers: a misspelt method stays a type error
        def __getattr__(self, name: str) -> object:
            # 0.2's Extractor was the pipeline itself; its stage methods live on ``.pipeline`` now.
            # Called only for names the class does not have, so the public surface stays small.
            if name in _MOVED_TO_PIPELINE:
                warnings.warn(f"Extractor.{name} moved to Extractor.pipeline.{name} in 0.3.0; "
                              f"the old spelling will go in 0.5", DeprecationWarning, stacklevel=2)
                return getattr(self.pipeline, name)
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def schema(self) -> type[BaseModel]:
        return self.pipeline.schema

    @property
    def identity(self) -> Identity:
        """The request and derivation fingerprints results are stored under."""
        return self.pipeline.identity

    # One article -----------------------------------------------------------------------
    def extract(self, text: str, *, source: str | None = None) -> ExtractionResult[ModelT]:
        """Facts from one article's text; spans point into ``text``. Raises
        :class:`~extractor.core.errors.InputError` (empty text) or
        :class:`~extractor.core.errors.ModelCallError` (no usable answer within the budgets)."""
        return cast("ExtractionResult[ModelT]", self.pipeline.extract(text, source=source))

    async def aextract(self, text: str, *, source: str | None = None) -> ExtractionResult[ModelT]:
        """Async :meth:`extract`. The event loop only waits: reading, cleaning, finding the
        mentions, grounding and building the client happen in worker threads."""
        return cast("ExtractionResult[ModelT]", await self.pipeline.aextract(text, source=source))

    def extract_file(self, path: str | os.PathLike[str]) -> ExtractionResult[ModelT]:
        """Facts from one file (any encoding, .txt/.html/.md); spans point into its decoded text."""
        return cast("ExtractionResult[ModelT]", self.pipeline.extract_file(os.fspath(path)))

    async def aextract_file(self, path: str | os.PathLike[str]) -> ExtractionResult[ModelT]:
        """Async :meth:`extract_file`."""
        return cast("ExtractionResult[ModelT]", await self.pipeline.aextract_file(os.fspath(path)))

    # Batches ---------------------------------------------------------------------------
    def run(self, paths: Paths, *, out: str | os.PathLike[str] | None = None, options: RunOptions | None = None,
            **keywords: Unpack[RunKeywords]) -> RunSummary:
        """Run the batch over files, folders or globs into an output folder.

        Give ``options=RunOptions(...)`` or the same fields as keywords (``out=``,
        ``concurrency=``, ``engine="ray"``, ``on_progress=``...). See
        :func:`extractor.runs.runner.run_batch` for what a run does. Raises a clear
        ``RuntimeError`` when called from a running event loop: use :meth:`arun` there.

        >>> summary = Extractor(settings).run(["articles/"], out="out", concurrency=16)  # doctest: +SKIP
        >>> summary.exit_code, summary.to_dict()["ok"]                                      # doctest: +SKIP
        """
        return run_batch(self.pipeline, _inputs(paths), _options(out, options, keywords))

    async def arun(self, paths: Paths, *, out: str | os.PathLike[str] | None = None,
                   options: RunOptions | None = None, **keywords: Unpack[RunKeywords]) -> RunSummary:
        """Async :meth:`run`."""
        return await arun_batch(self.pipeline, _inputs(paths), _options(out, options, keywords))

    def aiter_results(self, paths: Paths, *, out: str | os.PathLike[str] | None = None,
                      options: RunOptions | None = None, **keywords: Unpack[RunKeywords]) -> RecordStream:
        """One record per article as the batch finishes them (no exports), each stored first.

        Use it as ``async with`` when you may leave early: leaving starts no new request,
        stores the answers of those in flight (they are paid for) and returns when no task
        of the run is left. A plain ``async for`` that runs to the end needs nothing more.

        >>> async with ex.aiter_results(["articles/"], out="out") as records:  # doctest: +SKIP
        ...     async for rec in records:
        ...         if rec.status == "error":
        ...             break
        """
        return RecordStream(iter_results(self.pipeline, _inputs(paths), _options(out, options, keywords)))

    def iter_results(self, paths: Paths, *, out: str | os.PathLike[str] | None = None,
                     options: RunOptions | None = None, **keywords: Unpack[RunKeywords]) -> Iterator[ArticleRecord]:
        """Sync :meth:`aiter_results`: the batch runs in its own event loop in this thread,
        one record at a time. Leaving the loop early (``break``, an exception) starts no new
        request and stores the answers of those in flight before the generator closes.
        Raises ``RuntimeError`` in a running event loop: use :meth:`aiter_results` there."""
        _no_running_loop("iter_results", "aiter_results")
        agen = iter_results(self.pipeline, _inputs(paths), _options(out, options, keywords))
        with asyncio.Runner() as runner:
            try:
                while True:
                    try:
                        yield runner.run(agen.__anext__())
                    except StopAsyncIteration:
                        return
            finally:
                runner.run(agen.aclose())

    # Lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Close the sync client the library built (yours stays open)."""
        self.pipeline.close()

    async def aclose(self) -> None:
        """Close the clients the library built, async and sync (yours stay open)."""
        self.pipeline.close()
        await self.pipeline.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
